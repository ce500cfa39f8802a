"""OpenTelemetry spans and metrics for every call: an observer of the call's account.

Through ``opentelemetry-api`` only (the global tracer provider, or one given to the client). Two levels:

- one **call span** per client call (``frugal {operation}``), carrying the decision and the totals:
  requested and chosen model, tier, route, reasons, classifier and score, policy id, attempts, the cost
  of all attempts, the baseline's cost on the same usage, the savings, and the routing context;
- one **attempt span** per vendor request (``{gen_ai.operation.name} {model}``, kind CLIENT) with the
  GenAI semantic-convention attributes (v1.41) and the attempt's cost.

:meth:`Telemetry.observe` gives a call its :class:`CallSpans` (a
:class:`~frugal.accounting.CallObserver`), or None when nothing is exported. The money is read from the
call's :class:`~frugal.accounting.CallAccount`, the same values the ledger records. Spans end exactly
once: the call plan tells the observer when an attempt and the call end (a stream: at its end, on an
error, or when the caller abandons it). Telemetry never breaks a call: every failure inside it is caught,
logged once, and ignored. Prompt and answer text never reach a span unless content capture is on. The
names are constants in :mod:`frugal.semconv`, documented in ``docs/telemetry.md``.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from opentelemetry import metrics, trace
from opentelemetry.trace import SpanKind, Status, StatusCode

from ._context import hash_user
from ._util import log_once
from .semconv import (
    DURATION_BUCKETS,
    ERROR_TYPE,
    FRUGAL_ATTEMPTS,
    FRUGAL_CACHE_SAVINGS_USD,
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
    FRUGAL_SHADOW_OF,
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
    GEN_AI_USAGE_COST,
    GEN_AI_USAGE_COST_AMOUNT,
    GEN_AI_USAGE_COST_CURRENCY,
    GEN_AI_USAGE_COST_SOURCE,
    GEN_AI_USAGE_INPUT_TOKENS,
    GEN_AI_USAGE_OUTPUT_TOKENS,
    GEN_AI_USAGE_REASONING,
    LLM_COST_TOTAL,
    LLM_MODEL_NAME,
    LLM_PROVIDER,
    LLM_TOKEN_COUNT_CACHE_READ,
    LLM_TOKEN_COUNT_COMPLETION,
    LLM_TOKEN_COUNT_PROMPT,
    LLM_TOKEN_COUNT_TOTAL,
    METRIC_COST,
    METRIC_OPERATION_DURATION,
    METRIC_SAVINGS,
    METRIC_TIME_TO_FIRST_CHUNK,
    METRIC_TOKEN_USAGE,
    OPENINFERENCE_SPAN_KIND,
    OPERATION_COST,
    SPAN_CONVENTIONS,
    TOKEN_BUCKETS,
    content_attributes,
    error_type,
    request_attributes,
)

if TYPE_CHECKING:
    from .accounting import Attempt, CallAccount
    from .routing import Decision
    from .usage import TokenUsage

__all__ = ["CallSpans", "Telemetry"]

log = logging.getLogger("frugal.telemetry")

_METRIC_KEYS = (GEN_AI_OPERATION_NAME, GEN_AI_PROVIDER_NAME, GEN_AI_REQUEST_MODEL)


def _guarded(where: str, exc: BaseException) -> None:
    """Log a telemetry failure once per place; never let it reach the caller."""
    log_once(
        log, where, "frugal telemetry failed in %s (%s); the call is unaffected", where, type(exc).__name__
    )


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


def _compatible(conventions: frozenset[str], attempt: Attempt, usage: TokenUsage) -> dict[str, Any]:
    """The attributes other backends read for an attempt's usage and cost (policy ``span_conventions``)."""
    attributes: dict[str, Any] = {}
    cost = attempt.cost
    if "openinference" in conventions:
        attributes[OPENINFERENCE_SPAN_KIND] = "LLM"
        attributes[LLM_MODEL_NAME] = attempt.model
        attributes[LLM_PROVIDER] = attempt.kind
        attributes[LLM_TOKEN_COUNT_PROMPT] = usage.input_tokens
        attributes[LLM_TOKEN_COUNT_COMPLETION] = usage.output_tokens
        attributes[LLM_TOKEN_COUNT_TOTAL] = usage.input_tokens + usage.output_tokens
        attributes[LLM_TOKEN_COUNT_CACHE_READ] = usage.cache_read_tokens
        if cost is not None:
            attributes[LLM_COST_TOTAL] = cost
    if cost is not None and "langfuse" in conventions:
        attributes[GEN_AI_USAGE_COST] = cost
    if cost is not None and "logfire" in conventions:
        attributes[OPERATION_COST] = cost
    return attributes


class Telemetry:
    """The spans and metrics of one client."""

    def __init__(
        self,
        tracer_provider: Any = None,
        meter_provider: Any = None,
        *,
        policy_id: str,
        hash_users: bool = False,
        capture_content: bool = False,
        conventions: tuple[str, ...] = SPAN_CONVENTIONS,
        version: str = "",
    ) -> None:
        opted_in = os.environ.get("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "").strip().lower()
        stability = os.environ.get("OTEL_SEMCONV_STABILITY_OPT_IN", "")
        # The newest GenAI names only (no v1.41 duplicates) when the user opts in to them.
        self.latest = "gen_ai_latest_experimental" in {part.strip() for part in stability.split(",")}
        self.capture = capture_content or opted_in in ("true", "1", "yes", "span_only", "span_and_event")
        try:
            self.tracer = trace.get_tracer("frugal", version, tracer_provider=tracer_provider)
        except Exception as exc:
            _guarded("get_tracer", exc)
            self.tracer = trace.NoOpTracer()
        self._explicit_meter = meter_provider is not None
        self._instruments: _Instruments | None
        try:
            self._instruments = _Instruments(
                metrics.get_meter("frugal", version, meter_provider=meter_provider)
            )
        except Exception as exc:
            _guarded("get_meter", exc)
            self._instruments = None
        self.policy_id = policy_id
        self.hash_users = hash_users
        self.conventions = frozenset(conventions)

    def _metering(self) -> _Instruments | None:
        """The instruments, when a meter provider is in use (given, or a global SDK one); else None."""
        if self._instruments is None:
            return None
        if self._explicit_meter or type(metrics.get_meter_provider()).__name__ != "_ProxyMeterProvider":
            return self._instruments
        return None

    def observe(self, account: CallAccount) -> CallSpans | None:
        """The spans of one call (None when nothing is exported: no SDK configured, or sampled out)."""
        try:
            name = (
                f"frugal shadow {account.operation}" if account.shadow_of else f"frugal {account.operation}"
            )
            span = self.tracer.start_span(name, kind=SpanKind.INTERNAL)
        except Exception as exc:
            _guarded("start_call", exc)
            return None
        instruments = self._metering()
        if not span.is_recording() and instruments is None:
            span.end()
            return None
        spans = CallSpans(self, span, instruments)
        try:
            spans.describe(account)
        except Exception as exc:
            _guarded("describe", exc)
        return spans


class CallSpans:
    """The call span of one call and its attempt spans; a :class:`~frugal.accounting.CallObserver`."""

    def __init__(self, telemetry: Telemetry, span: Any, instruments: _Instruments | None) -> None:
        self._telemetry = telemetry
        self._span = span
        self._instruments = instruments
        self._attempts: dict[int, Any] = {}
        self._labels: dict[int, dict[str, Any]] = {}
        self._metric_attributes: dict[str, Any] = {}
        self._last_labels: Mapping[str, Any] = {}

    @property
    def trace_id(self) -> str | None:
        """The call span's trace id (32 hex digits), when it is recorded."""
        context = self._span.get_span_context()
        return format(context.trace_id, "032x") if context.is_valid else None

    def describe(self, account: CallAccount) -> None:
        """The call's decision and routing context, on the call span."""
        metadata = account.metadata
        attributes: dict[str, Any] = {FRUGAL_POLICY_ID: self._telemetry.policy_id}
        if account.shadow_of:  # its cost is the shadow's, never the call's: told apart in metrics too
            attributes[FRUGAL_SHADOW_OF] = account.shadow_of
            self._metric_attributes["frugal.shadow"] = True
        if "team" in metadata:
            self._metric_attributes[FRUGAL_TEAM] = metadata["team"]
        for key, name in (("user", FRUGAL_USER), ("team", FRUGAL_TEAM), ("feature", FRUGAL_FEATURE)):
            value = metadata.get(key)
            if value is not None:
                attributes[name] = hash_user(value) if key == "user" and self._telemetry.hash_users else value
        decision = account.decision
        if decision is not None:
            self._metric_attributes[FRUGAL_ROUTE_TIER] = decision.tier
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
        account.trace_id = self.trace_id

    def event(self, name: str, attributes: Mapping[str, Any]) -> None:
        self._span.add_event(name, attributes)

    def attempt_started(self, account: CallAccount, attempt: Attempt) -> None:
        telemetry = self._telemetry
        attributes = request_attributes(
            account.operation, attempt.provider, attempt.kind, attempt.model, attempt.params, attempt.server
        )
        self._labels[attempt.index] = {k: attributes[k] for k in _METRIC_KEYS if k in attributes}
        if attempt.step:
            attributes[FRUGAL_CASCADE_STEP] = attempt.step
        if telemetry.capture:
            attributes.update(content_attributes(account.operation, attempt.params))
        self._attempts[attempt.index] = telemetry.tracer.start_span(
            f"{attributes[GEN_AI_OPERATION_NAME]} {attempt.model}",
            kind=SpanKind.CLIENT,
            context=trace.set_span_in_context(self._span),
            attributes=attributes,
        )

    def first_chunk(self, account: CallAccount, attempt: Attempt) -> None:
        if self._instruments is not None:
            labels = self._labels.get(attempt.index, {})
            self._instruments.time_to_first_chunk.record(time.perf_counter() - attempt.started, labels)

    def attempt_ended(self, account: CallAccount, attempt: Attempt) -> None:
        span = self._attempts.pop(attempt.index, None)
        if span is None:
            return
        labels = self._labels.pop(attempt.index, {})
        try:
            if attempt.summary is not None:
                self._record(span, attempt, labels)
            if attempt.error is not None:
                kind = error_type(attempt.error)
                span.set_status(Status(StatusCode.ERROR, type(attempt.error).__name__))
                span.set_attribute(ERROR_TYPE, kind)
                labels = {**labels, ERROR_TYPE: kind}
        finally:
            span.end()
        if self._instruments is not None:
            self._instruments.duration.record(time.perf_counter() - attempt.started, labels)

    def _record(self, span: Any, attempt: Attempt, labels: Mapping[str, Any]) -> None:
        summary = attempt.summary
        assert summary is not None
        attributes: dict[str, Any] = {}
        if summary.response_id:
            attributes[GEN_AI_RESPONSE_ID] = summary.response_id
        if summary.response_model:
            attributes[GEN_AI_RESPONSE_MODEL] = summary.response_model
        if summary.finish_reasons:
            attributes[GEN_AI_RESPONSE_FINISH_REASONS] = summary.finish_reasons
        if self._telemetry.capture and summary.text:
            output = [{"role": "assistant", "parts": [{"type": "text", "content": "".join(summary.text)}]}]
            attributes[GEN_AI_OUTPUT_MESSAGES] = json.dumps(output, ensure_ascii=False)
        usage = summary.usage
        if usage is not None:
            written = usage.cache_write_tokens + usage.cache_write_1h_tokens
            attributes[GEN_AI_USAGE_INPUT_TOKENS] = usage.input_tokens
            attributes[GEN_AI_USAGE_OUTPUT_TOKENS] = usage.output_tokens
            attributes[GEN_AI_USAGE_CACHE_READ] = usage.cache_read_tokens
            if not self._telemetry.latest:
                attributes[GEN_AI_USAGE_CACHE_CREATION] = written  # v1.41: what Arize Phoenix reads
            attributes[GEN_AI_USAGE_CACHE_WRITE] = written
            attributes[GEN_AI_USAGE_REASONING] = usage.reasoning_tokens
            if self._instruments is not None:
                self._last_labels = labels
                for token_type, count in (("input", usage.input_tokens), ("output", usage.output_tokens)):
                    self._instruments.tokens.record(count, {**labels, GEN_AI_TOKEN_TYPE: token_type})
            if attempt.cost is not None:
                attributes[FRUGAL_COST_USD] = attempt.cost
                attributes[GEN_AI_USAGE_COST_AMOUNT] = attempt.cost
                attributes[GEN_AI_USAGE_COST_CURRENCY] = "USD"
                attributes[GEN_AI_USAGE_COST_SOURCE] = "local"
            attributes.update(_compatible(self._telemetry.conventions, attempt, usage))
        span.set_attributes(attributes)

    def escalated(self, account: CallAccount, failed_model: str, step: Decision, reason: str) -> None:
        self._metric_attributes[FRUGAL_ROUTE_TIER] = step.tier
        self._span.add_event(
            FRUGAL_CASCADE_ESCALATED,
            {
                FRUGAL_CASCADE_FROM_MODEL: failed_model,
                FRUGAL_CASCADE_REASON: reason,
                FRUGAL_ROUTE_MODEL: step.model,
                FRUGAL_ROUTE_TIER: step.tier,
            },
        )
        self._span.set_attributes(
            {
                FRUGAL_ROUTE_MODEL: step.model,
                FRUGAL_ROUTE_TIER: step.tier,
                FRUGAL_CASCADE_ESCALATIONS: account.escalations,
            }
        )

    def finished(self, account: CallAccount, error: BaseException | None) -> None:
        span = self._span
        try:
            attributes: dict[str, Any] = {FRUGAL_ATTEMPTS: account.attempts}
            if account.cost is not None:
                attributes[FRUGAL_COST_USD] = account.cost
            if account.baseline_cost is not None:
                attributes[FRUGAL_COST_BASELINE_USD] = account.baseline_cost
            if account.savings is not None:
                attributes[FRUGAL_SAVINGS_USD] = account.savings
            if account.cache_savings:
                attributes[FRUGAL_CACHE_SAVINGS_USD] = account.cache_savings
            if error is not None:
                span.set_status(Status(StatusCode.ERROR, type(error).__name__))
                attributes[ERROR_TYPE] = type(error).__name__
            span.set_attributes(attributes)
            if self._instruments is not None and account.cost is not None:
                labels = {**self._metric_attributes, **self._last_labels}
                self._instruments.cost.add(account.cost, labels)
                if account.savings is not None:
                    self._instruments.savings.add(account.savings, labels)
        finally:
            span.end()
