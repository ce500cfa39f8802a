"""The ``learned`` classifier's model file: :class:`LearnedModel`, and reading and writing it.

A model file is JSON: ``format`` (``"frugal-learned-classifier"``), ``version``, ``bias``, ``dense``,
``words``, ``shape``, ``scan_chars``; from version 2, ``neutral`` (the values that replace the
English-read features of a prompt in another script) and ``quantiles`` (its scores' quantiles on the
training rows: the classifier's own scale, where thresholds belong); and ``training`` (the provenance,
including the recipe that made it, so that cross-validation can refit it). Version 1 files (the 0.1
model) load and score as they always did.

Version 3 adds ``word_buckets``: the model's words are hashed, as the feedback store records them
(:func:`~.learned_features.word_bucket`), and ``words`` maps a bucket's number (a decimal string) to its
weight. ``frugal train --from-store`` writes version 3 (the store keeps no text to learn words from);
``frugal train`` on labelled rows still writes version 2.

Two models ship with frugal: ``v2``, the default, and ``v1``, the previous default, kept to compare.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from ..exceptions import ConfigError
from .cues import SHAPE_SIGNALS
from .learned_features import DENSE_FEATURES
from .learned_options import validate_weights

__all__ = ["FORMAT", "HASHED_VERSION", "SHIPPED", "VERSION", "LearnedModel", "load_model"]

FORMAT = "frugal-learned-classifier"
#: The version ``frugal train`` writes from labelled rows; versions 1 to 3 are read.
VERSION = 2
#: The version of a model whose words are hashed (``word_buckets``): ``frugal train --from-store``.
HASHED_VERSION = 3
_VERSIONS = (1, 2, 3)
#: The models shipped with frugal, by the name ``options: {model: NAME}`` gives them (``v2`` is the default).
SHIPPED = {"v2": "learned_default.json", "v1": "learned_v1.json"}


@dataclass(frozen=True, slots=True)
class LearnedModel:
    """The weights of a learned classifier (the contents of a model file).

    Attributes:
        bias: the logit of a prompt with no feature at all.
        dense: weight per dense feature (see :data:`~.learned_features.DENSE_FEATURES`).
        words: weight per lower-case word, or per word bucket (its number as a string) when
            ``word_buckets`` is set.
        shape: weight per request-shape signal (see :data:`~.cues.SHAPE_SIGNALS`).
        scan_chars: characters of the prompt the cues are read in.
        neutral: per dense feature read in English, the value used instead for a prompt in another script
            (empty: the features are used as measured, as version 1 models do).
        quantiles: the model's scores on its training rows at 0 %, 5 %, ..., 100 % (empty if unknown).
        training: provenance: data, label, options (the recipe), command, date.
        version: the model file's format version.
        word_buckets: 0 for words as text; else the number of buckets words are hashed into (version 3).
    """

    bias: float
    dense: Mapping[str, float]
    words: Mapping[str, float] = field(default_factory=dict)
    shape: Mapping[str, float] = field(default_factory=dict)
    scan_chars: int = 500
    neutral: Mapping[str, float] = field(default_factory=dict)
    quantiles: Sequence[float] = ()
    training: Mapping[str, Any] = field(default_factory=dict)
    version: int = VERSION
    word_buckets: int = 0

    def to_dict(self) -> dict[str, Any]:
        """The JSON document of a model file."""
        document: dict[str, Any] = {
            "format": FORMAT,
            "version": self.version,
            "scan_chars": self.scan_chars,
            "bias": self.bias,
            "dense": dict(self.dense),
            "shape": dict(self.shape),
        }
        if self.neutral:
            document["neutral"] = dict(self.neutral)
        if self.quantiles:
            document["quantiles"] = list(self.quantiles)
        if self.word_buckets:
            document["word_buckets"] = self.word_buckets
        document["training"] = dict(self.training)
        order = (lambda item: int(item[0])) if self.word_buckets else (lambda item: item[0])
        document["words"] = dict(sorted(self.words.items(), key=order))
        return document

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the model file (JSON, stable key order)."""
        Path(path).write_text(
            json.dumps(self.to_dict(), indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
        )


def load_model(path: str | os.PathLike[str] | None = None) -> LearnedModel:
    """Read a model file: a path, or a shipped model's name (``"v2"``, ``"v1"``; None: the default).

    Raises:
        ConfigError: the file cannot be read, is not JSON, or is not a learned-classifier model (the
            message names the file and what is wrong).
    """
    if path is None or (isinstance(path, str) and path in SHIPPED):
        return _shipped(path or "v2")
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise ConfigError(f"{path}: cannot read the learned classifier's model file: {reason}") from None
    return _parse(text, str(path))


@cache
def _shipped(name: str) -> LearnedModel:
    file = SHIPPED[name]
    text = resources.files("frugal.classifiers").joinpath(file).read_text(encoding="utf-8")
    return _parse(text, f"<built-in {file}>")


def _parse(text: str, source: str) -> LearnedModel:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"{source}: not a learned-classifier model: invalid JSON ({exc.msg}, line {exc.lineno})"
        ) from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ConfigError(
            f'{source}: not a learned-classifier model (no "format": "{FORMAT}"; made by \'frugal train\')'
        )
    weights = validate_weights(data, source)
    if weights.version not in _VERSIONS:
        raise ConfigError(
            f"{source}: model format version {weights.version} is not supported "
            f"(expected one of {', '.join(map(str, _VERSIONS))})"
        )
    if weights.word_buckets and weights.version < HASHED_VERSION:
        raise ConfigError(f"{source}: word_buckets needs model format version {HASHED_VERSION}")
    if weights.word_buckets and any(
        not key.isdigit() or int(key) >= weights.word_buckets for key in weights.words
    ):
        raise ConfigError(
            f"{source}: with word_buckets, every key of words must be a bucket number below "
            f"{weights.word_buckets}"
        )
    for family, known in (("dense", DENSE_FEATURES), ("neutral", DENSE_FEATURES), ("shape", SHAPE_SIGNALS)):
        unknown = sorted(set(getattr(weights, family)) - set(known))
        if unknown:
            raise ConfigError(
                f"{source}: unknown {family} feature {', '.join(map(repr, unknown))} "
                f"(known: {', '.join(known)})"
            )
    quantiles = weights.quantiles
    if any(not 0.0 <= q <= 1.0 for q in quantiles) or list(quantiles) != sorted(quantiles):
        raise ConfigError(f"{source}: quantiles must be increasing scores in [0, 1]")
    return LearnedModel(
        bias=weights.bias,
        dense=weights.dense,
        words=weights.words,
        shape=weights.shape,
        scan_chars=weights.scan_chars,
        neutral=weights.neutral,
        quantiles=tuple(quantiles),
        training=weights.training,
        version=weights.version,
        word_buckets=weights.word_buckets,
    )
