"""Refitting a classifier without the rows it is judged on: the trainers of the built-in classifiers.

Cross-validation (``--cv``) must not judge a classifier on rows it was trained on. A classifier that is
trained (``learned``, ``knn``) is refitted on every fold's training rows with the recipe it was made
with, read from its own model or index file: the shipped ``learned`` model names the data, label and
options that made it, so the figures are those of that recipe, not of the file shipped. A classifier
that is not trained (``heuristic``, a plug-in, a ``--scores`` file) scores every row as it is.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from ..classifiers.base import Classifier
from ..classifiers.registry import load_classifier
from ..policy import ClassifierSpec
from ..routing import classify_safely
from .data import Row
from .folds import Folds

__all__ = ["OutOfFold", "Trainer", "out_of_fold", "trainer_for"]

Progress = Callable[[int, int], None]


class Trainer(Protocol):
    """Fits one kind of classifier on subsets of a fixed set of rows (features are read once)."""

    def fit(self, indices: Sequence[int]) -> Classifier:
        """A classifier trained on ``rows[i] for i in indices`` (minus what its recipe leaves out)."""
        ...


def trainer_for(
    spec: ClassifierSpec, rows: Sequence[Row], progress: Progress | None = None
) -> Trainer | None:
    """The trainer of the classifier ``spec`` names, ready on ``rows``; None for one that is not trained.

    Raises:
        ConfigError: the classifier's options or its model file are bad; numpy is missing for training.
    """
    from ..classifiers.learned import LearnedClassifier

    classifier = load_classifier(spec.name, spec.options)
    if isinstance(classifier, LearnedClassifier):
        from .train import LearnedTrainer

        return LearnedTrainer(rows, classifier, progress)
    return None


@dataclass(frozen=True, slots=True)
class OutOfFold:
    """Each row's score by a classifier that did not see its fold.

    Attributes:
        scores: by row id; None where the classifier failed (the row then goes to the default tier).
        refitted: True when the classifier was trained anew for each fold; False when it is not a trained
            classifier and scored every row as it is.
    """

    scores: Mapping[str, float | None]
    refitted: bool


def out_of_fold(
    rows: Sequence[Row],
    folds: Folds,
    spec: ClassifierSpec,
    *,
    progress: Progress | None = None,
) -> OutOfFold:
    """Score every row with a classifier fitted on the other folds (see the module docstring).

    Raises:
        ConfigError: the classifier does not load or cannot be trained.
    """
    trainer = trainer_for(spec, rows)  # reads every row's features once, before any fold
    scores: dict[str, float | None] = {}
    if trainer is None:
        classifier = load_classifier(spec.name, spec.options)
        for done, row in enumerate(rows, 1):
            scores[row.id] = _score(classifier, row)
            if progress is not None:
                progress(done, len(rows))
        return OutOfFold(scores, refitted=False)
    done = 0
    for fold in range(len(folds.names)):
        held_out = folds.rows_of(fold)
        classifier = trainer.fit([i for i, f in enumerate(folds.of_row) if f != fold])
        for i in held_out:
            scores[rows[i].id] = _score(classifier, rows[i])
        done += len(held_out)
        if progress is not None:
            progress(done, len(rows))
    return OutOfFold(scores, refitted=True)


def _score(classifier: Any, row: Row) -> float | None:
    verdict = classify_safely(classifier, row.request)
    return None if verdict is None else verdict.score
