"""Fitting the ``learned`` classifier on the feedback store's labels from a prior (``train --from-store``).

**What a label teaches.** The store keeps, for each label, the request's features as the ``learned``
classifier reads them: the dense values, and the words hashed into buckets (no text;
:func:`frugal.feedback.hashed_features`); and a verdict ``good`` in [0, 1]: whether the labelled, cheaper
model's answer was good enough (as good as the baseline's in a shadow comparison, accepted by a cascade,
good by ``client.feedback()``). The target is ``1 - good``: that routing up was needed, which is what the
classifier's score means (the ``escalation`` label of ``frugal train``). Labels of every model pair are
pooled, as the shipped model pools the shared data's.

**The prior.** A few hundred labels cannot teach 32 dense weights and a vocabulary from nothing, so the fit
starts from a model (``--prior-model``: the shipped ``v2`` by default, or a model file) and is pulled
towards its weights. The pull stands for the evidence the prior was trained on: **the prior counts as**
``prior_rows`` **labelled rows that agree with it** (``--prior-rows``, default 1,000). Each weight's
pull is ``prior_rows`` times its Fisher information under the prior on the store's requests (what one
request of this traffic says about that weight), so a weight the traffic says much about moves as far as
its labels ask, and a feature the traffic never shows keeps the prior's weight. With ``n`` labels the
prior's share of the fit is ``prior_rows / (n + prior_rows)``: 83 % with 200 labels, 50 % with 1,000, 17 %
with 5,000. ``prior_rows=0`` fits the labels alone (held only by the recipe's small L2 floors).

The bias is not pulled: it is the base rate of *this* deployment's model pairs, which the prior's data
(other models) cannot know. The prior's sign constraints (its recipe) and its language-neutral values hold:
a label of a prompt in another script is read with the prior's neutral values, as the classifier reads it.
Word buckets seen in fewer than ``min_df`` labels are not fitted (a prior's words keep their weights,
hashed into buckets when the prior has them as text).

The model is written in the learned classifier's format, version 3 (``word_buckets``: words hashed as the
store hashes them). Deterministic: the same labels, prior and options give the same model.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from ..classifiers.learned_features import DENSE_FEATURES, SCRIPT_NEUTRAL, WORD_BUCKETS, word_bucket
from ..classifiers.learned_model import HASHED_VERSION, LearnedModel
from ..exceptions import ConfigError, DataError
from ..feedback.labels import Label
from .optimise import minimise_in_box, numpy
from .train import SIGNS, recipe_of

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    Vector = npt.NDArray[np.float64]

__all__ = ["StoreExamples", "StoreTrainOptions", "fit_from_labels", "read_examples"]

#: What the training target of a store label is, as a model file's ``training.label`` records it.
STORE_LABEL = "1 - good of the feedback store's labels (routing up was needed)"


@dataclass(frozen=True, slots=True)
class StoreTrainOptions:
    """How ``frugal train --from-store`` fits a model.

    Attributes:
        prior_rows: how many labelled rows the prior counts as (the mixing weight; see the module
            docstring). 0: the labels alone.
        words: fit word-bucket weights (else only the dense features and the bias).
        min_df: a word bucket is fitted only if this many labels contain it.
        max_words: the word weights kept in the model file (largest first).
        l2_dense: L2 floor of the dense weights' pull towards the prior.
        l2_words: L2 floor of the word weights' pull towards the prior's (stronger: words memorise).
        max_iterations: optimiser iterations at most.
    """

    prior_rows: float = 1000.0
    words: bool = True
    min_df: int = 5
    max_words: int = 1000
    l2_dense: float = 3e-4
    l2_words: float = 0.03
    max_iterations: int = 5000

    def __post_init__(self) -> None:
        if not math.isfinite(self.prior_rows) or self.prior_rows < 0:
            raise ConfigError(f"--prior-rows must be a number >= 0, got {self.prior_rows}")
        if self.l2_dense <= 0 or self.l2_words <= 0:
            raise ConfigError("the L2 penalties must be > 0")
        if self.min_df < 1 or self.max_words < 0 or self.max_iterations < 1:
            raise ConfigError("min_df and max_iterations must be >= 1, max_words >= 0")


@dataclass(frozen=True, slots=True)
class StoreExamples:
    """The labels' features as arrays: what the fit reads.

    Attributes:
        dense: one row per usable label, one column per dense feature (neutral values substituted for a
            prompt in another script when the prior is language-aware).
        words: per usable label, its word buckets.
        target: per usable label, ``1 - good``.
        skipped: labels left out, by reason (``no_features``: recorded without the request's features).
    """

    dense: Any
    words: list[frozenset[int]]
    target: Any
    skipped: Mapping[str, int]

    def __len__(self) -> int:
        return len(self.words)


def read_examples(labels: Sequence[Label], prior: LearnedModel) -> StoreExamples:
    """The usable labels' features and targets (a label without features is skipped and counted)."""
    np = numpy()
    column = {name: j for j, name in enumerate(DENSE_FEATURES)}
    rows: list[list[float]] = []
    words: list[frozenset[int]] = []
    target: list[float] = []
    skipped: Counter[str] = Counter()
    for label in labels:
        dense = label.features.get("dense") if label.features else None
        if not isinstance(dense, Mapping):
            skipped["no_features"] += 1
            continue
        values = [0.0] * len(DENSE_FEATURES)
        for name, value in dense.items():
            if name in column:
                values[column[name]] = float(value)
        if label.features.get("non_latin") and prior.neutral:
            for name, value in prior.neutral.items():
                if name not in SCRIPT_NEUTRAL:
                    values[column[name]] = value
        rows.append(values)
        words.append(frozenset(int(b) for b in label.features.get("words", ())))
        target.append(1.0 - min(1.0, max(0.0, float(label.good))))
    dense_matrix = np.array(rows, dtype=float).reshape(len(rows), len(DENSE_FEATURES))
    return StoreExamples(dense_matrix, words, np.array(target, dtype=float), dict(skipped))


def _prior_buckets(prior: LearnedModel) -> dict[int, float]:
    """The prior's word weights by bucket (a prior with words as text has them hashed, collisions summed)."""
    if prior.word_buckets:
        if prior.word_buckets != WORD_BUCKETS:
            raise ConfigError(
                f"the prior's words are hashed into {prior.word_buckets} buckets; the store's into "
                f"{WORD_BUCKETS}"
            )
        return {int(bucket): weight for bucket, weight in prior.words.items()}
    found: dict[int, float] = {}
    for word, weight in prior.words.items():
        bucket = word_bucket(word.encode("ascii", "ignore"))
        found[bucket] = found.get(bucket, 0.0) + weight
    return found


def fit_from_labels(
    labels: Sequence[Label],
    prior: LearnedModel,
    options: StoreTrainOptions | None = None,
    *,
    provenance: Mapping[str, Any] | None = None,
) -> LearnedModel:
    """Fit a learned-classifier model on store labels, pulled towards ``prior`` (see the module docstring).

    Raises:
        ConfigError: numpy is not installed, or the options are out of range.
        DataError: no label carries the request's features.
    """
    np = numpy()
    options = options or StoreTrainOptions()
    found = read_examples(labels, prior)
    n = len(found)
    if n == 0:
        raise DataError(
            f"none of the {len(labels)} labels carries the request's features (labels written by "
            "frugal's shadow comparisons, cascades or client.feedback() with the call remembered do)"
        )
    dense, y = found.dense, found.target
    prior_words = _prior_buckets(prior)
    vocabulary: list[int] = []
    if options.words:
        frequency = Counter(bucket for buckets in found.words for bucket in buckets)
        vocabulary = sorted(b for b, count in frequency.items() if count >= options.min_df)
    column = {bucket: j for j, bucket in enumerate(vocabulary)}
    pairs = [(i, column[b]) for i, buckets in enumerate(found.words) for b in buckets if b in column]
    word_rows = np.array([p[0] for p in pairs], dtype=np.int64)
    word_cols = np.array([p[1] for p in pairs], dtype=np.int64)
    # The prior's words the fit leaves alone still count in each label's logit.
    offset = np.array(
        [sum(prior_words.get(b, 0.0) for b in buckets if b not in column) for buckets in found.words]
    )
    n_dense, n_words = len(DENSE_FEATURES), len(vocabulary)
    centre = np.concatenate(
        [
            [prior.dense.get(name, 0.0) for name in DENSE_FEATURES],
            [prior_words.get(b, 0.0) for b in vocabulary],
            [prior.bias],
        ]
    )

    def logits(theta: Vector) -> Vector:
        a, v, b = theta[:n_dense], theta[n_dense : n_dense + n_words], theta[-1]
        z = dense @ a + b + offset
        if n_words:
            z += np.bincount(word_rows, weights=v[word_cols], minlength=n)
        return z  # type: ignore[no-any-return]

    # The prior's evidence: prior_rows rows like these, each as informative as the prior says (Fisher).
    p0 = 1.0 / (1.0 + np.exp(-logits(centre)))
    spread = p0 * (1.0 - p0)
    fisher = np.concatenate(
        [
            spread @ (dense * dense) / n,
            np.bincount(word_cols, weights=spread[word_rows], minlength=n_words) / n,
            [0.0],  # the bias is this deployment's base rate: not pulled
        ]
    )
    precision = options.prior_rows * fisher
    floor = np.concatenate([np.full(n_dense, options.l2_dense), np.full(n_words, options.l2_words), [0.0]])
    total = n + options.prior_rows

    def loss_and_gradient(theta: Vector) -> tuple[float, Vector]:
        z = logits(theta)
        shift = theta - centre
        data = float(np.sum(np.logaddexp(0.0, z) - y * z))
        squares = shift * shift
        loss = (data + 0.5 * float(precision @ squares)) / total + 0.5 * float(floor @ squares)
        residual = 1.0 / (1.0 + np.exp(-z)) - y
        gradient = np.concatenate(
            [
                dense.T @ residual,
                np.bincount(word_cols, weights=residual[word_rows], minlength=n_words),
                [residual.sum()],
            ]
        )
        return loss, (gradient + precision * shift) / total + floor * shift

    lower = np.full(len(centre), -np.inf)
    upper = np.full(len(centre), np.inf)
    signs = recipe_of(prior).signs
    for j, name in enumerate(DENSE_FEATURES):
        if prior.neutral and name == "non_latin":
            lower[j] = upper[j] = centre[j]  # a language-aware prior holds that a script is no difficulty
        elif signs and SIGNS[name] > 0:
            lower[j] = 0.0
        elif signs and SIGNS[name] < 0:
            upper[j] = 0.0
    theta = minimise_in_box(
        loss_and_gradient, np.clip(centre, lower, upper), lower, upper, options.max_iterations
    )
    words = dict(prior_words)
    words.update({bucket: float(theta[n_dense + j]) for j, bucket in enumerate(vocabulary)})
    kept = sorted((b for b, w in words.items() if abs(w) >= 1e-4), key=lambda b: (-abs(words[b]), b))
    scores = 1.0 / (1.0 + np.exp(-logits(theta)))
    listed = [float(s) for s in scores]
    cuts = statistics.quantiles(listed, n=20, method="inclusive") if n > 1 else listed * 19
    return LearnedModel(
        bias=_round(theta[-1]),
        dense={name: _round(theta[j]) for j, name in enumerate(DENSE_FEATURES)},
        words={str(b): _round(words[b]) for b in kept[: options.max_words]},
        shape=dict(prior.shape),
        scan_chars=prior.scan_chars,
        neutral=dict(prior.neutral),
        quantiles=tuple(sorted(_round(q) for q in [min(listed), *cuts, max(listed)])),
        training={
            "label": STORE_LABEL,
            "labels_used": n,
            "labels_skipped": dict(found.skipped),
            "prior_share": round(options.prior_rows / total, 4),
            "from_store": asdict(options),
            # The prior's recipe: what `frugal eval --cv` refits when it judges this model on rows.
            "options": dict(prior.training.get("options") or {}),
            **(provenance or {}),
        },
        version=HASHED_VERSION,
        word_buckets=WORD_BUCKETS,
    )


def _round(value: float) -> float:
    return float(f"{float(value):.6g}")
