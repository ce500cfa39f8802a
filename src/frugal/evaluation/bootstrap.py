"""A router's headline figures on a set of rows, and their bootstrap intervals.

The figures are the ones ``frugal eval`` reports — APGR, the savings of the cheapest threshold setting
that reaches the target, and the random mix's savings at the same target — computed for rows weighted by
how often a bootstrap resample drew them. For two tiers the setting curve is walked once over the rows
sorted by score (no sweep objects: a resample costs a few passes over the rows); with more tiers the
resample is evaluated like any data set.

The interval is the percentile bootstrap: rows drawn with replacement, the figure recomputed, its 5th
and 95th percentiles over the resamples. Resamples are drawn from a seeded generator, so every
classifier judged on a source is judged on the same resamples (their differences are paired).
"""

from __future__ import annotations

import random
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from . import metrics
from .evaluate import Prepared, evaluate
from .metrics import Point

__all__ = ["Figures", "Interval", "figures", "interval", "resample_weights"]


@dataclass(frozen=True, slots=True)
class Figures:
    """A router's figures on some rows (None where undefined).

    Attributes:
        apgr: the router's APGR (None when the strongest model is neither dearer nor better).
        savings: the savings of the cheapest setting reaching the target (None when none does).
        random_mix: the random mix's savings at the target.
    """

    apgr: float | None
    savings: float | None
    random_mix: float | None

    @property
    def gain(self) -> float | None:
        """Savings beyond the random mix's at the same target (percentage points as a share)."""
        if self.savings is None or self.random_mix is None:
            return None
        return self.savings - self.random_mix


@dataclass(frozen=True, slots=True)
class Interval:
    """A bootstrap percentile interval."""

    low: float
    high: float

    def to_list(self) -> list[float]:
        """``[low, high]``, for JSON."""
        return [self.low, self.high]


def resample_weights(rows: int, rng: random.Random) -> list[int]:
    """How many times each of ``rows`` rows is drawn in one bootstrap resample of the same size."""
    weights = [0] * rows
    for i in rng.choices(range(rows), k=rows):
        weights[i] += 1
    return weights


def interval(values: Sequence[float], level: float = 0.9) -> Interval | None:
    """The percentile interval holding ``level`` of ``values`` (None with fewer than two values)."""
    if len(values) < 2:
        return None
    ordered = sorted(values)
    tail = (1.0 - level) / 2
    return Interval(_quantile(ordered, tail), _quantile(ordered, 1.0 - tail))


def _quantile(ordered: Sequence[float], share: float) -> float:
    position = share * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (position - low) * (ordered[high] - ordered[low])


def figures(prepared: Prepared, target: float, weights: Sequence[int] | None = None) -> Figures:
    """APGR, savings at the target and the random mix's savings, on rows weighted by ``weights``.

    Without weights, exactly what :func:`~frugal.evaluation.evaluate.evaluate` reports on ``prepared``.
    """
    if weights is None:
        report = evaluate(prepared, target)
        baseline = report.single[report.strongest].cost
        at = report.at_target
        return Figures(
            report.apgr,
            None if at is None else metrics.savings(at.point.cost, baseline),
            metrics.savings(report.zero_router_cost, baseline),
        )
    if prepared.outcomes.tiers != 2:
        drawn = [i for i, w in enumerate(weights) for _ in range(w)]
        return figures(prepared.subset(drawn), target)
    return _two_tiers(prepared, target, weights)


def _two_tiers(prepared: Prepared, target: float, weights: Sequence[int]) -> Figures:
    """:func:`figures` for two tiers: the settings' curve in one walk down the rows sorted by score."""
    total = sum(weights)
    single = {
        model: Point(
            sum(w * c[m] for w, c in zip(weights, prepared.cost, strict=True) if w),
            sum(w * q[m] for w, q in zip(weights, prepared.quality, strict=True) if w) / total,
        )
        for m, model in enumerate(prepared.models)
    }
    strongest, cheapest = metrics.strongest(single), metrics.cheapest(single)
    baseline = single[strongest].cost
    goal = target * single[strongest].quality
    random_mix = metrics.savings(metrics.cost_to_reach(metrics.upper_hull(single.values()), goal), baseline)

    o = prepared.outcomes
    (q_low, q_high), (c_low, c_high) = o.quality, o.cost
    # Every row starts in the cheap tier (a failed classification in the default tier, for good); the
    # settings then send the rows up in order of decreasing score, rows of equal score together.
    cost = quality = 0.0
    for i, (w, score) in enumerate(zip(weights, o.scores, strict=True)):
        if w:
            tier = o.default_tier if score is None else 0
            cost += w * o.cost[tier][i]
            quality += w * o.quality[tier][i]
    points = [Point(cost, quality / total)]
    ranked = sorted(
        ((s, i) for i, s in enumerate(o.scores) if s is not None and weights[i]), key=lambda item: -item[0]
    )
    for position, (score, i) in enumerate(ranked):
        w = weights[i]
        cost += w * (c_high[i] - c_low[i])
        quality += w * (q_high[i] - q_low[i])
        if position + 1 == len(ranked) or ranked[position + 1][0] != score:
            points.append(Point(cost, quality / total))
    reaching = [p for p in points if p.quality >= goal - 1e-12]
    best = min(reaching, key=lambda p: (p.cost, -p.quality)) if reaching else None
    return Figures(
        metrics.apgr(points, single[cheapest], single[strongest]),
        None if best is None else metrics.savings(best.cost, baseline),
        random_mix,
    )


def mean(values: Sequence[float | None]) -> float | None:
    """The mean of the defined values (None when there is none)."""
    known = [v for v in values if v is not None]
    return statistics.fmean(known) if known else None
