"""Routing: which model serves a call, decided without I/O.

- :mod:`~frugal.routing.decide`: the :class:`Router` (a compiled policy) and its pure :meth:`Router.decide`;
  :class:`Routing`, a call's routing settled once (request view, route, classification), whose
  :meth:`Routing.decide` re-caps the decision (a budget's downgrade, a cascade step) without classifying
  again.
- :mod:`~frugal.routing.compile`: policy → router, cascade plans and budgets, every error located.
- :mod:`~frugal.routing.cascade`: the answer checks of cascade routes and one call's way through them.
"""

from __future__ import annotations

from .decide import (
    AUTO,
    Candidate,
    Decision,
    RouteConfig,
    Router,
    Routing,
    RuleConfig,
    TierConfig,
    classify_safely,
)

__all__ = [
    "AUTO",
    "Candidate",
    "Decision",
    "RouteConfig",
    "Router",
    "Routing",
    "RuleConfig",
    "TierConfig",
    "classify_safely",
]
