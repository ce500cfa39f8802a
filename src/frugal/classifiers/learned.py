"""The built-in ``learned`` classifier: a logistic regression over text features, trained on labelled rows.

Inference is pure Python (no numpy): the dense features and words of
:mod:`frugal.classifiers.learned_features`, weighed by a model file
(:mod:`frugal.classifiers.learned_model`) that ``frugal train`` writes (:mod:`frugal.evaluation.train`),
plus the request's shape (tools, conversation depth, structured output, output limit, images, context),
which labelled single-turn rows cannot teach, with weights fixed at training time from the heuristic's.

A model of version 3 (``frugal train --from-store``) reads words hashed into buckets, as the feedback
store records them. A model of version 2 (the shipped default) is language-aware: for a prompt mostly in
another script, the features read in English words and marks take the model's neutral values, so the
prompt is scored like an average one with the same structure, never routed up or down for not being
English.

Its score is the model's probability that a cheaper model falls short where a stronger one succeeds
(the label of version 2 models; see docs/evaluation.md for how well that holds on unseen traffic).
Reasons name feature families ("math", "wording", "long prompt"), never a word of the prompt.
"""

from __future__ import annotations

import math
from typing import ClassVar

from ..request import RoutingRequest
from .base import Classification
from .cues import NO_STRONG_SIGNAL, REASONS, SHAPE_SIGNALS, shape_signals
from .learned_features import DENSE_FEATURES, DENSE_SIGNS, SCRIPT_NEUTRAL, features, read, word_bucket
from .learned_model import FORMAT, LearnedModel, load_model
from .learned_options import LearnedOptions

__all__ = [
    "DENSE_FEATURES",
    "DENSE_SIGNS",
    "FORMAT",
    "SCRIPT_NEUTRAL",
    "SHAPE_SIGNALS",
    "LearnedClassifier",
    "LearnedModel",
    "LearnedOptions",
    "features",
    "load_model",
]

_REASON_MIN = 0.1  # a contribution to the logit smaller than this is not worth a reason
# The heuristic's names for the cues both read, so that a reason means the same from either classifier.
_LABELS = {
    **REASONS,
    "wh_start": "starts with a question word",
    "word_length": "long words on average",
    "currency": "amounts or percentages",
    "fence": "code block",
    "negation": "negations",
    "causal": "causal connectives",
    "contrast": "contrasts",
    "comparison": "comparisons",
    "condition": "conditions",
    "clauses": "several clauses",
    "sentences": "several sentences",
    "sentence_length": "long sentences",
    "how_many": "asks how many or how much",
    "why": "asks why",
    "imperative": "a task to carry out",
    "lookup": "a lookup question",
    "which": "asks which",
    "what": "asks what",
    "function_words": "connected prose",
    "words": "wording",
    "context": "context",
    "tools": "tools",
    "turns": "conversation depth",
    "output_size": "output limit",
    "images": "images",
}


class LearnedClassifier:
    """Scores a request with a logistic regression trained by ``frugal train`` (see the module docstring).

    No I/O after construction, deterministic, about as fast as the heuristic plus a dictionary lookup per
    distinct word.
    """

    name = "learned"
    Options: ClassVar[type[LearnedOptions]] = LearnedOptions

    def __init__(self, options: LearnedOptions | None = None, *, model: LearnedModel | None = None) -> None:
        self.options = options or LearnedOptions()
        self.model = model if model is not None else load_model(self.options.model)
        # Features of weight 0 (the sign constraints zero many) are left out of the sum and the reasons.
        self._dense = {key: weight for key, weight in self.model.dense.items() if weight}
        self._words = {word.encode("ascii", "ignore"): weight for word, weight in self.model.words.items()}
        self._vocabulary = frozenset(self._words)
        self._buckets = self.model.word_buckets
        self._hashed: dict[int, float] = {}
        if self._buckets:
            self._hashed = {int(bucket): weight for bucket, weight in self.model.words.items()}
            self._vocabulary = frozenset()

    def suggested_thresholds(self, tiers: int) -> tuple[float, ...]:
        """Thresholds that split the model's training rows evenly among ``tiers`` tiers (its own scale).

        From the score quantiles recorded in the model file (evenly spaced ones for a file without them).
        """
        quantiles = self.model.quantiles
        if len(quantiles) < 2:
            return tuple(i / tiers for i in range(1, tiers))
        steps = len(quantiles) - 1
        found: list[float] = []
        for i in range(1, tiers):
            position = i * steps / tiers
            low = int(position)
            high = min(low + 1, steps)
            value = quantiles[low] + (position - low) * (quantiles[high] - quantiles[low])
            value = round(value, 4)
            if found and value <= found[-1]:
                value = round(found[-1] + 0.0001, 4)
            found.append(min(max(value, 0.0001), 0.9999))
        return tuple(found)

    def logit(self, request: RoutingRequest) -> tuple[float, dict[str, float]]:
        """The logit and each feature family's contribution to it (words summed as ``"words"``)."""
        reading = read(request, self.model.scan_chars)
        dense = reading.dense
        if reading.non_latin and self.model.neutral:
            # Read in English words and marks, these features say nothing about a prompt in another
            # script: it is scored as an average prompt of its structure instead.
            dense = {k: v if k in SCRIPT_NEUTRAL else self.model.neutral.get(k, v) for k, v in dense.items()}
        words = reading.words
        weights = self._dense
        parts = {key: weights[key] * value for key, value in dense.items() if value and key in weights}
        if self._vocabulary:  # one C-level pass finds the known words; each counts once
            parts["words"] = sum(self._words[word] for word in self._vocabulary.intersection(words))
        elif self._buckets and self._hashed:  # each bucket counts once, as the store records them
            found = {word_bucket(word, self._buckets) for word in set(words)}
            parts["words"] = sum(self._hashed.get(bucket, 0.0) for bucket in found)
        shape = self.model.shape
        for key, value in shape_signals(request):
            if shape.get(key):
                parts[key] = shape[key] * value
        return self.model.bias + sum(parts.values()), parts

    def classify(self, request: RoutingRequest) -> Classification:
        """Score ``request`` in [0, 1]; the reasons name the (at most three) families that moved it most."""
        logit, parts = self.logit(request)
        score = 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, logit))))
        strong = sorted(((abs(v), k, v) for k, v in parts.items() if abs(v) >= _REASON_MIN), reverse=True)
        reasons = tuple(_reason(key, value, request) for _, key, value in strong[:3]) or NO_STRONG_SIGNAL
        return Classification(score, reasons, self.name)


def _reason(key: str, value: float, request: RoutingRequest) -> str:
    if key == "length":
        return f"{'long' if value > 0 else 'short'} prompt ({len(request.prompt):,} chars)"
    label = _LABELS.get(key, key)
    return label if key != "words" else f"wording ({'harder' if value > 0 else 'easier'})"
