"""Evaluating a router on labelled rows: what it would have cost, and what quality it would have got.

:func:`prepare` does the routing, with production's code: each row's :class:`RoutingRequest` is built
the way the client builds it, scored once by the route's classifier, and for each tier the compiled
router's own ``decide`` says which model serves it there (rules, eligibility and the cheapest-in-tier
choice included). :func:`evaluate` then only does arithmetic: single models, the random-mix hull, the
oracle, the threshold sweep, the cheapest setting that reaches the target, APGR.

Costs: the row's recorded ``cost_usd`` for the model, else the router's own pre-call estimate (local
token estimate x catalog price, the tier's expected output tokens). A model with neither is an error
that names it: a price is never taken as zero.

Rows that lack the quality of a model the evaluation may choose are skipped, and counted: every figure
compares the same rows.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .._tokens import count_input_tokens
from ..classifiers.base import Classification
from ..exceptions import DataError, FrugalWarning, RoutingError
from ..request import RoutingRequest
from ..routing import RouteConfig, Router, classify_safely
from . import metrics
from .data import Row
from .metrics import Point
from .sweep import Outcomes, Setting, apply, cheapest_setting, sweep

__all__ = ["Evaluation", "Prepared", "evaluate", "prepare"]

Progress = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class Prepared:
    """Rows routed once: what every model, and every tier, gives each row.

    Attributes:
        rows: the rows kept, in order.
        tiers: the route's tier names, cheapest first.
        tier_models: each tier's models.
        models: the tiers' models (policy names), cheapest tier first: the single models.
        quality: ``quality[row][model]``, models as in ``models``.
        cost: ``cost[row][model]``, USD.
        outcomes: per row, its score and the quality and cost it gets in each tier.
        thresholds: the route's thresholds as configured.
        classifier: the classifier's name (or ``"scores file"``).
        skipped: rows left out, by reason (``missing_quality``, ``unroutable``).
        recorded_costs: (row, model) costs taken from ``cost_usd``.
        estimated_costs: (row, model) costs estimated from tokens and catalog prices.
        classifier_failures: rows the classifier raised on (routed to the default tier).
        served: per row, the model that serves it in each tier (what a cascade's steps call).
    """

    rows: tuple[Row, ...]
    tiers: tuple[str, ...]
    tier_models: tuple[tuple[str, ...], ...]
    models: tuple[str, ...]
    quality: tuple[tuple[float, ...], ...]
    cost: tuple[tuple[float, ...], ...]
    outcomes: Outcomes
    thresholds: tuple[float, ...]
    classifier: str
    skipped: Mapping[str, int] = field(default_factory=dict)
    recorded_costs: int = 0
    estimated_costs: int = 0
    classifier_failures: int = 0
    served: tuple[tuple[str, ...], ...] = ()

    def subset(self, indices: Sequence[int]) -> Prepared:
        """The same evaluation restricted to some rows (cross-validation)."""
        return Prepared(
            tuple(self.rows[i] for i in indices),
            self.tiers,
            self.tier_models,
            self.models,
            tuple(self.quality[i] for i in indices),
            tuple(self.cost[i] for i in indices),
            self.outcomes.subset(indices),
            self.thresholds,
            self.classifier,
            served=tuple(self.served[i] for i in indices) if self.served else (),
        )

    def single(self) -> dict[str, Point]:
        """Each single model's point: every row sent to it."""
        rows = len(self.quality)
        return {
            model: Point(sum(c[m] for c in self.cost), sum(q[m] for q in self.quality) / rows)
            for m, model in enumerate(self.models)
        }


def prepare(
    rows: Sequence[Row],
    router: Router,
    route: RouteConfig,
    *,
    scores: Mapping[str, float] | None = None,
    progress: Progress | None = None,
) -> Prepared:
    """Route every row once per tier with the compiled ``router`` (see the module docstring).

    Args:
        rows: the labelled rows.
        router: the compiled evaluation policy (:func:`~frugal.evaluation.setup.compile_for_evaluation`).
        route: the route to evaluate (its tiers, thresholds and classifier).
        scores: precomputed scores by row id, used instead of the classifier (``--scores``).
        progress: called with (rows done, rows in all) as rows are routed.

    Raises:
        DataError: no row has every model's quality, a score is missing for a row, or a model has neither
            a recorded cost nor a known price.
    """
    tier_configs = [router.tiers[t] for t in route.tiers]
    models = list(dict.fromkeys(c.info.name for tier in tier_configs for c in tier.candidates))
    tier_of = {}
    for tier in reversed(tier_configs):  # a model in several tiers is estimated in its cheapest one
        for candidate in tier.candidates:
            tier_of[candidate.info.name] = tier
    infos = {c.info.name: c.info for tier in tier_configs for c in tier.candidates}
    # A synthetic score inside each tier's band: decide() then picks that tier's model for the row.
    bands = (0.0, *route.thresholds, 1.0)
    synthetic = [(bands[p] + bands[p + 1]) / 2 for p in range(len(route.tiers))]
    classifier = "scores file" if scores is not None else route.classifier.name
    kept: list[Row] = []
    quality: list[tuple[float, ...]] = []
    cost: list[tuple[float, ...]] = []
    row_scores: list[float | None] = []
    served: list[tuple[str, ...]] = []
    tier_quality: list[list[float]] = [[] for _ in route.tiers]
    tier_cost: list[list[float]] = [[] for _ in route.tiers]
    skipped = {"missing_quality": 0, "unroutable": 0}
    unpriced: dict[str, int] = {}
    recorded = estimated = failures = 0

    def cost_of(row: Row, model: str, estimate: float | None) -> float:
        nonlocal recorded, estimated
        value = row.cost_usd.get(model)
        if value is not None:
            recorded += 1
            return value
        if estimate is None:
            unpriced[model] = unpriced.get(model, 0) + 1
            return 0.0  # never reported: unpriced models raise below
        estimated += 1
        return estimate

    for done, row in enumerate(rows, 1):
        if progress is not None:
            progress(done, len(rows))
        if any(m not in row.quality for m in models):
            skipped["missing_quality"] += 1
            continue
        request = row.request
        if router.count_tokens is not None:  # the policy's token counter, as the client would use it
            request = count_input_tokens(request, router.count_tokens, router.policy.token_counter)
        try:
            with warnings.catch_warnings():
                # Unpriced models are reported below, by name, only if a row has no recorded cost for them.
                warnings.simplefilter("ignore", FrugalWarning)
                decisions = [
                    router.decide(request, Classification(s, (), classifier), route).chain[0].info.name
                    for s in synthetic
                ]
        except RoutingError:
            skipped["unroutable"] += 1
            continue
        if any(m not in row.quality for m in decisions):  # a model pinned by a rule
            skipped["missing_quality"] += 1
            continue
        row_scores.append(_score(row, request, route, scores))
        failures += row_scores[-1] is None
        tokens = request.estimated_input_tokens
        row_cost = {}
        for model in dict.fromkeys([*models, *decisions]):
            info = infos.get(model) or router.place(model).info
            tier = tier_of.get(model, tier_configs[-1])
            output = Router._output_tokens(request, tier)
            row_cost[model] = cost_of(
                row, model, router.catalog.estimate(info, tokens, output) if info.priced else None
            )
        kept.append(row)
        served.append(tuple(decisions))
        quality.append(tuple(row.quality[m] for m in models))
        cost.append(tuple(row_cost[m] for m in models))
        for position, model in enumerate(decisions):
            tier_quality[position].append(row.quality[model])
            tier_cost[position].append(row_cost[model])
    if unpriced:
        listed = ", ".join(f"{m} ({n} rows)" for m, n in unpriced.items())
        raise DataError(
            f"no recorded cost_usd and no known price for {listed}: give --price MODEL=INPUT/OUTPUT "
            "(USD per million tokens) or prices under 'models:' in the policy (a price is never taken as 0)"
        )
    if not kept:
        raise DataError(
            f"no row can be evaluated: {skipped['missing_quality']} lack the quality of one of "
            f"{', '.join(models)}; {skipped['unroutable']} cannot be routed"
        )
    default = route.tiers.index(router.default_tier) if router.default_tier in route.tiers else 0
    outcomes = Outcomes(
        tuple(row_scores),
        tuple(map(tuple, tier_quality)),
        tuple(map(tuple, tier_cost)),
        default,
    )
    return Prepared(
        tuple(kept),
        tuple(t.name for t in tier_configs),
        tuple(tuple(dict.fromkeys(c.info.name for c in t.candidates)) for t in tier_configs),
        tuple(models),
        tuple(quality),
        tuple(cost),
        outcomes,
        route.thresholds,
        classifier,
        {k: v for k, v in skipped.items() if v},
        recorded,
        estimated,
        failures,
        tuple(served),
    )


def _score(
    row: Row, request: RoutingRequest, route: RouteConfig, scores: Mapping[str, float] | None
) -> float | None:
    if scores is None:
        verdict = classify_safely(route.classifier, request)
        return None if verdict is None else verdict.score
    score = scores.get(row.id)
    if score is None:
        raise DataError(f"{row.where}: no score for row id {row.id!r} in the scores file")
    return score


@dataclass(frozen=True, slots=True)
class Evaluation:
    """Everything ``frugal eval`` reports; :meth:`to_dict` is its ``--json``.

    Attributes:
        prepared: the routed rows.
        target: the quality target, as a share of the strongest model's quality.
        single: each single model's point.
        strongest: the single model of highest quality.
        cheapest: the cheapest single model.
        hull: the random-mix hull's vertices (model names and points), cheapest first.
        oracle: the per-row oracle's point.
        settings: every threshold setting swept.
        curve: the settings no other setting beats (cheaper and at least as good), cheapest first.
        at_target: the cheapest setting reaching the target (None when none does).
        configured: the route's own thresholds applied to the rows.
        apgr: the router's APGR (None when the strongest model is neither dearer nor better).
        zero_router_apgr: the random-mix hull's APGR.
    """

    prepared: Prepared
    target: float
    single: Mapping[str, Point]
    strongest: str
    cheapest: str
    hull: tuple[tuple[str, Point], ...]
    oracle: Point
    settings: tuple[Setting, ...]
    curve: tuple[Setting, ...]
    at_target: Setting | None
    configured: Setting
    apgr: float | None
    zero_router_apgr: float | None

    @property
    def target_quality(self) -> float:
        """The quality to reach: ``target`` x the strongest model's quality."""
        return self.target * self.single[self.strongest].quality

    @property
    def zero_router_cost(self) -> float | None:
        """What the random-mix hull pays to reach the target quality."""
        return metrics.cost_to_reach([p for _, p in self.hull], self.target_quality)

    def to_dict(self) -> dict[str, Any]:
        """The stable ``--json`` document (keys documented in docs/evaluation.md)."""
        p = self.prepared
        baseline = self.single[self.strongest].cost

        def point(at: Point) -> dict[str, Any]:
            return {"quality": at.quality, "cost_usd": at.cost, "savings": metrics.savings(at.cost, baseline)}

        def setting(s: Setting | None) -> dict[str, Any]:
            if s is None:
                return {
                    "reached": False,
                    "threshold": None,
                    "quality": None,
                    "cost_usd": None,
                    "savings": None,
                    "tier_share": None,
                }
            return {
                "reached": s.point.quality >= self.target_quality - 1e-12,
                "threshold": list(s.thresholds),
                **point(s.point),
                "tier_share": dict(zip(p.tiers, s.shares, strict=True)),
            }

        zero_cost = self.zero_router_cost
        return {
            "rows": len(p.rows),
            "skipped": dict(p.skipped),
            "classifier": p.classifier,
            "classifier_failures": p.classifier_failures,
            "tiers": [{"name": n, "models": list(m)} for n, m in zip(p.tiers, p.tier_models, strict=True)],
            "costs": {"recorded": p.recorded_costs, "estimated": p.estimated_costs},
            "target": self.target,
            "target_quality": self.target_quality,
            "models": [{"model": m, **point(at)} for m, at in self.single.items()],
            "strongest": {"model": self.strongest, **point(self.single[self.strongest])},
            "cheapest": {"model": self.cheapest, **point(self.single[self.cheapest])},
            "zero_router": {
                "quality": None if zero_cost is None else self.target_quality,
                "cost_usd": zero_cost,
                "savings": metrics.savings(zero_cost, baseline),
                "apgr": self.zero_router_apgr,
                "hull": [{"model": m, "quality": at.quality, "cost_usd": at.cost} for m, at in self.hull],
            },
            "oracle": point(self.oracle),
            "at_target": setting(self.at_target),
            "configured": setting(self.configured),
            "apgr": self.apgr,
            "curve": [
                {"threshold": list(s.thresholds), "quality": s.point.quality, "cost_usd": s.point.cost}
                for s in self.curve
            ],
        }


def _knob(settings: Sequence[Setting], curve: Sequence[Setting]) -> Sequence[Setting]:
    """The router's curve for APGR: 2 tiers, every threshold from all-cheap to all-strong; else the frontier.

    With three tiers or more the settings are a grid, not a path: the frontier (the best setting at each
    cost) stands in for it, which is optimistic in sample (compare out of sample with ``calibrate``).
    """
    if settings and len(settings[0].thresholds) == 1:
        return sorted(settings, key=lambda s: -s.thresholds[0])
    return curve


def evaluate(prepared: Prepared, target: float = 0.95) -> Evaluation:
    """The report on routed rows, for a quality target given as a share of the strongest model's."""
    if not 0.0 < target <= 1.0:
        raise ValueError(f"the target must lie in (0, 1], got {target!r}")
    single = prepared.single()
    strongest, cheapest = metrics.strongest(single), metrics.cheapest(single)
    names = {id(point): model for model, point in single.items()}
    hull = metrics.upper_hull(single.values())
    settings = sweep(prepared.outcomes)
    goal = target * single[strongest].quality
    by_point = {id(s.point): s for s in settings}
    curve = tuple(by_point[id(point)] for point in metrics.frontier(s.point for s in settings))
    return Evaluation(
        prepared=prepared,
        target=target,
        single=single,
        strongest=strongest,
        cheapest=cheapest,
        hull=tuple((names[id(point)], point) for point in hull),
        oracle=metrics.oracle(prepared.quality, prepared.cost),
        settings=tuple(settings),
        curve=curve,
        at_target=cheapest_setting(settings, goal),
        configured=apply(prepared.outcomes, prepared.thresholds),
        apgr=metrics.apgr((s.point for s in _knob(settings, curve)), single[cheapest], single[strongest]),
        zero_router_apgr=metrics.apgr(hull, single[cheapest], single[strongest]),
    )
