"""The built-in ``knn`` classifier: a request scores what its nearest labelled prompts scored.

The prompt's question (a few-shot prompt's final question, as the ``learned`` classifier reads it) is
embedded (:mod:`frugal.classifiers.embedders`); the ``k`` labelled prompts of the index most similar to
it (cosine) vote with their labels, the mean shrunk towards the index's mean label by one pseudo-vote:
``(sum of the k labels + mean label) / (k + 1)``. With the default label (``escalation``, see
:mod:`frugal.evaluation.labels`), the score is the estimated probability that a stronger model succeeds
where a cheaper one fails, from prompts like this one.

An index is made by ``frugal train --classifier knn`` from labelled rows, best from your own traffic: it
holds each row's unit vector (stored as int8 steps of 1/127) and label, never its text. The search is
exact; numpy does it when installed, pure Python otherwise, with the same neighbours: vectors are whole
int8 steps, so every dot product is an exact integer in either, and ties go to the earlier row.
"""

from __future__ import annotations

import base64
import heapq
import json
import math
import operator
import os
from array import array
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from ..exceptions import ConfigError
from ..request import RoutingRequest
from .base import Classification
from .embedders import Embedder, embedder_options, load_embedder
from .knn_options import KnnOptions
from .learned_features import question

__all__ = ["FORMAT", "KnnClassifier", "KnnIndex", "KnnOptions", "load_index"]

FORMAT = "frugal-knn-index"
_VERSION = 1
_DEFAULT_K = 30


def _unit_steps(vector: Sequence[float]) -> list[int]:
    """A vector scaled to length 1, in int8 steps of 1/127 (what an index stores)."""
    norm = math.sqrt(sum(v * v for v in vector))
    if not norm:
        return [0] * len(vector)
    return [max(-127, min(127, round(127 * v / norm))) for v in vector]


@dataclass(frozen=True, slots=True)
class KnnIndex:
    """Labelled prompts as vectors: the contents of an index file.

    Attributes:
        embedder: the embedder's name; ``embedder_options`` rebuild it.
        k: neighbours that vote.
        steps: per row, its unit vector in int8 steps of 1/127.
        labels: per row, its label in [0, 1].
        quantiles: the index's leave-one-out scores at 0 %, 5 %, ..., 100 % (its own scale).
        training: provenance: data, label, recipe.
    """

    embedder: str
    embedder_options: Mapping[str, Any]
    k: int
    steps: Sequence[Sequence[int]]
    labels: Sequence[float]
    quantiles: Sequence[float] = ()
    training: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_vectors(
        cls,
        embedder: Embedder,
        k: int,
        vectors: Sequence[Sequence[float]],
        labels: Sequence[float],
        **extra: Any,
    ) -> KnnIndex:
        """An index of embedded rows (any scale: each vector is made a unit vector)."""
        return cls(
            embedder.name,
            embedder_options(embedder),
            k,
            [_unit_steps(v) for v in vectors],
            list(labels),
            **extra,
        )

    @property
    def dims(self) -> int:
        """The vectors' length."""
        return len(self.steps[0]) if self.steps else 0

    @property
    def prior(self) -> float:
        """The mean label: what the vote is shrunk towards."""
        return sum(self.labels) / len(self.labels) if self.labels else 0.0

    def to_dict(self) -> dict[str, Any]:
        """The JSON document of an index file."""
        packed = array("b", [s for row in self.steps for s in row]).tobytes()
        return {
            "format": FORMAT,
            "version": _VERSION,
            "embedder": {"name": self.embedder, "options": dict(self.embedder_options)},
            "k": self.k,
            "dims": self.dims,
            "rows": len(self.labels),
            "quantiles": list(self.quantiles),
            "training": dict(self.training),
            "labels": [round(y, 4) for y in self.labels],
            "vectors": base64.b64encode(packed).decode("ascii"),
        }

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the index file (JSON; the vectors as base64 int8)."""
        Path(path).write_text(json.dumps(self.to_dict()) + "\n", encoding="utf-8")


def load_index(path: str | os.PathLike[str]) -> KnnIndex:
    """Read an index file.

    Raises:
        ConfigError: the file cannot be read or is not a valid index (naming the file and the problem).
    """
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise ConfigError(f"{path}: cannot read the knn index: {reason}") from None
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path}: not a knn index: invalid JSON ({exc.msg}, line {exc.lineno})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ConfigError(f'{path}: not a knn index (no "format": "{FORMAT}"; made by \'frugal train\')')
    if data.get("version") != _VERSION:
        raise ConfigError(f"{path}: knn index version {data.get('version')!r} is not supported")
    try:
        embedder = data["embedder"]
        labels = [float(y) for y in data["labels"]]
        dims, rows, k = int(data["dims"]), int(data["rows"]), int(data["k"])
        flat = array("b", base64.b64decode(data["vectors"], validate=True))
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigError(f"{path}: invalid knn index: {type(exc).__name__}: {exc}") from None
    if len(labels) != rows or len(flat) != rows * dims or rows < 1 or k < 1:
        raise ConfigError(f"{path}: invalid knn index: {rows} rows of {dims} dims do not match its data")
    return KnnIndex(
        str(embedder["name"]),
        dict(embedder.get("options", {})),
        k,
        [flat[i * dims : (i + 1) * dims].tolist() for i in range(rows)],
        labels,
        tuple(float(q) for q in data.get("quantiles", ())),
        dict(data.get("training", {})),
    )


class _Search:
    """Exact cosine search over unit vectors: numpy when installed, pure Python otherwise."""

    def __init__(self, steps: Sequence[Sequence[int]]) -> None:
        try:
            import numpy
        except ImportError:
            numpy = None  # type: ignore[assignment]
        self._numpy: Any = numpy
        self._matrix: Any = None
        self._rows: list[tuple[float, ...]] = []
        if numpy is not None:
            self._matrix = numpy.asarray(steps, dtype=numpy.float64)
        else:
            self._rows = [tuple(float(s) for s in row) for row in steps]

    def nearest(self, query: Sequence[int], k: int) -> list[int]:
        """The ``k`` rows most similar to ``query``, most similar first (ties: the earlier row first)."""
        if self._numpy is not None:
            np = self._numpy
            similarity = self._matrix @ np.asarray(query, dtype=np.float64)
            k = min(k, len(similarity))
            cut = np.partition(similarity, len(similarity) - k)[len(similarity) - k]  # the k-th largest
            # Every row above the k-th similarity is in; of the rows at it, the earliest fill the rest,
            # as the pure-Python order (similarity, then row) has it.
            above = np.flatnonzero(similarity > cut)
            above = above[np.lexsort((above, -similarity[above]))]
            at = np.flatnonzero(similarity == cut)[: k - len(above)]
            return [int(i) for i in above] + [int(i) for i in at]
        values = [float(s) for s in query]
        similarity = [sum(map(operator.mul, row, values)) for row in self._rows]
        return heapq.nsmallest(k, range(len(similarity)), key=lambda i: (-similarity[i], i))


class KnnClassifier:
    """Scores a request by the labels of its nearest neighbours in an index (see the module docstring)."""

    name = "knn"
    Options: ClassVar[type[KnnOptions]] = KnnOptions

    def __init__(
        self,
        options: KnnOptions | None = None,
        *,
        index: KnnIndex | None = None,
        embedder: Embedder | None = None,
    ) -> None:
        self.options = options or KnnOptions()
        if index is None:
            if self.options.index is None:
                raise ConfigError(
                    "the knn classifier needs an index file: options: {index: PATH} (make one with "
                    "'frugal train DATA --classifier knn --out PATH')"
                )
            index = load_index(self.options.index)
        self.index = index
        self.k = self.options.k or index.k or _DEFAULT_K
        self.embedder = embedder or load_embedder(index.embedder, index.embedder_options)
        self._search = _Search(index.steps)

    def bind_client(self, client: Any) -> None:
        """Hand the frugal client to an embedder that calls an endpoint through it (the client does this)."""
        bind = getattr(self.embedder, "bind_client", None)
        if callable(bind):
            bind(client)

    def suggested_thresholds(self, tiers: int) -> tuple[float, ...]:
        """Thresholds that split the index's leave-one-out scores evenly among ``tiers`` tiers."""
        q = self.index.quantiles
        if len(q) < 2:
            return tuple(i / tiers for i in range(1, tiers))
        steps = len(q) - 1
        found: list[float] = []
        for i in range(1, tiers):
            position = i * steps / tiers
            low = int(position)
            high = min(low + 1, steps)
            value = round(q[low] + (position - low) * (q[high] - q[low]), 4)
            if found and value <= found[-1]:
                value = round(found[-1] + 0.0001, 4)
            found.append(min(max(value, 0.0001), 0.9999))
        return tuple(found)

    def score_text(self, text: str) -> float:
        """The score of a prompt's text (already reduced to its question)."""
        return self.score_vector(self.embedder.embed([text])[0])

    def score_vector(self, vector: Sequence[float]) -> float:
        """The score of an embedded prompt."""
        labels = self.index.labels
        nearest = self._search.nearest(_unit_steps(vector), self.k)
        return (sum(labels[i] for i in nearest) + self.index.prior) / (len(nearest) + 1)

    def classify(self, request: RoutingRequest) -> Classification:
        """Score ``request``: the shrunk mean label of its ``k`` nearest neighbours."""
        score = min(1.0, max(0.0, self.score_text(question(request.prompt))))
        verdict = "above" if score > self.index.prior else "at or below"
        return Classification(score, (f"similar labelled prompts ({self.k}): {verdict} the mean",), self.name)
