"""Nothing bypasses frugal: every SDK entry point that sends a model request is routed, budgeted, recorded
and traced, and returns exactly what the SDK returns (raw responses, parsed objects, stream managers).

Real SDKs over real HTTP to the loopback stub; a memory ledger and the real OpenTelemetry SDK on every
client, so each call's record and span are asserted.
"""

from __future__ import annotations

import inspect
import json
from typing import Any

import anthropic
import openai
import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from pydantic import BaseModel

import frugal
from frugal.testing import Reply, Usage, VendorStub

from .calls import drain, settle
from .conftest import POLICIES, vendor_options

ROUTING = POLICIES / "routing.yaml"
HELLO: Any = [{"role": "user", "content": "hello"}]
USAGE = Usage(input_tokens=100, output_tokens=20)


class City(BaseModel):
    name: str


@pytest.fixture
def exporter() -> InMemorySpanExporter:
    return InMemorySpanExporter()


def _client(cls: Any, stub: VendorStub, exporter: InMemorySpanExporter, **extra: Any) -> Any:
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    options = vendor_options(
        stub, **{"policy": ROUTING, "tracer_provider": provider, "ledger": "memory://", **extra}
    )
    return cls(**options)


@pytest.fixture(params=["sync", "async"])
async def routed(request: pytest.FixtureRequest, stub: VendorStub, exporter: InMemorySpanExporter) -> Any:
    """A sync or async client with the routing test policy, a memory ledger and recorded spans."""
    stub.reply(None, Reply(text="Paris.", usage=USAGE))
    if request.param == "sync":
        with _client(frugal.Client, stub, exporter) as c:
            yield c
    else:
        async with _client(frugal.AsyncClient, stub, exporter) as c:
            yield c


def recorded(client: Any, exporter: InMemorySpanExporter) -> tuple[list[Any], list[Any]]:
    """(the ledger's records, the call spans) so far."""
    calls = [s for s in exporter.get_finished_spans() if s.kind == SpanKind.INTERNAL]
    return client.ledger.records(), calls


async def test_with_raw_response_is_routed_and_recorded(routed: Any, stub: VendorStub, exporter: Any) -> None:
    """``chat.completions.with_raw_response.create``: routed, a raw response whose parse() is the answer,
    its headers readable, one ledger record and one span with the cost."""
    with routed.with_context(score=0.1):
        raw = await settle(routed.chat.completions.with_raw_response.create(model="auto", messages=HELLO))
    assert isinstance(raw, openai._legacy_response.LegacyAPIResponse)
    completion = await settle(raw.parse())
    assert isinstance(completion, openai.types.chat.ChatCompletion)
    assert completion.model == "small-text"
    assert raw.headers.get("x-request-id")
    assert [r.model for r in stub.requests] == ["small-text"]
    records, spans = recorded(routed, exporter)
    assert [(r.model, r.input_tokens, r.output_tokens) for r in records] == [("small-text", 100, 20)]
    assert records[0].cost_usd == pytest.approx((100 * 0.1 + 20 * 0.4) / 1e6)
    assert spans[0].attributes["frugal.cost.usd"] == records[0].cost_usd


async def test_with_raw_response_stream_is_observed(routed: Any, stub: VendorStub, exporter: Any) -> None:
    """A raw response of a stream: its parse() is the SDK stream, observed by frugal (usage recorded when it
    ends; the usage chunk frugal asked for is not handed to the caller)."""
    with routed.with_context(score=0.1):
        raw = await settle(
            routed.chat.completions.with_raw_response.create(model="auto", messages=HELLO, stream=True)
        )
    chunks = await drain(await settle(raw.parse()))
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "Paris."
    assert all(c.choices for c in chunks), "no usage-only chunk the caller did not ask for"
    assert stub.requests[0].body["stream_options"] == {"include_usage": True}
    records, _ = recorded(routed, exporter)
    assert [(r.model, r.output_tokens, r.outcome) for r in records] == [("small-text", 20, "ok")]


async def test_with_streaming_response_is_routed_and_recorded(routed: Any, exporter: Any) -> None:
    """``with_streaming_response.create``: the request is sent (routed) when the context is entered; the
    answer is read once, by frugal and the caller alike."""
    with routed.with_context(score=0.5):
        manager = routed.chat.completions.with_streaming_response.create(model="auto", messages=HELLO)
        if isinstance(routed, frugal.AsyncClient):
            async with manager as response:
                completion = await response.parse()
        else:
            with manager as response:
                completion = response.parse()
    assert completion.model == "medium-a"
    records, spans = recorded(routed, exporter)
    assert [(r.model, r.tier) for r in records] == [("medium-a", "medium")]
    assert len(spans) == 1


async def test_parse_is_routed_on_the_callers_vendor(routed: Any, stub: VendorStub, exporter: Any) -> None:
    """``chat.completions.parse`` returns the SDK's ParsedChatCompletion, routed to the cheapest model of
    the tier with structured output."""
    stub.reply("small-vision", Reply(text='{"name": "Paris"}', usage=USAGE))
    with routed.with_context(score=0.1):
        parsed = await settle(
            routed.chat.completions.parse(model="auto", messages=HELLO, response_format=City)
        )
    assert isinstance(parsed, openai.types.chat.ParsedChatCompletion)
    assert parsed.choices[0].message.parsed == City(name="Paris")
    assert [r.model for r in stub.requests] == ["small-vision"], "small-text has no structured output"
    records, _ = recorded(routed, exporter)
    assert [r.model for r in records] == ["small-vision"]


async def test_the_chat_stream_helper_is_routed_and_can_cross_vendors(
    routed: Any, stub: VendorStub, exporter: Any
) -> None:
    """``chat.completions.stream`` (built on create) is routed like create: here a VIP's call is pinned to
    a Claude model and the SDK's own stream helper accumulates the translated chunks."""
    with routed.with_context(user="vip-1"):
        manager = routed.chat.completions.stream(model="auto", messages=HELLO)
        if isinstance(routed, frugal.AsyncClient):
            async with manager as stream:
                final = await stream.get_final_completion()
        else:
            with manager as stream:
                final = stream.get_final_completion()
    assert final.choices[0].message.content == "Paris."
    assert [(r.vendor, r.model) for r in stub.requests] == [("anthropic", "large-anthropic")]
    records, _ = recorded(routed, exporter)
    assert [(r.model, r.output_tokens) for r in records] == [("large-anthropic", 20)]


async def test_the_responses_stream_helper_is_routed(routed: Any, stub: VendorStub, exporter: Any) -> None:
    """``responses.stream`` is routed and recorded."""
    with routed.with_context(score=0.1):
        manager = routed.responses.stream(model="auto", input="hello")
        if isinstance(routed, frugal.AsyncClient):
            async with manager as stream:
                final = await stream.get_final_response()
        else:
            with manager as stream:
                final = stream.get_final_response()
    assert final.output_text == "Paris."
    assert [r.model for r in stub.requests] == ["small-text"]
    records, _ = recorded(routed, exporter)
    assert [r.model for r in records] == ["small-text"]


async def test_messages_stream_with_output_format_is_routed(
    routed: Any, stub: VendorStub, exporter: Any
) -> None:
    """``messages.stream(output_format=...)`` is sent routed with the schema in ``output_config`` (as the
    SDK sends it) and the SDK's manager parses the final message."""
    stub.reply("large-anthropic", Reply(text='{"name": "Paris"}', usage=USAGE))
    with routed.with_context(user="vip-1"):
        manager = routed.messages.stream(model="auto", max_tokens=50, messages=HELLO, output_format=City)
        if isinstance(routed, frugal.AsyncClient):
            async with manager as stream:
                final = await stream.get_final_message()
        else:
            with manager as stream:
                final = stream.get_final_message()
    assert final.parsed_output == City(name="Paris")
    body = stub.requests[0].body
    assert body is not None
    assert body["output_config"]["format"]["type"] == "json_schema"
    records, _ = recorded(routed, exporter)
    assert [r.model for r in records] == ["large-anthropic"]


async def test_messages_with_raw_response_is_routed(routed: Any, stub: VendorStub, exporter: Any) -> None:
    """``messages.with_raw_response.create`` (how langchain-anthropic sends every call) is routed among the
    Anthropic-kind models and recorded."""
    with routed.with_context(score=0.5):
        raw = await settle(
            routed.messages.with_raw_response.create(model="auto", max_tokens=50, messages=HELLO)
        )
    message = await settle(raw.parse())
    assert isinstance(message, anthropic.types.Message)
    assert message.model == "medium-b", "the Anthropic-kind model of the medium tier"
    records, _ = recorded(routed, exporter)
    assert [r.model for r in records] == ["medium-b"]


@pytest.fixture
async def on_claude(
    request: pytest.FixtureRequest, stub: VendorStub, exporter: InMemorySpanExporter, tmp_path: Any
) -> Any:
    """A sync or async client whose policy's only model is a Claude model (any vendor may serve a call)."""
    policy = tmp_path / "claude.yaml"
    policy.write_text(
        "tiers:\n  - name: all\n    models: [claude-haiku-4-5]\nvendors: any\n", encoding="utf-8"
    )
    stub.reply(None, Reply(text='{"name": "Paris"}', usage=USAGE))
    if getattr(request, "param", "sync") == "sync":
        with _client(frugal.Client, stub, exporter, policy=policy) as c:
            yield c
    else:
        async with _client(frugal.AsyncClient, stub, exporter, policy=policy) as c:
            yield c


@pytest.mark.parametrize("on_claude", ["sync", "async"], indirect=True)
async def test_a_raw_response_can_be_served_by_claude(
    on_claude: Any, stub: VendorStub, exporter: Any
) -> None:
    """``chat.completions.with_raw_response.create`` (how LangChain's ChatOpenAI sends every call) and
    ``responses.with_raw_response.create`` can be translated: the result is the openai SDK's raw response,
    whose ``parse()`` is the translated answer and whose body is that answer as JSON (what
    ``parse(to=...)`` reads); recorded and traced (before, a Claude-only policy could not serve it)."""
    raw = await settle(on_claude.chat.completions.with_raw_response.create(model="auto", messages=HELLO))
    assert isinstance(raw, openai._legacy_response.LegacyAPIResponse)
    completion = raw.parse()
    assert isinstance(completion, openai.types.chat.ChatCompletion)
    assert (completion.model, completion.choices[0].message.content) == (
        "claude-haiku-4-5",
        '{"name": "Paris"}',
    )
    assert raw.parse() is completion
    assert json.loads(raw.text)["choices"][0]["message"]["content"] == '{"name": "Paris"}'
    assert raw.http_response.request.url.path == "/v1/messages"
    response = (
        await settle(on_claude.responses.with_raw_response.create(model="auto", input="hello"))
    ).parse()
    assert isinstance(response, openai.types.responses.Response)
    assert response.output_text == '{"name": "Paris"}'
    assert [(r.vendor, r.model) for r in stub.requests] == [("anthropic", "claude-haiku-4-5")] * 2
    headers = {k.lower() for k in stub.requests[0].headers}
    assert "x-stainless-raw-response" not in headers, "the wrapper's header is the caller's SDK's, not sent"
    records, spans = recorded(on_claude, exporter)
    assert [(r.model, r.operation, r.output_tokens) for r in records] == [
        ("claude-haiku-4-5", "chat", 20),
        ("claude-haiku-4-5", "responses", 20),
    ]
    assert len(spans) == 2


@pytest.mark.parametrize("on_claude", ["sync", "async"], indirect=True)
async def test_parse_can_be_served_by_claude(on_claude: Any, stub: VendorStub, exporter: Any) -> None:
    """``chat.completions.parse(response_format=City)`` (and through ``with_raw_response``) can be
    translated: the schema the SDK would send goes to Claude as ``output_config``, and the SDK's own
    parser makes the ParsedChatCompletion from the translated completion."""
    parsed = await settle(
        on_claude.chat.completions.parse(model="auto", messages=HELLO, response_format=City)
    )
    raw = await settle(
        on_claude.chat.completions.with_raw_response.parse(model="auto", messages=HELLO, response_format=City)
    )
    for result in (parsed, raw.parse()):
        assert isinstance(result, openai.types.chat.ParsedChatCompletion)
        assert result.choices[0].message.parsed == City(name="Paris")
    assert "parsed" not in json.loads(raw.text)["choices"][0]["message"], "the body is the completion sent"
    assert [(r.vendor, r.model) for r in stub.requests] == [("anthropic", "claude-haiku-4-5")] * 2
    for request in stub.requests:
        assert request.body is not None
        schema = request.body["output_config"]["format"]
        assert (schema["type"], schema["schema"]["properties"]) == (
            "json_schema",
            {"name": {"title": "Name", "type": "string"}},
        )
    records, spans = recorded(on_claude, exporter)
    assert [r.model for r in records] == ["claude-haiku-4-5"] * 2
    assert len(spans) == 2


def test_a_streamed_raw_response_stays_on_the_callers_vendor(on_claude: Any, stub: VendorStub) -> None:
    """``with_streaming_response`` reads OpenAI's own HTTP body lazily, so a Claude-only policy cannot
    serve it: the requested model, a ceiling, is the only candidate left, and the call is decided and
    recorded like any other."""
    with on_claude.chat.completions.with_streaming_response.create(model="gpt-4o", messages=HELLO) as raw:
        assert raw.parse().model == "gpt-4o"
    assert on_claude.chat.completions.create(model="gpt-4o", messages=HELLO).model == "claude-haiku-4-5"
    assert [r.model for r in stub.requests] == ["gpt-4o", "claude-haiku-4-5"]
    assert [(r.model, r.requested_model) for r in on_claude.ledger.records()] == [
        ("gpt-4o", "gpt-4o"),
        ("claude-haiku-4-5", "gpt-4o"),
    ]


# -- async is async ------------------------------------------------------------------------------------


def _openai_methods(client: Any) -> dict[str, Any]:
    return {
        "chat.completions.create": client.chat.completions.create,
        "chat.completions.parse": client.chat.completions.parse,
        "chat.completions.with_raw_response.create": client.chat.completions.with_raw_response.create,
        "responses.create": client.responses.create,
        "responses.parse": client.responses.parse,
        "embeddings.create": client.embeddings.create,
    }


def _anthropic_methods(client: Any) -> dict[str, Any]:
    return {
        "messages.create": client.messages.create,
        "messages.parse": client.messages.parse,
        "messages.count_tokens": client.messages.count_tokens,
        "messages.with_raw_response.create": client.messages.with_raw_response.create,
    }


def _is_async(function: Any) -> bool:
    """How instructor tells an async client: the function, or the one it wraps, is a coroutine function."""
    wrapped = getattr(function, "__wrapped__", None)
    return inspect.iscoroutinefunction(function) or inspect.iscoroutinefunction(wrapped)


def test_async_methods_are_coroutine_functions(stub: VendorStub) -> None:
    """On AsyncClient and its views every request method is a coroutine function (instructor-style
    detection sees an async client); on Client and its views none is."""
    aclient = frugal.AsyncClient(**vendor_options(stub))  # type: ignore[arg-type]
    sync = frugal.Client(**vendor_options(stub))  # type: ignore[arg-type]
    for client, expected in ((aclient, True), (sync, False)):
        methods = {
            **_openai_methods(client),
            **_anthropic_methods(client),
            **{f"view {k}": v for k, v in _openai_methods(client.as_openai()).items()},
            **{f"view {k}": v for k, v in _anthropic_methods(client.as_anthropic()).items()},
        }
        assert {name: _is_async(method) for name, method in methods.items()} == dict.fromkeys(
            methods, expected
        )


# -- views behave like SDK clients ----------------------------------------------------------------------


@pytest.fixture(params=["sync", "async"])
def view_client(request: pytest.FixtureRequest, stub: VendorStub, exporter: InMemorySpanExporter) -> Any:
    stub.reply(None, Reply(text="Paris.", usage=USAGE))
    cls = frugal.Client if request.param == "sync" else frugal.AsyncClient
    return _client(cls, stub, exporter)


async def test_with_options_and_copy_keep_routing_through_frugal(
    view_client: Any, stub: VendorStub, exporter: Any
) -> None:
    """``view.with_options(...)`` / ``view.copy(...)`` (both vendors) are views of frugal with those options:
    their calls are routed and recorded, ``max_retries`` sets frugal's retries, headers reach the vendor."""
    oa = view_client.as_openai().with_options(max_retries=0, default_headers={"x-team": "search"})
    an = view_client.as_anthropic().copy(timeout=30)
    assert isinstance(
        oa, openai.AsyncOpenAI if isinstance(view_client, frugal.AsyncClient) else openai.OpenAI
    )
    stub.fail("small-text", 503, times=1, retry_after=0)
    with view_client.with_context(score=0.1):
        await settle(oa.chat.completions.create(model="auto", messages=HELLO))
        await settle(an.messages.create(model="auto", max_tokens=50, messages=HELLO))
    # max_retries=0: the 503 is not retried on small-text (the policy says 1 retry): the next model serves.
    assert [r.model for r in stub.requests] == ["small-text", "small-vision", "small-text"]
    assert [r.headers.get("x-team") for r in stub.requests] == ["search", "search", None]
    records, _ = recorded(view_client, exporter)
    assert [(r.model, r.attempts) for r in records] == [("small-vision", 2), ("small-text", 1)]


async def test_closing_a_view_keeps_frugal_working(view_client: Any, stub: VendorStub) -> None:
    """Leaving a view's ``with`` block (or ``close()``) ends the view only: frugal's connections stay open."""
    if isinstance(view_client, frugal.AsyncClient):
        async with view_client.as_openai() as view:
            await view.chat.completions.create(model="gpt-4o-mini", messages=HELLO)
        await view_client.chat.completions.create(model="gpt-4o-mini", messages=HELLO)
        await view_client.close()
    else:
        with view_client.as_openai() as view:
            view.chat.completions.create(model="gpt-4o-mini", messages=HELLO)
        view_client.chat.completions.create(model="gpt-4o-mini", messages=HELLO)
        view_client.close()
    assert len(stub.requests) == 2


def test_client_with_options_needs_a_provider_for_per_provider_options(stub: VendorStub) -> None:
    """``Client.with_options(base_url=...)`` must say which provider it is for; shared options need not."""
    c = frugal.Client(**vendor_options(stub))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="provider="):
        c.with_options(base_url="http://127.0.0.1:9/v1")
    with pytest.raises(TypeError, match="not a configured provider"):
        c.with_options(provider="nope", base_url="http://127.0.0.1:9/v1")
    derived = c.with_options(timeout=5.0, max_retries=4)
    assert derived._vendor_client("openai").timeout == 5.0
    assert derived._setup.backoff.retries == 4
    assert c._vendor_client("openai").timeout != 5.0, "the original client is unchanged"


# -- every SDK request method is covered -------------------------------------------------------------

#: Methods of the intercepted SDK resources that send no model request (stored objects, batches, ...):
#: they are the SDK's own and go to the vendor unrouted. A new SDK method must be added here or to frugal.
NOT_MODEL_REQUESTS = {
    "chat.completions": {"retrieve", "update", "list", "delete", "messages"},
    "responses": {"retrieve", "delete", "cancel", "compact", "connect", "input_items", "input_tokens"},
    "embeddings": set(),
    "messages": {"batches"},
}
#: Helpers built on the resource's own ``create`` (so routed with it; tests above).
BUILT_ON_CREATE = {"stream", "with_raw_response", "with_streaming_response"}


@pytest.mark.parametrize("path", sorted(NOT_MODEL_REQUESTS))
def test_every_public_request_method_of_the_sdks_is_covered(stub: VendorStub, path: str) -> None:
    """Each public method or sub-resource of the SDK resources frugal intercepts is overridden by frugal,
    built on the overridden ``create``, or listed as sending no model request: a new SDK method fails this
    test until it is handled."""
    for cls in (frugal.Client, frugal.AsyncClient):
        resource: Any = cls(**vendor_options(stub))  # type: ignore[arg-type]
        for step in path.split("."):
            resource = getattr(resource, step)
        sdk_class = type(resource).__mro__[1]
        public = {name for name in dir(sdk_class) if not name.startswith("_")}
        overridden = {name for name in public if name in type(resource).__dict__}
        unhandled = public - overridden - BUILT_ON_CREATE - NOT_MODEL_REQUESTS[path]
        assert unhandled == set(), f"{cls.__name__}.{path}: {sorted(unhandled)}"
        assert "create" in overridden
