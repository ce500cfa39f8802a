"""frugal.testing: the loopback stub is faithful to both SDKs (strict validation, sync and async), and the
network guard blocks and records every connection off loopback."""

from __future__ import annotations

import base64
import json
import socket
import struct
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import anthropic
import httpx2
import openai
import pytest

import frugal.testing
from frugal.testing import (
    Fault,
    NetworkBlocked,
    RecordedRequest,
    Reply,
    ToolCall,
    Usage,
    VendorStub,
    deny_network,
    stub_process,
)

from .sdk_versions import (
    dropped_stream_error,
    openai_lets_connect_errors_out,
    status_error_message_is_the_vendors,
)

HI: Any = [{"role": "user", "content": "hi"}]
GPT = "gpt-4o-mini"
CLAUDE = "claude-haiku-4-5"
FULL_USAGE = Usage(
    input_tokens=100,
    output_tokens=20,
    cache_read_tokens=40,
    cache_write_tokens=6,
    cache_write_1h_tokens=4,
    reasoning_tokens=5,
)
WEATHER = ToolCall("get_weather", {"city": "Paris"})


# -- fixtures (self-contained: no conftest needed) ---------------------------------------------------


@pytest.fixture(autouse=True)
def _guard() -> Iterator[None]:
    with deny_network() as guard:
        yield
    guard.raise_for_violations()


@pytest.fixture(scope="module")
def _server() -> Iterator[VendorStub]:
    with VendorStub() as server:
        yield server


@pytest.fixture
def stub(_server: VendorStub) -> VendorStub:
    _server.reset()
    return _server


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


@pytest.fixture
async def aoa(stub: VendorStub) -> AsyncIterator[openai.AsyncOpenAI]:
    async with openai.AsyncOpenAI(
        api_key="sk-test", base_url=stub.openai_base_url, max_retries=0, _strict_response_validation=True
    ) as client:
        yield client


@pytest.fixture
async def aan(stub: VendorStub) -> AsyncIterator[anthropic.AsyncAnthropic]:
    async with anthropic.AsyncAnthropic(
        api_key="sk-ant-test",
        base_url=stub.anthropic_base_url,
        max_retries=0,
        _strict_response_validation=True,
    ) as client:
        yield client


def raw_post(
    stub: VendorStub, path: str, body: object, headers: dict[str, str] | None = None, method: str = "POST"
) -> tuple[int, dict[str, str], bytes]:
    """POST with urllib (no SDK): the status, lower-cased headers and body."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(f"{stub.url}{path}", data=data, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()


def collect(stream: Iterable[Any], into: list[Any]) -> None:
    """Append each item of ``stream`` to ``into`` as it arrives (what came before an error stays)."""
    for item in stream:
        into.append(item)


def sse_events(payload: bytes) -> list[tuple[str | None, str]]:
    """(event name, data) of each SSE event in ``payload``."""
    events = []
    for block in payload.decode().strip().split("\n\n"):
        name = None
        data = ""
        for line in block.split("\n"):
            if line.startswith("event: "):
                name = line[7:]
            elif line.startswith("data: "):
                data = line[6:]
        events.append((name, data))
    return events


# -- the values a test scripts --------------------------------------------------------------------


def test_public_names_are_exported_sorted() -> None:
    """frugal.testing.__all__ is sorted and every name in it exists."""
    assert frugal.testing.__all__ == sorted(frugal.testing.__all__)
    assert all(hasattr(frugal.testing, name) for name in frugal.testing.__all__)


def test_importing_frugal_testing_loads_no_vendor_sdk() -> None:
    """`import frugal.testing` imports neither openai nor anthropic (nor httpx2)."""
    code = "import sys, frugal.testing; print(sorted({'openai', 'anthropic', 'httpx2'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.parametrize(
    ("fields", "match"),
    [
        ({"input_tokens": -1}, "non-negative"),
        ({"input_tokens": 5, "cache_read_tokens": 4, "cache_write_tokens": 2}, "cannot exceed"),
        ({"input_tokens": 5, "cache_write_1h_tokens": 6}, "cannot exceed"),
        ({"output_tokens": 1, "reasoning_tokens": 2}, "cannot exceed"),
    ],
)
def test_impossible_usage_is_refused(fields: dict[str, int], match: str) -> None:
    """Usage refuses negative counts, cache parts beyond the input and reasoning beyond the output."""
    with pytest.raises(ValueError, match=match):
        Usage(**fields)


def test_bad_scripts_fail_at_construction() -> None:
    """Unknown stop reasons, negative delays, unserialisable tool arguments and bad statuses fail early."""
    with pytest.raises(ValueError, match="stop_reason"):
        Reply(stop_reason="finished")
    with pytest.raises(ValueError, match="delay"):
        Reply(delay=-1)
    with pytest.raises(ValueError, match="JSON"):
        ToolCall("f", {"when": object()})
    with pytest.raises(ValueError, match="400-599"):
        Fault.status(200)
    with pytest.raises(ValueError, match="after_events"):
        Fault.truncated_stream(-1)


# -- defaults, ids, echo --------------------------------------------------------------------------


def test_default_reply_echoes_the_model_with_request_ids(
    stub: VendorStub, oa: openai.OpenAI, an: anthropic.Anthropic
) -> None:
    """Unscripted: "Hello from stub.", 12 in / 5 out, the requested model echoed, unique request ids."""
    first = oa.chat.completions.create(model=GPT, messages=HI)
    second = oa.chat.completions.create(model="gpt-anything", messages=HI)
    message = an.messages.create(model=CLAUDE, max_tokens=5, messages=HI)
    assert first.choices[0].message.content == "Hello from stub."
    assert (first.model, second.model, message.model) == (GPT, "gpt-anything", CLAUDE)
    assert first.usage is not None
    assert (first.usage.prompt_tokens, first.usage.completion_tokens) == (12, 5)
    assert (message.usage.input_tokens, message.usage.output_tokens) == (12, 5)
    assert message.content[0].type == "text"
    assert message.content[0].text == "Hello from stub."
    assert first._request_id
    assert second._request_id
    assert first._request_id != second._request_id
    assert message._request_id
    assert message._request_id.startswith("req_")


# -- OpenAI chat ----------------------------------------------------------------------------------


def test_openai_chat_usage_semantics(stub: VendorStub, oa: openai.OpenAI) -> None:
    """Chat usage: prompt_tokens include cached tokens; cache writes of both TTLs; reasoning inside output."""
    stub.reply(GPT, Reply(usage=FULL_USAGE))
    usage = oa.chat.completions.create(model=GPT, messages=HI).usage
    assert usage is not None
    assert (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens) == (100, 20, 120)
    assert usage.prompt_tokens_details is not None
    assert usage.prompt_tokens_details.cached_tokens == 40
    assert usage.prompt_tokens_details.cache_write_tokens == 10
    assert usage.completion_tokens_details is not None
    assert usage.completion_tokens_details.reasoning_tokens == 5


def test_openai_stream_has_no_usage_unless_asked(stub: VendorStub, oa: openai.OpenAI) -> None:
    """Without stream_options.include_usage no chunk has a usage key; the text arrives in pieces."""
    stub.reply(GPT, Reply(text="Hello there, friend."))
    chunks = list(oa.chat.completions.create(model=GPT, messages=HI, stream=True))
    assert all("usage" not in chunk.model_fields_set for chunk in chunks)
    pieces = [c.choices[0].delta.content for c in chunks if c.choices[0].delta.content]
    assert len(pieces) > 1
    assert "".join(pieces) == "Hello there, friend."
    assert chunks[0].choices[0].delta.role == "assistant"
    assert chunks[-1].choices[0].finish_reason == "stop"


def test_openai_stream_usage_chunk_when_asked(stub: VendorStub, oa: openai.OpenAI) -> None:
    """With include_usage every chunk has "usage": null and a last choices-less chunk carries the usage."""
    stub.reply(GPT, Reply(usage=FULL_USAGE))
    chunks = list(
        oa.chat.completions.create(
            model=GPT, messages=HI, stream=True, stream_options={"include_usage": True}
        )
    )
    *body, last = chunks
    assert all("usage" in c.model_fields_set and c.usage is None for c in body)
    assert last.choices == []
    assert last.usage is not None
    assert (last.usage.prompt_tokens, last.usage.completion_tokens) == (100, 20)
    assert last.usage.prompt_tokens_details is not None
    assert last.usage.prompt_tokens_details.cached_tokens == 40


def test_openai_chat_sse_ends_with_done(stub: VendorStub) -> None:
    """On the wire a chat stream is data-only SSE ending in `data: [DONE]`."""
    status, headers, payload = raw_post(
        stub,
        "/v1/chat/completions",
        {"model": GPT, "messages": HI, "stream": True},
        {"authorization": "Bearer k"},
    )
    assert status == 200
    assert headers["content-type"].startswith("text/event-stream")
    events = sse_events(payload)
    assert events[-1] == (None, "[DONE]")
    assert all(name is None for name, _ in events)
    assert json.loads(events[0][1])["object"] == "chat.completion.chunk"


def test_openai_tool_calls(stub: VendorStub, oa: openai.OpenAI) -> None:
    """Tool calls: a JSON-string arguments call with a call_ id, streamed as argument deltas too."""
    stub.reply(GPT, Reply(text=None, tool_calls=[WEATHER, ToolCall("noop", {}, id="call_given")]))
    message = oa.chat.completions.create(model=GPT, messages=HI).choices[0]
    assert message.finish_reason == "tool_calls"
    assert message.message.content is None
    calls = message.message.tool_calls
    assert calls is not None
    assert calls[0].type == "function"
    assert calls[0].id.startswith("call_")
    assert (calls[0].function.name, json.loads(calls[0].function.arguments)) == (
        "get_weather",
        {"city": "Paris"},
    )
    assert calls[1].id == "call_given"
    deltas = [
        call
        for chunk in oa.chat.completions.create(model=GPT, messages=HI, stream=True)
        for call in (chunk.choices[0].delta.tool_calls or [])
    ]
    assert deltas[0].id is not None
    assert deltas[0].function is not None
    assert deltas[0].function.name == "get_weather"
    arguments = "".join(d.function.arguments or "" for d in deltas if d.index == 0 and d.function)
    assert json.loads(arguments) == {"city": "Paris"}
    assert {d.index for d in deltas} == {0, 1}


@pytest.mark.parametrize(
    ("stop_reason", "openai_finish", "anthropic_stop", "responses_status", "incomplete_reason"),
    [
        (None, "stop", "end_turn", "completed", None),
        ("length", "length", "max_tokens", "incomplete", "max_output_tokens"),
        ("content_filter", "content_filter", "refusal", "incomplete", "content_filter"),
        ("tool_calls", "tool_calls", "tool_use", "completed", None),
        ("stop_sequence", "stop", "stop_sequence", "completed", None),
        ("pause_turn", "stop", "pause_turn", "completed", None),
        ("function_call", "function_call", "tool_use", "completed", None),
    ],
)
def test_stop_reasons_are_rendered_per_vendor(
    stub: VendorStub,
    oa: openai.OpenAI,
    an: anthropic.Anthropic,
    stop_reason: str | None,
    openai_finish: str,
    anthropic_stop: str,
    responses_status: str,
    incomplete_reason: str | None,
) -> None:
    """A neutral stop reason maps to each vendor's own; a vendor-native one passes through verbatim."""
    stub.reply(None, Reply(stop_reason=stop_reason))
    assert oa.chat.completions.create(model=GPT, messages=HI).choices[0].finish_reason == openai_finish
    assert an.messages.create(model=CLAUDE, max_tokens=5, messages=HI).stop_reason == anthropic_stop
    response = oa.responses.create(model=GPT, input="hi")
    assert response.status == responses_status
    assert (response.incomplete_details.reason if response.incomplete_details else None) == incomplete_reason


# -- OpenAI Responses -----------------------------------------------------------------------------


def test_responses_text_and_usage(stub: VendorStub, oa: openai.OpenAI) -> None:
    """Responses: output_text, input_tokens including cache, cache writes and reasoning details."""
    stub.reply(GPT, Reply(text="Bonjour.", usage=FULL_USAGE))
    response = oa.responses.create(model=GPT, input="hi")
    assert response.output_text == "Bonjour."
    assert response.model == GPT
    assert response.usage is not None
    assert (response.usage.input_tokens, response.usage.output_tokens, response.usage.total_tokens) == (
        100,
        20,
        120,
    )
    assert response.usage.input_tokens_details.cached_tokens == 40
    assert response.usage.input_tokens_details.cache_write_tokens == 10
    assert response.usage.output_tokens_details.reasoning_tokens == 5


def test_responses_stream_event_sequence(stub: VendorStub, oa: openai.OpenAI) -> None:
    """Responses SSE: the documented event order, increasing sequence numbers, usage in response.completed."""
    stub.reply(GPT, Reply(text="Hello there, friend.", usage=FULL_USAGE))
    events = list(oa.responses.create(model=GPT, input="hi", stream=True))
    kinds = [e.type for e in events]
    deltas = kinds.count("response.output_text.delta")
    assert deltas > 1
    assert kinds == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
        *["response.output_text.delta"] * deltas,
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.completed",
    ]
    assert [e.sequence_number for e in events] == list(range(len(events)))
    completed = events[-1]
    assert completed.type == "response.completed"
    assert completed.response.output_text == "Hello there, friend."
    assert completed.response.usage is not None
    assert completed.response.usage.input_tokens_details.cached_tokens == 40


def test_responses_sse_has_event_lines(stub: VendorStub) -> None:
    """On the wire each Responses event has an `event:` line equal to its data's type."""
    status, _, payload = raw_post(
        stub, "/v1/responses", {"model": GPT, "input": "hi", "stream": True}, {"authorization": "Bearer k"}
    )
    assert status == 200
    assert all(name == json.loads(data)["type"] for name, data in sse_events(payload))


def test_responses_function_calls(stub: VendorStub, oa: openai.OpenAI) -> None:
    """Responses tool calls are function_call items, streamed as function_call_arguments deltas."""
    stub.reply(GPT, Reply(text=None, tool_calls=[WEATHER]))
    item = oa.responses.create(model=GPT, input="hi").output[0]
    assert item.type == "function_call"
    assert (item.name, json.loads(item.arguments)) == ("get_weather", {"city": "Paris"})
    assert item.call_id.startswith("call_")
    events = list(oa.responses.create(model=GPT, input="hi", stream=True))
    arguments = "".join(e.delta for e in events if e.type == "response.function_call_arguments.delta")
    assert json.loads(arguments) == {"city": "Paris"}
    assert "response.function_call_arguments.done" in [e.type for e in events]


def test_responses_incomplete_stream_ends_with_response_incomplete(
    stub: VendorStub, oa: openai.OpenAI
) -> None:
    """A "length" reply streams to response.incomplete (reason max_output_tokens), as the API does."""
    stub.reply(GPT, Reply(stop_reason="length"))
    last = list(oa.responses.create(model=GPT, input="hi", stream=True))[-1]
    assert last.type == "response.incomplete"
    assert last.response.incomplete_details is not None
    assert last.response.incomplete_details.reason == "max_output_tokens"


# -- OpenAI embeddings ----------------------------------------------------------------------------


def test_embeddings_floats_one_per_input(stub: VendorStub, oa: openai.OpenAI) -> None:
    """Embeddings: one deterministic 8-float vector per input; usage counts words."""
    result = oa.embeddings.create(
        model="text-embedding-3-small", input=["a b c", "d"], encoding_format="float"
    )
    again = oa.embeddings.create(model="text-embedding-3-small", input="a b c", encoding_format="float")
    assert [d.index for d in result.data] == [0, 1]
    assert len(result.data[0].embedding) == 8
    assert result.data[0].embedding == again.data[0].embedding
    assert result.data[0].embedding != result.data[1].embedding
    assert (result.usage.prompt_tokens, result.usage.total_tokens) == (4, 4)
    assert result.model == "text-embedding-3-small"


def test_embeddings_base64_is_what_the_sdk_asks_by_default(stub: VendorStub) -> None:
    """openai 3.x asks for base64 by default; the stub answers float32 base64 that decodes to the floats."""
    with openai.OpenAI(api_key="sk-test", base_url=stub.openai_base_url, max_retries=0) as client:
        decoded = client.embeddings.create(model="text-embedding-3-small", input="a b c")
        floats = client.embeddings.create(
            model="text-embedding-3-small", input="a b c", encoding_format="float"
        )
    assert stub.requests[0].body is not None
    assert stub.requests[0].body["encoding_format"] == "base64"
    assert decoded.data[0].embedding == floats.data[0].embedding
    _, _, payload = raw_post(
        stub,
        "/v1/embeddings",
        {"model": "e", "input": "a b c", "encoding_format": "base64"},
        {"authorization": "Bearer k"},
    )
    packed = base64.b64decode(json.loads(payload)["data"][0]["embedding"])
    assert list(struct.unpack("<8f", packed)) == floats.data[0].embedding


# -- Anthropic ------------------------------------------------------------------------------------


def test_anthropic_usage_semantics(stub: VendorStub, an: anthropic.Anthropic) -> None:
    """Anthropic usage: input_tokens exclude cache; writes split by TTL; thinking tokens in the details."""
    stub.reply(CLAUDE, Reply(usage=FULL_USAGE))
    usage = an.messages.create(model=CLAUDE, max_tokens=5, messages=HI).usage
    assert (usage.input_tokens, usage.cache_read_input_tokens, usage.cache_creation_input_tokens) == (
        50,
        40,
        10,
    )
    assert usage.output_tokens == 20
    assert usage.cache_creation is not None
    assert usage.cache_creation.ephemeral_5m_input_tokens == 6
    assert usage.cache_creation.ephemeral_1h_input_tokens == 4
    assert usage.output_tokens_details is not None
    assert usage.output_tokens_details.thinking_tokens == 5


def test_anthropic_stream_usage_and_events(stub: VendorStub, an: anthropic.Anthropic) -> None:
    """Anthropic SSE: message_start has input and cache counts, output 1; message_delta the final output."""
    stub.reply(CLAUDE, Reply(text="Hello there, friend.", usage=FULL_USAGE))
    events = list(an.messages.create(model=CLAUDE, max_tokens=5, messages=HI, stream=True))
    kinds = [e.type for e in events]
    assert kinds[0] == "message_start"
    assert kinds[-2:] == ["message_delta", "message_stop"]
    assert kinds.count("content_block_delta") > 1
    start, delta = events[0], events[-2]
    assert start.type == "message_start"
    assert delta.type == "message_delta"
    assert (start.message.usage.input_tokens, start.message.usage.output_tokens) == (50, 1)
    assert start.message.usage.cache_read_input_tokens == 40
    assert delta.usage.output_tokens == 20
    assert delta.delta.stop_reason == "end_turn"
    with an.messages.stream(model=CLAUDE, max_tokens=5, messages=HI) as stream:
        final = stream.get_final_message()
    assert final.content[0].type == "text"
    assert final.content[0].text == "Hello there, friend."
    assert (final.usage.input_tokens, final.usage.output_tokens) == (50, 20)
    assert final.usage.cache_creation is not None
    assert final.usage.cache_creation.ephemeral_1h_input_tokens == 4


def test_anthropic_sse_has_event_lines(stub: VendorStub) -> None:
    """On the wire every Anthropic event has its `event:` line (the SDK drops events without one)."""
    status, headers, payload = raw_post(
        stub,
        "/v1/messages",
        {"model": CLAUDE, "max_tokens": 5, "messages": HI, "stream": True},
        {"x-api-key": "k", "anthropic-version": "2023-06-01"},
    )
    assert status == 200
    assert headers["request-id"].startswith("req_")
    events = sse_events(payload)
    assert all(name == json.loads(data)["type"] for name, data in events)
    assert events[-1][0] == "message_stop"


def test_anthropic_tool_use(stub: VendorStub, an: anthropic.Anthropic) -> None:
    """Tool use: a tool_use block with an input object and a toolu_ id, streamed as input_json_delta."""
    stub.reply(CLAUDE, Reply(text="Let me check.", tool_calls=[WEATHER]))
    message = an.messages.create(model=CLAUDE, max_tokens=5, messages=HI)
    assert message.stop_reason == "tool_use"
    block = message.content[1]
    assert block.type == "tool_use"
    assert (block.name, block.input) == ("get_weather", {"city": "Paris"})
    assert block.id.startswith("toolu_")
    events = list(an.messages.create(model=CLAUDE, max_tokens=5, messages=HI, stream=True))
    partial = [
        e.delta.partial_json
        for e in events
        if e.type == "content_block_delta" and e.delta.type == "input_json_delta"
    ]
    assert len(partial) > 1
    with an.messages.stream(model=CLAUDE, max_tokens=5, messages=HI) as stream:
        final = stream.get_final_message()
    assert final.content[1].type == "tool_use"
    assert final.content[1].input == {"city": "Paris"}


def test_count_tokens_crude_then_scripted(stub: VendorStub, an: anthropic.Anthropic) -> None:
    """count_tokens: a deterministic quarter of the text's characters, or count_tokens_result when set."""
    messages: Any = [{"role": "user", "content": "x" * 40}]
    counted = an.messages.count_tokens(model=CLAUDE, messages=messages, system="y" * 8)
    assert counted.input_tokens == 12
    stub.count_tokens_result = 1234
    assert an.messages.count_tokens(model=CLAUDE, messages=HI).input_tokens == 1234


# -- async parity ---------------------------------------------------------------------------------


async def test_async_clients_parse_every_endpoint(
    stub: VendorStub, aoa: openai.AsyncOpenAI, aan: anthropic.AsyncAnthropic
) -> None:
    """The async SDK clients parse chat, responses, embeddings and messages, streamed and not."""
    stub.reply(None, Reply(usage=FULL_USAGE))
    chat = await aoa.chat.completions.create(model=GPT, messages=HI)
    assert chat.usage is not None
    assert chat.usage.prompt_tokens == 100
    chunks = [
        c
        async for c in await aoa.chat.completions.create(
            model=GPT, messages=HI, stream=True, stream_options={"include_usage": True}
        )
    ]
    assert chunks[-1].usage is not None
    assert chunks[-1].usage.completion_tokens == 20
    events = [e async for e in await aoa.responses.create(model=GPT, input="hi", stream=True)]
    assert events[-1].type == "response.completed"
    embedded = await aoa.embeddings.create(model="e", input="hi", encoding_format="float")
    assert len(embedded.data[0].embedding) == 8
    message = await aan.messages.create(model=CLAUDE, max_tokens=5, messages=HI)
    assert message.usage.cache_read_input_tokens == 40
    async with aan.messages.stream(model=CLAUDE, max_tokens=5, messages=HI) as stream:
        final = await stream.get_final_message()
    assert final.usage.output_tokens == 20


async def test_async_faults_raise_the_same_classes(
    stub: VendorStub, aoa: openai.AsyncOpenAI, aan: anthropic.AsyncAnthropic
) -> None:
    """Async clients raise the same classes as sync ones: status, reset, timeout, mid-stream error."""
    stub.queue(GPT, Fault.status(429), Fault.reset(), Fault.delay(0.5))
    with pytest.raises(openai.RateLimitError):
        await aoa.chat.completions.create(model=GPT, messages=HI)
    with pytest.raises(openai.APIConnectionError):
        await aoa.chat.completions.create(model=GPT, messages=HI)
    with pytest.raises(openai.APITimeoutError):
        await aoa.with_options(timeout=0.1).chat.completions.create(model=GPT, messages=HI)
    stub.queue(CLAUDE, Fault.status(529), Fault.stream_error(1))
    with pytest.raises(anthropic.OverloadedError):
        await aan.messages.create(model=CLAUDE, max_tokens=5, messages=HI)
    with pytest.raises(anthropic.APIStatusError) as info:
        async for _ in await aan.messages.create(model=CLAUDE, max_tokens=5, messages=HI, stream=True):
            pass
    assert info.value.status_code == 200


# -- faults ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "openai_class", "openai_code", "anthropic_class", "anthropic_type"),
    [
        (400, openai.BadRequestError, None, anthropic.BadRequestError, "invalid_request_error"),
        (
            401,
            openai.AuthenticationError,
            "invalid_api_key",
            anthropic.AuthenticationError,
            "authentication_error",
        ),
        (
            403,
            openai.PermissionDeniedError,
            "permission_denied",
            anthropic.PermissionDeniedError,
            "permission_error",
        ),
        (404, openai.NotFoundError, "model_not_found", anthropic.NotFoundError, "not_found_error"),
        (429, openai.RateLimitError, "rate_limit_exceeded", anthropic.RateLimitError, "rate_limit_error"),
        (500, openai.InternalServerError, None, anthropic.InternalServerError, "api_error"),
        (529, openai.InternalServerError, None, anthropic.OverloadedError, "overloaded_error"),
    ],
)
def test_status_faults_raise_the_sdk_classes(
    stub: VendorStub,
    oa: openai.OpenAI,
    an: anthropic.Anthropic,
    status: int,
    openai_class: type[openai.APIStatusError],
    openai_code: str | None,
    anthropic_class: type[anthropic.APIStatusError],
    anthropic_type: str,
) -> None:
    """Each status comes with the vendor's own error body: the SDKs raise their proper classes."""
    stub.fail(GPT, status, message="scripted")
    stub.fail(CLAUDE, status)
    with pytest.raises(openai_class) as openai_error:
        oa.chat.completions.create(model=GPT, messages=HI)
    assert openai_error.value.status_code == status
    assert openai_error.value.code == openai_code
    assert isinstance(openai_error.value.body, dict)
    assert openai_error.value.body["message"] == "scripted"  # the vendor's message, as the SDK reads it
    if status_error_message_is_the_vendors():
        assert openai_error.value.message.endswith("scripted")
    else:
        assert (
            openai_error.value.message == f"Error code: {status} - {{'error': {openai_error.value.body!r}}}"
        )
    assert openai_error.value.request_id is not None
    with pytest.raises(anthropic_class) as anthropic_error:
        an.messages.create(model=CLAUDE, max_tokens=5, messages=HI)
    body: Any = anthropic_error.value.body
    assert body["type"] == "error"
    assert body["error"]["type"] == anthropic_type
    assert body["request_id"] == anthropic_error.value.request_id


def test_sdk_retry_honours_retry_after(stub: VendorStub) -> None:
    """A queued 429 (retry-after 0.01 s) then a reply: the SDK retries at once and succeeds; 2 requests."""
    stub.queue(GPT, Fault.status(429, retry_after=0.01, headers={"x-ratelimit-remaining-requests": "0"}))
    stub.queue(GPT, Reply(text="after retry"))
    with openai.OpenAI(
        api_key="sk-test", base_url=stub.openai_base_url, max_retries=1, _strict_response_validation=True
    ) as client:
        started = time.monotonic()
        raw = client.chat.completions.with_raw_response.create(model=GPT, messages=HI)
        elapsed = time.monotonic() - started
    assert raw.parse().choices[0].message.content == "after retry"
    assert raw.retries_taken == 1
    assert len(stub.requests) == 2
    assert elapsed < 0.3  # the SDKs' own backoff is 0.375 s or more: the header was used
    assert stub.requests[1].headers["x-stainless-retry-count"] == "1"
    stub.fail(CLAUDE, 529, times=2, retry_after=0.01)
    with anthropic.Anthropic(api_key="k", base_url=stub.anthropic_base_url, max_retries=2) as client:
        assert client.messages.create(model=CLAUDE, max_tokens=5, messages=HI).content
    assert len(stub.requests_for(CLAUDE)) == 3


def test_retry_after_header_is_sent(stub: VendorStub) -> None:
    """Fault.status sends retry-after (whole seconds as an integer) and any extra headers."""
    stub.fail(GPT, 429, retry_after=2, headers={"x-extra": "1"})
    status, headers, payload = raw_post(
        stub, "/v1/chat/completions", {"model": GPT}, {"authorization": "Bearer k"}
    )
    assert (status, headers["retry-after"], headers["x-extra"]) == (429, "2", "1")
    assert headers["x-request-id"].startswith("req_")
    assert json.loads(payload)["error"]["type"] == "requests"


def test_connection_faults(stub: VendorStub, oa: openai.OpenAI, an: anthropic.Anthropic) -> None:
    """Reset -> APIConnectionError; delay past the timeout -> APITimeoutError; both SDKs, then all is well."""
    stub.queue(None, Fault.reset(), Fault.delay(0.5), Fault.reset(), Fault.delay(0.5))
    with pytest.raises(openai.APIConnectionError) as reset:
        oa.chat.completions.create(model=GPT, messages=HI)
    assert not isinstance(reset.value, openai.APITimeoutError)
    with pytest.raises(openai.APITimeoutError):
        oa.with_options(timeout=0.1).chat.completions.create(model=GPT, messages=HI)
    with pytest.raises(anthropic.APIConnectionError):
        an.messages.create(model=CLAUDE, max_tokens=5, messages=HI)
    with pytest.raises(anthropic.APITimeoutError):
        an.with_options(timeout=0.1).messages.create(model=CLAUDE, max_tokens=5, messages=HI)
    assert oa.chat.completions.create(model=GPT, messages=HI).choices[0].message.content == "Hello from stub."
    assert len(stub.requests) == 5


def test_a_client_that_left_does_not_make_the_server_spew(capfd: pytest.CaptureFixture[str]) -> None:
    """When a timed-out client is gone before the delayed answer, the server stays quiet and keeps serving."""
    with VendorStub() as stub:
        stub.queue(GPT, Fault.delay(0.2))
        stub.queue(CLAUDE, Reply(delay=0.2))
        stub.queue(None, Fault.reset())
        with (
            openai.OpenAI(api_key="k", base_url=stub.openai_base_url, max_retries=0, timeout=0.05) as client,
            pytest.raises(openai.APITimeoutError),
        ):
            client.chat.completions.create(model=GPT, messages=HI)
        with (
            anthropic.Anthropic(
                api_key="k", base_url=stub.anthropic_base_url, max_retries=0, timeout=0.05
            ) as an,
            pytest.raises(anthropic.APITimeoutError),
        ):
            an.messages.create(model=CLAUDE, max_tokens=5, messages=HI)
        with pytest.raises(ConnectionResetError):
            raw_post(stub, "/v1/chat/completions", {"model": "m"}, {"authorization": "Bearer k"})
        time.sleep(0.3)  # the delayed answers now go to closed sockets
        assert raw_post(stub, "/v1/chat/completions", {"model": "m"}, {"authorization": "Bearer k"})[0] == 200
    assert capfd.readouterr().err == ""


def test_malformed_json_raises_the_decoder_error(
    stub: VendorStub, oa: openai.OpenAI, an: anthropic.Anthropic
) -> None:
    """A 200 whose JSON does not parse: both SDKs let json.JSONDecodeError through (not an APIError)."""
    stub.queue(None, Fault.malformed_json(), Fault.malformed_json())
    with pytest.raises(json.JSONDecodeError):
        oa.chat.completions.create(model=GPT, messages=HI)
    with pytest.raises(json.JSONDecodeError):
        an.messages.create(model=CLAUDE, max_tokens=5, messages=HI)


def test_truncated_streams(stub: VendorStub, oa: openai.OpenAI, an: anthropic.Anthropic) -> None:
    """A dropped stream raises what the installed SDK raises for it, after the events that did arrive.

    Newer releases raise their own APIConnectionError caused by httpx2.RemoteProtocolError; older ones let
    the httpx2 error out (tests/sdk_versions.py says which).
    """
    stub.queue(None, *[Fault.truncated_stream(after_events=2)] * 3)
    received: list[Any] = []
    with pytest.raises(dropped_stream_error(openai)) as dropped:
        collect(oa.chat.completions.create(model=GPT, messages=HI, stream=True), received)
    assert len(received) == 2
    assert isinstance(dropped.value, httpx2.RemoteProtocolError) or isinstance(
        dropped.value.__cause__, httpx2.RemoteProtocolError
    )
    with pytest.raises(dropped_stream_error(openai)):
        list(oa.responses.create(model=GPT, input="hi", stream=True))
    events: list[Any] = []
    with pytest.raises(dropped_stream_error(anthropic)) as anthropic_dropped:
        collect(an.messages.create(model=CLAUDE, max_tokens=5, messages=HI, stream=True), events)
    assert [e.type for e in events] == ["message_start", "content_block_start"]
    assert isinstance(anthropic_dropped.value, httpx2.RemoteProtocolError) or isinstance(
        anthropic_dropped.value.__cause__, httpx2.RemoteProtocolError
    )


def test_gracefully_truncated_streams_just_stop(
    stub: VendorStub, oa: openai.OpenAI, an: anthropic.Anthropic
) -> None:
    """A stream ended properly but early: both SDKs stop without an error, the final message is partial."""
    stub.queue(None, *[Fault.truncated_stream(after_events=3, graceful=True)] * 2)
    chunks = list(oa.chat.completions.create(model=GPT, messages=HI, stream=True))
    assert len(chunks) == 3
    assert chunks[-1].choices[0].finish_reason is None
    with an.messages.stream(model=CLAUDE, max_tokens=5, messages=HI) as stream:
        partial = stream.get_final_message()
    assert partial.stop_reason is None


def test_truncating_a_non_stream_resets(stub: VendorStub, oa: openai.OpenAI) -> None:
    """Fault.truncated_stream on a non-streaming request closes the connection: APIConnectionError."""
    stub.queue(GPT, Fault.truncated_stream(after_events=1))
    with pytest.raises(openai.APIConnectionError):
        oa.chat.completions.create(model=GPT, messages=HI)


def test_mid_stream_errors(stub: VendorStub, oa: openai.OpenAI, an: anthropic.Anthropic) -> None:
    """Mid-stream errors: openai raises APIError (chat, Responses); anthropic APIStatusError, status 200."""
    stub.queue(None, *[Fault.stream_error(after_events=2)] * 3, Fault.stream_error(1, status=429))
    received: list[Any] = []
    with pytest.raises(openai.APIError) as chat_error:
        collect(oa.chat.completions.create(model=GPT, messages=HI, stream=True), received)
    assert len(received) == 2
    assert not isinstance(chat_error.value, openai.APIStatusError)
    assert chat_error.value.type == "server_error"
    with pytest.raises(openai.APIError):
        list(oa.responses.create(model=GPT, input="hi", stream=True))
    with pytest.raises(anthropic.APIStatusError) as overloaded:
        list(an.messages.create(model=CLAUDE, max_tokens=5, messages=HI, stream=True))
    body: Any = overloaded.value.body
    assert (overloaded.value.status_code, body["error"]["type"]) == (200, "overloaded_error")
    with pytest.raises(anthropic.APIStatusError) as limited:
        list(an.messages.create(model=CLAUDE, max_tokens=5, messages=HI, stream=True))
    body = limited.value.body
    assert body["error"]["type"] == "rate_limit_error"


def test_stream_error_on_a_non_stream_is_a_status_error(stub: VendorStub, an: anthropic.Anthropic) -> None:
    """Fault.stream_error on a non-streaming request answers with that HTTP status instead."""
    stub.queue(CLAUDE, Fault.stream_error(3))
    with pytest.raises(anthropic.OverloadedError):
        an.messages.create(model=CLAUDE, max_tokens=5, messages=HI)


# -- auth, models, routes -------------------------------------------------------------------------


def test_anthropic_accepts_both_auth_styles(stub: VendorStub) -> None:
    """Anthropic paths accept x-api-key (older clients) and authorization: Bearer (anthropic 2.x)."""
    body = {"model": CLAUDE, "max_tokens": 5, "messages": HI}
    for headers in (
        {"x-api-key": "k", "anthropic-version": "2023-06-01"},
        {"authorization": "Bearer k", "anthropic-version": "2026-10-21"},
    ):
        status, _, payload = raw_post(stub, "/v1/messages", body, headers)
        assert (status, json.loads(payload)["type"]) == (200, "message")
    assert stub.requests[1].headers["anthropic-version"] == "2026-10-21"


def test_missing_auth_is_a_401_in_the_vendors_format(stub: VendorStub) -> None:
    """No key: 401 with each vendor's error body; OpenAI paths do not take x-api-key."""
    status, headers, payload = raw_post(stub, "/v1/messages", {"model": CLAUDE, "messages": HI})
    assert (status, json.loads(payload)["error"]["type"]) == (401, "authentication_error")
    assert headers["request-id"].startswith("req_")
    status, _, payload = raw_post(stub, "/v1/chat/completions", {"model": GPT}, {"x-api-key": "k"})
    assert (status, json.loads(payload)["error"]["code"]) == (401, "invalid_api_key")
    status, _, _ = raw_post(stub, "/v1/chat/completions", {"model": GPT}, {"authorization": "Bearer "})
    assert status == 401
    assert len(stub.requests) == 3


def test_unknown_models_are_404_when_models_are_listed() -> None:
    """VendorStub(models=...) answers other models with the vendor's not-found error, and logs them."""
    with VendorStub(models={GPT, CLAUDE}) as stub:
        with openai.OpenAI(api_key="k", base_url=stub.openai_base_url, max_retries=0) as client:
            client.chat.completions.create(model=GPT, messages=HI)
            with pytest.raises(openai.NotFoundError) as missing:
                client.chat.completions.create(model="gpt-9", messages=HI)
        assert missing.value.code == "model_not_found"
        with (
            anthropic.Anthropic(api_key="k", base_url=stub.anthropic_base_url, max_retries=0) as an,
            pytest.raises(anthropic.NotFoundError) as gone,
        ):
            an.messages.create(model="claude-9", max_tokens=5, messages=HI)
        body: Any = gone.value.body
        assert body["error"]["type"] == "not_found_error"
        assert [r.model for r in stub.requests] == [GPT, "gpt-9", "claude-9"]


def test_unknown_routes_and_methods_and_bad_bodies(stub: VendorStub) -> None:
    """Unknown paths are 404, other methods 405, unparsable bodies and missing models 400; all logged."""
    bearer = {"authorization": "Bearer k"}
    assert raw_post(stub, "/v1/models/x", {}, bearer)[0] == 404
    assert raw_post(stub, "/v1/chat/completions", None, bearer, method="GET")[0] == 405
    assert raw_post(stub, "/v1/chat/completions", ["not", "an", "object"], bearer)[0] == 400
    status, _, payload = raw_post(stub, "/v1/messages", {"messages": HI}, {"x-api-key": "k"})
    assert (status, json.loads(payload)["error"]["type"]) == (400, "invalid_request_error")
    assert [(r.method, r.path) for r in stub.requests] == [
        ("POST", "/v1/models/x"),
        ("GET", "/v1/chat/completions"),
        ("POST", "/v1/chat/completions"),
        ("POST", "/v1/messages"),
    ]
    assert stub.requests[2].body is None
    assert stub.requests[2].raw_body == b'["not", "an", "object"]'


# -- scripting and the request log ----------------------------------------------------------------


def test_queues_are_consumed_in_order_then_the_default(stub: VendorStub, oa: openai.OpenAI) -> None:
    """A model's queue first, then the shared (None) queue, then its reply, then the default reply."""
    stub.reply(GPT, Reply(text="gpt default"))
    stub.reply(None, Reply(text="everyone's default"))
    stub.queue(GPT, Reply(text="one"), Reply(text="two"))
    stub.queue(None, Reply(text="shared"))
    assert stub.pending(GPT) == 2

    def ask(model: str) -> str | None:
        return oa.chat.completions.create(model=model, messages=HI).choices[0].message.content

    assert [ask(GPT), ask(GPT), ask(GPT), ask(GPT)] == ["one", "two", "shared", "gpt default"]
    assert ask("other") == "everyone's default"
    assert stub.pending(GPT) == 0


def test_request_log_records_everything(stub: VendorStub, oa: openai.OpenAI, an: anthropic.Anthropic) -> None:
    """Every request is logged, faults included: vendor, path, lower-cased headers, body, model, stream."""
    stub.fail("gpt-4o", 500)
    with pytest.raises(openai.InternalServerError):
        oa.chat.completions.create(model="gpt-4o", messages=HI)
    list(oa.chat.completions.create(model=GPT, messages=HI, stream=True))
    an.messages.create(model=CLAUDE, max_tokens=5, messages=HI)
    first, second, third = log = stub.requests
    assert all(isinstance(r, RecordedRequest) for r in log)
    assert (first.vendor, first.method, first.path, first.model, first.stream) == (
        "openai",
        "POST",
        "/v1/chat/completions",
        "gpt-4o",
        False,
    )
    assert first.headers["authorization"] == "Bearer sk-test"
    assert first.body == {"model": "gpt-4o", "messages": HI}
    assert second.stream
    assert (third.vendor, third.path, third.headers["authorization"]) == (
        "anthropic",
        "/v1/messages",
        "Bearer sk-ant-test",
    )
    assert first.time <= second.time <= third.time <= time.monotonic()
    assert stub.requests_for(GPT) == [second]
    log.clear()
    assert len(stub.requests) == 3  # a snapshot copy
    stub.reset()
    assert stub.requests == []


def test_concurrent_requests_each_get_one_queued_reply(stub: VendorStub, oa: openai.OpenAI) -> None:
    """Thread-safe: 16 concurrent requests consume 16 queued replies exactly once."""
    stub.queue(GPT, *[Reply(text=str(i)) for i in range(16)])
    with ThreadPoolExecutor(8) as pool:
        answers = list(
            pool.map(
                lambda _: oa.chat.completions.create(model=GPT, messages=HI).choices[0].message.content,
                range(16),
            )
        )
    assert sorted(answers, key=lambda a: int(a or "-1")) == [str(i) for i in range(16)]
    assert len(stub.requests) == 16


def test_chunk_delay_paces_the_stream(stub: VendorStub, oa: openai.OpenAI) -> None:
    """chunk_delay sleeps between SSE events; delay before the headers."""
    stub.reply(GPT, Reply(text="abc", delay=0.05, chunk_delay=0.02))
    started = time.monotonic()
    stream = oa.chat.completions.create(model=GPT, messages=HI, stream=True)
    first_chunk_at = time.monotonic() - started
    list(stream)
    total = time.monotonic() - started
    assert first_chunk_at >= 0.05
    assert total >= 0.05 + 4 * 0.02


def test_lifecycle(oa: openai.OpenAI) -> None:
    """start()/stop() work without `with`; the URL is unavailable when stopped; the stub restarts."""
    stub = VendorStub()
    with pytest.raises(RuntimeError, match="not started"):
        _ = stub.url
    stub.start()
    try:
        assert stub.running
        assert stub.url == f"http://127.0.0.1:{stub.port}"
        assert stub.openai_base_url == f"{stub.url}/v1"
        assert stub.anthropic_base_url == stub.url
        with pytest.raises(RuntimeError, match="already running"):
            stub.start()
    finally:
        stub.stop()
    assert not stub.running
    stub.stop()  # idempotent
    with stub:
        assert raw_post(stub, "/v1/chat/completions", {"model": "m"}, {"authorization": "Bearer k"})[0] == 200


def test_stop_drops_idle_keep_alive_connections() -> None:
    """stop() closes connections the SDK keeps alive, so no handler thread outlives the stub."""
    before = set(threading.enumerate())
    with (
        VendorStub() as stub,
        openai.OpenAI(api_key="k", base_url=stub.openai_base_url, max_retries=0) as client,
    ):
        client.chat.completions.create(model=GPT, messages=HI)
        started = set(threading.enumerate()) - before
        assert started  # the server thread and the connection's handler thread
    for thread in started:
        thread.join(timeout=2)
    assert not any(thread.is_alive() for thread in started)


def test_stub_process_serves_from_a_child() -> None:
    """stub_process() runs `python -m frugal.testing` and yields its endpoints."""
    with (
        stub_process() as endpoints,
        openai.OpenAI(api_key="k", base_url=endpoints.openai_base_url, max_retries=0) as client,
    ):
        answer = client.chat.completions.create(model=GPT, messages=HI)
    assert answer.choices[0].message.content == "Hello from stub."


# -- deny_network ---------------------------------------------------------------------------------


def test_deny_network_blocks_and_records_off_loopback(stub: VendorStub) -> None:
    """Connections and DNS lookups off loopback raise NetworkBlocked and are recorded; loopback works."""
    with deny_network() as guard:
        with pytest.raises(NetworkBlocked):
            socket.create_connection(("203.0.113.1", 80), timeout=1)
        with socket.socket() as sock, pytest.raises(NetworkBlocked):
            sock.connect(("198.51.100.7", 443))
        with socket.socket() as sock, pytest.raises(NetworkBlocked):
            sock.connect_ex(("198.51.100.8", 443))
        with pytest.raises(NetworkBlocked):
            socket.getaddrinfo("api.openai.com", 443)
        for host in ("127.0.0.1", "localhost"):
            socket.create_connection((host, stub.port), timeout=1).close()
        assert raw_post(stub, "/v1/chat/completions", {"model": "m"}, {"authorization": "Bearer k"})[0] == 200
    assert guard.violations == [
        "203.0.113.1:80",
        "198.51.100.7:443",
        "198.51.100.8:443",
        "api.openai.com:443",
    ]
    with pytest.raises(NetworkBlocked, match=r"203\.0\.113\.1:80"):
        guard.raise_for_violations()


def test_deny_network_is_loud_through_openai_and_recorded_when_anthropic_swallows_it() -> None:
    """openai (>= 3.15) lets NetworkBlocked out; anthropic and older openai wrap it in APIConnectionError,
    with NetworkBlocked as the cause, and the guard's violations show it either way."""
    with deny_network() as guard:
        with (
            openai.OpenAI(api_key="k", base_url="http://203.0.113.1/v1", max_retries=0) as client,
            pytest.raises(
                NetworkBlocked if openai_lets_connect_errors_out() else openai.APIConnectionError
            ) as oa_info,
        ):
            client.chat.completions.create(model=GPT, messages=HI)
        assert isinstance(oa_info.value, NetworkBlocked) or isinstance(
            oa_info.value.__cause__, NetworkBlocked
        )
        with (
            anthropic.Anthropic(api_key="k", base_url="http://203.0.113.2", max_retries=0) as an,
            pytest.raises(anthropic.APIConnectionError) as info,
        ):
            an.messages.create(model=CLAUDE, max_tokens=5, messages=HI)
    assert isinstance(info.value.__cause__, NetworkBlocked)
    assert guard.violations == ["203.0.113.1:80", "203.0.113.2:80"]


async def test_deny_network_blocks_async_clients_before_dns() -> None:
    """An async SDK client to a real vendor host is blocked at the DNS lookup, and recorded."""
    guard = deny_network().start()
    try:
        async with anthropic.AsyncAnthropic(api_key="k", max_retries=0) as client:
            with pytest.raises(anthropic.APIConnectionError):
                await client.messages.create(model=CLAUDE, max_tokens=5, messages=HI)
    finally:
        guard.stop()
    assert guard.violations == ["api.anthropic.com:443"]
    assert not guard.active


def test_deny_network_restores_socket_and_allows_extra_hosts() -> None:
    """stop() restores the socket functions; allow= lets listed names and networks through."""
    originals = (socket.socket.connect, socket.create_connection, socket.getaddrinfo)
    guard = deny_network(allow=["10.0.0.0/8", "db.internal"])
    assert guard.allows("10.1.2.3")
    assert guard.allows("DB.internal.")
    assert guard.allows("::1")
    assert guard.allows("::ffff:127.0.0.1")
    assert guard.allows("app.localhost")
    assert not guard.allows("11.0.0.1")
    assert not guard.allows("0.0.0.0")
    assert not guard.allows("example.com")
    with guard:
        assert socket.create_connection is not originals[1]
    assert (socket.socket.connect, socket.create_connection, socket.getaddrinfo) == originals
