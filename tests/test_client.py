"""The drop-in surface: every method x sync/async x stream/no stream x same-vendor/cross-vendor.

Real openai and anthropic SDKs, real HTTP, the loopback stub (frugal.testing).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import anthropic
import openai
import pytest
from anthropic.types import Message
from openai.types import CreateEmbeddingResponse
from openai.types.chat import ChatCompletion, ChatCompletionChunk
from openai.types.responses import Response

import frugal
from frugal.testing import Reply, ToolCall, Usage, VendorStub

from .calls import drain, settle
from .conftest import HONOR_POLICY, vendor_options

GPT = "gpt-4o-mini"
CLAUDE = "claude-haiku-4-5"
HELLO = [{"role": "user", "content": "Say hello"}]


@pytest.fixture(params=["sync", "async"])
async def any_client(request: pytest.FixtureRequest, stub: VendorStub) -> AsyncIterator[Any]:
    """Each test runs once with frugal.Client and once with frugal.AsyncClient."""
    if request.param == "sync":
        with frugal.Client(**vendor_options(stub)) as c:  # type: ignore[arg-type]
            yield c
    else:
        async with frugal.AsyncClient(**vendor_options(stub)) as c:  # type: ignore[arg-type]
            yield c


def chunk_text(chunks: list[ChatCompletionChunk]) -> str:
    return "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)


def event_text(events: list[Any]) -> str:
    return "".join(
        e.delta.text for e in events if e.type == "content_block_delta" and e.delta.type == "text_delta"
    )


# -- chat.completions ----------------------------------------------------------------------------


@pytest.mark.parametrize("model", [GPT, CLAUDE])
async def test_chat_completion(any_client: Any, stub: VendorStub, model: str) -> None:
    """chat.completions.create returns an openai ChatCompletion whichever vendor serves the model."""
    stub.reply(model, Reply(text="Bonjour.", usage=Usage(input_tokens=30, output_tokens=7)))
    result = await settle(any_client.chat.completions.create(model=model, messages=HELLO))
    assert type(result) is ChatCompletion
    assert result.choices[0].message.content == "Bonjour."
    assert result.choices[0].finish_reason == "stop"
    assert result.model == model
    assert result.usage is not None
    assert (result.usage.prompt_tokens, result.usage.completion_tokens) == (30, 7)
    [sent] = stub.requests
    assert sent.model == model
    assert sent.vendor == ("openai" if model == GPT else "anthropic")


@pytest.mark.parametrize("model", [GPT, CLAUDE])
async def test_chat_stream(any_client: Any, stub: VendorStub, model: str) -> None:
    """chat.completions.create(stream=True) returns the SDK's own Stream of ChatCompletionChunk."""
    stub.reply(model, Reply(text="Streaming works."))
    stream = await settle(any_client.chat.completions.create(model=model, messages=HELLO, stream=True))
    chunks = await drain(stream)
    assert all(type(c) is ChatCompletionChunk for c in chunks)
    assert chunk_text(chunks) == "Streaming works."
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    assert all(c.usage is None for c in chunks), "no usage chunk unless the caller asked for it"


@pytest.mark.parametrize("model", [GPT, CLAUDE])
async def test_chat_stream_include_usage(any_client: Any, stub: VendorStub, model: str) -> None:
    """With stream_options.include_usage the last chunk carries usage, cache tokens included."""
    usage = Usage(input_tokens=100, output_tokens=20, cache_read_tokens=40, cache_write_tokens=10)
    stub.reply(model, Reply(text="ok", usage=usage))
    stream = await settle(
        any_client.chat.completions.create(
            model=model, messages=HELLO, stream=True, stream_options={"include_usage": True}
        )
    )
    chunks = await drain(stream)
    last = chunks[-1]
    assert last.choices == []
    assert last.usage is not None
    assert last.usage.prompt_tokens == 100
    assert last.usage.completion_tokens == 20
    assert last.usage.prompt_tokens_details is not None
    assert last.usage.prompt_tokens_details.cached_tokens == 40


async def test_chat_cross_vendor_usage_and_tools(any_client: Any, stub: VendorStub) -> None:
    """An OpenAI-shaped call served by Claude maps tool calls and usage (cache never double-counted)."""
    usage = Usage(input_tokens=100, output_tokens=20, cache_read_tokens=40, cache_write_tokens=10)
    stub.reply(CLAUDE, Reply(text=None, tool_calls=[ToolCall("get_weather", {"city": "Paris"})], usage=usage))
    tools = [
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "description": "Weather of a city",
                "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
            },
        }
    ]
    result = await settle(
        any_client.chat.completions.create(
            model=CLAUDE,
            messages=[{"role": "system", "content": "Be brief."}, *HELLO],
            tools=tools,
            tool_choice="required",
            temperature=0.2,
        )
    )
    choice = result.choices[0]
    assert choice.finish_reason == "tool_calls"
    [call] = choice.message.tool_calls
    assert call.function.name == "get_weather"
    assert call.function.arguments.replace(" ", "") == '{"city":"Paris"}'
    assert result.usage.prompt_tokens == 100
    assert result.usage.prompt_tokens_details.cached_tokens == 40
    assert result.usage.completion_tokens == 20
    assert result.usage.total_tokens == 120
    [sent] = stub.requests
    assert sent.path == "/v1/messages"
    assert sent.body is not None
    assert sent.body["system"] in ("Be brief.", [{"type": "text", "text": "Be brief."}])
    assert sent.body["max_tokens"] == frugal.DEFAULT_MAX_TOKENS
    assert sent.body["temperature"] == 0.2
    assert sent.body["tool_choice"]["type"] == "any"
    assert sent.body["tools"][0]["input_schema"]["properties"] == {"city": {"type": "string"}}


# -- responses and embeddings ---------------------------------------------------------------------


@pytest.mark.parametrize("stream", [False, True])
async def test_responses(any_client: Any, stub: VendorStub, stream: bool) -> None:
    """responses.create returns the SDK's Response (or its event stream) for OpenAI models."""
    stub.reply(GPT, Reply(text="Via responses."))
    result = await settle(any_client.responses.create(model=GPT, input="Say hello", stream=stream))
    if stream:
        events = await drain(result)
        assert events[-1].type == "response.completed"
        assert events[-1].response.output_text == "Via responses."
    else:
        assert type(result) is Response
        assert result.output_text == "Via responses."


async def test_embeddings(any_client: Any, stub: VendorStub) -> None:
    """embeddings.create returns the SDK's CreateEmbeddingResponse."""
    result = await settle(any_client.embeddings.create(model="text-embedding-3-small", input=["a", "b"]))
    assert type(result) is CreateEmbeddingResponse
    assert len(result.data) == 2
    assert stub.requests[0].path == "/v1/embeddings"


@pytest.mark.parametrize(
    ("method", "kwargs", "feature"),
    [
        ("responses", {"model": CLAUDE, "input": "hi", "previous_response_id": "r"}, "previous_response_id"),
        ("embeddings", {"model": CLAUDE, "input": "hi"}, "embeddings"),
        ("count_tokens", {"model": GPT, "messages": HELLO}, "count_tokens"),
    ],
)
async def test_vendor_only_operations_refuse_other_vendor(
    any_client: Any, stub: VendorStub, method: str, kwargs: dict[str, Any], feature: str
) -> None:
    """Vendor-only operations (and a Responses call Claude cannot serve) on the other vendor's model raise
    UnsupportedFeature before sending."""
    target = (
        any_client.messages.count_tokens if method == "count_tokens" else getattr(any_client, method).create
    )
    with pytest.raises(frugal.UnsupportedFeature, match=feature):
        await settle(target(**kwargs))
    assert stub.requests == []


# -- messages -------------------------------------------------------------------------------------


@pytest.mark.parametrize("model", [CLAUDE, GPT])
async def test_messages_create(any_client: Any, stub: VendorStub, model: str) -> None:
    """messages.create returns an anthropic Message whichever vendor serves the model."""
    usage = Usage(input_tokens=100, output_tokens=20, cache_read_tokens=40, cache_write_tokens=10)
    stub.reply(model, Reply(text="Hi there.", usage=usage))
    result = await settle(
        any_client.messages.create(model=model, max_tokens=256, system="Be brief.", messages=HELLO)
    )
    assert type(result) is Message
    assert result.content[0].type == "text"
    assert result.content[0].text == "Hi there."
    assert result.stop_reason == "end_turn"
    assert result.model == model
    # Anthropic semantics: input_tokens excludes cache reads and writes.
    assert result.usage.input_tokens == 50
    assert result.usage.cache_read_input_tokens == 40
    assert result.usage.cache_creation_input_tokens == 10
    assert result.usage.output_tokens == 20
    [sent] = stub.requests
    assert sent.vendor == ("anthropic" if model == CLAUDE else "openai")
    if model == GPT:
        assert sent.body is not None
        assert sent.body["messages"][0] == {"role": "system", "content": "Be brief."}
        assert sent.body.get("max_tokens", sent.body.get("max_completion_tokens")) == 256


@pytest.mark.parametrize("model", [CLAUDE, GPT])
async def test_messages_create_stream(any_client: Any, stub: VendorStub, model: str) -> None:
    """messages.create(stream=True) returns the SDK's own Stream of raw message events."""
    stub.reply(model, Reply(text="Streamed reply."))
    stream = await settle(any_client.messages.create(model=model, max_tokens=64, messages=HELLO, stream=True))
    events = await drain(stream)
    assert events[0].type == "message_start"
    assert events[-1].type == "message_stop"
    assert event_text(events) == "Streamed reply."


@pytest.mark.parametrize("model", [CLAUDE, GPT])
def test_messages_stream_helper_sync(client: frugal.Client, stub: VendorStub, model: str) -> None:
    """messages.stream(...) gives the SDK's MessageStream helpers: text_stream and get_final_message."""
    stub.reply(model, Reply(text="Helper text.", usage=Usage(input_tokens=9, output_tokens=3)))
    with client.messages.stream(model=model, max_tokens=64, messages=HELLO) as stream:  # type: ignore[arg-type]
        assert "".join(stream.text_stream) == "Helper text."
        final = stream.get_final_message()
    assert final.content[0].type == "text"
    assert final.usage.output_tokens == 3
    assert final.usage.input_tokens == 9


@pytest.mark.parametrize("model", [CLAUDE, GPT])
async def test_messages_stream_helper_async(
    aclient: frugal.AsyncClient, stub: VendorStub, model: str
) -> None:
    """The async messages.stream(...) manager works with async with, same vendor and cross-vendor."""
    stub.reply(model, Reply(text="Async helper."))
    async with aclient.messages.stream(model=model, max_tokens=64, messages=HELLO) as stream:  # type: ignore[arg-type]
        text = "".join([t async for t in stream.text_stream])
        final = await stream.get_final_message()
    assert text == "Async helper."
    assert final.stop_reason == "end_turn"


async def test_count_tokens(any_client: Any, stub: VendorStub) -> None:
    """messages.count_tokens returns the SDK's MessageTokensCount for Claude models."""
    result = await settle(any_client.messages.count_tokens(model=CLAUDE, messages=HELLO))
    assert isinstance(result, anthropic.types.MessageTokensCount)
    assert result.input_tokens > 0
    assert stub.requests[0].path == "/v1/messages/count_tokens"


# -- errors ---------------------------------------------------------------------------------------


async def test_same_vendor_error_is_the_vendor_exception(any_client: Any, stub: VendorStub) -> None:
    """A vendor error on a same-vendor call is the vendor SDK's own exception, untouched."""
    stub.fail(GPT, 429, retry_after=0)
    with pytest.raises(openai.RateLimitError) as info:
        await settle(any_client.chat.completions.create(model=GPT, messages=HELLO))
    assert type(info.value) is openai.RateLimitError
    assert info.value.status_code == 429


@pytest.mark.parametrize(
    ("status", "anthropic_cls", "openai_cls"),
    [
        (429, anthropic.RateLimitError, openai.RateLimitError),
        (529, anthropic.OverloadedError, openai.InternalServerError),
        (400, anthropic.BadRequestError, openai.BadRequestError),
    ],
)
async def test_cross_vendor_error_is_both_vendors_exception(
    any_client: Any, stub: VendorStub, status: int, anthropic_cls: type, openai_cls: type
) -> None:
    """A Claude error on an OpenAI-shaped call is catchable as the anthropic and the openai class."""
    stub.fail(CLAUDE, status, retry_after=0)
    with pytest.raises(openai_cls) as info:
        await settle(any_client.chat.completions.create(model=CLAUDE, messages=HELLO))
    assert isinstance(info.value, anthropic_cls)
    assert info.value.status_code == status
    assert info.value.response.status_code == status


async def test_cross_vendor_error_other_direction(any_client: Any, stub: VendorStub) -> None:
    """An OpenAI error on an Anthropic-shaped call is also an anthropic exception."""
    stub.fail(GPT, 429, retry_after=0)
    with pytest.raises(anthropic.RateLimitError) as info:
        await settle(any_client.messages.create(model=GPT, max_tokens=10, messages=HELLO))
    assert isinstance(info.value, openai.RateLimitError)


@pytest.mark.parametrize("model", [GPT, CLAUDE])
async def test_mid_stream_error_reaches_the_caller(any_client: Any, stub: VendorStub, model: str) -> None:
    """An error event in the middle of a stream raises from the caller's iteration, as the SDK does."""
    from frugal.testing import Fault

    stub.queue(model, Fault.stream_error(after_events=2))
    stream = await settle(any_client.chat.completions.create(model=model, messages=HELLO, stream=True))
    with pytest.raises(openai.APIError):
        await drain(stream)


async def test_unknown_model_is_refused_before_sending(any_client: Any, stub: VendorStub) -> None:
    """A model name frugal cannot place raises UnknownModelError with suggestions and sends nothing."""
    with pytest.raises(frugal.UnknownModelError, match="gpt-4o") as info:
        await settle(any_client.chat.completions.create(model="gtp-4o-mini", messages=HELLO))
    assert "gpt-4o-mini" in info.value.suggestions
    assert stub.requests == []


async def test_cross_vendor_unsupported_feature_is_refused_before_sending(
    any_client: Any, stub: VendorStub
) -> None:
    """n > 1 cannot be served by Claude: UnsupportedFeature naming it, and nothing is sent."""
    with pytest.raises(frugal.UnsupportedFeature) as info:
        await settle(any_client.chat.completions.create(model=CLAUDE, messages=HELLO, n=2))
    assert info.value.feature.startswith("n")
    assert stub.requests == []


# -- configuration ---------------------------------------------------------------------------------


def test_environment_variables_configure_both_vendors(
    stub: VendorStub, monkeypatch: pytest.MonkeyPatch
) -> None:
    """OPENAI_API_KEY/OPENAI_BASE_URL and ANTHROPIC_API_KEY/ANTHROPIC_BASE_URL work unchanged."""
    monkeypatch.setenv("OPENAI_API_KEY", "sk-env")
    monkeypatch.setenv("OPENAI_BASE_URL", stub.openai_base_url)
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-env")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", stub.anthropic_base_url)
    with frugal.Client(policy=HONOR_POLICY) as client:
        client.chat.completions.create(model=GPT, messages=HELLO)  # type: ignore[arg-type]
        client.messages.create(model=CLAUDE, max_tokens=5, messages=HELLO)  # type: ignore[arg-type]
    openai_req, anthropic_req = stub.requests
    assert openai_req.headers["authorization"] == "Bearer sk-env"
    assert "sk-ant-env" in (
        anthropic_req.headers.get("x-api-key", "") + anthropic_req.headers.get("authorization", "")
    )


def test_missing_key_raises_the_sdk_error_only_when_that_vendor_is_used(stub: VendorStub) -> None:
    """With only an Anthropic key, Claude calls work and an OpenAI call raises the openai SDK's error."""
    client = frugal.Client(
        policy=HONOR_POLICY, anthropic={"api_key": "sk-ant-test", "base_url": stub.anthropic_base_url}
    )
    client.chat.completions.create(model=CLAUDE, messages=HELLO)  # type: ignore[arg-type]
    with pytest.raises(openai.OpenAIError):
        client.chat.completions.create(model=GPT, messages=HELLO)  # type: ignore[arg-type]


def test_ready_made_vendor_clients_are_used(stub: VendorStub) -> None:
    """Ready-made SDK clients are used as they are (their keys, URLs and headers)."""
    oa = openai.OpenAI(api_key="sk-ready", base_url=stub.openai_base_url, default_headers={"x-team": "blue"})
    an = anthropic.Anthropic(api_key="sk-ant-ready", base_url=stub.anthropic_base_url)
    client = frugal.Client(policy=HONOR_POLICY, openai=oa, anthropic=an)
    client.chat.completions.create(model=GPT, messages=HELLO)  # type: ignore[arg-type]
    assert stub.requests[0].headers["x-team"] == "blue"
    assert client._vendor_client("anthropic") is an


def test_openai_compatible_server_as_a_provider(stub: VendorStub) -> None:
    """Any OpenAI-compatible server is a provider; models map to it by name or 'provider/model'."""
    client = frugal.Client(
        **vendor_options(stub),  # type: ignore[arg-type]
        providers={"local": {"kind": "openai", "base_url": stub.openai_base_url, "api_key": "local-key"}},
        models={"llama-3.3-70b": "local"},
    )
    client.chat.completions.create(model="llama-3.3-70b", messages=HELLO)  # type: ignore[arg-type]
    client.chat.completions.create(model="local/qwen3-32b", messages=HELLO)  # type: ignore[arg-type]
    first, second = stub.requests
    assert (first.model, second.model) == ("llama-3.3-70b", "qwen3-32b")
    assert second.headers["authorization"] == "Bearer local-key"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"providers": {"x": {"base_url": "http://127.0.0.1:1"}}}, "'kind' must be one of"),
        ({"providers": {"x": 42}}, "expected an openai/anthropic client object"),
        ({"models": {"m": "nowhere"}}, "names provider 'nowhere'"),
        ({"default_max_tokens": 0}, "default_max_tokens"),
    ],
)
def test_bad_configuration_fails_when_the_client_is_built(kwargs: dict[str, Any], message: str) -> None:
    """A bad provider or model mapping raises ConfigError at construction, saying what was expected."""
    with pytest.raises(frugal.ConfigError, match=message):
        frugal.Client(**kwargs)


def test_async_vendor_client_in_sync_client_is_refused() -> None:
    """A sync frugal client given an async vendor client fails at construction."""
    with pytest.raises(frugal.ConfigError, match="needs a sync vendor client"):
        frugal.Client(openai=openai.AsyncOpenAI(api_key="x", base_url="http://127.0.0.1:9/v1"))


# -- isinstance-checking libraries ----------------------------------------------------------------


def test_as_openai_passes_isinstance_and_routes_through_frugal(
    client: frugal.Client, stub: VendorStub
) -> None:
    """client.as_openai() is an openai.OpenAI whose chat calls go through frugal (even to Claude)."""
    view = client.as_openai()
    assert isinstance(view, openai.OpenAI)
    result = view.chat.completions.create(model=CLAUDE, messages=HELLO)  # type: ignore[arg-type]
    assert type(result) is ChatCompletion
    assert stub.requests[-1].vendor == "anthropic"
    assert view.models is not None  # everything else is the SDK client's own


def test_as_anthropic_passes_isinstance_and_routes_through_frugal(
    client: frugal.Client, stub: VendorStub
) -> None:
    """client.as_anthropic() is an anthropic.Anthropic whose messages calls go through frugal."""
    view = client.as_anthropic()
    assert isinstance(view, anthropic.Anthropic)
    result = view.messages.create(model=GPT, max_tokens=10, messages=HELLO)  # type: ignore[arg-type]
    assert type(result) is Message
    assert stub.requests[-1].vendor == "openai"


async def test_async_views(aclient: frugal.AsyncClient, stub: VendorStub) -> None:
    """The async client's views are AsyncOpenAI / AsyncAnthropic instances."""
    assert isinstance(aclient.as_openai(), openai.AsyncOpenAI)
    view = aclient.as_anthropic()
    assert isinstance(view, anthropic.AsyncAnthropic)
    result = await view.messages.create(model=CLAUDE, max_tokens=10, messages=HELLO)  # type: ignore[arg-type]
    assert type(result) is Message


def test_view_without_vendor_key_still_routes(stub: VendorStub) -> None:
    """as_openai() works for a team that only has an Anthropic key: calls are served by Claude."""
    client = frugal.Client(
        policy=HONOR_POLICY, anthropic={"api_key": "sk-ant-test", "base_url": stub.anthropic_base_url}
    )
    view = client.as_openai()
    result = view.chat.completions.create(model=CLAUDE, messages=HELLO)  # type: ignore[arg-type]
    assert result.choices[0].message.content == "Hello from stub."


def test_unintercepted_attributes_go_to_the_vendor(client: frugal.Client, stub: VendorStub) -> None:
    """SDK helpers frugal does not intercept (with_raw_response) reach the vendor SDK directly."""
    raw = client.chat.completions.with_raw_response.create(model=GPT, messages=HELLO)  # type: ignore[arg-type]
    assert raw.http_request.url.path == "/v1/chat/completions"
    assert raw.parse().choices[0].message.content == "Hello from stub."


def test_sync_and_async_surfaces_match() -> None:
    """Both clients expose the same namespaces and methods (sync/async parity is a test, not a hope)."""

    def surface(cls: type) -> set[str]:
        return {n for n in dir(cls) if not n.startswith("_")}

    assert surface(frugal.Client) == surface(frugal.AsyncClient)
    for client in (frugal.Client(), frugal.AsyncClient()):
        for path in (
            "chat.completions.create",
            "responses.create",
            "embeddings.create",
            "messages.create",
            "messages.stream",
            "messages.count_tokens",
        ):
            target: Any = client
            for step in path.split("."):
                target = getattr(target, step)
            assert callable(target), path


def _iter_drain(stream: Iterator[Any]) -> int:
    return sum(1 for _ in stream)


def test_stream_close_releases_the_connection(client: frugal.Client, stub: VendorStub) -> None:
    """Closing a translated stream early closes the serving vendor's HTTP response."""
    stub.reply(CLAUDE, Reply(text="a long answer " * 20))
    stream = client.chat.completions.create(model=CLAUDE, messages=HELLO, stream=True)  # type: ignore[arg-type]
    with stream:
        next(iter(stream))
    assert stream.response.is_closed


def test_timeout_none_means_no_timeout_and_not_given_means_the_sdk_default(stub: VendorStub) -> None:
    """Client(timeout=None) builds SDK clients without a timeout; without the argument, the SDK's own
    default stands; a number is passed on."""
    options = vendor_options(stub)
    default = openai.OpenAI(api_key="k").timeout
    for given, expected in (({"timeout": None}, None), ({}, default), ({"timeout": 5.0}, 5.0)):
        with frugal.Client(**{**options, **given}) as c:  # type: ignore[arg-type]
            assert c._vendor_client("openai").timeout == expected
            assert c._vendor_client("anthropic").timeout == (
                anthropic.Anthropic(api_key="k").timeout if not given else expected
            )
