"""Choosing a policy's thresholds from the feedback store's labels (``frugal calibrate --from-store``).

A label is a request the policy's classifier scored (``score``), answered by a model of one tier
(``tier``, or the tier holding ``model``) and judged against a stronger reference (``reference_model``:
the baseline of a shadow comparison; the strongest tier when the label names none): ``good`` is how well
the cheaper answer did, from 0 to 1. Read as an evaluation row, a label gives its verdict to every tier
below its reference model's tier, and 1 (the reference's own quality) to the reference's tier and above.
For a two-tier policy that is exactly what was measured; with more tiers, a label of the cheapest tier
also speaks for the tiers between it and the reference (conservative: a stronger tier does at least as
well), and a label of a middle tier for the tiers below it (optimistic: label the cheapest tier too).

The thresholds are then chosen as ``frugal calibrate`` chooses them on rows
(:mod:`frugal.evaluation.sweep`): the setting that sends the most labelled requests to the cheaper tiers
(tier costs are taken in the policy's order, cheapest first: the store records no per-call price) while
the mean quality stays at ``target`` or above. Labels scored by another classifier than the policy's,
without a score, or about models outside the policy's tiers are skipped and counted.

The labels are a sample of what the router did: a shadow comparison labels the tier the request was
sent to, so a threshold far from the current ones rests on few labels (the report gives each tier's
labelled count).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..exceptions import DataError
from ..feedback.labels import Label
from ..policy import Policy
from .sweep import Outcomes, Setting, cheapest_setting, sweep

__all__ = ["StoreCalibration", "calibrate_from_labels"]


@dataclass(frozen=True, slots=True)
class StoreCalibration:
    """Thresholds chosen on store labels.

    Attributes:
        target: the quality target (the reference's quality is 1).
        chosen: the setting chosen (None when none reaches the target; ``best`` is then the closest).
        best: the chosen setting, or the one of highest quality when none reaches the target.
        labels: labels used.
        by_tier: labels used per tier of the labelled model.
        skipped: labels left out, by reason.
        tiers: the policy's tier names, cheapest first.
    """

    target: float
    chosen: Setting | None
    best: Setting
    labels: int
    by_tier: Mapping[str, int]
    skipped: Mapping[str, int]
    tiers: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """The ``frugal calibrate --from-store --json`` document."""
        return {
            "target": self.target,
            "threshold": None if self.chosen is None else list(self.chosen.thresholds),
            "reached": self.chosen is not None,
            "quality": self.best.point.quality,
            "shares": dict(zip(self.tiers, self.best.shares, strict=True)),
            "labels": self.labels,
            "labels_by_tier": dict(self.by_tier),
            "skipped": dict(self.skipped),
        }


def _tier_of(
    model: str | None, tier: str | None, names: Sequence[str], members: Sequence[set[str]]
) -> int | None:
    if tier is not None and tier in names:
        return names.index(tier)
    if model is not None:
        for index, models in enumerate(members):
            if model in models:
                return index
    return None


def calibrate_from_labels(labels: Sequence[Label], policy: Policy, target: float = 0.95) -> StoreCalibration:
    """Choose ``policy``'s top-level thresholds on store labels (see the module docstring).

    Raises:
        DataError: the policy has one tier, or no label can be used (the message says why each was not).
        ValueError: a target outside (0, 1].
    """
    if not 0.0 < target <= 1.0:
        raise ValueError(f"the target must lie in (0, 1], got {target!r}")
    names = [tier.name for tier in policy.tiers]
    if len(names) < 2:
        raise DataError("the policy has one tier: there is no threshold to choose")
    members = [set(tier.models) for tier in policy.tiers]
    top = len(names) - 1
    scores: list[float] = []
    quality: list[list[float]] = [[] for _ in names]
    by_tier: Counter[str] = Counter()
    skipped: Counter[str] = Counter()
    for label in labels:
        if label.score is None:
            skipped["no_score"] += 1
            continue
        if label.classifier is not None and label.classifier != policy.classifier.name:
            skipped["other_classifier"] += 1
            continue
        answered = _tier_of(label.model, label.tier, names, members)
        if answered is None:
            skipped["model_not_in_tiers"] += 1
            continue
        reference = _tier_of(label.reference_model, None, names, members)
        reference = top if reference is None else reference
        if answered >= reference:
            skipped["not_below_reference"] += 1
            continue
        good = min(1.0, max(0.0, float(label.good)))
        scores.append(min(1.0, max(0.0, float(label.score))))
        for index in range(len(names)):
            quality[index].append(good if index < reference else 1.0)
        by_tier[names[answered]] += 1
    if not scores:
        reasons = ", ".join(f"{reason}: {count}" for reason, count in sorted(skipped.items()))
        raise DataError(
            f"no usable label among {len(labels)} (expected labels scored by the policy's classifier "
            f"{policy.classifier.name!r} about a model of its tiers{'; ' + reasons if reasons else ''})"
        )
    # Tiers cost what their rank says, cheapest first: the cheapest setting is the one sending most
    # labelled requests down.
    cost = tuple(tuple(float(index + 1) for _ in scores) for index in range(len(names)))
    outcomes = Outcomes(tuple(scores), tuple(tuple(q) for q in quality), cost)
    settings = sweep(outcomes)
    chosen = cheapest_setting(settings, target)
    best = chosen or max(settings, key=lambda s: (s.point.quality, -s.point.cost))
    return StoreCalibration(target, chosen, best, len(scores), dict(by_tier), dict(skipped), tuple(names))
