"""What ``frugal eval --strategy cascade`` reports: a cascade replayed, next to what it must beat.

- **the cascade as configured**: quality, cost, savings (against the strongest single model, as
  ``frugal eval``), and the share of rows each step escalated;
- **random escalation at the same rates**: at each step, the same share of the rows that reach it sent
  up at random, whatever their answer (its expected value). A check earns its keep when the cascade
  scores above this at the same cost;
- **the perfect check**: escalating exactly the answers a later step beats, on the same steps;
- single models, the random mix at the target and the routing oracle, as ``frugal eval``;
- **at the target**: with an answer model, its ``min_probability`` swept (:func:`~.cascade_replay.curve`),
  the cheapest setting that reaches the target, next to random escalation at the target (one share for
  every step, the cheapest reaching it); without one, whether the cascade as configured reaches it;
- APGR of the cascade's curve and of random escalation's (both pay the cheap step on every row, so
  both can cost more than the strongest model: APGR only counts up to its cost);
- 90 % bootstrap intervals (rows resampled, every figure recomputed on the same resamples) of the
  quality gain over random escalation, of the savings, and of the savings gain at the target.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ..routing.cascade import CascadePlan
from . import metrics
from .bootstrap import Interval, interval, resample_weights
from .cascade_replay import (
    CascadeRows,
    RatePoint,
    curve,
    perfect_check,
    random_escalation,
    replay,
    uniform_escalation,
)
from .evaluate import Evaluation, evaluate
from .metrics import Point

__all__ = ["CascadeEvaluation", "CascadeFigures", "cascade_figures", "evaluate_cascade"]


@dataclass(frozen=True, slots=True)
class CascadeFigures:
    """The figures a bootstrap resample recomputes (None where undefined).

    Attributes:
        quality: the cascade's mean quality, as configured.
        random_quality: random escalation's at the same rates.
        savings: the cascade's savings, as configured.
        at_target: the cascade's savings at the target (the cheapest setting reaching it).
        random_at_target: random escalation's savings at the target.
        apgr: the APGR of the cascade's curve.
    """

    quality: float
    random_quality: float
    savings: float | None
    at_target: float | None
    random_at_target: float | None
    apgr: float | None

    @property
    def quality_gain(self) -> float:
        """Quality above random escalation at the same rates."""
        return self.quality - self.random_quality

    @property
    def target_gain(self) -> float | None:
        """Savings at the target above random escalation's."""
        if self.at_target is None or self.random_at_target is None:
            return None
        return self.at_target - self.random_at_target


def _singles(rows: CascadeRows, weights: Sequence[int]) -> dict[str, Point]:
    p = rows.prepared
    total = sum(weights)
    return {
        model: Point(
            sum(w * c[m] for w, c in zip(weights, p.cost, strict=True)),
            sum(w * q[m] for w, q in zip(weights, p.quality, strict=True)) / total,
        )
        for m, model in enumerate(p.models)
    }


def cascade_figures(
    rows: CascadeRows, min_probability: float, target: float, weights: Sequence[int] | None = None
) -> CascadeFigures:
    """The bootstrapped figures on rows weighted by ``weights`` (None: every row once)."""
    w = weights if weights is not None else [1] * len(rows.steps)
    single = _singles(rows, w)
    strongest, cheapest = metrics.strongest(single), metrics.cheapest(single)
    baseline, goal = single[strongest].cost, target * single[strongest].quality
    configured = replay(rows, min_probability, w)
    chance = random_escalation(rows, configured.rates, w)
    points = [p for _, p in curve(rows, w)]
    reaching = [p for p in points if p.quality >= goal - 1e-12]
    best = min(reaching, key=lambda p: (p.cost, -p.quality)) if reaching else None
    uniform = metrics.frontier(uniform_escalation(rows, w))
    return CascadeFigures(
        configured.point.quality,
        chance.quality,
        metrics.savings(configured.point.cost, baseline),
        None if best is None else metrics.savings(best.cost, baseline),
        metrics.savings(metrics.cost_to_reach(uniform, goal), baseline),
        metrics.apgr(points, single[cheapest], single[strongest]),
    )


@dataclass(frozen=True, slots=True)
class CascadeEvaluation:
    """Everything ``frugal eval --strategy cascade`` reports; :meth:`to_dict` is its ``--json``.

    Attributes:
        rows: the replayed rows.
        plan: the cascade's plan.
        base: the single models, random mix and oracle of ``frugal eval`` on the same rows.
        answer_model: the answer model's file (None without one).
        configured: the cascade as configured.
        random: random escalation at the configured cascade's rates.
        perfect: the perfect check on the same steps.
        settings: the answer model's settings and the cascade at each, cheapest first.
        at_target: the cheapest setting reaching the target and its point (None: none does).
        random_at_target: what random escalation pays to reach the target (None: it never does).
        apgr: the cascade curve's APGR; random_apgr: random escalation's.
        figures: the bootstrapped figures on every row.
        intervals: their 90 % intervals, by name.
        resamples: bootstrap resamples.
    """

    rows: CascadeRows
    plan: CascadePlan
    base: Evaluation
    answer_model: str | None
    configured: RatePoint
    random: Point
    perfect: Point
    settings: tuple[tuple[float, Point], ...]
    at_target: tuple[float, Point] | None
    random_at_target: float | None
    apgr: float | None
    random_apgr: float | None
    figures: CascadeFigures
    intervals: dict[str, Interval | None]
    resamples: int

    @property
    def reached(self) -> bool:
        """Whether the cascade as configured reaches the target quality."""
        return self.configured.point.quality >= self.base.target_quality - 1e-12

    def to_dict(self) -> dict[str, Any]:
        """The stable ``--json`` document (keys documented in docs/evaluation.md)."""
        base = self.base.to_dict()
        baseline = self.base.single[self.base.strongest].cost

        def point(at: Point | None) -> dict[str, Any]:
            if at is None:
                return {"quality": None, "cost_usd": None, "savings": None}
            return {"quality": at.quality, "cost_usd": at.cost, "savings": metrics.savings(at.cost, baseline)}

        checker = self.plan.checker
        return {
            "strategy": "cascade",
            "rows": len(self.rows.steps),
            "skipped": {
                **base["skipped"],
                **({"missing_response": m} if (m := self.rows.missing_response) else {}),
            },
            "costs": base["costs"],
            "tiers": base["tiers"],
            "cascade_settings": {
                "checks": list(checker.checks),
                "answer_model": None
                if self.answer_model is None
                else {"path": self.answer_model, "min_probability": checker.min_probability},
                "check": checker.user_check_name,
                "check_errors": self.rows.check_errors,
                "judge": None if self.plan.judge is None else self.plan.judge.info.name,
                "judge_replayed": False if self.plan.judge is not None else None,
                "start": "cheapest" if self.plan.start_cheapest else "classifier",
                "max_steps": self.plan.max_steps,
            },
            "target": self.base.target,
            "target_quality": self.base.target_quality,
            "models": base["models"],
            "strongest": base["strongest"],
            "cheapest": base["cheapest"],
            "zero_router": {k: v for k, v in base["zero_router"].items() if k != "hull"},
            "oracle": base["oracle"],
            "perfect_check": point(self.perfect),
            "cascade": {
                **point(self.configured.point),
                "reached": self.reached,
                "escalations": [
                    {"step": k + 1, "rows": round(reached), "escalated": round(escalated), "rate": rate}
                    for k, (reached, escalated, rate) in enumerate(
                        zip(
                            self.configured.reached,
                            self.configured.escalated,
                            self.configured.rates,
                            strict=True,
                        )
                    )
                    if reached
                ],
            },
            "random_escalation": point(self.random),
            "quality_gain": self.figures.quality_gain,
            "quality_gain_interval": _list(self.intervals.get("quality_gain")),
            "savings_interval": _list(self.intervals.get("savings")),
            "at_target": None
            if self.at_target is None
            else {"min_probability": self.at_target[0], **point(self.at_target[1])},
            "random_escalation_at_target": {
                "cost_usd": self.random_at_target,
                "savings": metrics.savings(self.random_at_target, baseline),
            },
            "target_gain": self.figures.target_gain,
            "target_gain_interval": _list(self.intervals.get("target_gain")),
            "apgr": self.apgr,
            "apgr_interval": _list(self.intervals.get("apgr")),
            "random_escalation_apgr": self.random_apgr,
            "curve": [
                {"min_probability": s, "quality": p.quality, "cost_usd": p.cost} for s, p in self.settings
            ],
            "bootstrap": self.resamples,
        }


def _list(value: Interval | None) -> list[float] | None:
    return None if value is None else value.to_list()


def evaluate_cascade(
    rows: CascadeRows,
    plan: CascadePlan,
    target: float = 0.95,
    *,
    answer_model: str | None = None,
    resamples: int = 200,
    seed: int = 0,
    progress: Callable[[int, int], None] | None = None,
) -> CascadeEvaluation:
    """The report on replayed rows (see the module docstring).

    Args:
        rows: the rows with their steps (:func:`~.cascade_replay.replay_rows`).
        plan: the cascade's plan (its answer model's ``min_probability`` is the configured setting).
        target: the quality target, as a share of the strongest model's quality.
        answer_model: the answer model's file, for the report.
        resamples: bootstrap resamples (0: no intervals).
        seed: their seed.
        progress: called with (resamples done, resamples in all).
    """
    if not 0.0 < target <= 1.0:
        raise ValueError(f"the target must lie in (0, 1], got {target!r}")
    base = evaluate(rows.prepared, target)
    threshold = plan.checker.min_probability
    configured = replay(rows, threshold)
    settings = tuple(curve(rows))
    reaching = [(s, p) for s, p in settings if p.quality >= base.target_quality - 1e-12]
    uniform = uniform_escalation(rows)
    single = base.single
    low, high = single[base.cheapest], single[base.strongest]
    rng = random.Random(seed)
    replicas = []
    for done in range(1, resamples + 1):
        replicas.append(cascade_figures(rows, threshold, target, resample_weights(len(rows.steps), rng)))
        if progress is not None:
            progress(done, resamples)

    def spread(values: Sequence[float | None]) -> Interval | None:
        return interval([v for v in values if v is not None])

    return CascadeEvaluation(
        rows=rows,
        plan=plan,
        base=base,
        answer_model=answer_model,
        configured=configured,
        random=random_escalation(rows, configured.rates),
        perfect=perfect_check(rows),
        settings=settings,
        at_target=min(reaching, key=lambda sp: (sp[1].cost, -sp[1].quality)) if reaching else None,
        random_at_target=metrics.cost_to_reach(metrics.frontier(uniform), base.target_quality),
        apgr=metrics.apgr([p for _, p in settings], low, high),
        random_apgr=metrics.apgr(uniform, low, high),
        figures=cascade_figures(rows, threshold, target),
        intervals={
            "quality_gain": spread([r.quality_gain for r in replicas]),
            "savings": spread([r.savings for r in replicas]),
            "target_gain": spread([r.target_gain for r in replicas]),
            "apgr": spread([r.apgr for r in replicas]),
        },
        resamples=resamples,
    )
