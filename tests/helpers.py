"""Test-only classifiers and cascade checks, loaded by dotted path from test policies."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from frugal.classifiers.base import Classification
from frugal.request import RoutingRequest


class MetadataScore:
    """Scores a request with the number in its ``score`` metadata (default 0.5): deterministic routing."""

    name = "metadata-score"

    def classify(self, request: RoutingRequest) -> Classification:
        return Classification(float(request.metadata.get("score", 0.5)), ("score from metadata",), self.name)


class Exploding:
    """A classifier that always fails at call time."""

    name = "exploding"

    def classify(self, request: RoutingRequest) -> Classification:
        raise RuntimeError("boom")


def no_maybe(params: Mapping[str, Any], answer: Any) -> object:
    """A cascade check: escalate answers that hedge with "maybe"; raise on "crash" (a buggy check)."""
    text = answer.choices[0].message.content or ""
    if "crash" in text:
        raise RuntimeError("a bug in the user's check")
    return "hedged" if "maybe" in text else True


def count_words(text: str) -> int:
    """A token counter for tests: one token per whitespace-separated word."""
    return len(text.split())


def count_badly(text: str) -> int:
    """A token counter that fails on text containing "crash" (a buggy counter)."""
    if "crash" in text:
        raise RuntimeError("a bug in the user's counter")
    return len(text)
