"""Cross-validated evaluation: each source's figures from scores its rows did not train (``--cv``).

Every row is scored by a classifier fitted without its fold (:mod:`frugal.evaluation.trainers`); then
each source is evaluated on its own, as ``frugal eval`` would evaluate a file holding only that source:
APGR, the savings of the cheapest threshold setting reaching the target, and the random mix's savings at
that target, each with a bootstrap 90 % interval (:mod:`frugal.evaluation.bootstrap`). The pooled row is
the mean over sources, each source weighing the same whatever its size (costs and model pairs differ
between sources, so their rows are not added up); its interval comes from resampling every source at
once. A source whose strongest model is barely better than its cheapest (:data:`MIN_GAP`) is left out
of the pooled APGR (not of the savings): APGR is a share of that gap.

With leave-one-source-out folds the figures say what a classifier gives on a kind of prompt it has
never seen. With k-fold they are in-domain, and say so.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from .bootstrap import Figures, Interval, figures, interval, mean, resample_weights
from .evaluate import Prepared, evaluate
from .folds import Folds
from .metrics import savings
from .sweep import Outcomes

#: A source whose strongest model beats its cheapest by less than this (in mean quality) has no APGR in
#: the pooled mean: APGR is a share of that gap, and a share of almost nothing is mostly noise.
MIN_GAP = 0.05

__all__ = [
    "MIN_GAP",
    "ClassifierResult",
    "CrossValidation",
    "SourceResult",
    "SourceSetup",
    "by_source",
    "cross_validate",
    "source_setup",
    "with_scores",
]


@dataclass(frozen=True, slots=True)
class SourceSetup:
    """One source as evaluated, whatever the classifier: its rows, tiers and reference points.

    Attributes:
        source: the source's name.
        rows: rows evaluated.
        tiers: each tier's models.
        strongest: the strongest single model (the savings baseline).
        random_mix: the random mix's savings at the target.
        oracle: the per-row oracle's savings (at the strongest's quality or better).
        gap: the strongest model's quality minus the cheapest's.
    """

    source: str
    rows: int
    tiers: tuple[tuple[str, ...], ...]
    strongest: str
    random_mix: float | None
    oracle: float | None
    gap: float = 0.0

    @property
    def apgr_meaningful(self) -> bool:
        """False when the gap is under :data:`MIN_GAP`: APGR divides by it, and then measures noise."""
        return self.gap >= MIN_GAP


@dataclass(frozen=True, slots=True)
class SourceResult:
    """One classifier's figures on one source, with their bootstrap intervals."""

    source: str
    figures: Figures
    apgr: Interval | None
    savings: Interval | None
    gain: Interval | None

    def to_dict(self) -> dict[str, Any]:
        """JSON: figures and ``[low, high]`` intervals."""
        return {
            "source": self.source,
            "apgr": self.figures.apgr,
            "apgr_interval": _list(self.apgr),
            "savings": self.figures.savings,
            "savings_interval": _list(self.savings),
            "random_mix": self.figures.random_mix,
            "gain": self.figures.gain,
            "gain_interval": _list(self.gain),
        }


@dataclass(frozen=True, slots=True)
class ClassifierResult:
    """One classifier judged across sources: per source, and pooled (the mean over sources)."""

    name: str
    refitted: bool
    sources: tuple[SourceResult, ...]
    pooled: SourceResult

    @property
    def beats_random_mix(self) -> int:
        """Sources where its savings at the target exceed the random mix's."""
        return sum((r.figures.gain or 0.0) > 0 for r in self.sources)

    def to_dict(self) -> dict[str, Any]:
        """JSON of the classifier's results."""
        return {
            "classifier": self.name,
            "refitted": self.refitted,
            "sources": [r.to_dict() for r in self.sources],
            "pooled": self.pooled.to_dict(),
            "beats_random_mix": self.beats_random_mix,
        }


@dataclass(frozen=True, slots=True)
class CrossValidation:
    """Everything ``frugal eval --cv`` reports; :meth:`to_dict` is its ``--json``."""

    folds: Folds
    target: float
    resamples: int
    setups: tuple[SourceSetup, ...]
    classifiers: tuple[ClassifierResult, ...]

    def to_dict(self) -> dict[str, Any]:
        """The ``--cv --json`` document (keys documented in docs/evaluation.md)."""
        return {
            "cv": self.folds.kind,
            "in_domain": self.folds.in_domain,
            "protocol": self.folds.label,
            "target": self.target,
            "bootstrap": self.resamples,
            "sources": [
                {
                    "source": s.source,
                    "rows": s.rows,
                    "tiers": [list(t) for t in s.tiers],
                    "strongest": s.strongest,
                    "random_mix": s.random_mix,
                    "oracle": s.oracle,
                    "gap": s.gap,
                    "apgr_in_mean": s.apgr_meaningful,
                }
                for s in self.setups
            ],
            "classifiers": [c.to_dict() for c in self.classifiers],
        }


def _list(value: Interval | None) -> list[float] | None:
    return None if value is None else value.to_list()


def with_scores(prepared: Prepared, scores: Mapping[str, float | None], name: str) -> Prepared:
    """The routed rows with other scores (by row id): a classifier is swapped without routing again."""
    o = prepared.outcomes
    outcomes = Outcomes(tuple(scores[row.id] for row in prepared.rows), o.quality, o.cost, o.default_tier)
    failures = sum(s is None for s in outcomes.scores)
    return replace(prepared, outcomes=outcomes, classifier=name, classifier_failures=failures)


def by_source(groups: Sequence[Prepared], folds: Folds) -> list[tuple[str, Prepared]]:
    """Each fold's rows (a source, or a k-fold fold's rows of one source) as its own evaluation.

    Sources come in the folds' order; a source whose rows fall into several routed groups (different
    model pairs) is split by group, its parts named ``source (first model)``.
    """
    parts: list[tuple[str, Prepared]] = []
    names = list(folds.names) if not folds.in_domain else []
    sources: dict[str, list[tuple[int, int]]] = {}
    for g, prepared in enumerate(groups):
        for i, row in enumerate(prepared.rows):
            sources.setdefault(row.source or "(no source)", []).append((g, i))
    order = [s for s in names if s in sources] + [s for s in sources if s not in names]
    for source in order:
        found = sources[source]
        used = sorted({g for g, _ in found})
        for g in used:
            indices = [i for gg, i in found if gg == g]
            label = source if len(used) == 1 else f"{source} ({groups[g].models[0]})"
            parts.append((label, groups[g].subset(indices)))
    return parts


def cross_validate(
    parts: Sequence[tuple[str, Prepared]],
    scores: Sequence[tuple[str, bool, Mapping[str, float | None]]],
    folds: Folds,
    *,
    target: float = 0.95,
    resamples: int = 200,
    seed: int = 0,
    progress: Callable[[int, int], None] | None = None,
) -> CrossValidation:
    """Each classifier's figures per source and pooled, with bootstrap intervals.

    Args:
        parts: each source's routed rows (see :func:`by_source`).
        scores: per classifier, its name, whether it was refitted per fold, and its out-of-fold scores.
        folds: how the scores were made (for the report's labels).
        target: the quality target, as a share of each source's strongest model's quality.
        resamples: bootstrap resamples (0: no intervals).
        seed: the resamples' seed; every classifier is judged on the same resamples.
        progress: called with (work done, work in all).
    """
    setups = tuple(source_setup(source, prepared, target) for source, prepared in parts)
    # The resamples, drawn once: every classifier is judged on the same ones.
    rng = random.Random(seed)
    draws = [[resample_weights(len(p.rows), rng) for _, p in parts] for _ in range(resamples)]
    results = []
    steps, done = len(scores) * len(parts), 0
    for name, refitted, table in scores:
        point: list[Figures] = []
        replicas: list[list[Figures]] = []
        for k, (_, prepared) in enumerate(parts):
            scored = with_scores(prepared, table, name)
            point.append(figures(scored, target))
            replicas.append([figures(scored, target, draw[k]) for draw in draws])
            done += 1
            if progress is not None:
                progress(done, steps)
        per_source = tuple(_result(source, point[k], replicas[k]) for k, (source, _) in enumerate(parts))
        pooled_point = Figures(
            mean([f.apgr for k, f in enumerate(point) if setups[k].apgr_meaningful]),
            mean([f.savings for f in point]),
            mean([f.random_mix for f in point]),
        )
        pooled_replicas = [
            Figures(
                mean([replicas[k][b].apgr for k in range(len(parts)) if setups[k].apgr_meaningful]),
                mean([replicas[k][b].savings for k in range(len(parts))]),
                mean([replicas[k][b].random_mix for k in range(len(parts))]),
            )
            for b in range(resamples)
        ]
        pooled = _result(f"mean of {len(parts)} sources", pooled_point, pooled_replicas)
        results.append(ClassifierResult(name, refitted, per_source, pooled))
    return CrossValidation(folds, target, resamples, setups, tuple(results))


def _result(source: str, point: Figures, replicas: Sequence[Figures]) -> SourceResult:
    def spread(values: list[float | None]) -> Interval | None:
        return interval([v for v in values if v is not None])

    return SourceResult(
        source,
        point,
        spread([r.apgr for r in replicas]),
        spread([r.savings for r in replicas]),
        spread([r.gain for r in replicas]),
    )


def source_setup(source: str, prepared: Prepared, target: float) -> SourceSetup:
    """A source's rows, tiers and reference points (random mix and oracle savings at the target)."""
    report = evaluate(prepared, target)
    baseline = report.single[report.strongest].cost
    gap = report.single[report.strongest].quality - report.single[report.cheapest].quality
    return SourceSetup(
        source,
        len(prepared.rows),
        prepared.tier_models,
        report.strongest,
        savings(report.zero_router_cost, baseline),
        savings(report.oracle.cost, baseline),
        gap,
    )
