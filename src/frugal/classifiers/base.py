"""The classifier plug-in contract: :class:`Classifier` scores a request into a :class:`Classification`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from ..request import RoutingRequest

__all__ = ["Classification", "Classifier"]


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
