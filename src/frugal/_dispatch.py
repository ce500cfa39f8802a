"""From a call's arguments to a routing decision: the seam between the client and the router.

Builds the :class:`RoutingRequest`, runs the route's classifier (a failure falls back to the policy's
default tier, warns once and is marked on the decision), answers the router's "can this provider kind
serve the call" question lazily (at most one translation check per kind and call), and decides.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

from ._context import call_metadata
from ._request import RoutingRequest
from ._tokens import count_input_tokens
from .classifiers.base import Classification, Classifier
from .exceptions import FrugalWarning, UnsupportedFeature
from .providers.calls import Operation, check
from .routing import Candidate, Decision, Router

__all__ = ["classify_safely", "decide"]

_WARNED: set[str] = set()


def classify_safely(classifier: Classifier, request: RoutingRequest) -> Classification | None:
    """The classifier's verdict, or None (and one warning per classifier) when it raises."""
    try:
        result = classifier.classify(request)
    except Exception as exc:
        name = getattr(classifier, "name", type(classifier).__name__)
        if name not in _WARNED:
            _WARNED.add(name)
            warnings.warn(
                f"classifier {name!r} failed ({type(exc).__name__}); using the policy's default tier. "
                "This warning is shown once per classifier.",
                FrugalWarning,
                stacklevel=4,
            )
        return None
    return result


def decide(
    router: Router,
    op: Operation,
    params: Mapping[str, Any],
    *,
    min_tier: int | None = None,
    max_tier: int | None = None,
    pin: Candidate | None = None,
) -> Decision:
    """The routing decision for an SDK call (``op``) with the caller's keyword arguments.

    ``min_tier`` raises the tier (a cascade's escalation); ``max_tier`` and ``pin`` cap the decision (a
    budget's ``downgrade``); each as a rule would.

    Raises:
        TypeError: ``model`` is missing or not a string.
        UnknownModelError: a concrete requested model cannot be placed.
        RoutingError: no candidate can serve the call.
    """
    requested = params.get("model")
    if not isinstance(requested, str):
        raise TypeError(
            f"model must be a string naming a model, a route or 'auto', got {type(requested).__name__}"
        )
    route, concrete = router.route_for(requested)
    request = RoutingRequest.from_call(op.name, params, call_metadata(op.name, params))
    if router.count_tokens is not None:
        request = count_input_tokens(request, router.count_tokens, router.policy.token_counter)
    if concrete is not None and router.policy.requested_model == "honor":
        return router.decide(request, None, route, concrete, min_tier=min_tier, max_tier=max_tier, pin=pin)
    classification = classify_safely(route.classifier, request)
    verdicts = {op.shape: True}  # check() passes a call's own shape without looking at it

    def translatable(kind: str) -> bool:
        verdict = verdicts.get(kind)
        if verdict is None:
            try:
                check(op, kind, params)
                verdict = True
            except UnsupportedFeature:
                verdict = False
            verdicts[kind] = verdict
        return verdict

    return router.decide(
        request,
        classification,
        route,
        concrete,
        translatable,
        classifier_failed=classification is None,
        min_tier=min_tier,
        max_tier=max_tier,
        pin=pin,
    )
