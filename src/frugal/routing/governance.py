"""Output governance: the output limit and reasoning effort a route or tier sends when the caller set none.

Output tokens cost four to five times input tokens, and an unbounded answer on a routine feature is the
commonest waste after the model itself. A tier (or a route, which wins) may say ``max_output_tokens`` and
``reasoning_effort``; they are added to a call only where the caller gave nothing of the kind, in the
call's own shape (``max_completion_tokens`` / ``reasoning_effort`` for chat, ``max_output_tokens`` /
``reasoning.effort`` for Responses; an Anthropic-shaped call always carries ``max_tokens``), and the effort
only for models that reason. Off unless the policy sets them: nothing is added by default.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .decide import Candidate, RouteConfig, TierConfig

__all__ = ["governed"]


def _given(params: Mapping[str, Any], *names: str) -> bool:
    return any(params.get(name) is not None for name in names)


def governed(
    operation: str,
    params: dict[str, Any],
    route: RouteConfig | None,
    tier: TierConfig | None,
    candidate: Candidate,
) -> dict[str, Any]:
    """``params`` with the route's or tier's output limit and reasoning effort where the caller set none
    (the same dict when nothing is added)."""
    limit = (route.max_output_tokens if route else None) or (tier.max_output_tokens if tier else None)
    effort = (route.reasoning_effort if route else None) or (tier.reasoning_effort if tier else None)
    if effort is not None and not candidate.info.capabilities.reasoning:
        effort = None
    if limit is None and effort is None:
        return params
    out = dict(params)
    if operation == "chat":
        if limit is not None and not _given(params, "max_tokens", "max_completion_tokens"):
            out["max_completion_tokens"] = limit
        if effort is not None and not _given(params, "reasoning_effort"):
            out["reasoning_effort"] = effort
    elif operation == "responses":
        if limit is not None and not _given(params, "max_output_tokens"):
            out["max_output_tokens"] = limit
        if effort is not None and not _given(params, "reasoning"):
            out["reasoning"] = {"effort": effort}
    return out
