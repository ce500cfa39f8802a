"""Fitting the learned answer check of a cascade (``frugal train --answers``). Needs numpy to train.

Each row that recorded the cheap model's answer (``responses``) and its quality is one example: the
features of :func:`~frugal.routing.answer_model.answer_features` (the answer, read as the online check
reads it, with the prompt), and whether the answer was *adequate*: its quality at or above a threshold
(0.5 by default). The model is a logistic regression with an L2 penalty on the weights (not on the
bias), each source weighing the same whatever its number of rows, minimised in numpy
(:mod:`frugal.evaluation.optimise`); deterministic. Inference needs no numpy
(:class:`~frugal.routing.answer_model.AnswerModel`).

With ``--cv sources`` every example is scored by a model fitted without its source, and each source's
figures say how well P(adequate) ranks its answers (AUC) and what escalating below a few probabilities
buys: the share of rows escalated next to the share of inadequate answers caught. Escalating the same
share at random catches that same share of inadequate answers: a check earns its keep where it catches
more than it escalates.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from ..exceptions import ConfigError, DataError
from ..routing.answer_model import FEATURES, AnswerModel, answer_features
from ..routing.cascade import recorded_answer
from .data import Row
from .folds import Folds
from .optimise import minimise_in_box, numpy

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    Vector = npt.NDArray[np.float64]

__all__ = ["AnswerExamples", "AnswerTrainOptions", "answer_examples", "fit_answer_model", "out_of_fold"]

Progress = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class AnswerTrainOptions:
    """How ``frugal train --answers`` fits an answer check (recorded in the model file).

    Attributes:
        cheap: the model whose recorded answers are judged.
        adequate: an answer is adequate when its quality is at least this.
        l2: the L2 penalty of the weights.
        max_iterations: optimiser iterations at most.
        exclude_sources: sources whose rows are not trained on.
    """

    cheap: str
    adequate: float = 0.5
    l2: float = 1e-3
    max_iterations: int = 3000
    exclude_sources: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        if not 0.0 < self.adequate <= 1.0:
            raise ConfigError(f"--adequate must lie in (0, 1], got {self.adequate}")
        if self.l2 <= 0 or self.max_iterations < 1:
            raise ConfigError("the L2 penalty must be > 0 and max_iterations >= 1")


@dataclass(frozen=True, slots=True)
class AnswerExamples:
    """The rows that recorded the cheap model's answer and quality, their features read once.

    Attributes:
        rows: those rows, in order.
        features: per row, every feature of :data:`~frugal.routing.answer_model.FEATURES`, in order.
        adequate: per row, whether the cheap model's answer was adequate.
        skipped: rows of the data without the cheap model's answer or quality.
    """

    rows: tuple[Row, ...]
    features: tuple[tuple[float, ...], ...]
    adequate: tuple[bool, ...]
    skipped: int = 0


def answer_examples(
    rows: Sequence[Row], options: AnswerTrainOptions, progress: Progress | None = None
) -> AnswerExamples:
    """Every row with the cheap model's recorded answer and quality, as an example.

    Raises:
        DataError: no row has both.
    """
    cheap = options.cheap
    kept = [row for row in rows if cheap in row.responses and cheap in row.quality]
    if not kept:
        raise DataError(
            f"no row has both a recorded answer (responses.{cheap}) and a quality for {cheap!r}: "
            "the answer check learns from the cheap model's own answers"
        )
    features = []
    for done, row in enumerate(kept, 1):
        answer = recorded_answer(row.responses[cheap], row.finish_reasons.get(cheap))
        values = answer_features(row.request, answer)
        features.append(tuple(values[name] for name in FEATURES))
        if progress is not None:
            progress(done, len(kept))
    adequate = tuple(row.quality[cheap] >= options.adequate for row in kept)
    return AnswerExamples(tuple(kept), tuple(features), adequate, len(rows) - len(kept))


def fit_answer_model(
    examples: AnswerExamples,
    options: AnswerTrainOptions,
    *,
    indices: Sequence[int] | None = None,
    provenance: Mapping[str, Any] | None = None,
) -> AnswerModel:
    """Fit P(adequate) on the examples (``indices``: these only), as the module docstring says.

    Raises:
        ConfigError: numpy is missing, or no example is left once excluded sources are dropped.
    """
    np = numpy()
    chosen = list(range(len(examples.rows))) if indices is None else list(indices)
    excluded = set(options.exclude_sources)
    chosen = [i for i in chosen if examples.rows[i].source not in excluded]
    if not chosen:
        raise ConfigError("no answer left to train on: every row is of an excluded source")
    x = np.array([examples.features[i] for i in chosen], dtype=np.float64)
    y = np.array([float(examples.adequate[i]) for i in chosen])
    sources = [examples.rows[i].source or examples.rows[i].file for i in chosen]
    names = sorted(set(sources))
    group = np.array([names.index(s) for s in sources])
    sizes = np.bincount(group, minlength=len(names)).astype(float)
    weight = 1.0 / (len(names) * sizes[group])  # each source weighs the same; the weights sum to 1
    n = x.shape[1]
    penalty = np.concatenate([np.full(n, options.l2), [0.0]])

    def loss_and_gradient(theta: Vector) -> tuple[float, Vector]:
        z = x @ theta[:n] + theta[n]
        loss = float(weight @ (np.logaddexp(0.0, z) - y * z) + 0.5 * penalty @ (theta * theta))
        residual = weight * (1.0 / (1.0 + np.exp(-z)) - y)
        gradient = np.concatenate([x.T @ residual, [residual.sum()]])
        return loss, gradient + penalty * theta

    unbounded = np.full(n + 1, np.inf)
    theta = minimise_in_box(loss_and_gradient, np.zeros(n + 1), -unbounded, unbounded, options.max_iterations)
    training = {
        "cheap": options.cheap,
        "adequate": f"quality of {options.cheap} >= {options.adequate:g}",
        "rows_used": len(chosen),
        "adequate_share": _round(float(y.mean())),
        "sources": {name: int(size) for name, size in zip(names, sizes, strict=True)},
        "options": {**asdict(options), "exclude_sources": list(options.exclude_sources)},
        **(provenance or {}),
    }
    weights = {name: _round(float(theta[j])) for j, name in enumerate(FEATURES) if abs(theta[j]) >= 1e-6}
    return AnswerModel(_round(float(theta[n])), weights, training)


def out_of_fold(
    examples: AnswerExamples, options: AnswerTrainOptions, folds: Folds, progress: Progress | None = None
) -> dict[str, float]:
    """Each example's P(adequate) by a model fitted on the other folds, by row id."""
    found: dict[str, float] = {}
    for fold in range(len(folds.names)):
        model = fit_answer_model(examples, options, indices=folds.training_rows(fold))
        for i in folds.rows_of(fold):
            found[examples.rows[i].id] = model.probability_of(
                dict(zip(FEATURES, examples.features[i], strict=True))
            )
        if progress is not None:
            progress(len(found), len(examples.rows))
    return found


def _round(value: float) -> float:
    return float(f"{value:.6g}")
