"""The classifiers a cross-validated evaluation compares, and their out-of-fold scores.

A candidate is a classifier spec (refitted per fold when it is a trained one) or a scores file (taken as
it is). ``--compare`` names more candidates as ``NAME`` or ``NAME=OPTIONS`` (a JSON object).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from ..exceptions import ConfigError
from ..policy import ClassifierSpec
from .data import Row
from .folds import Folds
from .trainers import out_of_fold

__all__ = ["Candidate", "parse_candidate", "score_candidates"]


@dataclass(frozen=True, slots=True)
class Candidate:
    """A classifier to judge: a spec, or fixed scores by row id (a scores file)."""

    label: str
    spec: ClassifierSpec | None = None
    scores: Mapping[str, float] | None = None


def label_of(spec: ClassifierSpec) -> str:
    """A short name for a report: the classifier's name, and its options when it has any."""
    if not spec.options:
        return spec.name
    options = ", ".join(f"{k}={v}" for k, v in spec.options.items())
    return f"{spec.name} ({options})"


def parse_candidate(text: str) -> Candidate:
    """``--compare NAME`` or ``--compare NAME=OPTIONS`` (OPTIONS a JSON object).

    Raises:
        ConfigError: an empty name, or options that are not a JSON object.
    """
    name, sep, options = text.partition("=")
    name = name.strip()
    if not name:
        raise ConfigError(f"--compare {text!r}: expected NAME or NAME={{json options}}")
    parsed: object = {}
    if sep:
        try:
            parsed = json.loads(options)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"--compare {text!r}: options are not valid JSON ({exc.msg})") from None
        if not isinstance(parsed, dict):
            raise ConfigError(f"--compare {text!r}: options must be a JSON object")
    spec = ClassifierSpec(name=name, options=dict(parsed) if isinstance(parsed, dict) else {})
    return Candidate(label_of(spec), spec)


def score_candidates(
    rows: Sequence[Row],
    folds: Folds,
    candidates: Sequence[Candidate],
    progress: Callable[[str], Callable[[int, int], None] | None] | None = None,
) -> list[tuple[str, bool, Mapping[str, float | None]]]:
    """Each candidate's label, whether it was refitted per fold, and its out-of-fold scores by row id.

    Raises:
        ConfigError: a classifier does not load or cannot be trained.
        DataError: a scores file lacks a row.
    """
    scored: list[tuple[str, bool, Mapping[str, float | None]]] = []
    for candidate in candidates:
        if candidate.scores is not None:
            table = candidate.scores
            missing = next((row for row in rows if row.id not in table), None)
            if missing is not None:
                from ..exceptions import DataError

                raise DataError(f"{missing.where}: no score for row id {missing.id!r} in the scores file")
            scored.append((candidate.label, False, dict(table)))
            continue
        assert candidate.spec is not None  # a candidate is a spec or scores
        show = progress(f"scoring with {candidate.label}") if progress is not None else None
        result = out_of_fold(rows, folds, candidate.spec, progress=show)
        scored.append((candidate.label, result.refitted, result.scores))
    return scored
