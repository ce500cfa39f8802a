"""Test-only classifiers, loaded by dotted path from test policies."""

from __future__ import annotations

from frugal._request import RoutingRequest
from frugal.classifiers.base import Classification


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
