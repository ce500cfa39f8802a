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
span. The names are constants in :mod:`frugal.semconv`, documented in ``docs/telemetry.md``.

The money (usage, cost, baseline, savings) is the call's account: :class:`CallTelemetry` *is* a
:class:`~frugal._accounting.CallAccount`, computed once and read by the spans, the metrics and the
ledger alike. With nothing exported and no ledger, one shared null telemetry does nothing; with a ledger,
the ledger's ticket (a :class:`CallTelemetry` too) is the call's telemetry: *accounting-only* when
nothing is exported (the answers' usage is read, no span attribute is built), given the call span by
:meth:`Telemetry.start_call` when something is.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import AsyncIterator, Iterator, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, ClassVar

from opentelemetry import metrics, trace
from opentelemetry.trace import SpanKind, Status, StatusCode

from ._accounting import CallAccount
from ._telemetry_answers import (
    _answer_usage,
    _content_attributes,
    _error_type,
    _request_attributes,
    _StreamSummary,
    _Summary,
    _summary,
)
from .catalog import ModelInfo
from .semconv import (
    DURATION_BUCKETS,
    ERROR_TYPE,
    FRUGAL_ATTEMPTS,
    FRUGAL_CASCADE_ESCALATED,
    FRUGAL_CASCADE_ESCALATIONS,
    FRUGAL_CASCADE_FROM_MODEL,
    FRUGAL_CASCADE_REASON,
    FRUGAL_CASCADE_STEP,
    FRUGAL_CLASSIFIER_FAILED,
    FRUGAL_CLASSIFIER_NAME,
    FRUGAL_CLASSIFIER_SCORE,
    FRUGAL_COST_BASELINE_USD,
    FRUGAL_COST_USD,
    FRUGAL_FEATURE,
    FRUGAL_POLICY_ID,
    FRUGAL_ROUTE_BASELINE_MODEL,
    FRUGAL_ROUTE_MODEL,
    FRUGAL_ROUTE_NAME,
    FRUGAL_ROUTE_REASONS,
    FRUGAL_ROUTE_REQUESTED_MODEL,
    FRUGAL_ROUTE_TIER,
    FRUGAL_SAVINGS_USD,
    FRUGAL_TEAM,
    FRUGAL_USER,
    GEN_AI_OPERATION_NAME,
    GEN_AI_OUTPUT_MESSAGES,
    GEN_AI_PROVIDER_NAME,
    GEN_AI_REQUEST_MODEL,
    GEN_AI_RESPONSE_FINISH_REASONS,
    GEN_AI_RESPONSE_ID,
    GEN_AI_RESPONSE_MODEL,
    GEN_AI_TOKEN_TYPE,
    GEN_AI_USAGE_CACHE_CREATION,
    GEN_AI_USAGE_CACHE_READ,
    GEN_AI_USAGE_CACHE_WRITE,
    GEN_AI_USAGE_COST_AMOUNT,
    GEN_AI_USAGE_COST_CURRENCY,
    GEN_AI_USAGE_COST_SOURCE,
    GEN_AI_USAGE_INPUT_TOKENS,
    GEN_AI_USAGE_OUTPUT_TOKENS,
    GEN_AI_USAGE_REASONING,
    METRIC_COST,
    METRIC_OPERATION_DURATION,
    METRIC_SAVINGS,
    METRIC_TIME_TO_FIRST_CHUNK,
    METRIC_TOKEN_USAGE,
    TOKEN_BUCKETS,
)

if TYPE_CHECKING:
    from .routing import Decision

__all__ = ["AttemptTelemetry", "CallTelemetry", "Telemetry"]

log = logging.getLogger("frugal.telemetry")

_METRIC_KEYS = (GEN_AI_OPERATION_NAME, GEN_AI_PROVIDER_NAME, GEN_AI_REQUEST_MODEL)
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
        self,
        operation: str,
        decision: Decision | None,
        params: Mapping[str, Any],
        *,
        metadata: Mapping[str, str] | None = None,
        account: CallTelemetry | None = None,
    ) -> CallTelemetry:
        """The span of one client call (ended by :meth:`CallTelemetry.finish`).

        Args:
            operation: the client operation (``chat``, ``messages``, ...).
            decision: the routing decision, when one was made.
            params: the caller's arguments.
            metadata: the call's routing context, when the caller already gathered it.
            account: a call telemetry the caller made, not exporting yet (the ledger's ticket, which
                needs the call's usage and cost even when nothing is exported): it is returned, given the
                call span when something is exported, so the call keeps one object for its account, its
                telemetry and its admission.
        """
        try:
            span = self._tracer.start_span(f"frugal {operation}", kind=SpanKind.INTERNAL)
        except Exception as exc:
            _guarded("start_call", exc)
            span = trace.INVALID_SPAN
        instruments = self._metering()
        if not span.is_recording() and instruments is None:
            span.end()  # nothing is exported (no SDK configured, or sampled out): no span state
            return account if account is not None else _NULL_CALL
        if account is not None:
            call = account
            call.export_to(self._tracer, span, instruments)
        else:
            call = CallTelemetry(self._tracer, span, operation, instruments)
        call.capture = self._capture
        call.latest = self._latest
        try:
            from ._context import call_metadata

            context = metadata if metadata is not None else call_metadata(operation, params)
            call.describe(decision, context, self._policy_id, self._hash_users)
        except Exception as exc:
            _guarded("describe", exc)
        return call


class CallTelemetry(CallAccount):
    """The call span and its attempts; also the call's account (usage, cost, baseline, savings: what the
    ledger records too), so that a call keeps one object for both. Ends exactly once.

    Attributes:
        operation: the client operation (``chat``, ``messages``, ...).
        exporting: spans or metrics are exported (False: accounting only, for a ledger).
    """

    #: Whether the answers' usage is read (spans exported, or a ledger records the call): a class
    #: attribute, read on every call without a property's call.
    observing: ClassVar[bool] = True

    __slots__ = (
        "_instruments",
        "_span",
        "_tracer",
        "attempt_tags",
        "capture",
        "ended",
        "exporting",
        "last_model",
        "latest",
        "metric_attributes",
        "operation",
    )

    def __init__(
        self,
        tracer: Any,
        span: Any,
        operation: str,
        instruments: _Instruments | None = None,
        *,
        exporting: bool = True,
    ) -> None:
        CallAccount.__init__(self)
        self._tracer = tracer
        self._span = span
        self.operation = operation
        self._instruments = instruments
        # Written to only while exporting (describe, escalate): an accounting-only call shares one empty
        # dict instead of allocating its own (and a call kept by the memory ledger keeps none).
        self.metric_attributes: dict[str, Any] = {} if exporting else _UNUSED_LABELS
        self.last_model: Mapping[str, Any] = _NO_LABELS
        self.capture = False
        self.latest = False
        self.exporting = exporting
        self.attempt_tags: Mapping[str, Any] = _NO_LABELS
        self.ended = False

    def export_to(self, tracer: Any, span: Any, instruments: _Instruments | None) -> None:
        """Export this (so far accounting-only) call: its span, and the metric instruments if any."""
        self._tracer = tracer
        self._span = span
        self._instruments = instruments
        self.exporting = True
        self.metric_attributes = {}

    def release(self) -> None:
        """Let go of the span state of an ended call (a call kept for its record keeps only its numbers)."""
        self._tracer = None
        self._span = trace.INVALID_SPAN
        self._instruments = None
        self.exporting = False
        self.metric_attributes, self.last_model, self.attempt_tags = _UNUSED_LABELS, _NO_LABELS, _NO_LABELS

    @property
    def trace_id(self) -> str | None:
        """The call span's trace id (32 hex digits), when the span is recorded."""
        if not self.exporting:
            return None
        context = self._span.get_span_context()
        return format(context.trace_id, "032x") if context.is_valid else None

    def event(self, name: str, attributes: Mapping[str, Any]) -> None:
        """An event on the call span (budget thresholds), when it is exported."""
        if self.exporting:
            try:
                self._span.add_event(name, attributes)
            except Exception as exc:
                _guarded("event", exc)

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
        self.baseline = info

    def escalate(self, failed_model: str, decision: Decision, reason: str) -> None:
        """A cascade moves on to ``decision`` because the answer of ``failed_model`` failed ``reason``.

        Counted on the account (and so in the ledger); an event on the call span, whose route model and
        tier now name the new step; later attempt spans carry the step number.
        """
        self.escalations += 1
        self.tier = decision.tier
        self.attempt_tags = {FRUGAL_CASCADE_STEP: self.escalations}
        if not self.exporting:
            return
        self.metric_attributes[FRUGAL_ROUTE_TIER] = decision.tier
        try:
            self._span.add_event(
                FRUGAL_CASCADE_ESCALATED,
                {
                    FRUGAL_CASCADE_FROM_MODEL: failed_model,
                    FRUGAL_CASCADE_REASON: reason,
                    FRUGAL_ROUTE_MODEL: decision.model,
                    FRUGAL_ROUTE_TIER: decision.tier,
                },
            )
            self._span.set_attributes(
                {
                    FRUGAL_ROUTE_MODEL: decision.model,
                    FRUGAL_ROUTE_TIER: decision.tier,
                    FRUGAL_CASCADE_ESCALATIONS: self.escalations,
                }
            )
        except Exception as exc:
            _guarded("escalate", exc)

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
        self.count_attempt(provider, model)
        if not self.exporting:
            return AttemptTelemetry(self, trace.INVALID_SPAN, kind, info)
        attributes = _request_attributes(self.operation, provider, kind, model, params, server)
        if self.attempt_tags:
            attributes.update(self.attempt_tags)
        if self.capture:
            try:
                attributes.update(_content_attributes(self.operation, params))
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

    def finish(self, error: BaseException | None = None, *, abandoned: bool = False) -> None:
        """End the call (once): close the account, put totals, baseline and savings on the span."""
        if self.ended:
            return
        self.ended = True
        self.close(error, abandoned=abandoned)
        if self.exporting:
            self._export(error)

    def _export(self, error: BaseException | None) -> None:
        span = self._span
        try:
            attributes: dict[str, Any] = {FRUGAL_ATTEMPTS: self.attempts}
            cost = self.cost
            if cost is not None:
                attributes[FRUGAL_COST_USD] = cost
            if self.baseline_cost is not None:
                attributes[FRUGAL_COST_BASELINE_USD] = self.baseline_cost
            if self.savings is not None:
                attributes[FRUGAL_SAVINGS_USD] = self.savings
            if error is not None:
                span.set_status(Status(StatusCode.ERROR, type(error).__name__))
                attributes[ERROR_TYPE] = type(error).__name__
            span.set_attributes(attributes)
            instruments = self._instruments
            if instruments is not None and cost is not None:
                labels = {**self.metric_attributes, **self.last_model}
                instruments.cost.add(cost, labels)
                if self.savings is not None:
                    instruments.savings.add(self.savings, labels)
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
        call = self._call
        if not call.exporting:  # accounting only (a ledger): the usage is all that is read
            self.ended = True
            try:
                usage = _answer_usage(result)
                if usage is not None:
                    call.charge(self._info, usage)
            except Exception as exc:
                _guarded("succeed", exc)
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
        call = self._call
        usage = summary.usage
        cost = call.charge(self._info, usage) if usage is not None else None
        if not call.exporting:
            return
        attributes: dict[str, Any] = {}
        if summary.response_id:
            attributes[GEN_AI_RESPONSE_ID] = summary.response_id
        if summary.response_model:
            attributes[GEN_AI_RESPONSE_MODEL] = summary.response_model
        if summary.finish_reasons:
            attributes[GEN_AI_RESPONSE_FINISH_REASONS] = summary.finish_reasons
        if call.capture and summary.text:
            output = [{"role": "assistant", "parts": [{"type": "text", "content": "".join(summary.text)}]}]
            attributes[GEN_AI_OUTPUT_MESSAGES] = json.dumps(output, ensure_ascii=False)
        if usage is not None:
            written = usage.cache_write_tokens + usage.cache_write_1h_tokens
            attributes[GEN_AI_USAGE_INPUT_TOKENS] = usage.input_tokens
            attributes[GEN_AI_USAGE_OUTPUT_TOKENS] = usage.output_tokens
            attributes[GEN_AI_USAGE_CACHE_READ] = usage.cache_read_tokens
            if not call.latest:
                attributes[GEN_AI_USAGE_CACHE_CREATION] = written  # v1.41: what Arize Phoenix reads
            attributes[GEN_AI_USAGE_CACHE_WRITE] = written
            attributes[GEN_AI_USAGE_REASONING] = usage.reasoning_tokens
            instruments = call.instruments
            if instruments is not None:
                call.last_model = self._labels
                for token_type, count in (("input", usage.input_tokens), ("output", usage.output_tokens)):
                    instruments.tokens.record(count, {**self._labels, GEN_AI_TOKEN_TYPE: token_type})
            if cost is not None:
                attributes[FRUGAL_COST_USD] = cost
                attributes[GEN_AI_USAGE_COST_AMOUNT] = cost
                attributes[GEN_AI_USAGE_COST_CURRENCY] = "USD"
                attributes[GEN_AI_USAGE_COST_SOURCE] = "local"
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
                if summary.keep(item, hide_usage):
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
                if summary.keep(item, hide_usage):
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
        self._call.finish(None if abandoned else error, abandoned=abandoned)


class _NullCall(CallTelemetry):
    """The call telemetry when nothing is recorded: every method is a no-op, one shared instance."""

    observing: ClassVar[bool] = False

    def __init__(self) -> None:
        super().__init__(None, trace.INVALID_SPAN, "", exporting=False)
        self.ended = True

    def attempt(self, *args: Any, **kwargs: Any) -> AttemptTelemetry:
        return _NULL_ATTEMPT

    def finish(self, error: BaseException | None = None, *, abandoned: bool = False) -> None:
        return None

    def set_baseline(self, info: ModelInfo | None) -> None:
        return None

    def escalate(self, failed_model: str, decision: Decision, reason: str) -> None:
        return None


_NO_LABELS: Mapping[str, Any] = MappingProxyType({})
# The metric labels of a call that exports nothing: never written to (every write is behind `exporting`).
_UNUSED_LABELS: dict[str, Any] = {}
_NULL_CALL = _NullCall()
_NULL_ATTEMPT = AttemptTelemetry(_NULL_CALL, None, "", None)
