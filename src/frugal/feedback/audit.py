"""The quality audit: how good the routed answers were, measured on the deployment's own traffic.

:func:`build_audit` reads the labels of a period (:mod:`~frugal.feedback.labels`) and the ledger records of
the same period, and gives, per route and tier:

- **shadow comparisons**: how many routed answers were compared with the baseline model's (``n``), the
  share judged as good as the baseline's, a 90 % interval, and the comparisons by method;
- **cascades**: how many answers of the tier were checked, and the share that failed their checks and
  escalated (from cascade labels: each carries the tier of the answer it checked, where the ledger record
  knows only the final tier and how many steps were climbed);
- **explicit feedback** (``client.feedback()``): how many, and the share marked good;
- **savings** of the same route and tier from the ledger (the calls' own records), and what the shadow
  calls made for them cost, apart.

Nothing is claimed without its sample: every share carries ``n``, and a share of fewer than
``min_sample`` labels is flagged ``enough: false`` (shown as "n=12: too few to claim").

The intervals: for verdicts that are all 0 or 1 (shadow comparisons and cascades always are), the Wilson
score interval, which stays inside [0, 1] and behaves at small ``n`` and at shares near 0 or 1; for
fractional scores (``client.feedback(score=...)``), the normal approximation of the mean (the sample's
standard deviation), clipped to [0, 1]. The ``interval`` field names which.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from statistics import NormalDist
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from ..budgets.ledger import LedgerRecord
    from .labels import Label

__all__ = ["CONFIDENCE", "MIN_SAMPLE", "build_audit", "estimate", "wilson"]

#: The confidence of the intervals.
CONFIDENCE = 0.9
#: Fewer labels than this: the share is shown, flagged as too few to claim anything.
MIN_SAMPLE = 30

Interval = Literal["wilson", "normal"]


def _z(confidence: float) -> float:
    return NormalDist().inv_cdf(0.5 + confidence / 2)


def wilson(successes: int, n: int, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """The Wilson score interval of a share of ``successes`` in ``n`` binary outcomes.

    Raises:
        ValueError: ``n`` is not positive, or ``successes`` is not between 0 and ``n``.
    """
    if n <= 0 or not 0 <= successes <= n:
        raise ValueError(f"wilson: need 0 <= successes <= n and n > 0, got {successes} of {n}")
    z = _z(confidence)
    share = successes / n
    centre = (share + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(share * (1 - share) / n + z * z / (4 * n * n))
    # At 0 or n the bound is exactly 0 or 1; the formula leaves rounding dust (2.8e-17).
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    return low, 1.0 if successes == n else min(1.0, centre + half)


def _normal(values: Sequence[float], confidence: float) -> tuple[float, float]:
    """The normal approximation's interval of a mean, clipped to [0, 1] (one value: all of [0, 1])."""
    n = len(values)
    if n < 2:
        return 0.0, 1.0
    mean = math.fsum(values) / n
    spread = math.sqrt(math.fsum((v - mean) ** 2 for v in values) / (n - 1))
    half = _z(confidence) * spread / math.sqrt(n)
    return max(0.0, mean - half), min(1.0, mean + half)


def estimate(
    values: Iterable[float], *, confidence: float = CONFIDENCE, min_sample: int = MIN_SAMPLE
) -> dict[str, Any]:
    """The share (mean) of 0..1 values with its sample size and interval, JSON-ready.

    Returns:
        ``n``, ``share`` (None when ``n`` is 0), ``low`` and ``high`` (the interval at ``confidence``),
        ``interval`` (``wilson`` for values that are all 0 or 1, ``normal`` otherwise) and ``enough``
        (``n >= min_sample``).
    """
    found = list(values)
    n = len(found)
    if not n:
        return {"n": 0, "share": None, "low": None, "high": None, "interval": None, "enough": False}
    binary = all(v in (0.0, 1.0) for v in found)
    kind: Interval = "wilson" if binary else "normal"
    low, high = wilson(round(math.fsum(found)), n, confidence) if binary else _normal(found, confidence)
    return {
        "n": n,
        "share": math.fsum(found) / n,
        "low": low,
        "high": high,
        "interval": kind,
        "enough": n >= min_sample,
    }


_Key = tuple[str | None, str | None]


def _cascade_outcomes(labels: Iterable[Label]) -> dict[_Key, list[float]]:
    """Per (route, tier): one value per answer a cascade checked at that tier, 1 when it failed its checks.

    A call's cascade labels share its id: each answer that failed is ``escalated`` at its tier, the one kept
    is ``accepted``. An answer at the route's top tier that fails is labelled both (there is nowhere to
    escalate to: it is kept); it counts once, as failed."""
    answers: dict[tuple[str | None, str | None, str], bool] = {}
    for label in labels:
        call = label.call_id or label.id
        key = (label.route, label.tier, call)
        answers[key] = answers.get(key, False) or label.method == "escalated"
    outcomes: dict[_Key, list[float]] = {}
    for (route, tier, _call), failed in answers.items():
        outcomes.setdefault((route, tier), []).append(float(failed))
    return outcomes


def _counts(names: Iterable[str | None]) -> dict[str, int]:
    counted: dict[str, int] = {}
    for name in names:
        counted[name or "(none)"] = counted.get(name or "(none)", 0) + 1
    return dict(sorted(counted.items(), key=lambda kv: (-kv[1], kv[0])))


def _by_method(labels: Sequence[Label]) -> dict[str, dict[str, Any]]:
    methods: dict[str, list[float]] = {}
    for label in labels:
        methods.setdefault(label.method, []).append(label.good)
    return {
        method: {"n": len(values), "share": math.fsum(values) / len(values)}
        for method, values in sorted(methods.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    }


def _escalation(values: Sequence[float], confidence: float, min_sample: int) -> dict[str, Any]:
    found = estimate(values, confidence=confidence, min_sample=min_sample)
    return {"escalated": round(math.fsum(values)), **found}


def _sum(values: Iterable[float | None]) -> float:
    return math.fsum(v for v in values if v is not None)


def build_audit(
    labels: Sequence[Label],
    records: Sequence[LedgerRecord],
    *,
    tiers: Sequence[str] = (),
    confidence: float = CONFIDENCE,
    min_sample: int = MIN_SAMPLE,
    store: str = "",
) -> dict[str, Any]:
    """The quality audit of a period, JSON-ready (``frugal report``'s ``quality``).

    Args:
        labels: the period's labels (shadow comparisons, cascade outcomes, explicit feedback).
        records: the ledger's records of the same period, shadow calls included (they are told apart by
            ``shadow_of``).
        tiers: the policy's tier names, cheapest first: the order of the rows within a route.
        confidence: the intervals' confidence.
        min_sample: the fewest labels a share is claimed on.
        store: the label store's URL as shown (without a password).

    Returns:
        ``shadow``, ``cascade`` and ``feedback`` over the whole period, ``shadow_calls`` and
        ``shadow_cost_usd`` (what the shadow calls and their judge cost: never part of the calls' spend
        or savings), ``savings_usd`` (the calls'), and ``rows``: one per route and tier with calls or
        labels, each with its calls, spend, baseline, savings, shadow spend, the models compared and the
        three measures.
    """
    calls = [r for r in records if r.shadow_of is None and r.outcome != "blocked"]
    shadows = [r for r in records if r.shadow_of is not None]
    by_source: dict[str, list[Label]] = {"shadow": [], "cascade": [], "feedback": []}
    for label in labels:
        by_source.setdefault(label.source, []).append(label)

    rows: dict[_Key, dict[str, Any]] = {}

    def row(key: _Key) -> dict[str, Any]:
        if key not in rows:
            rows[key] = {"calls": [], "shadow": [], "feedback": [], "cascade": [], "shadow_cost": []}
        return rows[key]

    for record in calls:
        if record.route is not None:
            row((record.route, record.tier))["calls"].append(record)
    for label in by_source["shadow"]:
        row((label.route, label.tier))["shadow"].append(label)
    for label in by_source["feedback"]:
        row((label.route, label.tier))["feedback"].append(label)
    cascades = _cascade_outcomes(by_source["cascade"])
    for key, outcomes in cascades.items():
        row(key)["cascade"] = outcomes
    shadowed = {r.response_id: (r.route, r.tier) for r in calls if r.response_id is not None}
    for record in shadows:
        of = shadowed.get(record.shadow_of or "")
        if of is not None and of[0] is not None:
            row(of)["shadow_cost"].append(record.cost_usd)

    order = {name: index for index, name in enumerate(tiers)}

    def sort_key(key: _Key) -> tuple[Any, ...]:
        route, tier = key
        return (route is None, route != "default", route or "", order.get(tier or "", len(order)), tier or "")

    def measures(found: Sequence[float]) -> dict[str, Any]:
        return estimate(found, confidence=confidence, min_sample=min_sample)

    table = []
    for key in sorted(rows, key=sort_key):
        parts = rows[key]
        served: list[LedgerRecord] = parts["calls"]
        compared: list[Label] = parts["shadow"]
        table.append(
            {
                "route": key[0],
                "tier": key[1],
                "calls": len(served),
                "cost_usd": _sum(r.cost_usd for r in served),
                "baseline_usd": _sum(r.baseline_cost_usd for r in served),
                "savings_usd": _sum(r.savings_usd for r in served),
                "shadow_cost_usd": _sum(parts["shadow_cost"]),
                "models": _counts(label.model for label in compared),
                "reference_models": _counts(label.reference_model for label in compared),
                "shadow": {**measures([x.good for x in compared]), "by_method": _by_method(compared)},
                "cascade": _escalation(parts["cascade"], confidence, min_sample),
                "feedback": measures([x.good for x in parts["feedback"]]),
            }
        )
    every_cascade = [value for values in cascades.values() for value in values]
    return {
        "store": store,
        "labels": len(labels),
        "confidence": confidence,
        "min_sample": min_sample,
        "shadow": {
            **measures([x.good for x in by_source["shadow"]]),
            "by_method": _by_method(by_source["shadow"]),
        },
        "cascade": _escalation(every_cascade, confidence, min_sample),
        "feedback": measures([x.good for x in by_source["feedback"]]),
        "shadow_calls": len(shadows),
        "shadow_cost_usd": _sum(r.cost_usd for r in shadows),
        "savings_usd": _sum(r.savings_usd for r in calls),
        "rows": table,
    }
