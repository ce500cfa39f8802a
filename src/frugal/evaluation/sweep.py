"""Threshold sweeps: every way a policy's thresholds can split the scored rows among its tiers.

Each row is scored once; which model serves it in each tier is decided once (by the router, see
:mod:`frugal.evaluation.evaluate`). What is left is cheap: sort the rows by score, keep running sums of
quality and cost per tier, and a threshold setting costs O(number of tiers) to evaluate.

Thresholds mean what they mean in production (``Router.decide``): a row goes to tier ``i``, the number of
thresholds at or below its score. Candidate thresholds sit near the middle of each gap between consecutive
distinct scores (a value that generalises better than one sitting on a score; the shortest decimal
there, so written policies stay readable), plus one below all scores and one above.

- Two tiers: every candidate, so every split of the rows by score is tried.
- k tiers: the candidates thinned to an evenly spaced grid (by rank), every non-decreasing combination
  of k-1 of them, the grid as fine as ``max_settings`` combinations allow (about 200 values for three
  tiers, 48 for four). Equal neighbours leave the tier between them empty (the second becomes the
  shortest decimal above the first and at or below the next score, so the thresholds stay strictly
  increasing, as a policy requires, and readable).
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

from .metrics import Point

__all__ = ["Outcomes", "Setting", "apply", "cheapest_setting", "shortest_between", "sweep"]

_LOW, _HIGH = 1e-6, 1.0 - 1e-6  # a policy's thresholds lie strictly inside (0, 1)


@dataclass(frozen=True, slots=True)
class Outcomes:
    """What each row scores, and what it gets in each tier.

    Attributes:
        scores: per row, the classifier's score, or None when the classifier failed on it (the row then
            goes to ``default_tier`` whatever the thresholds, as in production).
        quality: ``quality[tier][row]``: the quality of the model the router sends the row to in that tier.
        cost: ``cost[tier][row]``: its cost in USD.
        default_tier: the tier position used when the classifier failed.
    """

    scores: tuple[float | None, ...]
    quality: tuple[tuple[float, ...], ...]
    cost: tuple[tuple[float, ...], ...]
    default_tier: int = 0

    @property
    def tiers(self) -> int:
        """The number of tiers."""
        return len(self.quality)

    def subset(self, rows: Sequence[int]) -> Outcomes:
        """The outcomes of the given rows only (for cross-validation)."""
        return Outcomes(
            tuple(self.scores[i] for i in rows),
            tuple(tuple(tier[i] for i in rows) for tier in self.quality),
            tuple(tuple(tier[i] for i in rows) for tier in self.cost),
            self.default_tier,
        )


@dataclass(frozen=True, slots=True)
class Setting:
    """One threshold setting and what it gives: total cost, mean quality, each tier's share of rows."""

    thresholds: tuple[float, ...]
    point: Point
    shares: tuple[float, ...]


def apply(outcomes: Outcomes, thresholds: Sequence[float]) -> Setting:
    """Route every row with ``thresholds``, exactly as ``Router.decide`` maps a score to a tier."""
    if len(thresholds) != outcomes.tiers - 1:
        raise ValueError(f"expected {outcomes.tiers - 1} thresholds, got {len(thresholds)}")
    counts = [0] * outcomes.tiers
    quality = cost = 0.0
    for row, score in enumerate(outcomes.scores):
        tier = outcomes.default_tier if score is None else bisect.bisect_right(thresholds, score)
        counts[tier] += 1
        quality += outcomes.quality[tier][row]
        cost += outcomes.cost[tier][row]
    rows = len(outcomes.scores)
    return Setting(tuple(thresholds), Point(cost, quality / rows), tuple(c / rows for c in counts))


def sweep(outcomes: Outcomes, max_settings: int = 20_000) -> list[Setting]:
    """Every candidate threshold setting (see the module docstring) and its outcome."""
    tiers = outcomes.tiers
    if tiers < 2:
        raise ValueError("a sweep needs at least two tiers")
    scored = sorted((s, i) for i, s in enumerate(outcomes.scores) if s is not None)
    order = [i for _, i in scored]
    ranked = [s for s, _ in scored]
    # Rows the classifier failed on stay in the default tier: a constant part of every setting.
    fixed = [i for i, s in enumerate(outcomes.scores) if s is None]
    base_quality = sum(outcomes.quality[outcomes.default_tier][i] for i in fixed)
    base_cost = sum(outcomes.cost[outcomes.default_tier][i] for i in fixed)
    sum_quality = [_running(tier, order) for tier in outcomes.quality]
    sum_cost = [_running(tier, order) for tier in outcomes.cost]
    candidates = _candidates(ranked)
    if tiers > 2:
        candidates = _grid(candidates, tiers - 1, max_settings)
    cuts = [bisect.bisect_left(ranked, t) for t in candidates]
    rows = len(outcomes.scores)
    settings = []
    for chosen in itertools.combinations_with_replacement(range(len(candidates)), tiers - 1):
        thresholds = _strictly_increasing([candidates[c] for c in chosen], ranked)
        bounds = [0, *(cuts[c] for c in chosen), len(ranked)]
        if thresholds != [candidates[c] for c in chosen]:
            bounds = [0, *(bisect.bisect_left(ranked, t) for t in thresholds), len(ranked)]
        quality, cost = base_quality, base_cost
        shares = []
        for tier in range(tiers):
            low, high = bounds[tier], bounds[tier + 1]
            quality += sum_quality[tier][high] - sum_quality[tier][low]
            cost += sum_cost[tier][high] - sum_cost[tier][low]
            shares.append(high - low + (len(fixed) if tier == outcomes.default_tier else 0))
        settings.append(
            Setting(tuple(thresholds), Point(cost, quality / rows), tuple(s / rows for s in shares))
        )
    return settings


def cheapest_setting(settings: Sequence[Setting], quality: float) -> Setting | None:
    """The cheapest setting whose quality reaches ``quality`` (the better one on a cost tie)."""
    reaching = [s for s in settings if s.point.quality >= quality - 1e-12]
    if not reaching:
        return None
    return min(reaching, key=lambda s: (s.point.cost, -s.point.quality))


def _running(values: Sequence[float], order: Sequence[int]) -> list[float]:
    sums = [0.0]
    for i in order:
        sums.append(sums[-1] + values[i])
    return sums


def _candidates(ranked: Sequence[float]) -> list[float]:
    """One threshold below every score, one between each pair of distinct scores, one above them all."""
    distinct = sorted(set(ranked))
    if not distinct:
        return [0.5]
    low = shortest_between(0.0, distinct[0]) if distinct[0] > 2 * _LOW else _LOW
    high = shortest_between(distinct[-1], 1.0) if distinct[-1] < 1.0 - 2 * _LOW else _HIGH
    middles = [shortest_between(a, b) for a, b in itertools.pairwise(distinct)]
    return sorted({low, *middles, high})


def shortest_between(a: float, b: float) -> float:
    """The shortest decimal near the middle of (a, b), so that policies get readable thresholds.

    b itself when nothing lies strictly between (a and b adjacent floats): a score at the threshold goes up.
    """
    middle = (a + b) / 2
    for digits in range(1, 18):
        value = round(middle, digits)
        if a < value < b:
            return value
    return b


def _grid(candidates: list[float], slots: int, max_settings: int) -> list[float]:
    """The candidates thinned to the largest evenly spaced grid that keeps the combinations in budget."""
    size = len(candidates)
    while size > 2 and math.comb(size + slots - 1, slots) > max_settings:
        size -= 1
    if size >= len(candidates):
        return candidates
    step = (len(candidates) - 1) / (size - 1)
    return sorted({candidates[round(k * step)] for k in range(size)})


def _strictly_increasing(values: list[float], ranked: Sequence[float]) -> list[float]:
    """Equal neighbours made strictly increasing with an empty tier between them, as short decimals.

    A repeated threshold becomes the shortest decimal above the previous one and at or below the next
    score (so that no row falls between them): ``[0.27, 0.2701]``, never ``[0.27, 0.27000000000000005]``.
    """
    out: list[float] = []
    for value in values:
        if out and value <= out[-1]:
            above = bisect.bisect_right(ranked, out[-1])
            ceiling = ranked[above] if above < len(ranked) else 1.0
            value = shortest_between(out[-1], ceiling)
            if not value < 1.0:  # nothing short fits below 1: the last float step does
                value = math.nextafter(out[-1], 1.0)
        out.append(value)
    return out
