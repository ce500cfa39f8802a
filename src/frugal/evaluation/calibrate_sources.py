"""Thresholds chosen on other sources: does a calibration carry to a kind of prompt it never saw?

``frugal calibrate --cv sources``: every row is scored by a classifier refitted without its source; then,
for each source, the thresholds are chosen on all the *other* sources' rows (the cheapest setting reaching
the target there) and applied to it. What it gets — its quality as a share of its own strongest model's,
and its savings — is what a threshold calibrated on someone else's traffic gives on yours.

Sources differ in models and prices, so their rows are pooled with each source's costs rescaled to one
call of its strongest model per row: a source weighs by its rows, not by what its models happen to cost.
The target is met in the pool when the pooled quality reaches the target share of the pooled quality of
each row's own strongest model.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from . import metrics
from .evaluate import Prepared
from .sweep import Outcomes, Setting, apply, cheapest_setting, sweep

__all__ = ["HeldOutSource", "SourceCalibration", "calibrate_across_sources", "pool"]


@dataclass(frozen=True, slots=True)
class HeldOutSource:
    """One source, with thresholds chosen on the others.

    Attributes:
        source: its name.
        thresholds: chosen on the other sources.
        reached_in_training: whether any setting reached the target on the other sources.
        share_of_strongest: its quality as a share of its strongest model's.
        savings: its savings against its strongest model.
        reached: whether it met the target.
    """

    source: str
    thresholds: tuple[float, ...]
    reached_in_training: bool
    share_of_strongest: float | None
    savings: float | None
    reached: bool


@dataclass(frozen=True, slots=True)
class SourceCalibration:
    """Per source, thresholds chosen elsewhere; and the thresholds chosen on every source pooled."""

    target: float
    sources: tuple[HeldOutSource, ...]
    chosen: Setting
    reached: bool

    def to_dict(self) -> dict[str, Any]:
        """The ``frugal calibrate --cv sources --json`` document."""
        return {
            "cv": "sources",
            "target": self.target,
            "threshold": list(self.chosen.thresholds),
            "reached": self.reached,
            "sources": [
                {
                    "source": s.source,
                    "threshold": list(s.thresholds),
                    "reached_in_training": s.reached_in_training,
                    "share_of_strongest": s.share_of_strongest,
                    "savings": s.savings,
                    "reached": s.reached,
                }
                for s in self.sources
            ],
            "reached_on": sum(s.reached for s in self.sources),
        }


def pool(parts: Sequence[Prepared], target: float) -> tuple[Outcomes, float]:
    """The parts' rows as one table, costs in calls of each part's strongest model, and the quality goal.

    Raises:
        ValueError: the parts route to different numbers of tiers.
    """
    tiers = {p.outcomes.tiers for p in parts}
    if len(tiers) != 1:
        raise ValueError(f"every model set must have as many tiers to pool them; found {sorted(tiers)}")
    scores: list[float | None] = []
    quality: list[list[float]] = [[] for _ in range(tiers.pop())]
    cost: list[list[float]] = [[] for _ in quality]
    strong_quality = 0.0
    for part in parts:
        single = part.single()
        strong = single[metrics.strongest(single)]
        rows = len(part.rows)
        scale = rows / strong.cost if strong.cost > 0 else 1.0
        strong_quality += strong.quality * rows
        scores.extend(part.outcomes.scores)
        for t, (q, c) in enumerate(zip(part.outcomes.quality, part.outcomes.cost, strict=True)):
            quality[t].extend(q)
            cost[t].extend(x * scale for x in c)
    default = parts[0].outcomes.default_tier
    outcomes = Outcomes(tuple(scores), tuple(map(tuple, quality)), tuple(map(tuple, cost)), default)
    return outcomes, target * strong_quality / len(scores)


def _choose(parts: Sequence[Prepared], target: float) -> tuple[Setting, bool]:
    """The cheapest setting reaching the goal on the pooled parts, else the best one (and False)."""
    outcomes, goal = pool(parts, target)
    settings = sweep(outcomes)
    chosen = cheapest_setting(settings, goal)
    if chosen is not None:
        return chosen, True
    return max(settings, key=lambda s: (s.point.quality, -s.point.cost)), False


def calibrate_across_sources(parts: Sequence[tuple[str, Prepared]], target: float) -> SourceCalibration:
    """Thresholds per source chosen on the other sources, and on all of them (see the module docstring).

    Args:
        parts: each source's routed rows, scored out of source.
        target: the quality target, a share of each source's strongest model's quality.

    Raises:
        ValueError: fewer than two sources, or model sets with different numbers of tiers.
    """
    if len(parts) < 2:
        raise ValueError("calibrating across sources needs two sources or more")
    held_out = []
    for k, (source, part) in enumerate(parts):
        others = [p for j, (_, p) in enumerate(parts) if j != k]
        chosen, fits = _choose(others, target)
        point = apply(part.outcomes, chosen.thresholds).point
        single = part.single()
        strong = single[metrics.strongest(single)]
        held_out.append(
            HeldOutSource(
                source,
                chosen.thresholds,
                fits,
                point.quality / strong.quality if strong.quality > 0 else None,
                metrics.savings(point.cost, strong.cost),
                point.quality >= target * strong.quality - 1e-12,
            )
        )
    chosen, reached = _choose([p for _, p in parts], target)
    return SourceCalibration(target, tuple(held_out), chosen, reached)
