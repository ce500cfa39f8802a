"""Refitting a classifier without the rows it is judged on: the trainers of the built-in classifiers.

Cross-validation (``--cv``) must not judge a classifier on rows it was trained on. A classifier that is
trained (``learned``, ``knn``) is refitted on every fold's training rows with the recipe it was made
with, read from its own model or index file: the shipped ``learned`` model names the data, label and
options that made it, so the figures are those of that recipe, not of the file shipped. A ``knn``
classifier is re-indexed on each fold's training rows with its index's recipe (or, given no index, the
embedder and ``k`` of its options). A classifier that is not trained (``heuristic``, a plug-in, a
``--scores`` file) scores every row as it is.
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

__all__ = ["OutOfFold", "Trainer", "out_of_fold", "refit_scores", "score_safely", "trainer_for"]

Progress = Callable[[int, int], None]


class Trainer(Protocol):
    """Fits one kind of classifier on subsets of a fixed set of rows (features are read once)."""

    def fit(self, indices: Sequence[int], adapt: Sequence[int] = ()) -> Classifier:
        """A classifier trained on ``rows[i] for i in indices`` (minus what its recipe leaves out).

        ``adapt`` (a subset of ``indices``): rows of the source being judged (``--adapt``), trained on even
        when the recipe leaves their source out: nothing made with them ships.
        """
        ...

    def score(self, classifier: Classifier, index: int) -> float | None:
        """Row ``index``'s score by ``classifier`` (one the trainer fitted; None if it failed)."""
        ...


def trainer_for(
    spec: ClassifierSpec, rows: Sequence[Row], progress: Progress | None = None
) -> Trainer | None:
    """The trainer of the classifier ``spec`` names, ready on ``rows``; None for one that is not trained.

    Raises:
        ConfigError: the classifier's options or its model file are bad; numpy is missing for training.
    """
    from ..classifiers.knn import KnnClassifier
    from ..classifiers.learned import LearnedClassifier

    if spec.name == "knn" or _is_class(spec.name, KnnClassifier):
        from .knn_index import KnnTrainer, recipe_from_options

        return KnnTrainer(rows, recipe_from_options(spec.options), progress)
    classifier = load_classifier(spec.name, spec.options)
    if isinstance(classifier, LearnedClassifier):
        from .train import LearnedTrainer, recipe_of

        return LearnedTrainer(rows, recipe_of(classifier.model), progress)
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
            scores[row.id] = score_safely(classifier, row)
            if progress is not None:
                progress(done, len(rows))
        return OutOfFold(scores, refitted=False)
    return OutOfFold(refit_scores(trainer, rows, folds, progress), refitted=True)


def refit_scores(
    trainer: Trainer, rows: Sequence[Row], folds: Folds, progress: Progress | None = None
) -> dict[str, float | None]:
    """Each row's score by the trainer's classifier fitted on the other folds (and the fold's own
    adaptation rows, which are not scored), by row id."""
    scores: dict[str, float | None] = {}
    done = 0
    for fold in range(len(folds.names)):
        held_out = folds.rows_of(fold)
        classifier = trainer.fit(folds.training_rows(fold), folds.adaptation_rows(fold))
        for i in held_out:
            scores[rows[i].id] = trainer.score(classifier, i)
        done += len(held_out)
        if progress is not None:
            progress(done, len(folds.of_row) - sum(folds.adapt))
    return scores


def _is_class(spec: str, cls: type) -> bool:
    """True when a dotted path names ``cls`` itself (a registered name is checked by the caller)."""
    module, _, attribute = spec.replace(":", ".").rpartition(".")
    return f"{cls.__module__}.{cls.__qualname__}" == f"{module}.{attribute}"


def score_safely(classifier: Any, row: Row) -> float | None:
    """The classifier's score of a row, or None (one warning per classifier) when it raises."""
    verdict = classify_safely(classifier, row.request)
    return None if verdict is None else verdict.score
