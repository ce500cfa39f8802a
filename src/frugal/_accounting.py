"""One call's accounting: usage, cost of every attempt, baseline cost, savings, outcome and latency.

Computed once per call and read by everything that reports money: the call and attempt spans, the cost
and savings metrics, and the ledger. So the ledger's sum of costs and the spans' sum of costs are the
same floats, not two computations that could drift apart. Only built when something reads it (spans or
metrics are exported, or a ledger records): a call with neither pays nothing for it.
"""

from __future__ import annotations

import time

from .catalog import ModelInfo, TokenUsage, price

__all__ = ["CallAccount"]

_NO_USAGE = TokenUsage()


class CallAccount:
    """The money and tokens of one client call, all attempts together.

    Attributes:
        usage: tokens of all attempts.
        cost: USD of all attempts; None as soon as one attempt's price is unknown (never a silent 0).
        attempts: vendor requests made.
        model, provider: the last model attempted and its provider (the one that answered, on success).
        baseline: the model whose price on the same usage is the baseline (None: no savings figure).
        priced: the model of the one attempt charged so far (None: none yet, or several).
        baseline_cost, savings: computed by :meth:`close` (None when unknown).
        outcome: ``"ok"``, ``"error"`` or ``"abandoned"`` (a stream closed before its end), after close.
        escalations: how many times a cascade moved the call up a tier.
        tier: the tier of the last cascade step (None: the decision's tier stands).
        error_type: the exception class name of a failed call.
        latency_s: seconds from the start of the call to its end (a stream's end), after close.
    """

    __slots__ = (
        "attempts",
        "baseline",
        "baseline_cost",
        "closed",
        "cost",
        "error_type",
        "escalations",
        "latency_s",
        "model",
        "outcome",
        "priced",
        "provider",
        "savings",
        "started",
        "tier",
        "usage",
    )

    def __init__(self) -> None:
        self.usage = _NO_USAGE
        self.cost: float | None = 0.0
        self.attempts = 0
        self.model: str | None = None
        self.provider: str | None = None
        self.baseline: ModelInfo | None = None
        self.priced: ModelInfo | None = None
        self.baseline_cost: float | None = None
        self.savings: float | None = None
        self.outcome = "ok"
        self.error_type: str | None = None
        self.latency_s = 0.0
        self.escalations = 0
        self.tier: str | None = None
        self.started = time.perf_counter()
        self.closed = False

    def count_attempt(self, provider: str, model: str) -> None:
        """One more vendor request, to ``model`` on ``provider``."""
        self.attempts += 1
        self.model = model
        self.provider = provider

    def charge(self, info: ModelInfo | None, usage: TokenUsage) -> float | None:
        """Add one attempt's usage, priced once; its cost (None when the price is unknown)."""
        if self.usage is _NO_USAGE:  # the first attempt charged (most calls have only one)
            self.usage = usage
            self.priced = info
        else:
            self.usage = self.usage + usage
            self.priced = None
        cost = price(info, usage) if info is not None else None
        if cost is None:
            self.cost = None
        elif self.cost is not None:
            self.cost += cost
        return cost

    def close(self, error: BaseException | None = None, *, abandoned: bool = False) -> None:
        """The call ended: outcome, latency, baseline cost and savings (once)."""
        if self.closed:
            return
        self.closed = True
        self.latency_s = time.perf_counter() - self.started
        if error is not None:
            self.outcome = "error"
            self.error_type = type(error).__name__
        elif abandoned:
            self.outcome = "abandoned"
        baseline = self.baseline
        if baseline is not None and self.usage.input_tokens + self.usage.output_tokens:
            # One attempt, charged on the baseline model itself (an unrouted call): the same price.
            self.baseline_cost = self.cost if baseline is self.priced else price(baseline, self.usage)
            if self.baseline_cost is not None and self.cost is not None:
                self.savings = self.baseline_cost - self.cost
