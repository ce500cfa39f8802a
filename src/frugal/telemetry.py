"""OpenTelemetry spans for every call: tokens, cost, the routing decision, and what it saved.

Through ``opentelemetry-api`` only (the global tracer provider, or one given to the client). Two levels:

- one **call span** per client call (``frugal {operation}``), carrying the decision and the totals:
  requested and chosen model, tier, route, reasons, classifier and score, policy id, attempts, the cost
  of all attempts, the baseline's cost on the same usage, the savings, and the routing context;
- one **attempt span** per vendor request (``{gen_ai.operation.name} {model}``, kind CLIENT) with the
  GenAI semantic-convention attributes (v1.41) and the attempt's cost.

Streams end their spans exactly once: at the end of the stream, on an error (status ERROR set first), or
when the caller abandons the stream (its iterator is closed or garbage collected). Telemetry never breaks
a call: every failure inside it is caught, logged once, and ignored. Prompt and answer text never reach a
span. Names are constants below and documented in ``docs/telemetry.md``.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import AsyncIterator, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from opentelemetry import metrics, trace
from opentelemetry.trace import SpanKind, Status, StatusCode

from .catalog import ModelInfo, TokenUsage, price

if TYPE_CHECKING:
    from .routing import Decision

__all__ = [
    "ATTEMPT_ATTRIBUTES",
    "CALL_ATTRIBUTES",
    "CallTelemetry",
    "Telemetry",
]

log = logging.getLogger("frugal.telemetry")

# -- GenAI semantic conventions (v1.41) -------------------------------------------------------------
GEN_AI_OPERATION_NAME = "gen_ai.operation.name"
GEN_AI_PROVIDER_NAME = "gen_ai.provider.name"
GEN_AI_REQUEST_MODEL = "gen_ai.request.model"
GEN_AI_REQUEST_MAX_TOKENS = "gen_ai.request.max_tokens"
GEN_AI_REQUEST_TEMPERATURE = "gen_ai.request.temperature"
GEN_AI_REQUEST_TOP_P = "gen_ai.request.top_p"
GEN_AI_REQUEST_STREAM = "gen_ai.request.stream"
GEN_AI_REQUEST_STOP_SEQUENCES = "gen_ai.request.stop_sequences"
GEN_AI_REQUEST_SEED = "gen_ai.request.seed"
GEN_AI_REQUEST_CHOICE_COUNT = "gen_ai.request.choice.count"
GEN_AI_RESPONSE_ID = "gen_ai.response.id"
GEN_AI_RESPONSE_MODEL = "gen_ai.response.model"
GEN_AI_RESPONSE_FINISH_REASONS = "gen_ai.response.finish_reasons"
GEN_AI_USAGE_INPUT_TOKENS = "gen_ai.usage.input_tokens"
GEN_AI_USAGE_OUTPUT_TOKENS = "gen_ai.usage.output_tokens"
GEN_AI_USAGE_CACHE_READ = "gen_ai.usage.cache_read.input_tokens"
GEN_AI_USAGE_CACHE_CREATION = "gen_ai.usage.cache_creation.input_tokens"  # v1.41 (what Phoenix reads)
GEN_AI_USAGE_CACHE_WRITE = "gen_ai.usage.cache_write.input_tokens"  # the newer name, emitted too
GEN_AI_USAGE_REASONING = "gen_ai.usage.reasoning.output_tokens"
GEN_AI_INPUT_MESSAGES = "gen_ai.input.messages"  # only when content capture is opted in
GEN_AI_OUTPUT_MESSAGES = "gen_ai.output.messages"
GEN_AI_SYSTEM_INSTRUCTIONS = "gen_ai.system_instructions"
GEN_AI_USAGE_COST_AMOUNT = "gen_ai.usage.cost.amount"  # proposed (semantic-conventions-genai #443)
GEN_AI_USAGE_COST_CURRENCY = "gen_ai.usage.cost.currency"
GEN_AI_USAGE_COST_SOURCE = "gen_ai.usage.cost.source"
SERVER_ADDRESS = "server.address"
SERVER_PORT = "server.port"
ERROR_TYPE = "error.type"

# -- frugal's own ---------------------------------------------------------------------------------
FRUGAL_COST_USD = "frugal.cost.usd"
FRUGAL_COST_BASELINE_USD = "frugal.cost.baseline_usd"
FRUGAL_SAVINGS_USD = "frugal.savings.usd"
FRUGAL_ATTEMPTS = "frugal.attempts"
FRUGAL_ROUTE_REQUESTED_MODEL = "frugal.route.requested_model"
FRUGAL_ROUTE_MODEL = "frugal.route.model"
FRUGAL_ROUTE_TIER = "frugal.route.tier"
FRUGAL_ROUTE_NAME = "frugal.route.name"
FRUGAL_ROUTE_REASONS = "frugal.route.reasons"
FRUGAL_ROUTE_BASELINE_MODEL = "frugal.route.baseline_model"
FRUGAL_CLASSIFIER_NAME = "frugal.classifier.name"
FRUGAL_CLASSIFIER_SCORE = "frugal.classifier.score"
FRUGAL_CLASSIFIER_FAILED = "frugal.classifier.failed"
FRUGAL_POLICY_ID = "frugal.policy.id"
FRUGAL_USER = "frugal.user"
FRUGAL_TEAM = "frugal.team"
FRUGAL_FEATURE = "frugal.feature"

# -- metrics (v1.41 names and buckets) --------------------------------------------------------------
METRIC_TOKEN_USAGE = "gen_ai.client.token.usage"
METRIC_OPERATION_DURATION = "gen_ai.client.operation.duration"
METRIC_TIME_TO_FIRST_CHUNK = "gen_ai.client.operation.time_to_first_chunk"
METRIC_COST = "frugal.cost"
METRIC_SAVINGS = "frugal.savings"
GEN_AI_TOKEN_TYPE = "gen_ai.token.type"
TOKEN_BUCKETS = (1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864)
DURATION_BUCKETS = (0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92)

#: Attributes of the per-call span.
CALL_ATTRIBUTES = (
    FRUGAL_ROUTE_REQUESTED_MODEL,
    FRUGAL_ROUTE_MODEL,
    FRUGAL_ROUTE_TIER,
    FRUGAL_ROUTE_NAME,
    FRUGAL_ROUTE_REASONS,
    FRUGAL_ROUTE_BASELINE_MODEL,
    FRUGAL_CLASSIFIER_NAME,
    FRUGAL_CLASSIFIER_SCORE,
    FRUGAL_CLASSIFIER_FAILED,
    FRUGAL_POLICY_ID,
    FRUGAL_ATTEMPTS,
    FRUGAL_COST_USD,
    FRUGAL_COST_BASELINE_USD,
    FRUGAL_SAVINGS_USD,
    FRUGAL_USER,
    FRUGAL_TEAM,
    FRUGAL_FEATURE,
)
#: Attributes of the per-attempt span.
ATTEMPT_ATTRIBUTES = (
    GEN_AI_OPERATION_NAME,
    GEN_AI_PROVIDER_NAME,
    GEN_AI_REQUEST_MODEL,
    SERVER_ADDRESS,
    SERVER_PORT,
    GEN_AI_REQUEST_MAX_TOKENS,
    GEN_AI_REQUEST_TEMPERATURE,
    GEN_AI_REQUEST_TOP_P,
    GEN_AI_REQUEST_STREAM,
    GEN_AI_REQUEST_STOP_SEQUENCES,
    GEN_AI_REQUEST_SEED,
    GEN_AI_REQUEST_CHOICE_COUNT,
    GEN_AI_RESPONSE_ID,
    GEN_AI_RESPONSE_MODEL,
    GEN_AI_RESPONSE_FINISH_REASONS,
    GEN_AI_USAGE_INPUT_TOKENS,
    GEN_AI_USAGE_OUTPUT_TOKENS,
    GEN_AI_USAGE_CACHE_READ,
    GEN_AI_USAGE_CACHE_CREATION,
    GEN_AI_USAGE_CACHE_WRITE,
    GEN_AI_USAGE_REASONING,
    GEN_AI_USAGE_COST_AMOUNT,
    GEN_AI_USAGE_COST_CURRENCY,
    GEN_AI_USAGE_COST_SOURCE,
    FRUGAL_COST_USD,
    ERROR_TYPE,
)

_METRIC_KEYS = (GEN_AI_OPERATION_NAME, GEN_AI_PROVIDER_NAME, GEN_AI_REQUEST_MODEL)
_GENAI_OPERATION = {"chat": "chat", "messages": "chat", "responses": "chat", "embeddings": "embeddings",
                    "count_tokens": "count_tokens"}  # fmt: skip
_LOGGED: set[str] = set()


def _guarded(where: str, exc: BaseException) -> None:
    """Log a telemetry failure once per place; never let it reach the caller."""
    if where not in _LOGGED:
        _LOGGED.add(where)
        log.warning("frugal telemetry failed in %s (%s); the call is unaffected", where, type(exc).__name__)


class _Instruments:
    """The metric instruments of one client."""

    __slots__ = ("cost", "duration", "savings", "time_to_first_chunk", "tokens")

    def __init__(self, meter: Any) -> None:
        self.tokens = meter.create_histogram(
            METRIC_TOKEN_USAGE,
            unit="{token}",
            description="Tokens used per vendor request, by type",
            explicit_bucket_boundaries_advisory=TOKEN_BUCKETS,
        )
        self.duration = meter.create_histogram(
            METRIC_OPERATION_DURATION,
            unit="s",
            description="Duration of a vendor request",
            explicit_bucket_boundaries_advisory=DURATION_BUCKETS,
        )
        self.time_to_first_chunk = meter.create_histogram(
            METRIC_TIME_TO_FIRST_CHUNK,
            unit="s",
            description="Time to the first chunk of a stream",
            explicit_bucket_boundaries_advisory=DURATION_BUCKETS,
        )
        self.cost = meter.create_counter(METRIC_COST, unit="USD", description="Cost of calls, all attempts")
        self.savings = meter.create_counter(
            METRIC_SAVINGS, unit="USD", description="Baseline cost minus cost"
        )


class Telemetry:
    """Builds the spans and metrics of one client."""

    def __init__(
        self,
        tracer_provider: Any = None,
        meter_provider: Any = None,
        *,
        policy_id: str,
        hash_users: bool = False,
        capture_content: bool = False,
    ) -> None:
        import os

        from . import __version__

        opted_in = os.environ.get("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "").strip().lower()
        stability = os.environ.get("OTEL_SEMCONV_STABILITY_OPT_IN", "")
        # The newest GenAI names only (no v1.41 duplicates) when the user opts in to them.
        self._latest = "gen_ai_latest_experimental" in {part.strip() for part in stability.split(",")}
        self._capture = capture_content or opted_in in ("true", "1", "yes", "span_only", "span_and_event")

        try:
            self._tracer = trace.get_tracer("frugal", __version__, tracer_provider=tracer_provider)
        except Exception as exc:
            _guarded("get_tracer", exc)
            self._tracer = trace.NoOpTracer()
        self._explicit_meter = meter_provider is not None
        self._instruments: _Instruments | None
        try:
            self._instruments = _Instruments(
                metrics.get_meter("frugal", __version__, meter_provider=meter_provider)
            )
        except Exception as exc:
            _guarded("get_meter", exc)
            self._instruments = None
        self._policy_id = policy_id
        self._hash_users = hash_users

    def _metering(self) -> _Instruments | None:
        """The instruments, when a meter provider is in use (given, or a global SDK one); else None."""
        if self._instruments is None:
            return None
        if self._explicit_meter or type(metrics.get_meter_provider()).__name__ != "_ProxyMeterProvider":
            return self._instruments
        return None

    def start_call(
        self, operation: str, decision: Decision | None, params: Mapping[str, Any]
    ) -> CallTelemetry:
        """The span of one client call (ended by :meth:`CallTelemetry.finish`)."""
        try:
            span = self._tracer.start_span(f"frugal {operation}", kind=SpanKind.INTERNAL)
        except Exception as exc:
            _guarded("start_call", exc)
            span = trace.INVALID_SPAN
        instruments = self._metering()
        if not span.is_recording() and instruments is None:
            span.end()  # nothing is exported (no SDK configured, or sampled out): no per-call state
            return _NULL_CALL
        call = CallTelemetry(self._tracer, span, operation, instruments)
        call.capture = self._capture
        call.latest = self._latest
        try:
            from ._context import call_metadata

            call.describe(decision, call_metadata(operation, params), self._policy_id, self._hash_users)
        except Exception as exc:
            _guarded("describe", exc)
        return call


class CallTelemetry:
    """The call span and its attempts; sums cost and tokens; ends exactly once."""

    __slots__ = (
        "_baseline",
        "_instruments",
        "_operation",
        "_span",
        "_tracer",
        "attempts",
        "capture",
        "cost",
        "ended",
        "last_model",
        "latest",
        "metric_attributes",
        "usage",
    )

    def __init__(
        self, tracer: Any, span: Any, operation: str, instruments: _Instruments | None = None
    ) -> None:
        self._tracer = tracer
        self._span = span
        self._operation = operation
        self._instruments = instruments
        self.metric_attributes: dict[str, Any] = {}
        self.last_model: Mapping[str, Any] = {}
        self.capture = False
        self.latest = False
        self._baseline: ModelInfo | None = None
        self.attempts = 0
        self.cost: float | None = 0.0
        self.usage = TokenUsage()
        self.ended = False

    @property
    def recording(self) -> bool:
        """Whether anything is exported, spans or metrics (the shared null telemetry says no)."""
        return True

    @property
    def instruments(self) -> _Instruments | None:
        """The metric instruments, when metrics are exported."""
        return self._instruments

    def describe(
        self, decision: Decision | None, metadata: Mapping[str, str], policy_id: str, hash_users: bool
    ) -> None:
        attributes: dict[str, Any] = {FRUGAL_POLICY_ID: policy_id}
        if "team" in metadata:
            self.metric_attributes[FRUGAL_TEAM] = metadata["team"]
        for key, name in (("user", FRUGAL_USER), ("team", FRUGAL_TEAM), ("feature", FRUGAL_FEATURE)):
            value = metadata.get(key)
            if value is not None:
                if key == "user" and hash_users:
                    from ._context import hash_user

                    value = hash_user(value)
                attributes[name] = value
        if decision is not None:
            self.metric_attributes[FRUGAL_ROUTE_TIER] = decision.tier
            attributes[FRUGAL_ROUTE_MODEL] = decision.model
            attributes[FRUGAL_ROUTE_TIER] = decision.tier
            attributes[FRUGAL_ROUTE_NAME] = decision.route
            attributes[FRUGAL_ROUTE_REASONS] = list(decision.reasons)
            attributes[FRUGAL_CLASSIFIER_NAME] = decision.classifier
            attributes[FRUGAL_CLASSIFIER_FAILED] = decision.classifier_failed
            if decision.requested_model is not None:
                attributes[FRUGAL_ROUTE_REQUESTED_MODEL] = decision.requested_model
            if decision.baseline_model is not None:
                attributes[FRUGAL_ROUTE_BASELINE_MODEL] = decision.baseline_model
            if decision.score is not None:
                attributes[FRUGAL_CLASSIFIER_SCORE] = decision.score
        self._span.set_attributes(attributes)

    def set_baseline(self, info: ModelInfo | None) -> None:
        """The model whose price, on the same usage, is the baseline."""
        self._baseline = info

    def attempt(
        self,
        provider: str,
        kind: str,
        model: str,
        info: ModelInfo | None,
        params: Mapping[str, Any],
        server: Any,
    ) -> AttemptTelemetry:
        """A child span for one vendor request."""
        self.attempts += 1
        attributes = _request_attributes(self._operation, provider, kind, model, params, server)
        if self.capture:
            try:
                attributes.update(_content_attributes(self._operation, params))
            except Exception as exc:
                _guarded("content", exc)
        try:
            span = self._tracer.start_span(
                f"{attributes[GEN_AI_OPERATION_NAME]} {model}",
                kind=SpanKind.CLIENT,
                context=trace.set_span_in_context(self._span),
                attributes=attributes,
            )
        except Exception as exc:
            _guarded("attempt", exc)
            span = trace.INVALID_SPAN
        return AttemptTelemetry(self, span, kind, info, attributes)

    def finish(self, error: BaseException | None = None) -> None:
        """End the call span (once): totals, baseline and savings, error status."""
        if self.ended:
            return
        self.ended = True
        span = self._span
        try:
            attributes: dict[str, Any] = {FRUGAL_ATTEMPTS: self.attempts}
            if self.cost is not None:
                attributes[FRUGAL_COST_USD] = self.cost
            baseline = self._baseline
            if baseline is not None and self.usage.input_tokens + self.usage.output_tokens:
                baseline_cost = price(baseline, self.usage)
                if baseline_cost is not None:
                    attributes[FRUGAL_COST_BASELINE_USD] = baseline_cost
                    if self.cost is not None:
                        attributes[FRUGAL_SAVINGS_USD] = baseline_cost - self.cost
            if error is not None:
                span.set_status(Status(StatusCode.ERROR, type(error).__name__))
                attributes[ERROR_TYPE] = type(error).__name__
            span.set_attributes(attributes)
            instruments = self._instruments
            if instruments is not None and self.cost is not None:
                labels = {**self.metric_attributes, **self.last_model}
                instruments.cost.add(self.cost, labels)
                if FRUGAL_SAVINGS_USD in attributes:
                    instruments.savings.add(attributes[FRUGAL_SAVINGS_USD], labels)
        except Exception as exc:
            _guarded("finish", exc)
        span.end()


class AttemptTelemetry:
    """One attempt span; records usage and cost from the SDK's answer (or its stream)."""

    __slots__ = ("_call", "_error", "_info", "_kind", "_labels", "_span", "_started", "ended")

    def __init__(
        self,
        call: CallTelemetry,
        span: Any,
        kind: str,
        info: ModelInfo | None,
        request: Mapping[str, Any] | None = None,
    ) -> None:
        self._call = call
        self._span = span
        self._kind = kind
        self._info = info
        self._error: str | None = None
        # Metric attributes: low cardinality only (operation, provider, requested model).
        self._labels = {k: request[k] for k in _METRIC_KEYS if k in request} if request else {}
        self._started = time.perf_counter()
        self.ended = False

    def first_chunk(self) -> None:
        """A stream's first chunk arrived (time to first chunk)."""
        instruments = self._call.instruments
        if instruments is not None:
            try:
                instruments.time_to_first_chunk.record(time.perf_counter() - self._started, self._labels)
            except Exception as exc:
                _guarded("first_chunk", exc)

    def succeed(self, result: Any) -> None:
        """Record a non-streamed answer and end the span."""
        if self._span is None:
            self.ended = True
            return
        try:
            self._record(_summary(result))
        except Exception as exc:
            _guarded("succeed", exc)
        self._end()

    def fail(self, error: BaseException) -> None:
        """Mark the attempt failed (status before the end) and end the span."""
        if self._span is None or self.ended:
            self.ended = True
            return
        try:
            self._error = _error_type(error)
            self._span.set_status(Status(StatusCode.ERROR, type(error).__name__))
            self._span.set_attribute(ERROR_TYPE, self._error)
        except Exception as exc:
            _guarded("fail", exc)
        self._end()

    def _end(self) -> None:
        if self.ended:
            return
        self.ended = True
        self._span.end()
        instruments = self._call.instruments
        if instruments is not None:
            try:
                labels = self._labels if self._error is None else {**self._labels, ERROR_TYPE: self._error}
                instruments.duration.record(time.perf_counter() - self._started, labels)
            except Exception as exc:
                _guarded("duration", exc)

    def _record(self, summary: _Summary) -> None:
        attributes: dict[str, Any] = {}
        if summary.response_id:
            attributes[GEN_AI_RESPONSE_ID] = summary.response_id
        if summary.response_model:
            attributes[GEN_AI_RESPONSE_MODEL] = summary.response_model
        if summary.finish_reasons:
            attributes[GEN_AI_RESPONSE_FINISH_REASONS] = summary.finish_reasons
        if self._call.capture and summary.text:
            output = [{"role": "assistant", "parts": [{"type": "text", "content": "".join(summary.text)}]}]
            attributes[GEN_AI_OUTPUT_MESSAGES] = json.dumps(output, ensure_ascii=False)
        usage = summary.usage
        if usage is not None:
            written = usage.cache_write_tokens + usage.cache_write_1h_tokens
            attributes[GEN_AI_USAGE_INPUT_TOKENS] = usage.input_tokens
            attributes[GEN_AI_USAGE_OUTPUT_TOKENS] = usage.output_tokens
            attributes[GEN_AI_USAGE_CACHE_READ] = usage.cache_read_tokens
            if not self._call.latest:
                attributes[GEN_AI_USAGE_CACHE_CREATION] = written  # v1.41: what Arize Phoenix reads
            attributes[GEN_AI_USAGE_CACHE_WRITE] = written
            attributes[GEN_AI_USAGE_REASONING] = usage.reasoning_tokens
            call = self._call
            call.usage = call.usage + usage
            instruments = call.instruments
            if instruments is not None:
                call.last_model = self._labels
                for token_type, count in (("input", usage.input_tokens), ("output", usage.output_tokens)):
                    instruments.tokens.record(count, {**self._labels, GEN_AI_TOKEN_TYPE: token_type})
            cost = price(self._info, usage) if self._info is not None else None
            if cost is None:
                call.cost = None
            else:
                attributes[FRUGAL_COST_USD] = cost
                attributes[GEN_AI_USAGE_COST_AMOUNT] = cost
                attributes[GEN_AI_USAGE_COST_CURRENCY] = "USD"
                attributes[GEN_AI_USAGE_COST_SOURCE] = "local"
                if call.cost is not None:
                    call.cost += cost
        self._span.set_attributes(attributes)

    # -- streams ------------------------------------------------------------------------------------

    def observe(self, items: Iterator[Any], *, hide_usage: bool = False) -> Iterator[Any]:
        """Yield ``items``; record usage as it streams; end the attempt and call spans exactly once.

        ``hide_usage``: the usage chunk was asked for by frugal, not the caller: read it, do not yield it.
        """
        summary = _StreamSummary()
        error: BaseException | None = None
        try:
            for item in items:
                summary.feed(item)
                if not (hide_usage and _usage_chunk(item)):
                    yield item
        except BaseException as exc:
            error = exc
            raise
        finally:
            self._close_stream(summary, error)

    async def observe_async(
        self, items: AsyncIterator[Any], *, hide_usage: bool = False
    ) -> AsyncIterator[Any]:
        """The async twin of :meth:`observe`."""
        summary = _StreamSummary()
        error: BaseException | None = None
        try:
            async for item in items:
                summary.feed(item)
                if not (hide_usage and _usage_chunk(item)):
                    yield item
        except BaseException as exc:
            error = exc
            raise
        finally:
            self._close_stream(summary, error)

    def _close_stream(self, summary: _StreamSummary, error: BaseException | None) -> None:
        abandoned = isinstance(error, GeneratorExit)
        if self._span is not None and not self.ended:
            try:
                self._record(summary.result())
                if error is not None and not abandoned:
                    self._error = _error_type(error)
                    self._span.set_status(Status(StatusCode.ERROR, type(error).__name__))
                    self._span.set_attribute(ERROR_TYPE, self._error)
            except Exception as exc:
                _guarded("stream", exc)
            self._end()
        self.ended = True
        self._call.finish(None if abandoned else error)


class _NullCall(CallTelemetry):
    """The call telemetry when nothing is recorded: every method is a no-op, one shared instance."""

    def __init__(self) -> None:
        super().__init__(None, trace.INVALID_SPAN, "")
        self.ended = True

    @property
    def recording(self) -> bool:
        return False

    def attempt(self, *args: Any, **kwargs: Any) -> AttemptTelemetry:
        return _NULL_ATTEMPT

    def finish(self, error: BaseException | None = None) -> None:
        return None

    def set_baseline(self, info: ModelInfo | None) -> None:
        return None


_NULL_CALL = _NullCall()
_NULL_ATTEMPT = AttemptTelemetry(_NULL_CALL, None, "", None)


# -- reading the SDKs' answers ------------------------------------------------------------------------


class _Summary:
    __slots__ = ("finish_reasons", "response_id", "response_model", "text", "usage")

    def __init__(self) -> None:
        self.response_id: str | None = None
        self.response_model: str | None = None
        self.finish_reasons: list[str] = []
        self.usage: TokenUsage | None = None
        self.text: list[str] = []  # the answer's text: only put on spans when content capture is on


def _summary(result: Any) -> _Summary:
    """Id, model, finish reasons and usage of a ChatCompletion, Message or Response."""
    summary = _Summary()
    summary.response_id = getattr(result, "id", None)
    summary.response_model = getattr(result, "model", None)
    usage = getattr(result, "usage", None)
    kind = getattr(result, "object", None) or getattr(result, "type", None)
    if kind == "chat.completion":
        summary.finish_reasons = [c.finish_reason for c in result.choices if c.finish_reason]
        summary.text = [c.message.content for c in result.choices[:1] if c.message.content]
        summary.usage = TokenUsage.from_openai_chat(usage) if usage is not None else None
    elif kind == "message":
        summary.text = [block.text for block in result.content if block.type == "text"]
        if result.stop_reason:
            summary.finish_reasons = [result.stop_reason]
        summary.usage = TokenUsage.from_anthropic(usage) if usage is not None else None
    elif kind == "response":
        summary.text = [result.output_text] if result.output_text else []
        summary.finish_reasons = [result.status] if getattr(result, "status", None) else []
        summary.usage = TokenUsage.from_openai_responses(usage) if usage is not None else None
    elif kind == "list" and usage is not None:  # embeddings
        summary.usage = TokenUsage(input_tokens=getattr(usage, "prompt_tokens", 0) or 0)
    return summary


class _StreamSummary:
    """Accumulates what a stream says about itself: chat chunks, Anthropic events, Responses events."""

    __slots__ = ("_anthropic_start", "_summary")

    def __init__(self) -> None:
        self._summary = _Summary()
        self._anthropic_start: Any = None

    def feed(self, item: Any) -> None:
        summary = self._summary
        kind = getattr(item, "object", None) or getattr(item, "type", None)
        if kind == "chat.completion.chunk":
            summary.response_id = summary.response_id or item.id
            summary.response_model = summary.response_model or item.model
            for choice in item.choices:
                if choice.finish_reason:
                    summary.finish_reasons.append(choice.finish_reason)
                if choice.index == 0 and choice.delta.content:
                    summary.text.append(choice.delta.content)
            if item.usage is not None:
                summary.usage = TokenUsage.from_openai_chat(item.usage)
        elif kind == "message_start":
            message = item.message
            summary.response_id, summary.response_model = message.id, message.model
            self._anthropic_start = message.usage
        elif kind == "content_block_delta":
            if item.delta.type == "text_delta":
                summary.text.append(item.delta.text)
        elif kind == "message_delta":
            if item.delta.stop_reason:
                summary.finish_reasons.append(item.delta.stop_reason)
            merged: dict[str, Any] = {}
            start = self._anthropic_start
            for field in ("input_tokens", "cache_read_input_tokens", "cache_creation_input_tokens"):
                value = getattr(item.usage, field, None)
                merged[field] = value if value is not None else getattr(start, field, 0) or 0
            merged["output_tokens"] = item.usage.output_tokens
            creation = getattr(start, "cache_creation", None)
            if creation is not None:
                merged["cache_creation"] = creation
            summary.usage = TokenUsage.from_anthropic(merged)
        elif kind == "response.completed":
            inner = _summary(item.response)
            summary.response_id, summary.response_model = inner.response_id, inner.response_model
            summary.finish_reasons, summary.usage = inner.finish_reasons, inner.usage

    def result(self) -> _Summary:
        return self._summary


def _parts(content: Any) -> list[dict[str, Any]]:
    """Semantic-convention parts of a message content (text kept, other parts named by type)."""
    if isinstance(content, str):
        return [{"type": "text", "content": content}]
    parts: list[dict[str, Any]] = []
    for part in content or ():
        part = part if isinstance(part, Mapping) else getattr(part, "model_dump", dict)()
        kind = part.get("type")
        if kind in ("text", "input_text", "output_text"):
            parts.append({"type": "text", "content": part.get("text", "")})
        elif kind is not None:
            parts.append({"type": str(kind)})
    return parts


def _content_attributes(operation: str, params: Mapping[str, Any]) -> dict[str, str]:
    """gen_ai.input.messages and gen_ai.system_instructions, as JSON strings (content capture only)."""
    system: list[dict[str, Any]] = []
    messages: list[dict[str, Any]] = []
    if operation == "responses":
        if params.get("instructions"):
            system = _parts(params["instructions"])
        raw = params.get("input")
        items = [{"role": "user", "content": raw}] if isinstance(raw, str) else list(raw or ())
    else:
        if operation == "messages" and params.get("system"):
            system = _parts(params["system"])
        items = list(params.get("messages") or ())
    for item in items:
        item = item if isinstance(item, Mapping) else getattr(item, "model_dump", dict)()
        role = item.get("role", "user")
        if role in ("system", "developer"):
            system.extend(_parts(item.get("content")))
        else:
            messages.append({"role": role, "parts": _parts(item.get("content"))})
    attributes = {GEN_AI_INPUT_MESSAGES: json.dumps(messages, ensure_ascii=False)}
    if system:
        attributes[GEN_AI_SYSTEM_INSTRUCTIONS] = json.dumps(system, ensure_ascii=False)
    return attributes


def _usage_chunk(item: Any) -> bool:
    """OpenAI's extra last chunk: no choices, only usage."""
    return (
        getattr(item, "object", None) == "chat.completion.chunk"
        and not item.choices
        and item.usage is not None
    )


def _request_attributes(
    operation: str, provider: str, kind: str, model: str, params: Mapping[str, Any], server: Any
) -> dict[str, Any]:
    attributes: dict[str, Any] = {
        GEN_AI_OPERATION_NAME: _GENAI_OPERATION.get(operation, operation),
        GEN_AI_PROVIDER_NAME: kind if provider == kind else provider,
        GEN_AI_REQUEST_MODEL: model,
    }
    if server is not None:
        host, port = server
        attributes[SERVER_ADDRESS] = host
        if port is not None:
            attributes[SERVER_PORT] = port
    limit = params.get("max_completion_tokens") or params.get("max_tokens") or params.get("max_output_tokens")
    if isinstance(limit, int):
        attributes[GEN_AI_REQUEST_MAX_TOKENS] = limit
    for key, name in (("temperature", GEN_AI_REQUEST_TEMPERATURE), ("top_p", GEN_AI_REQUEST_TOP_P)):
        value = params.get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            attributes[name] = float(value)
    if params.get("stream"):
        attributes[GEN_AI_REQUEST_STREAM] = True
    stop = params.get("stop") or params.get("stop_sequences")
    if isinstance(stop, str):
        attributes[GEN_AI_REQUEST_STOP_SEQUENCES] = [stop]
    elif isinstance(stop, (list, tuple)) and all(isinstance(item, str) for item in stop):
        attributes[GEN_AI_REQUEST_STOP_SEQUENCES] = list(stop)
    seed = params.get("seed")
    if isinstance(seed, int) and not isinstance(seed, bool):
        attributes[GEN_AI_REQUEST_SEED] = seed
    choices = params.get("n")
    if isinstance(choices, int) and choices != 1:
        attributes[GEN_AI_REQUEST_CHOICE_COUNT] = choices
    return attributes


def _error_type(error: BaseException) -> str:
    body = getattr(error, "body", None)
    if isinstance(body, dict):
        inner = body.get("error")
        code = (inner if isinstance(inner, dict) else body).get("type")
        if isinstance(code, str):
            return code
    return type(error).__name__
