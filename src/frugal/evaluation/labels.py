"""What ``frugal train`` teaches the ``learned`` classifier: each row's label, from its models' quality.

Two labels, both computed per data file from the rows' quality of every model:

- ``escalation`` (the default): the models of a file are ordered by their mean quality in it; a row's
  label is the mean, over every ordered pair of them (a weaker, b stronger), of ``q_b x (1 - q_a)``: the
  probability that, of two models drawn from the pool, the stronger succeeds where the weaker fails.
  That is what routing up buys, whichever two models a deployment uses: on the shared data, a perfect
  predictor of it ranks the rows where *any* pair's stronger model wins above the others with an AUC of
  0.79 (mean over sources), against 0.70 for ``strong-wins`` and 0.47 for the share of models that
  fail — the hardest prompts are the ones every model fails, where escalating buys nothing
  (docs/evaluation.md).
- ``strong-wins`` (the 0.1 model's): ``q_strong x (1 - mean quality of the other models)``, the strong
  model being the file's most accurate (or one named).

Rows with fewer than two models (or, for ``strong-wins``, without the strong model) are not used.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ..exceptions import DataError
from .data import Row

__all__ = ["DESCRIPTIONS", "ESCALATION", "STRONG_WINS", "Labels", "labels"]

ESCALATION = "escalation"
STRONG_WINS = "strong-wins"
#: What each label says, as recorded in a model file's provenance.
DESCRIPTIONS = {
    ESCALATION: "mean over ordered model pairs (weaker, stronger by the file's mean quality) of "
    "q_stronger x (1 - q_weaker)",
    STRONG_WINS: "q_strong x (1 - mean quality of the other models), strong = the file's most accurate model",
}


@dataclass(frozen=True, slots=True)
class Labels:
    """Per row: the label and whether it is used; per file: its models from weakest to strongest."""

    values: tuple[float, ...]
    used: tuple[bool, ...]
    order: Mapping[str, tuple[str, ...]]

    @property
    def strong(self) -> dict[str, str]:
        """Each file's strongest model."""
        return {file: models[-1] for file, models in self.order.items()}


def labels(rows: Sequence[Row], kind: str = ESCALATION, strong: str | None = None) -> Labels:
    """Each row's label (see the module docstring).

    Args:
        rows: labelled rows, of one file or several.
        kind: ``"escalation"`` or ``"strong-wins"``.
        strong: for ``strong-wins``, the strong model (default: each file's most accurate one).

    Raises:
        DataError: ``strong`` is named in no row of a file, or no row can be labelled.
        ValueError: an unknown kind.
    """
    if kind not in DESCRIPTIONS:
        raise ValueError(f"unknown label {kind!r} (known: {', '.join(DESCRIPTIONS)})")
    order = _model_order(rows)
    if strong is not None:
        for file, models in order.items():
            if strong not in models:
                raise DataError(f"{file}: the strong model {strong!r} has no quality in any row")
            order[file] = (*(m for m in models if m != strong), strong)
    values, used = [], []
    for row in rows:
        models = tuple(m for m in order[row.file] if m in row.quality)
        if kind == ESCALATION:
            ok = len(models) >= 2
            values.append(_escalation([row.quality[m] for m in models]) if ok else 0.0)
        else:
            top = order[row.file][-1]
            others = [q for m, q in row.quality.items() if m != top]
            ok = top in row.quality and bool(others)
            values.append(row.quality[top] * (1.0 - sum(others) / len(others)) if ok else 0.0)
        used.append(ok)
    if not any(used):
        raise DataError("no row can be labelled: each needs the quality of two models (the strong one too)")
    return Labels(tuple(values), tuple(used), order)


def _model_order(rows: Sequence[Row]) -> dict[str, tuple[str, ...]]:
    """Per file, its models from the lowest mean quality to the highest (ties by name)."""
    totals: dict[str, dict[str, list[float]]] = {}
    for row in rows:
        file = totals.setdefault(row.file, {})
        for model, q in row.quality.items():
            file.setdefault(model, []).append(q)
    return {
        file: tuple(sorted(models, key=lambda m: (sum(models[m]) / len(models[m]), m)))
        for file, models in totals.items()
    }


def _escalation(quality: Sequence[float]) -> float:
    """Mean over pairs a < b (weakest first) of ``q_b (1 - q_a)``, in one pass with a running sum."""
    total = failed_before = 0.0
    for q in quality:
        total += q * failed_before  # each weaker model's failure, times this one succeeding
        failed_before += 1.0 - q
    pairs = len(quality) * (len(quality) - 1) / 2
    return total / pairs
