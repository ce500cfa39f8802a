"""Classifiers score how demanding a request is, in [0, 1]; the policy maps the score to a tier.

Built-in: ``heuristic`` (no I/O, explainable), ``learned`` (trained on labelled rows) and ``knn`` (the
labels of the nearest labelled prompts, through an embedder). Third-party
classifiers register under the entry-point group ``frugal.classifiers`` (the built-ins do too) or are
named by dotted path in the policy.
"""

from __future__ import annotations

from .base import Classification, Classifier
from .registry import available_classifiers, load_classifier

__all__ = ["Classification", "Classifier", "available_classifiers", "load_classifier"]
