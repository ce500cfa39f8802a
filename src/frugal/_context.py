"""Routing context (user, team, feature, ...) carried by ``contextvars``: async-safe, thread-local.

``client.with_context(team="search")`` sets it for a block of code; calls made inside, in this thread or
task (and tasks it starts), carry it. Metadata in the call itself (OpenAI ``user`` / ``metadata``,
Anthropic ``metadata.user_id``) is merged on top.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

__all__ = ["call_metadata", "current_context", "hash_user", "with_context"]

_EMPTY: Mapping[str, str] = {}
_CONTEXT: ContextVar[Mapping[str, str]] = ContextVar("frugal_context", default=_EMPTY)


@contextmanager
def with_context(**metadata: object) -> Iterator[Mapping[str, str]]:
    """Attach routing metadata to every call made inside the ``with`` block (nested blocks merge)."""
    merged = {**_CONTEXT.get(), **{k: str(v) for k, v in metadata.items() if v is not None}}
    token = _CONTEXT.set(merged)
    try:
        yield merged
    finally:
        _CONTEXT.reset(token)


def current_context() -> Mapping[str, str]:
    """The routing metadata in effect here."""
    return _CONTEXT.get()


def call_metadata(operation: str, params: Mapping[str, Any]) -> Mapping[str, str]:
    """The context merged with what the call's own arguments say about who is calling."""
    context = _CONTEXT.get()
    found: dict[str, str] | None = None
    meta = params.get("metadata")
    if meta is not None and isinstance(meta, Mapping):  # an ABC check costs more than the rest here
        found = {str(k): str(v) for k, v in meta.items() if isinstance(v, (str, int, float))}
        if operation == "messages" and "user_id" in found:
            found["user"] = found.pop("user_id")
    for key in ("user", "safety_identifier"):
        value = params.get(key)
        if isinstance(value, str) and value:
            found = found if found is not None else {}
            found.setdefault("user", value)
    if not found:
        return context
    return {**context, **found}


def hash_user(user: str) -> str:
    """A stable pseudonym for a user id (policy ``hash_user_ids: true``)."""
    return "u_" + hashlib.sha256(user.encode()).hexdigest()[:16]
