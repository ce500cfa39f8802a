"""``responses.create`` served by Claude through a frugal client: sync and async, streamed or not, tool loops,
structured output, refusals before sending, routing, errors, and what the ledger and spans record.

Real openai and anthropic SDKs, real HTTP, the loopback stub (frugal.testing).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import anthropic
import openai
import pytest
from openai.types.responses import Response

import frugal
from frugal.testing import Fault, Reply, ToolCall, Usage, VendorStub

from .calls import drain, settle
from .conftest import POLICIES, vendor_options

GPT = "gpt-4o-mini"
CLAUDE = "claude-haiku-4-5"
WEATHER_TOOL: dict[str, Any] = {
    "type": "function",
    "name": "get_weather",
    "description": "Weather of a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    "strict": None,
}


@pytest.fixture(params=["sync", "async"])
async def any_client(request: pytest.FixtureRequest, stub: VendorStub) -> AsyncIterator[Any]:
    """Each test runs once with frugal.Client and once with frugal.AsyncClient."""
    if request.param == "sync":
        with frugal.Client(**vendor_options(stub)) as c:  # type: ignore[arg-type]
            yield c
    else:
        async with frugal.AsyncClient(**vendor_options(stub)) as c:  # type: ignore[arg-type]
            yield c


async def test_response_from_claude(any_client: Any, stub: VendorStub) -> None:
    """responses.create on a Claude model returns the openai SDK's Response, usage counted once."""
    usage = Usage(input_tokens=100, output_tokens=20, cache_read_tokens=40, cache_write_tokens=10)
    stub.reply(CLAUDE, Reply(text="Bonjour.", usage=usage))
    result = await settle(
        any_client.responses.create(
            model=CLAUDE, instructions="Be brief.", input="Say hello", max_output_tokens=64
        )
    )
    assert type(result) is Response
    assert (result.output_text, result.status, result.model) == ("Bonjour.", "completed", CLAUDE)
    assert result.usage is not None
    assert (result.usage.input_tokens, result.usage.output_tokens, result.usage.total_tokens) == (
        100,
        20,
        120,
    )
    assert result.usage.input_tokens_details.cached_tokens == 40
    [sent] = stub.requests
    assert (sent.vendor, sent.path) == ("anthropic", "/v1/messages")
    assert sent.body is not None
    assert sent.body["system"] == "Be brief."
    assert sent.body["max_tokens"] == 64
    assert sent.body["messages"] == [{"role": "user", "content": "Say hello"}]


async def test_stream_from_claude(any_client: Any, stub: VendorStub) -> None:
    """stream=True returns the openai SDK's own stream of Responses events, response.completed last."""
    stub.reply(CLAUDE, Reply(text="Streaming works.", usage=Usage(input_tokens=30, output_tokens=6)))
    stream = await settle(any_client.responses.create(model=CLAUDE, input="Say hello", stream=True))
    assert isinstance(stream, (openai.Stream, openai.AsyncStream))
    events = await drain(stream)
    assert [event.sequence_number for event in events] == list(range(len(events)))
    assert events[0].type == "response.created"
    text = "".join(event.delta for event in events if event.type == "response.output_text.delta")
    assert text == "Streaming works."
    last = events[-1]
    assert last.type == "response.completed"
    assert last.response.output_text == "Streaming works."
    assert last.response.usage is not None
    assert (last.response.usage.input_tokens, last.response.usage.output_tokens) == (30, 6)


def test_stream_helper_from_claude(client: frugal.Client, stub: VendorStub) -> None:
    """The SDK's responses.stream() helper accumulates the translated events into its final Response."""
    stub.reply(
        CLAUDE, Reply(text="Looking.", tool_calls=[ToolCall("get_weather", {"city": "Paris"}, id="toolu_1")])
    )
    with client.responses.stream(model=CLAUDE, input="Weather?", tools=[WEATHER_TOOL]) as stream:  # type: ignore[list-item]
        text = "".join(event.delta for event in stream if event.type == "response.output_text.delta")
        final = stream.get_final_response()
    assert text == "Looking."
    call = final.output[-1]
    assert call.type == "function_call"
    assert (call.call_id, call.name, json.loads(call.arguments)) == (
        "toolu_1",
        "get_weather",
        {"city": "Paris"},
    )


async def test_async_stream_helper_from_claude(aclient: frugal.AsyncClient, stub: VendorStub) -> None:
    """The async responses.stream() helper works on a Claude model too."""
    stub.reply(CLAUDE, Reply(text="Async helper."))
    async with aclient.responses.stream(model=CLAUDE, input="hi") as stream:
        text = "".join([event.delta async for event in stream if event.type == "response.output_text.delta"])
        final = await stream.get_final_response()
    assert text == final.output_text == "Async helper."


async def test_tool_loop_on_claude(any_client: Any, stub: VendorStub) -> None:
    """A function call comes back with its call id; its output, passed with the history, is a tool_result."""
    stub.queue(
        CLAUDE, Reply(text=None, tool_calls=[ToolCall("get_weather", {"city": "Paris"}, id="toolu_7")])
    )
    stub.queue(CLAUDE, Reply(text="Sunny in Paris."))
    history: list[Any] = [{"role": "user", "content": "Weather in Paris?"}]
    first = await settle(
        any_client.responses.create(model=CLAUDE, input=history, tools=[WEATHER_TOOL], tool_choice="required")
    )
    [call] = first.output
    assert call.type == "function_call"
    assert (call.call_id, call.name, json.loads(call.arguments)) == (
        "toolu_7",
        "get_weather",
        {"city": "Paris"},
    )
    history += [*first.output, {"type": "function_call_output", "call_id": call.call_id, "output": "sunny"}]
    second = await settle(any_client.responses.create(model=CLAUDE, input=history, tools=[WEATHER_TOOL]))
    assert second.output_text == "Sunny in Paris."
    body = stub.requests[1].body
    assert body is not None
    assert stub.requests[0].body is not None
    assert stub.requests[0].body["tool_choice"] == {"type": "any"}
    assert body["messages"][1] == {
        "role": "assistant",
        "content": [{"type": "tool_use", "id": "toolu_7", "name": "get_weather", "input": {"city": "Paris"}}],
    }
    assert body["messages"][2] == {
        "role": "user",
        "content": [{"type": "tool_result", "tool_use_id": "toolu_7", "content": "sunny"}],
    }


async def test_structured_output_on_claude(any_client: Any, stub: VendorStub) -> None:
    """text.format json_schema is sent as Anthropic's output_config.format and echoed on the Response."""
    schema = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
    stub.reply(CLAUDE, Reply(text='{"city": "Paris"}'))
    text = {"format": {"type": "json_schema", "name": "place", "schema": schema, "strict": True}}
    result = await settle(any_client.responses.create(model=CLAUDE, input="Where?", text=text))
    assert json.loads(result.output_text) == {"city": "Paris"}
    assert result.text.format.type == "json_schema"
    assert stub.requests[0].body is not None
    assert stub.requests[0].body["output_config"] == {"format": {"type": "json_schema", "schema": schema}}


async def test_cut_answer_is_incomplete(any_client: Any, stub: VendorStub) -> None:
    """An answer cut by the token limit is status incomplete, reason max_output_tokens."""
    stub.reply(CLAUDE, Reply(text="It was a dark and", stop_reason="length"))
    result = await settle(any_client.responses.create(model=CLAUDE, input="A story", max_output_tokens=5))
    assert result.status == "incomplete"
    assert result.incomplete_details is not None
    assert result.incomplete_details.reason == "max_output_tokens"


@pytest.mark.parametrize(
    ("extra", "feature"),
    [
        ({"previous_response_id": "resp_1"}, "previous_response_id"),
        ({"conversation": "conv_1"}, "conversation"),
        ({"background": True}, "background"),
        ({"tools": [{"type": "web_search"}]}, "web_search tools"),
    ],
)
async def test_what_claude_cannot_honour_is_refused_before_sending(
    any_client: Any, stub: VendorStub, extra: dict[str, Any], feature: str
) -> None:
    """A Responses feature Claude cannot honour raises UnsupportedFeature naming it; nothing is sent."""
    with pytest.raises(frugal.UnsupportedFeature) as caught:
        await settle(any_client.responses.create(model=CLAUDE, input="hi", **extra))
    assert feature in caught.value.feature
    assert stub.requests == []


async def test_claude_error_is_both_vendors_exception(any_client: Any, stub: VendorStub) -> None:
    """A Claude 429 on a Responses call is catchable as openai's and anthropic's RateLimitError."""
    stub.fail(CLAUDE, 429, retry_after=0)
    with pytest.raises(openai.RateLimitError) as caught:
        await settle(any_client.responses.create(model=CLAUDE, input="hi"))
    assert isinstance(caught.value, anthropic.RateLimitError)


async def test_mid_stream_error_reaches_the_caller(any_client: Any, stub: VendorStub) -> None:
    """An Anthropic error event in the middle of a translated stream raises openai.APIError."""
    stub.queue(CLAUDE, Fault.stream_error(after_events=3))
    stream = await settle(any_client.responses.create(model=CLAUDE, input="hi", stream=True))
    with pytest.raises(openai.APIError):
        await drain(stream)


# -- routing, ledger and spans ---------------------------------------------------------------------------

ROUTING = POLICIES / "routing.yaml"


@pytest.fixture(params=["sync", "async"])
async def routed(request: pytest.FixtureRequest, stub: VendorStub) -> AsyncIterator[Any]:
    """A client with the routing test policy: its small tier's Claude model is the only one with tools."""
    options = vendor_options(stub, policy=ROUTING, max_retries=0)
    if request.param == "sync":
        with frugal.Client(**options) as c:  # type: ignore[arg-type]
            yield c
    else:
        async with frugal.AsyncClient(**options) as c:  # type: ignore[arg-type]
            yield c


async def test_router_picks_claude_for_a_responses_call_and_skips_it_when_it_cannot(
    routed: Any, stub: VendorStub
) -> None:
    """model='auto' can fall back to Claude for a Responses call; with previous_response_id it is skipped."""
    tools = [WEATHER_TOOL]  # small-text has no tools: small-vision, then small-anthropic
    stub.fail("small-vision", 500, retry_after=0)
    with routed.with_context(score=0.1):
        result = await settle(routed.responses.create(model="auto", input="hi", tools=tools))
    assert type(result) is Response
    assert [r.model for r in stub.requests] == ["small-vision", "small-anthropic"]
    assert stub.requests[-1].vendor == "anthropic"
    stub.reset()
    stub.fail("small-vision", 500, retry_after=0)
    with routed.with_context(score=0.1):
        await settle(routed.responses.create(model="auto", input="hi", tools=tools, previous_response_id="r"))
    assert "small-anthropic" not in [r.model for r in stub.requests]
    assert {r.vendor for r in stub.requests} == {"openai"}


@pytest.mark.parametrize("stop_reason", [None, "length"])
@pytest.mark.parametrize("model", [CLAUDE, GPT])
def test_ledger_and_span_record_a_streamed_response(
    stub: VendorStub, provider: Any, exporter: Any, model: str, stop_reason: str | None
) -> None:
    """A Responses stream's tokens reach the ledger and the span, translated or not, and also when it ends
    with response.incomplete (cut by the token limit)."""
    stub.reply(model, Reply(text="It was a dark", stop_reason=stop_reason, usage=Usage(50, 7)))
    options = vendor_options(stub, ledger="memory://", tracer_provider=provider)
    with frugal.Client(**options) as c:  # type: ignore[arg-type]
        events = list(c.responses.create(model=model, input="hi", stream=True))
        assert c.ledger is not None
        [record] = c.ledger.records()
    assert events[-1].type == ("response.incomplete" if stop_reason else "response.completed")
    assert (record.model, record.operation, record.input_tokens, record.output_tokens) == (
        model,
        "responses",
        50,
        7,
    )
    [call] = [s for s in exporter.get_finished_spans() if s.name.startswith("frugal ")]
    [attempt] = [s for s in exporter.get_finished_spans() if s is not call]
    assert call.name == "frugal responses"
    attributes = attempt.attributes or {}
    assert attributes["gen_ai.provider.name"] == ("anthropic" if model == CLAUDE else "openai")
    assert attributes["gen_ai.usage.input_tokens"] == 50
    assert attributes["gen_ai.usage.output_tokens"] == 7
