"""Labels: what the deployment's own traffic says about whether a cheaper model's answer was good enough.

A :class:`Label` comes from a shadow comparison (the baseline model answered the same call, off the
caller's path, and the two answers were compared), from a cascade (an answer accepted, or one that failed
its checks and escalated), or from ``client.feedback()``. It keeps what training and the quality audit
need: when, which route and tier, which model answered and against which it was compared, the verdict,
and the request's features as the ``learned`` classifier reads them, with the words hashed into
:data:`WORD_BUCKETS` buckets (no text). The prompt and the answers' text are kept only when the policy's
``feedback.store_content`` says so.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from itertools import count
from typing import Any, Literal

from ..classifiers.learned_features import WORD_BUCKETS, read, word_bucket
from ..request import RoutingRequest

__all__ = ["WORD_BUCKETS", "Label", "LabelSource", "hashed_features", "label_id"]

LabelSource = Literal["shadow", "cascade", "feedback"]


@dataclass(frozen=True, slots=True)
class Label:
    """One labelled answer.

    Attributes:
        id: unique id.
        time: when the labelled call started, seconds since the epoch (UTC).
        source: ``shadow`` (compared with the baseline's answer), ``cascade`` (accepted, or failed its
            checks) or ``feedback`` (``client.feedback()``).
        good: the verdict, from 0 (not good enough) to 1 (as good as the baseline / accepted / good).
        method: how it was reached: ``exact``, ``normalized``, ``json``, ``tools``, ``judge`` (shadow),
            ``accepted`` or ``escalated`` (cascade), ``user`` (feedback).
        call_id: the labelled call's id (its answer's id: ``frugal.call_id(response)``), when known.
        route, tier, model: the call's route, tier, and the model whose answer is labelled.
        reference_model: the model it was compared with (the baseline, for a shadow), if any.
        detail: a short reason (a cascade's failed check, a judge's rating), never text of the call.
        team, feature: from the call's routing context.
        classifier, score: the route's classifier and its score for the call, when it was routed.
        features: the request's features: ``dense`` (name → value) and ``words`` (hashed buckets).
        cost_usd: what producing the label cost (a shadow call and its judge), or None.
        prompt, answer, reference_answer: text, only when the policy's ``feedback.store_content`` is on.
    """

    id: str
    time: float
    source: LabelSource
    good: float
    method: str
    call_id: str | None = None
    route: str | None = None
    tier: str | None = None
    model: str | None = None
    reference_model: str | None = None
    detail: str | None = None
    team: str | None = None
    feature: str | None = None
    classifier: str | None = None
    score: float | None = None
    features: Mapping[str, Any] = field(default_factory=dict)
    cost_usd: float | None = None
    prompt: str | None = None
    answer: str | None = None
    reference_answer: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        data = asdict(self)
        data["features"] = dict(self.features)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Label:
        """From :meth:`to_dict` output (unknown keys are ignored, so newer writers stay readable)."""
        names = {f.name for f in fields(cls)}
        return cls(**{key: value for key, value in data.items() if key in names})


_ids = count()
_PREFIX = os.urandom(6).hex()


def label_id() -> str:
    """A new label id, unique across processes."""
    return f"{_PREFIX}{next(_ids):x}"


def hashed_features(request: RoutingRequest) -> dict[str, Any]:
    """The request's features as the ``learned`` classifier reads them, its words hashed into buckets."""
    reading = read(request)
    return {
        "dense": {name: round(value, 6) for name, value in reading.dense.items() if value},
        "words": sorted({word_bucket(word) for word in reading.words}),
        "non_latin": reading.non_latin,
    }
