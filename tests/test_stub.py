"""frugal.testing: the loopback stub is faithful to both SDKs (strict validation), and the network guard."""

from __future__ import annotations

import json
import socket
import urllib.request
from collections.abc import Iterator

import anthropic
import openai
import pytest

from frugal.testing import Fault, NetworkBlocked, Reply, ToolCall, Usage, VendorStub, deny_network

HI = [{"role": "user", "content": "hi"}]


@pytest.fixture
def oa(stub: VendorStub) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(
        api_key="sk-test", base_url=stub.openai_base_url, max_retries=0, _strict_response_validation=True
    ) as client:
        yield client


@pytest.fixture
def an(stub: VendorStub) -> Iterator[anthropic.Anthropic]:
    with anthropic.Anthropic(
        api_key="sk-ant-test",
        base_url=stub.anthropic_base_url,
        max_retries=0,
        _strict_response_validation=True,
    ) as client:
        yield client


USAGE = Usage(
    input_tokens=100,
    output_tokens=20,
    cache_read_tokens=40,
    cache_write_tokens=6,
    cache_write_1h_tokens=4,
    reasoning_tokens=5,
)


def test_openai_usage_semantics(stub: VendorStub, oa: openai.OpenAI) -> None:
    """OpenAI usage: prompt_tokens includes cached tokens; reasoning inside completion tokens."""
    stub.reply("gpt-4o-mini", Reply(usage=USAGE))
    usage = oa.chat.completions.create(model="gpt-4o-mini", messages=HI).usage  # type: ignore[arg-type]
    assert usage is not None
    assert (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens) == (100, 20, 120)
    assert usage.prompt_tokens_details is not None
    assert (usage.prompt_tokens_details.cached_tokens, usage.prompt_tokens_details.cache_write_tokens) == (
        40,
        10,
    )
    assert usage.completion_tokens_details is not None
    assert usage.completion_tokens_details.reasoning_tokens == 5


def test_anthropic_usage_semantics(stub: VendorStub, an: anthropic.Anthropic) -> None:
    """Anthropic usage: input_tokens excludes cache; writes split by TTL."""
    stub.reply("claude-haiku-4-5", Reply(usage=USAGE))
    usage = an.messages.create(model="claude-haiku-4-5", max_tokens=5, messages=HI).usage  # type: ignore[arg-type]
    assert (usage.input_tokens, usage.cache_read_input_tokens, usage.cache_creation_input_tokens) == (
        50,
        40,
        10,
    )
    assert usage.cache_creation is not None
    assert (
        usage.cache_creation.ephemeral_5m_input_tokens,
        usage.cache_creation.ephemeral_1h_input_tokens,
    ) == (6, 4)


def test_tool_calls_both_vendors_stream_and_not(
    stub: VendorStub, oa: openai.OpenAI, an: anthropic.Anthropic
) -> None:
    """Tool calls parse in both SDKs, streamed and not."""
    stub.reply(None, Reply(text=None, tool_calls=[ToolCall("get_weather", {"city": "Paris"})]))
    call = oa.chat.completions.create(model="gpt-4o-mini", messages=HI).choices[0].message.tool_calls  # type: ignore[arg-type]
    assert call is not None
    assert json.loads(call[0].function.arguments) == {"city": "Paris"}  # type: ignore[union-attr]
    pieces = [
        c.choices[0].delta.tool_calls[0].function.arguments  # type: ignore[index,union-attr]
        for c in oa.chat.completions.create(model="gpt-4o-mini", messages=HI, stream=True)  # type: ignore[arg-type]
        if c.choices and c.choices[0].delta.tool_calls
    ]
    assert json.loads("".join(p or "" for p in pieces)) == {"city": "Paris"}
    message = an.messages.create(model="claude-haiku-4-5", max_tokens=5, messages=HI)  # type: ignore[arg-type]
    assert message.stop_reason == "tool_use"
    with an.messages.stream(model="claude-haiku-4-5", max_tokens=5, messages=HI) as stream:  # type: ignore[arg-type]
        final = stream.get_final_message()
    assert final.content[0].type == "tool_use"
    assert final.content[0].input == {"city": "Paris"}


def test_include_usage_is_honoured(stub: VendorStub, oa: openai.OpenAI) -> None:
    """OpenAI streams carry a usage chunk only when the request asked for it."""
    without = list(oa.chat.completions.create(model="gpt-4o-mini", messages=HI, stream=True))  # type: ignore[arg-type]
    assert all(c.usage is None for c in without)
    with_usage = list(
        oa.chat.completions.create(
            model="gpt-4o-mini", messages=HI, stream=True, stream_options={"include_usage": True}
        )  # type: ignore[arg-type]
    )
    assert with_usage[-1].choices == []
    assert with_usage[-1].usage is not None


def test_responses_stream_and_embeddings(stub: VendorStub, oa: openai.OpenAI) -> None:
    """Responses (JSON and SSE) and embeddings parse with strict validation."""
    assert oa.responses.create(model="gpt-4o-mini", input="hi").output_text == "Hello from stub."
    events = list(oa.responses.create(model="gpt-4o-mini", input="hi", stream=True))
    assert [e.sequence_number for e in events] == list(range(len(events)))
    assert events[-1].type == "response.completed"
    vectors = oa.embeddings.create(model="text-embedding-3-small", input=["a", "b"], encoding_format="float")
    assert len(vectors.data) == 2


@pytest.mark.parametrize(
    ("status", "oa_cls", "an_cls"),
    [
        (400, openai.BadRequestError, anthropic.BadRequestError),
        (401, openai.AuthenticationError, anthropic.AuthenticationError),
        (404, openai.NotFoundError, anthropic.NotFoundError),
        (429, openai.RateLimitError, anthropic.RateLimitError),
        (500, openai.InternalServerError, anthropic.InternalServerError),
        (529, openai.InternalServerError, anthropic.OverloadedError),
    ],
)
def test_status_faults_raise_the_sdk_classes(
    stub: VendorStub, oa: openai.OpenAI, an: anthropic.Anthropic, status: int, oa_cls: type, an_cls: type
) -> None:
    """Each status comes with the vendor's own error body: the SDKs raise their proper classes."""
    stub.fail("gpt-4o-mini", status, retry_after=0)
    stub.fail("claude-haiku-4-5", status, retry_after=0)
    with pytest.raises(oa_cls):
        oa.chat.completions.create(model="gpt-4o-mini", messages=HI)  # type: ignore[arg-type]
    with pytest.raises(an_cls) as info:
        an.messages.create(model="claude-haiku-4-5", max_tokens=5, messages=HI)  # type: ignore[arg-type]
    assert info.value.request_id is not None


def test_retry_after_is_honoured_by_the_sdk(stub: VendorStub) -> None:
    """A queued 429 with retry-after 0 then a reply: the SDK's own retry succeeds, two requests logged."""
    stub.queue("gpt-4o-mini", Fault.status(429, retry_after=0), Reply(text="after retry"))
    client = openai.OpenAI(api_key="k", base_url=stub.openai_base_url, max_retries=1)
    answer = client.chat.completions.create(model="gpt-4o-mini", messages=HI)  # type: ignore[arg-type]
    assert answer.choices[0].message.content == "after retry"
    assert len(stub.requests) == 2


def test_connection_faults(stub: VendorStub, oa: openai.OpenAI, an: anthropic.Anthropic) -> None:
    """Reset -> APIConnectionError; delay past the timeout -> APITimeoutError; malformed JSON -> the
    JSONDecodeError the openai SDK really raises."""
    stub.queue("gpt-4o-mini", Fault.reset(), Fault.delay(0.5), Fault.malformed_json())
    with pytest.raises(openai.APIConnectionError):
        oa.chat.completions.create(model="gpt-4o-mini", messages=HI)  # type: ignore[arg-type]
    with pytest.raises(openai.APITimeoutError):
        oa.with_options(timeout=0.1).chat.completions.create(model="gpt-4o-mini", messages=HI)  # type: ignore[arg-type]
    with pytest.raises(json.JSONDecodeError):
        oa.chat.completions.create(model="gpt-4o-mini", messages=HI)  # type: ignore[arg-type]


def test_stream_faults(stub: VendorStub, oa: openai.OpenAI, an: anthropic.Anthropic) -> None:
    """Mid-stream errors raise in both SDKs; a truncated Anthropic stream lacks its final events."""
    stub.queue("gpt-4o-mini", Fault.stream_error(after_events=2))
    with pytest.raises(openai.APIError):
        list(oa.chat.completions.create(model="gpt-4o-mini", messages=HI, stream=True))  # type: ignore[arg-type]
    stub.queue("claude-haiku-4-5", Fault.stream_error(after_events=2))
    with pytest.raises(anthropic.APIStatusError) as info:
        list(an.messages.create(model="claude-haiku-4-5", max_tokens=5, messages=HI, stream=True))  # type: ignore[arg-type]
    assert info.value.body["error"]["type"] == "overloaded_error"  # type: ignore[index]
    stub.queue("claude-haiku-4-5", Fault.truncated_stream(after_events=3))
    events = list(an.messages.create(model="claude-haiku-4-5", max_tokens=5, messages=HI, stream=True))  # type: ignore[arg-type]
    assert len(events) == 3
    assert events[-1].type != "message_stop"


def test_auth_styles_and_missing_auth(stub: VendorStub) -> None:
    """Anthropic accepts x-api-key and Bearer; no key at all is a 401 in the vendor's format."""
    body = json.dumps({"model": "claude-haiku-4-5", "max_tokens": 5, "messages": HI}).encode()
    for headers in ({"x-api-key": "k"}, {"authorization": "Bearer k"}):
        request = urllib.request.Request(f"{stub.url}/v1/messages", data=body, headers=headers, method="POST")
        with urllib.request.urlopen(request) as response:
            assert json.loads(response.read())["type"] == "message"
    request = urllib.request.Request(f"{stub.url}/v1/messages", data=body, method="POST")
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(request)
    assert info.value.code == 401
    assert json.loads(info.value.read())["error"]["type"] == "authentication_error"


def test_unknown_models_are_404_when_models_are_listed() -> None:
    """VendorStub(models=...) answers other models with the vendor's not-found error."""
    with VendorStub(models={"gpt-4o-mini"}) as stub:
        client = openai.OpenAI(api_key="k", base_url=stub.openai_base_url, max_retries=0)
        client.chat.completions.create(model="gpt-4o-mini", messages=HI)  # type: ignore[arg-type]
        with pytest.raises(openai.NotFoundError):
            client.chat.completions.create(model="gpt-9", messages=HI)  # type: ignore[arg-type]


def test_request_log(stub: VendorStub, oa: openai.OpenAI) -> None:
    """Every request is logged with vendor, path, lower-cased headers, body, model and stream flag."""
    stub.fail("gpt-4o", 500)
    with pytest.raises(openai.InternalServerError):
        oa.chat.completions.create(model="gpt-4o", messages=HI)  # type: ignore[arg-type]
    list(oa.chat.completions.create(model="gpt-4o-mini", messages=HI, stream=True))  # type: ignore[arg-type]
    first, second = stub.requests
    assert (first.vendor, first.path, first.model, first.stream) == (
        "openai",
        "/v1/chat/completions",
        "gpt-4o",
        False,
    )
    assert first.headers["authorization"] == "Bearer sk-test"
    assert second.stream
    assert stub.requests_for("gpt-4o-mini") == [second]


def test_usage_is_validated() -> None:
    """Impossible usage (cache larger than input, reasoning larger than output) is refused."""
    with pytest.raises(ValueError, match="cannot exceed"):
        Usage(input_tokens=5, cache_read_tokens=6)
    with pytest.raises(ValueError, match="cannot exceed"):
        Usage(output_tokens=1, reasoning_tokens=2)


def test_deny_network_blocks_and_records() -> None:
    """Connections off loopback raise NetworkBlocked and are recorded; loopback still works."""
    with VendorStub() as stub, deny_network() as guard:
        with pytest.raises(NetworkBlocked):
            socket.create_connection(("203.0.113.1", 80), timeout=1)
        sock = socket.socket()
        with pytest.raises(NetworkBlocked):
            sock.connect(("198.51.100.7", 443))
        sock.close()
        loopback = urllib.request.Request(f"{stub.url}/v1/nothing", data=b"{}", method="POST")
        with pytest.raises(urllib.error.HTTPError, match="404"):  # an HTTP answer: the connection was allowed
            urllib.request.urlopen(loopback)
    assert guard.violations == ["('203.0.113.1', 80)", "('198.51.100.7', 443)"]
