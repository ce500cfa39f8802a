"""Cost–quality metrics: pure functions on numbers, no I/O.

A *point* is an operating point on a data set: its total cost (USD, summed over the rows) and its mean
quality. The definitions (docs/evaluation.md shows them on a worked example):

- **single model**: every row sent to that model.
- **strongest**: the single model of highest quality (the cheaper one on a tie); savings are measured
  against its cost, and a target of 0.95 means 95 % of its quality.
- **zero router** (random-mix hull): sending each row to model A with probability p and to model B
  otherwise costs and scores the p-weighted mean of A and B, so every point of the upper concave hull of
  the single models is reachable without reading a prompt. A router that does not beat this hull is no
  better than a coin.
- **oracle**: per row, the cheapest model among those of best quality on that row: the best any router
  choosing among these models could do.
- **APGR** (average performance gap recovered, after RouteLLM, Ong et al. 2024): on the cost axis from
  the cheapest model (x = 0) to the strongest (x = 1), the router's quality as a share of the gap between
  them (PGR = 0 at the cheapest model's quality, 1 at the strongest's), averaged over x. The curve is
  the router's as its knob moves (for two tiers: every threshold, in order, as RouteLLM does), straight
  between consecutive points, flat beyond the last one, and straight from the cheapest model to the
  first one (mixing with the cheapest model). It is *not* the envelope of
  the best settings: on a finite sample the envelope of a random router's wobbles lies above the
  diagonal, and pure noise would seem to beat the zero router. A random mix of the two models scores
  exactly 0.5; so does a router whose scores are noise, on average.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

__all__ = [
    "Point",
    "apgr",
    "cheapest",
    "cost_to_reach",
    "frontier",
    "oracle",
    "quality_at",
    "savings",
    "strongest",
    "upper_hull",
]

_EPS = 1e-12


@dataclass(frozen=True, slots=True)
class Point:
    """An operating point: total cost in USD and mean quality (0..1) over the same rows."""

    cost: float
    quality: float


def strongest(points: Mapping[str, Point]) -> str:
    """The name of the point of highest quality; the cheaper one on a tie, then the first given."""
    return min(points, key=lambda name: (-points[name].quality, points[name].cost))


def cheapest(points: Mapping[str, Point]) -> str:
    """The name of the cheapest point; the better one on a tie, then the first given."""
    return min(points, key=lambda name: (points[name].cost, -points[name].quality))


def frontier(points: Iterable[Point]) -> list[Point]:
    """The points no other point beats (cheaper or equal and at least as good), by increasing cost.

    Quality strictly increases along the result; costs strictly increase too.
    """
    best: list[Point] = []
    for point in sorted(points, key=lambda p: (p.cost, -p.quality)):
        # Sorted by cost, the best first on a tie: a point is kept only if it beats everything cheaper.
        if not best or point.quality > best[-1].quality + _EPS:
            best.append(point)
    return best


def upper_hull(points: Iterable[Point]) -> list[Point]:
    """The random-mix hull: vertices of the best quality reachable at each cost by mixing points.

    From the cheapest point to the best one, by increasing cost; concave (each segment's slope is below
    the previous one's) and increasing. Every vertex is one of the given points, so every point of the
    hull is a mix of at most two of them.
    """
    hull: list[Point] = []
    for point in frontier(points):
        while len(hull) >= 2 and _cross(hull[-2], hull[-1], point) >= -_EPS:
            hull.pop()  # hull[-1] lies on or below the segment from hull[-2] to point
        hull.append(point)
    return hull


def _cross(a: Point, b: Point, c: Point) -> float:
    """> 0 when b lies below the segment a–c (a left turn), in (cost, quality) coordinates."""
    return (b.cost - a.cost) * (c.quality - a.quality) - (b.quality - a.quality) * (c.cost - a.cost)


def quality_at(curve: Sequence[Point], cost: float) -> float | None:
    """The quality of a frontier or hull at ``cost``, interpolated; flat past its end; None before it."""
    if not curve or cost < curve[0].cost - _EPS:
        return None
    for left, right in itertools.pairwise(curve):
        if cost <= right.cost:
            share = (cost - left.cost) / (right.cost - left.cost) if right.cost > left.cost else 1.0
            return left.quality + max(0.0, share) * (right.quality - left.quality)
    return curve[-1].quality


def cost_to_reach(curve: Sequence[Point], quality: float) -> float | None:
    """The least cost at which a frontier or hull (interpolated) reaches ``quality`` (None: never)."""
    if not curve or quality > curve[-1].quality + _EPS:
        return None
    if quality <= curve[0].quality:
        return curve[0].cost
    for left, right in itertools.pairwise(curve):
        if quality <= right.quality + _EPS:
            share = (quality - left.quality) / (right.quality - left.quality)
            return left.cost + min(1.0, share) * (right.cost - left.cost)
    return curve[-1].cost  # pragma: no cover - the first check returns before


def oracle(quality: Sequence[Sequence[float]], cost: Sequence[Sequence[float]]) -> Point:
    """Per row, the cheapest model among those of best quality on that row.

    Args:
        quality: ``quality[row][model]``.
        cost: ``cost[row][model]``, same shape.
    """
    total_quality = total_cost = 0.0
    for row_quality, row_cost in zip(quality, cost, strict=True):
        top = max(row_quality)
        total_quality += top
        total_cost += min(c for q, c in zip(row_quality, row_cost, strict=True) if q == top)
    return Point(total_cost, total_quality / len(quality))


def savings(cost: float | None, baseline: float) -> float | None:
    """``1 - cost / baseline``: the share of the baseline's cost saved (None when undefined)."""
    if cost is None or baseline <= 0:
        return None
    return 1.0 - cost / baseline


def apgr(curve: Iterable[Point], low: Point, high: Point) -> float | None:
    """Average performance gap recovered along a router's curve.

    Args:
        curve: the router's operating points in the order its knob moves them, from the cheapest end
            (all rows to the cheap tier) to the strongest (a hull or a frontier, sorted by cost, works too).
        low: the cheapest single model (x = 0, PGR = 0).
        high: the strongest single model (x = 1, PGR = 1).

    Returns:
        The mean PGR over x in [0, 1] (see the module docstring): the area under the curve, straight
        between consecutive points (a step back in cost counts against), from the cheapest model's
        point (0, 0) to the first one, flat after the last. None when the strongest model is neither
        dearer nor better than the cheapest.
    """
    span, gap = high.cost - low.cost, high.quality - low.quality
    if span <= 0 or gap <= 0:
        return None
    path = [Point((p.cost - low.cost) / span, (p.quality - low.quality) / gap) for p in curve]
    if not path:
        return None
    if path[0].cost > 0:  # below its cheapest point, the router is mixed with the cheapest model
        path.insert(0, Point(0.0, 0.0))
    area = 0.0
    for left, right in itertools.pairwise(path):
        area += _clipped_area(left, right)
    last = path[-1]
    if last.cost < 1.0:
        area += last.quality * (1.0 - max(0.0, last.cost))
    return area


def _clipped_area(left: Point, right: Point) -> float:
    """Signed area under the segment left-right, for the part of it with 0 <= x <= 1."""
    if left.cost == right.cost:
        return 0.0
    slope = (right.quality - left.quality) / (right.cost - left.cost)
    a, b = sorted((left.cost, right.cost))
    a, b = max(0.0, a), min(1.0, b)
    if b <= a:
        return 0.0
    qa, qb = left.quality + slope * (a - left.cost), left.quality + slope * (b - left.cost)
    area = (qa + qb) / 2 * (b - a)
    return area if right.cost > left.cost else -area
