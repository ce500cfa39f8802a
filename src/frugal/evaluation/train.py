"""Fitting the ``learned`` classifier on labelled rows (``frugal train``). Needs numpy (the ``train`` extra).

**The label** (:mod:`frugal.evaluation.labels`): by default ``escalation``, the probability that, of two
models of the row's file, the stronger succeeds where the weaker fails: what routing up buys, whatever
two models a deployment uses. The score of a model trained on it is that probability.

**The fit.** Logistic regression with soft labels and L2 penalties, minimised in numpy (accelerated
projected gradient, :mod:`frugal.evaluation.optimise`).

- **Signs** (:data:`SIGNS`): a cue of difficulty (length, maths, negations, long sentences, ...) may only
  raise the score, a cue of an easy request (a greeting, a lookup) only lower it; a weight the data
  would push the other way stays at zero. Within one data set a cue often stands for the set's format,
  and its weight flips from set to set; the constraint keeps only what holds as "harder".
- **Prior**: the dense weights are pulled towards the heuristic classifier's weights (cues the data never
  shows, such as proofs, design questions or greetings, keep the heuristic's judgement); the word
  weights towards zero, more strongly (words memorise).
- **Intercepts**: each source (``intercepts="source"``, the default; each file with ``"file"``) gets its
  own intercept during the fit and weighs the same whatever its number of rows, so what differs
  *between* sources (their formats, their models' base rates) is absorbed by the intercepts instead of
  becoming a feature. The model's bias is the row-weighted mean of the intercepts.
- **Language** (``language_neutral``, on by default): the features read in English words and marks are
  replaced, for rows mostly in another script, by their mean over the other rows (the model's
  ``neutral`` values, used the same way at inference), and the non-Latin flag weighs nothing: a prompt
  is not routed up or down for not being English.
- **Sources left out** (``exclude_sources``): rows of those sources are not trained on (the shipped model
  leaves out the two non-commercial sources of the shared data; see docs/evaluation.md).

Words seen in fewer than ``min_df`` training rows, and single letters, are not features; the
``max_words`` of largest weight are kept. Deterministic: the same rows and options give the same model.
The model file records these options (its recipe), so that ``frugal eval --cv`` can refit it without the
rows it is judged on (:class:`LearnedTrainer`).
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..classifiers.heuristic import HeuristicOptions
from ..classifiers.learned import (
    DENSE_FEATURES,
    DENSE_SIGNS,
    SCRIPT_NEUTRAL,
    SHAPE_SIGNALS,
    LearnedClassifier,
    LearnedModel,
)
from ..classifiers.learned_features import read
from ..exceptions import ConfigError
from .data import Row
from .folds import Folds
from .labels import DESCRIPTIONS, ESCALATION, STRONG_WINS, labels
from .optimise import minimise_in_box, numpy

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    Vector = npt.NDArray[np.float64]

__all__ = [
    "HEURISTIC_PRIOR",
    "SIGNS",
    "FeatureTable",
    "LearnedTrainer",
    "TrainOptions",
    "fit",
    "out_of_fold_scores",
    "recipe_of",
]

#: The sign each dense weight is held to when ``TrainOptions.signs`` is on (declared with the features).
SIGNS: Mapping[str, int] = DENSE_SIGNS


@dataclass(frozen=True, slots=True)
class TrainOptions:
    """How ``frugal train`` fits a model (the recipe a model file records).

    Attributes:
        words: use word features (else only the dense structural and cue features).
        signs: hold each dense weight to its sign in :data:`SIGNS`.
        l2_dense: L2 penalty of the dense features' weights (towards the prior).
        l2_words: L2 penalty of the word weights (stronger: words memorise).
        min_df: a word is a feature only if this many training rows contain it.
        max_words: the word weights kept in the model file (largest first).
        strong: the strong model of the ``strong-wins`` label (default: each file's most accurate one).
        max_iterations: optimiser iterations at most.
        prior: what the dense weights are pulled towards: ``"heuristic"`` (the heuristic classifier's
            weights, so that cues the data never shows keep a judged weight) or ``"zero"``.
        label: ``"escalation"`` or ``"strong-wins"`` (see :mod:`frugal.evaluation.labels`).
        intercepts: one intercept per ``"source"`` or per ``"file"`` during the fit.
        language_neutral: score prompts in another script on neutral values of the English-read features.
        exclude_sources: sources whose rows are not trained on.
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
    label: str = ESCALATION
    intercepts: str = "source"
    language_neutral: bool = True
    exclude_sources: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        if self.l2_dense <= 0 or self.l2_words <= 0:
            raise ConfigError("the L2 penalties must be > 0")
        if self.min_df < 1 or self.max_words < 0 or self.max_iterations < 1:
            raise ConfigError("min_df and max_iterations must be >= 1, max_words >= 0")
        if self.prior not in ("heuristic", "zero"):
            raise ConfigError(f"prior must be 'heuristic' or 'zero', got {self.prior!r}")
        if self.label not in DESCRIPTIONS:
            raise ConfigError(f"label must be one of {', '.join(DESCRIPTIONS)}, got {self.label!r}")
        if self.intercepts not in ("source", "file"):
            raise ConfigError(f"intercepts must be 'source' or 'file', got {self.intercepts!r}")


# What a version 1 model file's recipe was, for the options it does not record (they did not exist).
_VERSION_1 = {"label": STRONG_WINS, "intercepts": "file", "language_neutral": False, "exclude_sources": ()}


def recipe_of(model: LearnedModel) -> TrainOptions:
    """The options a model was trained with, as recorded in its file.

    Options a file does not record take their default, or for a version 1 file the value that version
    was trained with.
    """
    recorded = model.training.get("options")
    given = dict(recorded) if isinstance(recorded, dict) else {}
    if model.version == 1:
        given = {**_VERSION_1, **given}
    known = {k: v for k, v in given.items() if k in TrainOptions.__dataclass_fields__}
    if "exclude_sources" in known:
        known["exclude_sources"] = tuple(known["exclude_sources"])
    try:
        return TrainOptions(**known)
    except TypeError as exc:
        raise ConfigError(f"the model's recorded training options are not valid: {exc}") from None


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


class FeatureTable:
    """Every row's features, read once (cross-validation fits many models on subsets of the rows)."""

    def __init__(
        self, rows: Sequence[Row], scan_chars: int, progress: Callable[[int, int], None] | None = None
    ) -> None:
        np = numpy()
        self.dense = np.zeros((len(rows), len(DENSE_FEATURES)))
        self.words: list[frozenset[bytes]] = []
        self.non_latin = np.zeros(len(rows), dtype=bool)
        column = {name: j for j, name in enumerate(DENSE_FEATURES)}
        for i, row in enumerate(rows):
            reading = read(row.request, scan_chars)
            for name, value in reading.dense.items():
                self.dense[i, column[name]] = value
            self.words.append(frozenset(reading.words))
            self.non_latin[i] = reading.non_latin
            if progress is not None:
                progress(i + 1, len(rows))


def fit(
    rows: Sequence[Row],
    options: TrainOptions | None = None,
    *,
    provenance: Mapping[str, Any] | None = None,
    table: FeatureTable | None = None,
    indices: Sequence[int] | None = None,
    adapt: Sequence[int] = (),
) -> LearnedModel:
    """Fit a learned-classifier model on ``rows`` (see the module docstring).

    Args:
        rows: labelled rows (one or more files).
        options: the fit's options.
        provenance: recorded in the model file's ``training`` section (data, command, date, ...).
        table: the rows' features, when already read.
        indices: fit on these rows only (default: all).
        adapt: rows among ``indices`` trained on even if their source is excluded (``--adapt``: an
            evaluation figure, nothing that ships).

    Raises:
        ConfigError: numpy is not installed, or every row is of an excluded source.
        DataError: no row can be labelled.
    """
    np = numpy()
    options = options or TrainOptions()
    scan_chars = HeuristicOptions().scan_chars
    table = table or FeatureTable(rows, scan_chars)
    chosen = list(range(len(rows))) if indices is None else list(indices)
    excluded = set(options.exclude_sources)
    kept = set(adapt)
    chosen = [i for i in chosen if rows[i].source not in excluded or i in kept]
    if not chosen:
        raise ConfigError("no row left to train on: every row is of an excluded source")
    label = labels([rows[i] for i in chosen], options.label, options.strong)
    keep = [i for i, ok in zip(chosen, label.used, strict=True) if ok]
    y = np.array([v for v, ok in zip(label.values, label.used, strict=True) if ok])
    group_of_row = [
        (rows[i].source or rows[i].file) if options.intercepts == "source" else rows[i].file for i in keep
    ]
    groups = sorted(set(group_of_row))
    group = np.array([groups.index(g) for g in group_of_row])
    sizes = np.bincount(group, minlength=len(groups)).astype(float)
    weight = 1.0 / (len(groups) * sizes[group])  # each group weighs the same; the weights sum to 1
    dense = table.dense[keep].copy()
    neutral: dict[str, float] = {}
    if options.language_neutral:
        other_script = table.non_latin[keep]
        latin = ~other_script
        if latin.any():
            means = (weight[latin] @ dense[latin]) / weight[latin].sum()
            for j, name in enumerate(DENSE_FEATURES):
                if name not in SCRIPT_NEUTRAL and name != "non_latin":
                    neutral[name] = _round(means[j])
                    dense[other_script, j] = neutral[name]

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
    n_dense, n_words, n_groups = dense.shape[1], len(vocabulary), len(groups)
    penalty = np.concatenate(
        [np.full(n_dense, options.l2_dense), np.full(n_words, options.l2_words), np.zeros(n_groups)]
    )

    def loss_and_gradient(theta: Vector) -> tuple[float, Vector]:
        a, v, b = theta[:n_dense], theta[n_dense : n_dense + n_words], theta[n_dense + n_words :]
        z = dense @ a + b[group]
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
                np.bincount(group, weights=residual, minlength=n_groups),
            ]
        )
        return loss, gradient + penalty * shift

    centre = np.zeros(n_dense + n_words + n_groups)
    if options.prior == "heuristic":
        centre[:n_dense] = [HEURISTIC_PRIOR.get(name, 0.0) for name in DENSE_FEATURES]
    lower = np.full(len(centre), -np.inf)
    upper = np.full(len(centre), np.inf)
    for j, name in enumerate(DENSE_FEATURES):
        if options.language_neutral and name == "non_latin":
            lower[j] = upper[j] = centre[j] = 0.0  # a script is not a difficulty
        elif options.signs and SIGNS[name] > 0:
            lower[j] = 0.0
        elif options.signs and SIGNS[name] < 0:
            upper[j] = 0.0
    theta = minimise_in_box(
        loss_and_gradient, np.clip(centre, lower, upper), lower, upper, options.max_iterations
    )
    a, v, b = theta[:n_dense], theta[n_dense : n_dense + n_words], theta[n_dense + n_words :]
    bias = float(b @ sizes / sizes.sum())
    ranked = sorted(range(n_words), key=lambda j: (-abs(v[j]), vocabulary[j]))[: options.max_words]
    words = {vocabulary[j].decode(): _round(v[j]) for j in ranked if abs(v[j]) >= 1e-4}
    defaults = HeuristicOptions()
    sources = Counter(rows[i].source or rows[i].file for i in keep)
    training = {
        "label": DESCRIPTIONS[options.label]
        if options.strong is None
        else f"{DESCRIPTIONS[options.label]} (strong = {options.strong})",
        "models": {Path(file).name: list(models) for file, models in label.order.items()},
        "rows_used": len(keep),
        "sources": dict(sorted(sources.items())),
        "options": {**asdict(options), "exclude_sources": list(options.exclude_sources)},
        **(provenance or {}),
    }
    model = LearnedModel(
        bias=_round(bias),
        dense={name: _round(a[j]) for j, name in enumerate(DENSE_FEATURES)},
        words=words,
        shape={name: getattr(defaults, name) for name in SHAPE_SIGNALS},
        scan_chars=scan_chars,
        neutral=neutral,
        training=training,
    )
    classifier = LearnedClassifier(model=model)
    scores = [classifier.classify(rows[i].request).score for i in keep]
    cuts = statistics.quantiles(scores, n=20, method="inclusive") if len(scores) > 1 else scores * 19
    quantiles = [min(scores), *cuts, max(scores)]
    return LearnedModel(
        bias=model.bias,
        dense=model.dense,
        words=model.words,
        shape=model.shape,
        scan_chars=model.scan_chars,
        neutral=model.neutral,
        quantiles=tuple(sorted(_round(q) for q in quantiles)),
        training=model.training,
    )


class LearnedTrainer:
    """Refits the ``learned`` classifier with one recipe on subsets of rows whose features are read once."""

    def __init__(
        self,
        rows: Sequence[Row],
        recipe: TrainOptions,
        progress: Callable[[int, int], None] | None = None,
    ) -> None:
        self.rows = rows
        self.recipe = recipe
        self.table = FeatureTable(rows, HeuristicOptions().scan_chars, progress)

    def fit(self, indices: Sequence[int], adapt: Sequence[int] = ()) -> LearnedClassifier:
        """A learned classifier fitted with the recipe on the given rows (``adapt``: see :func:`fit`)."""
        model = fit(self.rows, self.recipe, table=self.table, indices=indices, adapt=adapt)
        return LearnedClassifier(model=model)

    def score(self, classifier: Any, index: int) -> float:
        """Row ``index``'s score by a classifier this trainer fitted."""
        return float(classifier.classify(self.rows[index].request).score)


def out_of_fold_scores(
    rows: Sequence[Row],
    options: TrainOptions,
    folds: Folds,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, float]:
    """Each row's score by a model fitted on the other folds: honest scores for ``frugal eval --scores``."""
    from .trainers import refit_scores

    found = refit_scores(LearnedTrainer(rows, options), rows, folds, progress)
    return {row_id: score for row_id, score in found.items() if score is not None}


def _round(value: float) -> float:
    return float(f"{value:.6g}")
