"""Fitting the ``learned`` classifier on labelled rows (``frugal train``). Needs numpy (the ``train`` extra).

**The label.** A router's score should say "a cheap model is likely to fail here where a strong one
succeeds". Per data file, the *strong* model is the one of highest mean quality (or ``strong=`` when
given); a row's label is ``q_strong x (1 - mean quality of the other models)``: 1 when the strong model
succeeds and every other fails, 0 when the strong model fails (escalating would not help) or when every
model succeeds. Rows without the strong model's quality are not used.

**The fit.** Logistic regression with soft labels and L2 penalties, minimised in numpy (accelerated
projected gradient).

- **Signs** (:data:`SIGNS`): a cue of difficulty (length, maths, negations, long sentences, ...) may only
  raise the score, a cue of an easy request (a greeting, a lookup) only lower it; a weight the data
  would push the other way stays at zero. That is what makes the model travel: within one data file a
  cue often stands for the file's format, and its weight flips from file to file (capital letters and
  symbols go with the strong model's wins in RouterBench, where they mark Winogrande's names and blanks,
  and against them in dcrouter); the constraint keeps only what holds as "harder".
- **Prior**: the dense weights are pulled towards the heuristic classifier's weights (cues the data never
  shows, such as proofs, design questions or greetings, keep the heuristic's judgement; cues the data
  does show move where it says); the word weights towards zero, more strongly (words memorise).
- **Files**: each file gets its own intercept during the fit and weighs the same whatever its number of
  rows, so what differs *between* files (their formats, their models' base rates) is absorbed by the
  intercepts instead of becoming a feature. The shipped bias is the row-weighted mean of the intercepts.

Words seen in fewer than ``min_df`` training rows, and single letters, are not features; the
``max_words`` of largest weight are kept. Deterministic: the same rows and options give the same model.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..classifiers.heuristic import HeuristicOptions
from ..classifiers.learned import (
    DENSE_FEATURES,
    DENSE_SIGNS,
    SHAPE_SIGNALS,
    LearnedClassifier,
    LearnedModel,
    features,
)
from ..exceptions import ConfigError, DataError
from .data import Row

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    Vector = npt.NDArray[np.float64]

__all__ = [
    "LABEL",
    "SIGNS",
    "Labels",
    "LearnedTrainer",
    "TrainOptions",
    "fit",
    "labels",
    "out_of_fold_scores",
    "recipe_of",
]

LABEL = "q_strong x (1 - mean quality of the other models), strong = the file's most accurate model"

#: The sign each dense weight is held to when ``TrainOptions.signs`` is on (declared with the features).
SIGNS: Mapping[str, int] = DENSE_SIGNS


@dataclass(frozen=True, slots=True)
class TrainOptions:
    """How ``frugal train`` fits a model.

    Attributes:
        words: use word features (else only the dense structural and cue features).
        signs: hold each dense weight to its sign in :data:`SIGNS`.
        l2_dense: L2 penalty of the dense features' weights (towards the prior).
        l2_words: L2 penalty of the word weights (stronger: words memorise).
        min_df: a word is a feature only if this many training rows contain it.
        max_words: the word weights kept in the model file (largest first).
        strong: the strong model of the label (default: each file's most accurate one).
        max_iterations: optimiser iterations at most.
        prior: what the dense weights are pulled towards: ``"heuristic"`` (the heuristic classifier's
            weights, so that cues the data never shows keep a judged weight) or ``"zero"``.
    """

    words: bool = True
    signs: bool = True
    l2_dense: float = 3e-4
    l2_words: float = 0.03
    min_df: int = 5
    max_words: int = 1000
    strong: str | None = None
    max_iterations: int = 5000
    prior: str = "heuristic"

    def __post_init__(self) -> None:
        if self.l2_dense <= 0 or self.l2_words <= 0:
            raise ConfigError("the L2 penalties must be > 0")
        if self.min_df < 1 or self.max_words < 0 or self.max_iterations < 1:
            raise ConfigError("min_df and max_iterations must be >= 1, max_words >= 0")
        if self.prior not in ("heuristic", "zero"):
            raise ConfigError(f"prior must be 'heuristic' or 'zero', got {self.prior!r}")


@dataclass(frozen=True, slots=True)
class Labels:
    """Per row: the label and whether it is used; per file: its strong model."""

    values: tuple[float, ...]
    used: tuple[bool, ...]
    strong: Mapping[str, str]


def _heuristic_prior() -> dict[str, float]:
    """The heuristic's default weights, rescaled to the learned classifier's features (each ~[0, 1])."""
    o = HeuristicOptions()
    return {
        "length": o.length,
        "lines": o.lines,
        "code": 3 * o.code,
        "math": 3 * o.math,
        "numbers": o.numbers,
        "reasoning": 3 * o.reasoning,
        "constraint": 3 * o.constraint,
        "steps": 4 * o.steps,
        "open_ended": 2 * o.open_ended,
        "simple": 2 * o.simple,
        "entities": 0.5 * o.entities,
        "symbols": 0.15 * o.symbols,
        "non_latin": o.multilingual,
    }


HEURISTIC_PRIOR = _heuristic_prior()


def labels(rows: Sequence[Row], strong: str | None = None) -> Labels:
    """The training label of each row (see the module docstring).

    Raises:
        DataError: ``strong`` is named in no row of a file, or no row can be labelled.
    """
    by_file: dict[str, list[int]] = {}
    for i, row in enumerate(rows):
        by_file.setdefault(row.file, []).append(i)
    chosen = {}
    for file, indices in by_file.items():
        totals: dict[str, list[float]] = {}
        for i in indices:
            for model, q in rows[i].quality.items():
                totals.setdefault(model, []).append(q)
        if strong is not None:
            if strong not in totals:
                raise DataError(f"{file}: the strong model {strong!r} has no quality in any row")
            chosen[file] = strong
        else:
            chosen[file] = min(totals, key=lambda m: (-sum(totals[m]) / len(totals[m]), m))
    values, used = [], []
    for row in rows:
        model = chosen[row.file]
        others = [q for m, q in row.quality.items() if m != model]
        ok = model in row.quality and bool(others)
        values.append(row.quality[model] * (1.0 - sum(others) / len(others)) if ok else 0.0)
        used.append(ok)
    if not any(used):
        raise DataError("no row can be labelled: each needs the strong model's quality and another model's")
    return Labels(tuple(values), tuple(used), chosen)


def _numpy() -> Any:
    try:
        import numpy
    except ImportError:
        raise ConfigError("frugal train needs numpy: pip install 'frugal-router[train]'") from None
    return numpy


class _Features:
    """Every row's features, extracted once (cross-validation fits many models on subsets)."""

    def __init__(
        self, rows: Sequence[Row], scan_chars: int, progress: Callable[[int, int], None] | None
    ) -> None:
        np = _numpy()
        self.dense = np.zeros((len(rows), len(DENSE_FEATURES)))
        self.words: list[frozenset[bytes]] = []
        column = {name: j for j, name in enumerate(DENSE_FEATURES)}
        for i, row in enumerate(rows):
            if progress is not None:
                progress(i + 1, len(rows))
            dense, words = features(row.request, scan_chars)
            for name, value in dense.items():
                self.dense[i, column[name]] = value
            self.words.append(frozenset(words))


def fit(
    rows: Sequence[Row],
    options: TrainOptions | None = None,
    *,
    provenance: Mapping[str, Any] | None = None,
    _features: _Features | None = None,
    _indices: Sequence[int] | None = None,
) -> LearnedModel:
    """Fit a learned-classifier model on ``rows`` (see the module docstring).

    Args:
        rows: labelled rows (one or more files).
        options: the fit's options.
        provenance: recorded in the model file's ``training`` section (data, command, date, ...).

    Raises:
        ConfigError: numpy is not installed.
        DataError: no row can be labelled.
    """
    np = _numpy()
    options = options or TrainOptions()
    scan_chars = HeuristicOptions().scan_chars
    table = _features or _Features(rows, scan_chars, None)
    indices = list(range(len(rows))) if _indices is None else list(_indices)
    label = labels([rows[i] for i in indices], options.strong)
    keep = [i for i, ok in zip(indices, label.used, strict=True) if ok]
    y = np.array([v for v, ok in zip(label.values, label.used, strict=True) if ok])
    files = sorted({rows[i].file for i in keep})
    file_of = np.array([files.index(rows[i].file) for i in keep])
    sizes = np.bincount(file_of, minlength=len(files)).astype(float)
    weight = 1.0 / (len(files) * sizes[file_of])  # each file weighs the same; the weights sum to 1
    dense = table.dense[keep]

    vocabulary: list[bytes] = []
    word_rows = word_cols = np.zeros(0, dtype=np.int64)
    if options.words:
        frequency = Counter(word for i in keep for word in table.words[i])
        # Single letters are mostly multiple-choice labels ("C)"): a format, not a difficulty.
        vocabulary = sorted(w for w, n in frequency.items() if n >= options.min_df and len(w) > 1)
        column = {w: j for j, w in enumerate(vocabulary)}
        pairs = [(r, column[w]) for r, i in enumerate(keep) for w in table.words[i] if w in column]
        if pairs:
            word_rows, word_cols = (np.array(p, dtype=np.int64) for p in zip(*pairs, strict=True))
    n_dense, n_words, n_files = dense.shape[1], len(vocabulary), len(files)
    penalty = np.concatenate(
        [np.full(n_dense, options.l2_dense), np.full(n_words, options.l2_words), np.zeros(n_files)]
    )

    def loss_and_gradient(theta: Vector) -> tuple[float, Vector]:
        a, v, b = theta[:n_dense], theta[n_dense : n_dense + n_words], theta[n_dense + n_words :]
        z = dense @ a + b[file_of]
        if n_words:
            z += np.bincount(word_rows, weights=v[word_cols], minlength=len(keep))
        # log(1 + e^z) - y z, stably; its derivative is sigmoid(z) - y.
        shift = theta - centre
        loss = float(weight @ (np.logaddexp(0.0, z) - y * z) + 0.5 * penalty @ (shift * shift))
        residual = weight * (1.0 / (1.0 + np.exp(-z)) - y)
        gradient = np.concatenate(
            [
                dense.T @ residual,
                np.bincount(word_cols, weights=residual[word_rows], minlength=n_words),
                np.bincount(file_of, weights=residual, minlength=n_files),
            ]
        )
        return loss, gradient + penalty * shift

    centre = np.zeros(n_dense + n_words + n_files)
    if options.prior == "heuristic":
        centre[:n_dense] = [HEURISTIC_PRIOR.get(name, 0.0) for name in DENSE_FEATURES]
    lower = np.full(len(centre), -np.inf)
    upper = np.full(len(centre), np.inf)
    if options.signs:
        for j, name in enumerate(DENSE_FEATURES):
            if SIGNS[name] > 0:
                lower[j] = 0.0
            elif SIGNS[name] < 0:
                upper[j] = 0.0
    theta = _minimise(loss_and_gradient, np.clip(centre, lower, upper), lower, upper, options.max_iterations)
    a, v, b = theta[:n_dense], theta[n_dense : n_dense + n_words], theta[n_dense + n_words :]
    bias = float(b @ sizes / sizes.sum())
    ranked = sorted(range(n_words), key=lambda j: (-abs(v[j]), vocabulary[j]))[: options.max_words]
    words = {vocabulary[j].decode(): _round(v[j]) for j in ranked if abs(v[j]) >= 1e-4}
    defaults = HeuristicOptions()
    training = {
        "label": LABEL
        if options.strong is None
        else f"q_strong x (1 - mean quality of the others), strong = {options.strong}",
        "strong": {Path(file).name: model for file, model in label.strong.items()},
        "rows_used": len(keep),
        "options": asdict(options),
        **(provenance or {}),
    }
    return LearnedModel(
        bias=_round(bias),
        dense={name: _round(a[j]) for j, name in enumerate(DENSE_FEATURES)},
        words=words,
        shape={name: getattr(defaults, name) for name in SHAPE_SIGNALS},
        scan_chars=scan_chars,
        training=training,
    )


def out_of_fold_scores(
    rows: Sequence[Row],
    options: TrainOptions | None = None,
    *,
    folds: int = 5,
    seed: int = 0,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, float]:
    """Each row's score by a model fitted on the other folds: honest scores for ``frugal eval --scores``.

    Rows are shuffled with ``seed`` and dealt into ``folds`` folds.
    """
    if folds < 2 or folds > len(rows):
        raise ConfigError(f"--folds must lie between 2 and the number of rows ({len(rows)}), got {folds}")
    table = _Features(rows, HeuristicOptions().scan_chars, progress)
    order = list(range(len(rows)))
    random.Random(seed).shuffle(order)
    scores: dict[str, float] = {}
    for fold in range(folds):
        held_out = set(order[fold::folds])
        model = fit(rows, options, _features=table, _indices=[i for i in order if i not in held_out])
        classifier = LearnedClassifier(model=model)
        for i in sorted(held_out):
            scores[rows[i].id] = classifier.classify(rows[i].request).score
    return scores


def recipe_of(model: LearnedModel) -> TrainOptions:
    """The options a model was trained with, as recorded in its file (defaults for any not recorded)."""
    recorded = model.training.get("options")
    known = set(TrainOptions.__dataclass_fields__)
    given = {k: v for k, v in recorded.items() if k in known} if isinstance(recorded, dict) else {}
    return TrainOptions(**given)


class LearnedTrainer:
    """Refits the ``learned`` classifier named by a policy's options with the recipe of its model file."""

    def __init__(
        self,
        rows: Sequence[Row],
        classifier: LearnedClassifier,
        progress: Callable[[int, int], None] | None = None,
    ) -> None:
        self.rows = rows
        self.recipe = recipe_of(classifier.model)
        self.table = _Features(rows, HeuristicOptions().scan_chars, progress)

    def fit(self, indices: Sequence[int]) -> LearnedClassifier:
        """A learned classifier fitted with the recipe on the given rows."""
        return LearnedClassifier(model=fit(self.rows, self.recipe, _features=self.table, _indices=indices))


def _round(value: float) -> float:
    return float(f"{value:.6g}")


def _minimise(
    function: Callable[[Vector], tuple[float, Vector]],
    x: Vector,
    lower: Vector,
    upper: Vector,
    iterations: int,
) -> Vector:
    """Minimise a smooth convex function over the box [lower, upper].

    Accelerated projected gradient (FISTA) with a backtracking step and a restart whenever the value goes
    up; stops when an iteration gains less than 1e-13 (relative). Deterministic.
    """
    np = _numpy()
    value, _ = function(x)
    point, momentum, lipschitz = x.copy(), 1.0, 1.0
    for _ in range(iterations):
        at, gradient = function(point)
        while True:
            candidate = np.clip(point - gradient / lipschitz, lower, upper)
            step = candidate - point
            new_value, _ = function(candidate)
            if new_value <= at + float(gradient @ step) + 0.5 * lipschitz * float(step @ step) + 1e-15:
                break
            lipschitz *= 2.0
        if new_value > value:  # the momentum overshot: restart from the best point
            point, momentum = x.copy(), 1.0
            continue
        following = (1.0 + math.sqrt(1.0 + 4.0 * momentum * momentum)) / 2.0
        point = candidate + (momentum - 1.0) / following * (candidate - x)
        done = value - new_value < 1e-13 * max(1.0, abs(value))
        x, value, momentum = candidate, new_value, following
        if done:
            break
    return x
