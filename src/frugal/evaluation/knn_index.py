"""Making ``knn`` indexes from labelled rows (``frugal train --classifier knn``), and refitting them per fold.

Each row's question is embedded once; an index holds the rows' unit vectors and labels (the label of
:mod:`frugal.evaluation.labels`, ``escalation`` by default). Its scale, the quantiles of its rows'
leave-one-out scores (each row scored by its neighbours without itself), is computed with numpy, in
blocks of rows.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..classifiers.embedders import Embedder, load_embedder
from ..classifiers.knn import KnnClassifier, KnnIndex, KnnOptions, load_index
from ..classifiers.learned_features import question
from ..exceptions import ConfigError
from .data import Row
from .labels import DESCRIPTIONS, ESCALATION, labels
from .optimise import numpy

__all__ = ["KnnRecipe", "KnnTrainer", "build_index", "recipe_from_options"]

Progress = Callable[[int, int], None]
_BATCH = 256  # texts per embedder call


@dataclass(frozen=True, slots=True)
class KnnRecipe:
    """How an index is made: the embedder, ``k``, the label, and the sources not indexed."""

    embedder: str = "hashing"
    embedder_options: Mapping[str, Any] = field(default_factory=dict)
    k: int = 30
    label: str = ESCALATION
    exclude_sources: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.k < 1:
            raise ConfigError(f"k must be >= 1, got {self.k}")
        if self.label not in DESCRIPTIONS:
            raise ConfigError(f"label must be one of {', '.join(DESCRIPTIONS)}, got {self.label!r}")

    def to_dict(self) -> dict[str, Any]:
        """The recipe as an index file records it."""
        return {
            "embedder": self.embedder,
            "embedder_options": dict(self.embedder_options),
            "k": self.k,
            "label": self.label,
            "exclude_sources": list(self.exclude_sources),
        }


def recipe_from_options(options: Mapping[str, Any]) -> KnnRecipe:
    """The recipe of a policy's ``knn`` options: the index file's own when it names one.

    Raises:
        ConfigError: bad options or a bad index file.
    """
    parsed = KnnOptions.model_validate(dict(options))
    if parsed.index is not None:
        recorded = load_index(parsed.index).training.get("recipe", {})
        return KnnRecipe(
            embedder=str(recorded.get("embedder", "hashing")),
            embedder_options=dict(recorded.get("embedder_options", {})),
            k=parsed.k or int(recorded.get("k", 30)),
            label=str(recorded.get("label", ESCALATION)),
            exclude_sources=tuple(recorded.get("exclude_sources", ())),
        )
    return KnnRecipe(parsed.embedder, dict(parsed.embedder_options), parsed.k or 30)


def embed_rows(
    embedder: Embedder, rows: Sequence[Row], progress: Progress | None = None
) -> list[list[float]]:
    """Each row's question embedded, in batches."""
    texts = [question(row.request.prompt) for row in rows]
    vectors: list[list[float]] = []
    for start in range(0, len(texts), _BATCH):
        vectors.extend(embedder.embed(texts[start : start + _BATCH]))
        if progress is not None:
            progress(min(start + _BATCH, len(texts)), len(texts))
    return vectors


class KnnTrainer:
    """Indexes subsets of rows embedded once (cross-validation makes one index per fold)."""

    def __init__(self, rows: Sequence[Row], recipe: KnnRecipe, progress: Progress | None = None) -> None:
        self.rows = rows
        self.recipe = recipe
        self.embedder = load_embedder(recipe.embedder, recipe.embedder_options)
        self.vectors = embed_rows(self.embedder, rows, progress)

    def index(self, indices: Sequence[int], *, scale: bool = False, **training: Any) -> KnnIndex:
        """The index of the given rows (minus excluded sources and rows without a label).

        Args:
            indices: the rows to index.
            scale: also compute the leave-one-out quantiles (numpy).
            training: more provenance for the index file.

        Raises:
            ConfigError: no row left to index.
        """
        return self.adapted_index(indices, (), scale=scale, **training)

    def adapted_index(
        self, indices: Sequence[int], adapt: Sequence[int], *, scale: bool = False, **training: Any
    ) -> KnnIndex:
        """:meth:`index`, with ``adapt`` rows (among ``indices``) indexed even if their source is excluded
        (``--adapt``: an evaluation figure, nothing that ships)."""
        excluded = set(self.recipe.exclude_sources)
        kept = set(adapt)
        chosen = [i for i in indices if self.rows[i].source not in excluded or i in kept]
        if not chosen:
            raise ConfigError("no row left to index: every row is of an excluded source")
        found = labels([self.rows[i] for i in chosen], self.recipe.label)
        keep = [i for i, ok in zip(chosen, found.used, strict=True) if ok]
        values = [v for v, ok in zip(found.values, found.used, strict=True) if ok]
        index = KnnIndex.from_vectors(
            self.embedder,
            self.recipe.k,
            [self.vectors[i] for i in keep],
            values,
            training={"recipe": self.recipe.to_dict(), "label": DESCRIPTIONS[self.recipe.label], **training},
        )
        if not scale:
            return index
        return KnnIndex(
            index.embedder,
            index.embedder_options,
            index.k,
            index.steps,
            index.labels,
            _leave_one_out_quantiles(index),
            {**index.training, "rows_used": len(keep)},
        )

    def fit(self, indices: Sequence[int], adapt: Sequence[int] = ()) -> KnnClassifier:
        """A knn classifier over the given rows (for a fold; ``adapt``: see :meth:`adapted_index`)."""
        return KnnClassifier(index=self.adapted_index(indices, adapt), embedder=self.embedder)

    def score(self, classifier: Any, index: int) -> float:
        """Row ``index``'s score by a classifier this trainer fitted, from its vector (embedded once)."""
        return float(classifier.score_vector(self.vectors[index]))


def build_index(
    rows: Sequence[Row], recipe: KnnRecipe, progress: Progress | None = None, **training: Any
) -> KnnIndex:
    """The index of every row (minus excluded sources), with its scale."""
    return KnnTrainer(rows, recipe, progress).index(range(len(rows)), scale=True, **training)


def _leave_one_out_quantiles(index: KnnIndex, block: int = 512) -> tuple[float, ...]:
    """Each row scored by its ``k`` nearest other rows; the scores' quantiles at 0 %, 5 %, ..., 100 %."""
    np = numpy()
    matrix = np.asarray(index.steps, dtype=np.float64)
    labels_ = np.asarray(index.labels)
    rows, k = len(labels_), min(index.k, len(labels_) - 1)
    if k < 1:
        return ()
    scores = []
    for start in range(0, rows, block):
        similarity = matrix[start : start + block] @ matrix.T
        for offset in range(similarity.shape[0]):
            similarity[offset, start + offset] = -np.inf  # not its own neighbour
        nearest = np.argpartition(-similarity, k - 1, axis=1)[:, :k]
        scores.extend(((labels_[nearest].sum(axis=1) + index.prior) / (k + 1)).tolist())
    cuts = statistics.quantiles(scores, n=20, method="inclusive")
    return tuple(sorted(float(f"{q:.6g}") for q in [min(scores), *cuts, max(scores)]))
