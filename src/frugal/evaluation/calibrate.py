"""Choosing a policy's thresholds for a quality target, and saying honestly how well that choice holds.

**In sample**: on all the calibration rows, the cheapest threshold setting of the sweep whose quality
reaches ``target`` x the strongest model's quality. Chosen and judged on the same rows, it is optimistic.

**Out of sample** (k-fold): the rows are shuffled (seeded) and dealt into k folds; for each fold the
thresholds are chosen on the other folds and applied to it. The held-out rows' quality and cost are
pooled over the folds: that is the figure to expect on new rows like these. The classifier's scores are
not refitted: when the classifier was itself trained on these rows, score them out of fold first
(``frugal train --folds K --scores FILE``, then ``--scores FILE``).
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from ..catalog import Catalog, PricesSpec
from ..policy import Policy
from . import metrics
from .evaluate import Prepared
from .metrics import Point
from .setup import EVAL_PROVIDER
from .sweep import Setting, apply, cheapest_setting, sweep

__all__ = [
    "Calibration",
    "Fold",
    "calibrate",
    "models_policy_yaml",
    "policy_with_thresholds",
    "thresholds_yaml",
]


@dataclass(frozen=True, slots=True)
class Fold:
    """One fold of the cross-validation: the thresholds chosen without it, and what they gave on it."""

    thresholds: tuple[float, ...]
    reached_in_training: bool
    rows: int
    held_out: Point


@dataclass(frozen=True, slots=True)
class Calibration:
    """The chosen thresholds, their in-sample figures and the pooled out-of-sample ones.

    Attributes:
        target: the quality target as a share of the strongest model's quality.
        strongest: the strongest single model and its point on all rows (the savings baseline).
        in_sample: the setting chosen on all rows (None when no setting reaches the target).
        folds: each fold of the cross-validation.
        out_of_sample: the held-out rows' pooled point.
    """

    target: float
    strongest: tuple[str, Point]
    in_sample: Setting | None
    folds: tuple[Fold, ...]
    out_of_sample: Point

    @property
    def target_quality(self) -> float:
        """``target`` x the strongest model's quality on all rows."""
        return self.target * self.strongest[1].quality

    def to_dict(self) -> dict[str, Any]:
        """The ``frugal calibrate --json`` document (keys documented in docs/evaluation.md)."""
        name, strong = self.strongest
        chosen = self.in_sample

        def point(at: Point) -> dict[str, Any]:
            return {
                "quality": at.quality,
                "share_of_strongest": at.quality / strong.quality if strong.quality else None,
                "cost_usd": at.cost,
                "savings": metrics.savings(at.cost, strong.cost),
                "reached": at.quality >= self.target_quality - 1e-12,
            }

        return {
            "target": self.target,
            "target_quality": self.target_quality,
            "strongest": {"model": name, "quality": strong.quality, "cost_usd": strong.cost},
            "threshold": None if chosen is None else list(chosen.thresholds),
            "in_sample": None if chosen is None else point(chosen.point),
            "out_of_sample": {**point(self.out_of_sample), "folds": len(self.folds)},
            "folds": [
                {
                    "threshold": list(f.thresholds),
                    "reached_in_training": f.reached_in_training,
                    "rows": f.rows,
                    "quality": f.held_out.quality,
                    "cost_usd": f.held_out.cost,
                }
                for f in self.folds
            ],
        }


def _choose(prepared: Prepared, target: float) -> tuple[Setting, bool]:
    """The cheapest setting reaching the target on these rows, else the best one (and False)."""
    single = prepared.single()
    goal = target * single[metrics.strongest(single)].quality
    settings = sweep(prepared.outcomes)
    chosen = cheapest_setting(settings, goal)
    if chosen is not None:
        return chosen, True
    return max(settings, key=lambda s: (s.point.quality, -s.point.cost)), False


def calibrate(prepared: Prepared, target: float = 0.95, *, folds: int = 5, seed: int = 0) -> Calibration:
    """Choose thresholds on ``prepared`` and cross-validate the choice (see the module docstring).

    Raises:
        ValueError: a target outside (0, 1], or fewer than 2 folds or more folds than rows.
    """
    rows = len(prepared.rows)
    if not 0.0 < target <= 1.0:
        raise ValueError(f"the target must lie in (0, 1], got {target!r}")
    if not 2 <= folds <= rows:
        raise ValueError(f"folds must lie between 2 and the number of rows ({rows}), got {folds}")
    single = prepared.single()
    strongest = metrics.strongest(single)
    chosen, reached = _choose(prepared, target)
    order = list(range(rows))
    random.Random(seed).shuffle(order)
    results = []
    quality = cost = 0.0
    for fold in range(folds):
        held_out = sorted(order[fold::folds])
        kept = set(held_out)
        thresholds, fits = _choose(prepared.subset([i for i in range(rows) if i not in kept]), target)
        outcome = apply(prepared.outcomes.subset(held_out), thresholds.thresholds)
        results.append(Fold(thresholds.thresholds, fits, len(held_out), outcome.point))
        quality += outcome.point.quality * len(held_out)
        cost += outcome.point.cost
    return Calibration(
        target=target,
        strongest=(strongest, single[strongest]),
        in_sample=chosen if reached else None,
        folds=tuple(results),
        out_of_sample=Point(cost, quality / rows),
    )


def thresholds_yaml(thresholds: tuple[float, ...]) -> str:
    """A flow sequence for a policy's ``thresholds:`` (shortest exact decimals)."""
    return "[" + ", ".join(repr(t) for t in thresholds) + "]"


def policy_with_thresholds(text: str, thresholds: tuple[float, ...]) -> str:
    """The policy YAML ``text`` with its top-level ``thresholds:`` replaced (added when it has none).

    Everything else, comments included, is kept as written.
    """
    flow = thresholds_yaml(thresholds)
    found = _top_level(yaml.compose(text, Loader=yaml.SafeLoader), "thresholds")
    if found is None:
        return text + ("" if text.endswith("\n") or not text else "\n") + f"thresholds: {flow}\n"
    key, value = found
    if isinstance(value, yaml.SequenceNode) and not value.flow_style:
        # A block list ends where the next line starts: rewrite from the key on, as one flow line.
        return text[: key.end_mark.index] + f": {flow}\n" + text[value.end_mark.index :]
    return text[: value.start_mark.index] + flow + text[value.end_mark.index :]


def _top_level(node: yaml.Node | None, name: str) -> tuple[yaml.Node, yaml.Node] | None:
    if not isinstance(node, yaml.MappingNode):
        return None
    for key, value in node.value:
        if isinstance(key, yaml.ScalarNode) and key.value == name:
            return key, value
    return None


def models_policy_yaml(
    policy: Policy, thresholds: tuple[float, ...], prices: Mapping[str, PricesSpec] | None = None
) -> str:
    """A policy file for a ``--models`` calibration: one tier per model, the classifier, the thresholds.

    The file validates and routes as written: every model the catalog cannot serve by its name alone (not
    an OpenAI or Anthropic name, or one without a known price) is declared under ``models:`` with the
    evaluation's provider (declared under ``providers:``, to be pointed at the server that serves it) and
    the ``--price`` the evaluation used; a known model given a ``--price`` keeps that price too.

    Args:
        policy: the evaluation policy (:func:`~frugal.evaluation.setup.models_policy`).
        thresholds: the chosen thresholds.
        prices: the ``--price`` values, by model.
    """
    prices = prices or {}
    models = [model for tier in policy.tiers for model in tier.models]
    catalog = Catalog.build(models)
    declared: dict[str, dict[str, Any]] = {}
    providers: set[str] = set()
    for model in models:
        info = catalog.get(model)
        entry: dict[str, Any] = {}
        if info is None or info.provider is None or not info.priced:
            spec = policy.models.get(model)
            provider = spec.provider if spec is not None and spec.provider else EVAL_PROVIDER
            entry["provider"] = provider
            providers.add(provider)
        if model in prices:
            entry["prices"] = prices[model].model_dump(exclude_none=True)
        if entry:
            declared[model] = entry
    lines = [
        "# Written by 'frugal calibrate --models': one tier per model, cheapest first.",
        "version: 1",
        f"name: {_scalar(policy.name)}",
        "classifier:",
        f"  name: {_scalar(policy.classifier.name)}",
    ]
    if policy.classifier.options:
        lines.append(f"  options: {_flow(policy.classifier.options)}")
    lines.append("tiers:")
    for tier in policy.tiers:
        lines.append(f"  - name: {_scalar(tier.name)}")
        lines.append(f"    models: {_flow(tier.models)}")
    lines.append(f"thresholds: {thresholds_yaml(thresholds)}")
    if providers:
        lines += [
            "# The provider of the models below that are not OpenAI or Anthropic names: point it at the",
            "# server that serves them (base_url, api_key_env) before the first call.",
            "providers:",
        ]
        for name in sorted(providers):
            endpoint = policy.providers.get(name)
            kind = endpoint.kind if endpoint is not None and endpoint.kind else "openai"
            lines.append(f"  {_scalar(name)}: {{kind: {kind}}}")
    if declared:
        lines.append("models:")
        for model, entry in declared.items():
            unpriced = "" if "prices" in entry else _UNPRICED
            lines.append(f"  {_scalar(model)}: {_flow(entry)}{unpriced}")
    return "\n".join(lines) + "\n"


_UNPRICED = "  # no --price given: add prices: {input: ..., output: ...} (USD per million tokens)"


def _scalar(value: Any) -> str:
    return yaml.safe_dump(value).splitlines()[0]


def _flow(value: Any) -> str:
    return yaml.safe_dump(value, default_flow_style=True, sort_keys=False, width=1 << 20).strip()
