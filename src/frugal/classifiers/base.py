"""The classifier plug-in contract."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from .._request import RoutingRequest

__all__ = ["Classification", "Classifier"]


@dataclass(frozen=True, slots=True)
class Classification:
    """A classifier's verdict.

    Attributes:
        score: 0 (trivially easy) to 1 (needs the strongest model).
        reasons: short explanations ("code block", "long input (12k chars)"). They reach spans and logs,
            so they must never quote the prompt.
        classifier: the classifier's name.
    """

    score: float
    reasons: tuple[str, ...] = ()
    classifier: str = ""

    def __post_init__(self) -> None:
        if not 0.0 <= self.score <= 1.0:
            raise ValueError(f"a classification score must lie in [0, 1], got {self.score!r}")


@runtime_checkable
class Classifier(Protocol):
    """Scores requests. Pure and fast: no network I/O unless it is explicitly an LLM-judge classifier.

    A class may declare ``Options`` (a pydantic model): it is then built as ``cls(options)`` with the
    policy's validated options, else as ``cls()``.
    """

    name: str

    def classify(self, request: RoutingRequest) -> Classification:
        """Score ``request``."""
        ...
