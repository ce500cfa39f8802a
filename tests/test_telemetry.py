"""Spans with the real OpenTelemetry SDK (in-memory exporter): attributes, cost, savings, ends once."""

from __future__ import annotations

import gc
from typing import Any

import openai
import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

import frugal
from frugal.catalog import TokenUsage, price
from frugal.testing import Fault, Reply, Usage, VendorStub

from .calls import drain, settle
from .conftest import HONOR_POLICY, POLICIES, vendor_options

HELLO = [{"role": "user", "content": "Say hello to the secret word PINEAPPLE"}]
USAGE = Usage(
    input_tokens=1000, output_tokens=200, cache_read_tokens=600, cache_write_tokens=100, reasoning_tokens=50
)


@pytest.fixture(params=["sync", "async"])
def traced(request: pytest.FixtureRequest, stub: VendorStub, provider: TracerProvider) -> Any:
    """A client (sync or async) with the honour policy, exporting to the in-memory exporter."""
    cls = frugal.Client if request.param == "sync" else frugal.AsyncClient
    return cls(**vendor_options(stub, tracer_provider=provider))  # type: ignore[arg-type]


def spans(exporter: InMemorySpanExporter) -> tuple[ReadableSpan, list[ReadableSpan]]:
    """(the call span, its attempt spans) — and checks the parent-child structure."""
    finished = exporter.get_finished_spans()
    calls = [s for s in finished if s.name.startswith("frugal ")]
    assert len(calls) == 1, [s.name for s in finished]
    call = calls[0]
    attempts = [s for s in finished if s is not call]
    for attempt in attempts:
        assert attempt.parent is not None
        assert attempt.parent.span_id == call.context.span_id
        assert attempt.kind is SpanKind.CLIENT
    return call, attempts


def expected_cost(model: str, usage: Usage) -> float:
    info = frugal.Client(policy=HONOR_POLICY)._setup.router.place(model).info
    cost = price(
        info,
        TokenUsage(
            usage.input_tokens,
            usage.output_tokens,
            usage.cache_read_tokens,
            usage.cache_write_tokens,
            usage.cache_write_1h_tokens,
            usage.reasoning_tokens,
        ),
    )
    assert cost is not None
    return cost


@pytest.mark.parametrize(
    ("model", "provider_name"), [("gpt-4o-mini", "openai"), ("claude-haiku-4-5", "anthropic")]
)
async def test_chat_call_spans(
    traced: Any, stub: VendorStub, exporter: InMemorySpanExporter, model: str, provider_name: str
) -> None:
    """A chat call (same- or cross-vendor): a call span and one CLIENT attempt span with usage and cost."""
    stub.reply(model, Reply(text="hi", usage=USAGE))
    await settle(traced.chat.completions.create(model=model, messages=HELLO, temperature=0.5, max_tokens=300))
    call, [attempt] = spans(exporter)
    a = attempt.attributes or {}
    assert attempt.name == f"chat {model}"
    assert a["gen_ai.operation.name"] == "chat"
    assert a["gen_ai.provider.name"] == provider_name
    assert a["gen_ai.request.model"] == model
    assert a["server.address"] == "127.0.0.1"
    assert a["gen_ai.request.max_tokens"] == 300
    assert a["gen_ai.request.temperature"] == 0.5
    assert a["gen_ai.response.model"] == model
    assert list(a["gen_ai.response.finish_reasons"]) == ["stop"]  # type: ignore[arg-type]
    assert a["gen_ai.usage.input_tokens"] == 1000  # cache included, for both vendors
    assert a["gen_ai.usage.output_tokens"] == 200
    assert a["gen_ai.usage.cache_read.input_tokens"] == 600
    assert a["gen_ai.usage.cache_creation.input_tokens"] == 100
    assert a["gen_ai.usage.cache_write.input_tokens"] == 100
    assert a["frugal.cost.usd"] == pytest.approx(expected_cost(model, USAGE))
    assert a["gen_ai.usage.cost.amount"] == a["frugal.cost.usd"]
    assert (a["gen_ai.usage.cost.currency"], a["gen_ai.usage.cost.source"]) == ("USD", "local")
    c = call.attributes or {}
    assert c["frugal.attempts"] == 1
    assert c["frugal.cost.usd"] == pytest.approx(a["frugal.cost.usd"])  # type: ignore[arg-type]
    assert c["frugal.policy.id"].startswith("honor@")  # type: ignore[union-attr]


def test_request_parameters_on_the_attempt_span(
    stub: VendorStub, provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    """stop sequences, seed and a choice count other than 1 are recorded as the spec names them."""
    client = frugal.Client(**vendor_options(stub, tracer_provider=provider))  # type: ignore[arg-type]
    client.chat.completions.create(model="gpt-4o-mini", messages=HELLO, stop=["END"], seed=7, n=2)  # type: ignore[arg-type]
    _, [attempt] = spans(exporter)
    a = attempt.attributes or {}
    assert list(a["gen_ai.request.stop_sequences"]) == ["END"]  # type: ignore[arg-type]
    assert (a["gen_ai.request.seed"], a["gen_ai.request.choice.count"]) == (7, 2)


async def test_anthropic_shape_usage_and_reasoning(
    traced: Any, stub: VendorStub, exporter: InMemorySpanExporter
) -> None:
    """Anthropic's usage (input excluding cache) is normalised on the span: input includes cache."""
    stub.reply("claude-haiku-4-5", Reply(text="hi", usage=USAGE))
    await settle(traced.messages.create(model="claude-haiku-4-5", max_tokens=50, messages=HELLO))
    _, [attempt] = spans(exporter)
    a = attempt.attributes or {}
    assert (a["gen_ai.usage.input_tokens"], a["gen_ai.usage.cache_read.input_tokens"]) == (1000, 600)
    assert list(a["gen_ai.response.finish_reasons"]) == ["end_turn"]  # type: ignore[arg-type]


@pytest.mark.parametrize("model", ["gpt-4o-mini", "claude-haiku-4-5"])
async def test_stream_spans_end_once_at_the_end_with_usage(
    traced: Any, stub: VendorStub, exporter: InMemorySpanExporter, model: str
) -> None:
    """A stream's spans end when it is read to the end, carry its usage, and the caller who did not ask for
    usage never sees the extra usage chunk frugal asked for."""
    stub.reply(model, Reply(text="streamed", usage=USAGE))
    stream = await settle(traced.chat.completions.create(model=model, messages=HELLO, stream=True))
    assert exporter.get_finished_spans() == ()
    chunks = await drain(stream)
    assert all(c.choices for c in chunks), "the usage chunk frugal asked for is not handed to the caller"
    call, [attempt] = spans(exporter)
    a = attempt.attributes or {}
    assert a["gen_ai.request.stream"] is True
    assert a["gen_ai.usage.input_tokens"] == 1000
    assert a["gen_ai.usage.output_tokens"] == 200
    assert (call.attributes or {})["frugal.cost.usd"] == pytest.approx(expected_cost(model, USAGE))
    sent = stub.requests[0].body
    assert sent is not None
    if model == "gpt-4o-mini":
        assert sent["stream_options"] == {"include_usage": True}


async def test_closing_a_stream_ends_its_spans_at_once(
    traced: Any, stub: VendorStub, exporter: InMemorySpanExporter
) -> None:
    """stream.close() (or leaving its with-block) ends both spans right away, once, without an error."""
    stub.reply("gpt-4o-mini", Reply(text="a long answer " * 10))
    stream = await settle(traced.chat.completions.create(model="gpt-4o-mini", messages=HELLO, stream=True))
    if isinstance(stream, openai.AsyncStream):
        async with stream:
            await stream.__anext__()
    else:
        with stream:
            next(iter(stream))
    call, attempts = spans(exporter)
    assert len(attempts) == 1
    assert call.status.status_code is not StatusCode.ERROR
    assert stream.response.is_closed


def test_abandoned_stream_ends_its_spans(
    stub: VendorStub, provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    """A stream the caller drops half-way still ends both spans exactly once (when it is collected)."""
    client = frugal.Client(**vendor_options(stub, tracer_provider=provider))  # type: ignore[arg-type]
    stub.reply("gpt-4o-mini", Reply(text="a long answer " * 10))
    stream = client.chat.completions.create(model="gpt-4o-mini", messages=HELLO, stream=True)  # type: ignore[arg-type]
    next(iter(stream))
    assert exporter.get_finished_spans() == ()
    del stream
    gc.collect()
    call, attempts = spans(exporter)
    assert len(attempts) == 1
    assert call.status.status_code is not StatusCode.ERROR


async def test_fallback_gives_one_span_per_attempt(
    stub: VendorStub, provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    """Retries and fallbacks are separate attempt spans; failed ones are ERROR with error.type."""
    client = frugal.AsyncClient(  # type: ignore[arg-type]
        **{
            **vendor_options(stub, tracer_provider=provider, policy=POLICIES / "routing.yaml"),
            "max_retries": 1,
        }
    )
    stub.fail("small-text", 503, times=2, retry_after=0)
    with client.with_context(score=0.1, team="search", user="u-1"):
        await client.chat.completions.create(model="auto", messages=HELLO)  # type: ignore[arg-type]
    call, attempts = spans(exporter)
    assert [s.name for s in attempts] == ["chat small-text", "chat small-text", "chat small-vision"]
    assert [s.status.status_code for s in attempts] == [StatusCode.ERROR, StatusCode.ERROR, StatusCode.UNSET]
    assert (attempts[0].attributes or {})["error.type"] == "server_error"
    c = call.attributes or {}
    assert c["frugal.attempts"] == 3
    assert (c["frugal.route.model"], c["frugal.route.tier"], c["frugal.route.name"]) == (
        "small-text",
        "small",
        "default",
    )
    assert c["frugal.route.requested_model"] == "auto"
    assert c["frugal.classifier.name"] == "metadata-score"
    assert c["frugal.classifier.score"] == 0.1
    assert (c["frugal.team"], c["frugal.user"]) == ("search", "u-1")
    assert c["frugal.cost.baseline_usd"] > c["frugal.cost.usd"]  # type: ignore[operator]
    assert c["frugal.savings.usd"] == pytest.approx(c["frugal.cost.baseline_usd"] - c["frugal.cost.usd"])  # type: ignore[operator]


def test_final_failure_marks_the_call_span(
    stub: VendorStub, provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    """When the call fails, the call span is ERROR with error.type, and the vendor exception is raised."""
    client = frugal.Client(**vendor_options(stub, tracer_provider=provider))  # type: ignore[arg-type]
    stub.fail("gpt-4o-mini", 400)
    with pytest.raises(openai.BadRequestError):
        client.chat.completions.create(model="gpt-4o-mini", messages=HELLO)  # type: ignore[arg-type]
    call, [attempt] = spans(exporter)
    assert call.status.status_code is StatusCode.ERROR
    assert (call.attributes or {})["error.type"] == "BadRequestError"
    assert (attempt.attributes or {})["error.type"] == "invalid_request_error"


def test_mid_stream_error_ends_spans_with_error(
    stub: VendorStub, provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    """An error in the middle of a stream sets ERROR before the spans end, once."""
    client = frugal.Client(**vendor_options(stub, tracer_provider=provider))  # type: ignore[arg-type]
    stub.queue("gpt-4o-mini", Fault.stream_error(after_events=2))
    stream = client.chat.completions.create(model="gpt-4o-mini", messages=HELLO, stream=True)  # type: ignore[arg-type]
    with pytest.raises(openai.APIError):
        list(stream)
    call, [attempt] = spans(exporter)
    assert attempt.status.status_code is StatusCode.ERROR
    assert call.status.status_code is StatusCode.ERROR


async def test_no_content_on_spans(traced: Any, stub: VendorStub, exporter: InMemorySpanExporter) -> None:
    """Neither prompt nor answer text nor API keys reach any span attribute."""
    stub.reply(None, Reply(text="the answer is MANGO"))
    await settle(traced.chat.completions.create(model="gpt-4o-mini", messages=HELLO))
    for span in exporter.get_finished_spans():
        text = repr(dict(span.attributes or {})) + span.name
        for secret in ("PINEAPPLE", "MANGO", "sk-test", "sk-ant-test"):
            assert secret not in text


class _BrokenTracer:
    def start_span(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("broken tracer")


class _BrokenProvider:
    def __init__(self, fail_at: str) -> None:
        self.fail_at = fail_at

    def get_tracer(self, *args: Any, **kwargs: Any) -> Any:
        if self.fail_at == "get_tracer":
            raise RuntimeError("broken tracer provider")
        return _BrokenTracer()


@pytest.mark.parametrize("fail_at", ["get_tracer", "start_span"])
def test_a_broken_tracer_never_breaks_the_call(
    stub: VendorStub, fail_at: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A tracer provider that raises is logged (once) and ignored: calls, streamed or not, succeed."""
    client = frugal.Client(**vendor_options(stub, tracer_provider=_BrokenProvider(fail_at)))  # type: ignore[arg-type]
    result = client.chat.completions.create(model="gpt-4o-mini", messages=HELLO)  # type: ignore[arg-type]
    assert result.choices[0].message.content == "Hello from stub."
    stream = client.chat.completions.create(model="gpt-4o-mini", messages=HELLO, stream=True)  # type: ignore[arg-type]
    assert "".join(c.choices[0].delta.content or "" for c in stream if c.choices) == "Hello from stub."


def test_no_double_counting_with_the_anthropic_sdks_own_spans(stub: VendorStub) -> None:
    """Under a global tracer provider, an anthropic call through frugal yields frugal's spans only."""
    import json
    import subprocess
    import sys

    code = f"""
import json
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
import frugal
exporter = InMemorySpanExporter()
provider = TracerProvider()
provider.add_span_processor(SimpleSpanProcessor(exporter))
trace.set_tracer_provider(provider)
anthropic = {{"api_key": "k", "base_url": {stub.anthropic_base_url!r}}}
client = frugal.Client(policy={str(HONOR_POLICY)!r}, anthropic=anthropic)
client.messages.create(model="claude-haiku-4-5", max_tokens=5, messages=[{{"role": "user", "content": "hi"}}])
print(json.dumps([[s.name, s.instrumentation_scope.name] for s in exporter.get_finished_spans()]))
"""
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    scopes = json.loads(out.strip().splitlines()[-1])
    assert sorted(name for name, _ in scopes) == ["chat claude-haiku-4-5", "frugal messages"]
    assert {scope for _, scope in scopes} == {"frugal"}


# -- metrics ----------------------------------------------------------------------------------------


def _points(reader: Any) -> dict[str, list[Any]]:
    """Metric name -> its data points, from an InMemoryMetricReader."""
    found: dict[str, list[Any]] = {}
    data = reader.get_metrics_data()
    for resource in data.resource_metrics if data else []:
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                found.setdefault(metric.name, []).extend(metric.data.data_points)
    return found


@pytest.fixture
def metered(stub: VendorStub, provider: TracerProvider) -> tuple[frugal.Client, Any]:
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader

    reader = InMemoryMetricReader()
    options = vendor_options(
        stub, tracer_provider=provider, meter_provider=MeterProvider(metric_readers=[reader])
    )
    return frugal.Client(**options), reader  # type: ignore[arg-type]


def test_metrics_tokens_duration_cost(
    metered: tuple[frugal.Client, Any], stub: VendorStub, exporter: InMemorySpanExporter
) -> None:
    """Token usage and duration histograms (v1.41 buckets) and the cost counter agree with the spans."""
    client, reader = metered
    stub.reply("gpt-4o-mini", Reply(text="hi", usage=USAGE))
    client.chat.completions.create(model="gpt-4o-mini", messages=HELLO)  # type: ignore[arg-type]
    points = _points(reader)
    tokens = {p.attributes["gen_ai.token.type"]: p for p in points["gen_ai.client.token.usage"]}
    assert (tokens["input"].sum, tokens["output"].sum) == (1000, 200)
    assert list(tokens["input"].explicit_bounds)[:4] == [1, 4, 16, 64]
    assert tokens["input"].attributes["gen_ai.request.model"] == "gpt-4o-mini"
    [duration] = points["gen_ai.client.operation.duration"]
    assert duration.count == 1
    assert list(duration.explicit_bounds)[:3] == [0.01, 0.02, 0.04]
    [cost] = points["frugal.cost"]
    call, _ = spans(exporter)
    assert cost.value == pytest.approx((call.attributes or {})["frugal.cost.usd"])  # type: ignore[arg-type]


def test_metrics_error_type_and_time_to_first_chunk(
    metered: tuple[frugal.Client, Any], stub: VendorStub
) -> None:
    """A failed attempt's duration carries error.type; a stream records its time to first chunk."""
    client, reader = metered
    stub.fail("gpt-4o-mini", 400)
    with pytest.raises(openai.BadRequestError):
        client.chat.completions.create(model="gpt-4o-mini", messages=HELLO)  # type: ignore[arg-type]
    list(client.chat.completions.create(model="gpt-4o-mini", messages=HELLO, stream=True))  # type: ignore[arg-type]
    points = _points(reader)
    errors = [p.attributes.get("error.type") for p in points["gen_ai.client.operation.duration"]]
    assert "invalid_request_error" in errors
    [first_chunk] = points["gen_ai.client.operation.time_to_first_chunk"]
    assert first_chunk.count == 1


def test_savings_counter_on_routed_calls(stub: VendorStub) -> None:
    """Routed calls add their savings (baseline minus cost) to frugal.savings, by tier and team."""
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader

    reader = InMemoryMetricReader()
    client = frugal.Client(  # type: ignore[arg-type]
        **vendor_options(
            stub, policy=POLICIES / "routing.yaml", meter_provider=MeterProvider(metric_readers=[reader])
        )
    )
    stub.reply(None, Reply(usage=Usage(input_tokens=1000, output_tokens=100)))
    with client.with_context(score=0.1, team="search"):
        client.chat.completions.create(model="auto", messages=HELLO)  # type: ignore[arg-type]
    [savings] = _points(reader)["frugal.savings"]
    assert savings.value > 0
    assert (savings.attributes["frugal.team"], savings.attributes["frugal.route.tier"]) == ("search", "small")


# -- content and privacy ------------------------------------------------------------------------------


@pytest.mark.parametrize("model", ["gpt-4o-mini", "claude-haiku-4-5"])
@pytest.mark.parametrize("stream", [False, True])
def test_content_only_when_opted_in(
    stub: VendorStub,
    provider: TracerProvider,
    exporter: InMemorySpanExporter,
    monkeypatch: pytest.MonkeyPatch,
    model: str,
    stream: bool,
) -> None:
    """With OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT, prompts, system text and answers are on
    the attempt span (streamed or not); API keys never are."""
    import json

    monkeypatch.setenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "true")
    client = frugal.Client(**vendor_options(stub, tracer_provider=provider))  # type: ignore[arg-type]
    stub.reply(model, Reply(text="the answer is MANGO"))
    messages = [{"role": "system", "content": "Be brief."}, *HELLO]
    result = client.chat.completions.create(model=model, messages=messages, stream=stream)  # type: ignore[call-overload]
    if stream:
        list(result)
    _, [attempt] = spans(exporter)
    a = attempt.attributes or {}
    assert json.loads(a["gen_ai.input.messages"]) == [  # type: ignore[arg-type]
        {"role": "user", "parts": [{"type": "text", "content": HELLO[0]["content"]}]}
    ]
    assert json.loads(a["gen_ai.system_instructions"]) == [{"type": "text", "content": "Be brief."}]  # type: ignore[arg-type]
    output = json.loads(a["gen_ai.output.messages"])  # type: ignore[arg-type]
    assert output[0]["parts"][0]["content"] == "the answer is MANGO"
    assert "sk-test" not in repr(dict(a))
    assert "sk-ant-test" not in repr(dict(a))


def test_user_ids_are_hashed_when_the_policy_says_so(
    stub: VendorStub, provider: TracerProvider, exporter: InMemorySpanExporter, tmp_path: Any
) -> None:
    """hash_user_ids: true puts a stable pseudonym, not the user id, on the call span."""
    from frugal._context import hash_user

    policy = tmp_path / "hashed.yaml"
    policy.write_text(HONOR_POLICY.read_text() + "hash_user_ids: true\n")
    client = frugal.Client(**vendor_options(stub, tracer_provider=provider, policy=policy))  # type: ignore[arg-type]
    with client.with_context(user="alice@example.com"):
        client.chat.completions.create(model="gpt-4o-mini", messages=HELLO)  # type: ignore[arg-type]
    call, _ = spans(exporter)
    assert (call.attributes or {})["frugal.user"] == hash_user("alice@example.com")
    assert "alice" not in repr(dict(call.attributes or {}))


def test_latest_semconv_opt_in_drops_the_old_cache_name(
    stub: VendorStub,
    provider: TracerProvider,
    exporter: InMemorySpanExporter,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """OTEL_SEMCONV_STABILITY_OPT_IN=gen_ai_latest_experimental: only the newest cache-write name."""
    monkeypatch.setenv("OTEL_SEMCONV_STABILITY_OPT_IN", "http,gen_ai_latest_experimental")
    client = frugal.Client(**vendor_options(stub, tracer_provider=provider))  # type: ignore[arg-type]
    stub.reply("claude-haiku-4-5", Reply(usage=USAGE))
    client.messages.create(model="claude-haiku-4-5", max_tokens=9, messages=HELLO)  # type: ignore[arg-type]
    _, [attempt] = spans(exporter)
    a = attempt.attributes or {}
    assert a["gen_ai.usage.cache_write.input_tokens"] == 100
    assert "gen_ai.usage.cache_creation.input_tokens" not in a


@pytest.mark.parametrize(
    ("conventions", "expected"),
    [
        (None, {"llm.cost.total", "llm.token_count.prompt", "gen_ai.usage.cost", "operation.cost"}),
        ([], set()),
        (["langfuse"], {"gen_ai.usage.cost"}),
    ],
)
def test_span_conventions_other_backends_read(
    stub: VendorStub,
    provider: TracerProvider,
    exporter: InMemorySpanExporter,
    tmp_path: Any,
    conventions: list[str] | None,
    expected: set[str],
) -> None:
    """By default an attempt span also carries what Arize (OpenInference ``llm.*``), Langfuse/OpenLIT
    (``gen_ai.usage.cost``) and Logfire (``operation.cost``) read, with the same cost; ``span_conventions``
    narrows it. The GenAI and frugal attributes are always there."""
    policy = tmp_path / "p.yaml"
    text = HONOR_POLICY.read_text()
    if conventions is not None:
        text += f"span_conventions: [{', '.join(conventions)}]\n"
    policy.write_text(text)
    stub.reply("gpt-4o-mini", Reply(text="hi", usage=USAGE))
    client = frugal.Client(**vendor_options(stub, policy=policy, tracer_provider=provider))  # type: ignore[arg-type]
    client.chat.completions.create(model="gpt-4o-mini", messages=HELLO)  # type: ignore[arg-type]
    _call, [attempt] = spans(exporter)
    a = dict(attempt.attributes or {})
    compat = {"llm.cost.total", "llm.token_count.prompt", "gen_ai.usage.cost", "operation.cost"}
    assert compat & set(a) == expected
    for name in expected & {"llm.cost.total", "gen_ai.usage.cost", "operation.cost"}:
        assert a[name] == a["frugal.cost.usd"] == a["gen_ai.usage.cost.amount"]
    if "llm.token_count.prompt" in expected:
        assert a["llm.token_count.prompt"] == a["gen_ai.usage.input_tokens"]
        assert a["openinference.span.kind"] == "LLM"
