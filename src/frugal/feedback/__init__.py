"""Evidence from the deployment's own traffic: labels from shadow comparisons, cascades and explicit
feedback, their store, and the quality audit built on them."""

from __future__ import annotations

from .labels import WORD_BUCKETS, Label, LabelSource, hashed_features
from .store import LabelStore, MemoryLabels, RedisLabels, SQLiteLabels, open_labels

__all__ = [
    "WORD_BUCKETS",
    "Label",
    "LabelSource",
    "LabelStore",
    "MemoryLabels",
    "RedisLabels",
    "SQLiteLabels",
    "hashed_features",
    "open_labels",
]
