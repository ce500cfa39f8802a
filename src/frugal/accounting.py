"""One call's accounting, and the observers that report it.

:class:`CallAccount` is a plain value: who made the call and what routing decided, then each attempt's
usage priced once (:meth:`CallAccount.charge`), the baseline's cost on the same usage, the savings, the
outcome and the latency. It knows neither spans nor ledgers. The call plan (:mod:`frugal._plan`) fills it
and tells every :class:`CallObserver` what happened: telemetry (:mod:`frugal.telemetry`: spans and
metrics) and the budgets' settlement (:mod:`frugal.budgets.settlement`: the ledger) read the same
account, so the ledger's sum of costs and the spans' are the same floats. Observers are independent of
each other and never raise into the caller (the plan catches and logs what they raise).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from .catalog import ModelInfo, cache_savings, price
from .usage import TokenUsage

if TYPE_CHECKING:
    from .providers.base import AnswerSummary
    from .routing import Decision

__all__ = ["Attempt", "CallAccount", "CallObserver"]

_NO_USAGE = TokenUsage()


@dataclass(slots=True)
class Attempt:
    """One vendor request of a call.

    Attributes:
        index: its position among the call's attempts (0 for the first).
        provider, kind, model: where it went (the provider's name and wire format, the model sent).
        info: the model's catalog entry (prices), or None.
        params: the arguments sent (the caller's, with the model and any stream option frugal added).
        server: (host, port) of the provider, when known.
        step: the cascade step it belongs to (0: the first).
        started: ``time.perf_counter()`` when it was sent.
        summary: what the answer said (after it, or its stream, ended).
        cost: its cost (None: unknown, or no answer).
        error: the exception it ended with, if any.
    """

    index: int
    provider: str
    kind: str
    model: str
    info: ModelInfo | None
    params: Mapping[str, Any]
    server: tuple[str, int | None] | None = None
    step: int = 0
    started: float = field(default_factory=time.perf_counter)
    summary: AnswerSummary | None = None
    cost: float | None = None
    error: BaseException | None = None


class CallAccount:
    """The who, what and money of one client call, all attempts together.

    Attributes:
        operation: the client operation (``chat``, ``messages``, ``responses``, ``embeddings``, ...).
        requested: the model the caller named, when it is a string.
        metadata: the call's routing context (user, team, feature, ...).
        decision: the routing decision in force (the last cascade step's), or None for an unrouted call.
        time: when the call started, seconds since the epoch (the clock the client was given).
        usage: tokens of all attempts.
        cost: USD of all attempts; None as soon as one attempt's price is unknown (never a silent 0).
        attempts: vendor requests made.
        model, provider: the last model attempted and its provider (the one that answered, on success).
        baseline: the model whose price on the same usage is the baseline (None: no savings figure).
        baseline_cost, savings: computed by :meth:`close` (None when unknown).
        outcome: ``"ok"``, ``"error"``, ``"abandoned"`` (a stream closed before its end) or ``"blocked"``.
        error_type: the exception class name of a failed call.
        escalations: how many times a cascade moved the call up a tier.
        tier: the tier of the last cascade step (None: the decision's tier stands).
        latency_s: seconds from the start of the call to its end (a stream's end), after close.
        trace_id: the call span's trace id, when spans are recorded.
        finish_reason: how the last answer ended (its first finish or stop reason), when known.
        service_tier: the vendor service tier that served the last answer, when it says.
        cache_savings: USD prompt caching saved (reads at their discount, less writes' premium); None when
            a price is unknown.
        response_id: the last answer's id, as the vendor gave it (the call's id for ``client.feedback``).
        shadow_of: the call this one shadows (a shadow comparison), or None.
        closed: :meth:`close` ran.
    """

    __slots__ = (
        "_priced",
        "_started",
        "attempts",
        "baseline",
        "baseline_cost",
        "cache_savings",
        "closed",
        "cost",
        "decision",
        "error_type",
        "escalations",
        "finish_reason",
        "latency_s",
        "metadata",
        "model",
        "operation",
        "outcome",
        "provider",
        "requested",
        "response_id",
        "savings",
        "service_tier",
        "shadow_of",
        "tier",
        "time",
        "trace_id",
        "usage",
    )

    def __init__(
        self,
        operation: str,
        *,
        requested: str | None = None,
        metadata: Mapping[str, str] | None = None,
        decision: Decision | None = None,
        time_s: float | None = None,
    ) -> None:
        self.operation = operation
        self.requested = requested
        self.metadata: Mapping[str, str] = metadata if metadata is not None else {}
        self.decision = decision
        self.time = time.time() if time_s is None else time_s
        self.usage = _NO_USAGE
        self.cost: float | None = 0.0
        self.attempts = 0
        self.model: str | None = None
        self.provider: str | None = None
        self.baseline: ModelInfo | None = None
        self.baseline_cost: float | None = None
        self.savings: float | None = None
        self.outcome = "ok"
        self.error_type: str | None = None
        self.escalations = 0
        self.tier: str | None = None
        self.latency_s = 0.0
        self.trace_id: str | None = None
        self.finish_reason: str | None = None
        self.service_tier: str | None = None
        self.cache_savings: float | None = 0.0
        self.response_id: str | None = None
        self.shadow_of: str | None = None
        self.closed = False
        self._started = time.perf_counter()
        self._priced: list[ModelInfo | None] = []

    def count_attempt(self, provider: str, model: str) -> int:
        """One more vendor request, to ``model`` on ``provider``; returns its index."""
        self.attempts += 1
        self.model = model
        self.provider = provider
        return self.attempts - 1

    def charge(self, info: ModelInfo | None, usage: TokenUsage) -> float | None:
        """Add one attempt's usage, priced once; its cost (None when the price is unknown)."""
        self.usage = usage if self.usage is _NO_USAGE else self.usage + usage
        self._priced.append(info)
        cost = price(info, usage) if info is not None else None
        if cost is None:
            self.cost = None
        elif self.cost is not None:
            self.cost += cost
        saved = cache_savings(info, usage) if info is not None else None
        if saved is None:
            self.cache_savings = None
        elif self.cache_savings is not None:
            self.cache_savings += saved
        return cost

    def close(self, error: BaseException | None = None, *, abandoned: bool = False) -> None:
        """The call ended: outcome, latency, baseline cost and savings (once)."""
        if self.closed:
            return
        self.closed = True
        self.latency_s = time.perf_counter() - self._started
        if error is not None:
            self.outcome = "error"
            self.error_type = type(error).__name__
        elif abandoned:
            self.outcome = "abandoned"
        baseline = self.baseline
        if baseline is not None and self.usage.input_tokens + self.usage.output_tokens:
            # One attempt charged on the baseline model itself (an unrouted call): the same price.
            same = len(self._priced) == 1 and self._priced[0] is baseline
            self.baseline_cost = self.cost if same else price(baseline, self.usage)
            if self.baseline_cost is not None and self.cost is not None:
                self.savings = self.baseline_cost - self.cost


class CallObserver(Protocol):
    """Something that reports calls (spans and metrics; the ledger). Every method does nothing here: an
    observer that subclasses it overrides only what it notes."""

    def event(self, name: str, attributes: Mapping[str, Any]) -> None:
        """Something worth noting happened before the call was sent (a budget threshold, a downgrade)."""
        return

    def attempt_started(self, account: CallAccount, attempt: Attempt) -> None:
        """A vendor request is about to be sent."""
        return

    def first_chunk(self, account: CallAccount, attempt: Attempt) -> None:
        """A stream's first item arrived."""
        return

    def attempt_ended(self, account: CallAccount, attempt: Attempt) -> None:
        """A vendor request ended: ``attempt.summary`` and ``attempt.cost``, or ``attempt.error``."""
        return

    def escalated(self, account: CallAccount, failed_model: str, step: Decision, reason: str) -> None:
        """A cascade moved the call on to ``step`` because the answer of ``failed_model`` failed."""
        return

    def finished(self, account: CallAccount, error: BaseException | None) -> None:
        """The call ended (``account`` is closed: totals, baseline, savings, outcome)."""
        return
