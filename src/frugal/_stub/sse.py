"""Server-sent-event framing and the small helpers both vendors' renderers share."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from typing import Any

__all__ = ["compact_json", "new_id", "split_text", "sse"]


def compact_json(data: Any) -> str:
    """JSON without spaces, as the vendors send it."""
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


def sse(data: Mapping[str, Any] | str, event: str | None = None) -> bytes:
    """One SSE event: an optional ``event:`` line, one ``data:`` line, a blank line."""
    payload = data if isinstance(data, str) else compact_json(data)
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {payload}\n\n".encode()


def split_text(text: str, parts: int = 3) -> list[str]:
    """``text`` in up to ``parts`` consecutive non-empty pieces (streams deliver text in pieces)."""
    if not text:
        return []
    size = -(-len(text) // parts)
    return [text[i : i + size] for i in range(0, len(text), size)]


def new_id() -> str:
    """A fresh opaque id (24 hex digits)."""
    return uuid.uuid4().hex[:24]
