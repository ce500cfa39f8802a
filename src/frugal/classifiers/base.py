"""The classifier plug-in contract: :class:`Classifier` scores a request into a :class:`Classification`."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from ..request import RoutingRequest

__all__ = ["Classification", "Classifier", "HasScale", "bind_client", "suggested_thresholds"]


@dataclass(frozen=True, slots=True)
class Classification:
    """A classifier's verdict on one request.

    Attributes:
        score: 0 (trivially easy) to 1 (needs the strongest model); the policy's thresholds map it to a
            tier.
        reasons: short, human-readable explanations ("code", "long prompt (12k chars)"). They are put on
            telemetry spans and in logs, so they must never quote the prompt.
        classifier: the name of the classifier that made it.
    """

    score: float
    reasons: tuple[str, ...] = ()
    classifier: str = ""

    def __post_init__(self) -> None:
        if not 0.0 <= self.score <= 1.0:  # NaN fails this too
            raise ValueError(f"a classification score must lie in [0, 1], got {self.score!r}")


@runtime_checkable
class Classifier(Protocol):
    """Scores how demanding a request is.

    Pure, synchronous and fast (it runs on every call): no network I/O unless it is explicitly an
    LLM-judge classifier. A classifier that raises does not fail the call: the policy's default tier is
    used and one ``FrugalWarning`` is shown.

    A class may declare ``Options``, a pydantic model: the registry then validates the policy's options
    with it and builds the classifier as ``cls(options)``; without ``Options`` it is built as ``cls()``.
    """

    name: str

    def classify(self, request: RoutingRequest) -> Classification:
        """Score ``request``."""
        ...


@runtime_checkable
class HasScale(Protocol):
    """A classifier that knows its own scale: where thresholds between ``tiers`` tiers belong.

    Optional. ``frugal eval`` and ``calibrate`` with ``--models`` (a policy they write themselves) start
    from these thresholds instead of evenly spaced ones.
    """

    def suggested_thresholds(self, tiers: int) -> tuple[float, ...]:
        """``tiers - 1`` strictly increasing thresholds in (0, 1)."""
        ...


def suggested_thresholds(classifier: object, tiers: int) -> tuple[float, ...]:
    """The classifier's own thresholds for ``tiers`` tiers, or evenly spaced ones when it has none.

    Raises:
        ValueError: the classifier suggests thresholds that a policy would refuse (wrong number, not
            strictly increasing, or outside (0, 1)).
    """
    if not isinstance(classifier, HasScale):
        return tuple(i / tiers for i in range(1, tiers))
    values = tuple(float(t) for t in classifier.suggested_thresholds(tiers))
    inside = all(0.0 < t < 1.0 for t in values)
    increasing = all(a < b for a, b in itertools.pairwise(values))
    if len(values) != tiers - 1 or not inside or not increasing:
        name = getattr(classifier, "name", type(classifier).__name__)
        raise ValueError(
            f"classifier {name!r} suggests thresholds {list(values)} for {tiers} tiers: expected "
            f"{tiers - 1} strictly increasing values in (0, 1)"
        )
    return values


def bind_client(classifier: object, client: object) -> None:
    """Hand ``client`` to a classifier that calls models through it (it has ``bind_client``); else nothing.

    The frugal client calls this once per classifier of its policy when it is built, so that an
    embeddings call a classifier makes (the ``knn`` classifier's ``endpoint`` embedder) is priced,
    counted in the ledger and traced like any call. It must be a synchronous client: a classifier runs
    synchronously, inside the call it classifies.
    """
    bind = getattr(classifier, "bind_client", None)
    if callable(bind):
        bind(client)
