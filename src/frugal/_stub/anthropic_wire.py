"""Anthropic wire bodies: messages (JSON and SSE), count_tokens and errors.

Pure functions from a scripted :class:`Reply` to what the Anthropic API sends, in the shapes that
anthropic 2.x accepts with strict response validation.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from .prompt_blocks import text_length, tokens
from .script import Reply, Usage
from .sse import split_text, sse

__all__ = ["count_tokens", "error_body", "message", "message_events", "stream_error", "usage"]

# status -> (error type, message), as the Anthropic API words them.
_ERRORS: dict[int, tuple[str, str]] = {
    400: ("invalid_request_error", "Invalid request."),
    401: ("authentication_error", "invalid x-api-key"),
    402: ("billing_error", "Your credit balance is too low."),
    403: ("permission_error", "Your API key does not have permission to use the specified resource."),
    404: ("not_found_error", "Not found."),
    405: ("invalid_request_error", "Method not allowed."),
    413: ("request_too_large", "Request exceeds the maximum allowed number of bytes."),
    429: ("rate_limit_error", "Rate limited."),
    500: ("api_error", "Internal server error."),
    504: ("timeout_error", "Request timed out."),
    529: ("overloaded_error", "Overloaded."),
}


def _error(status: int, message: str | None) -> dict[str, str]:
    default = ("api_error", "Internal server error.") if status >= 500 else ("invalid_request_error", "")
    kind, text = _ERRORS.get(status, default)
    return {"type": kind, "message": message or text or f"Error {status}."}


def error_body(status: int, message: str | None, request_id: str) -> dict[str, Any]:
    """The ``{"type": "error", ...}`` body Anthropic sends with an HTTP error ``status``."""
    return {"type": "error", "error": _error(status, message), "request_id": request_id}


def stream_error(status: int, message: str | None) -> bytes:
    """A mid-stream ``event: error`` (the SDK raises ``APIStatusError`` with the stream's status, 200)."""
    return sse({"type": "error", "error": _error(status, message)}, "error")


def usage(counts: Usage, *, output_tokens: int | None = None) -> dict[str, Any]:
    """Anthropic ``usage``: ``input_tokens`` exclude cache reads and writes; writes split by TTL."""
    body: dict[str, Any] = {
        "input_tokens": counts.uncached_input_tokens,
        "output_tokens": counts.output_tokens if output_tokens is None else output_tokens,
        "cache_creation_input_tokens": counts.cache_write_total,
        "cache_read_input_tokens": counts.cache_read_tokens,
        "cache_creation": {
            "ephemeral_5m_input_tokens": counts.cache_write_tokens,
            "ephemeral_1h_input_tokens": counts.cache_write_1h_tokens,
        },
        "service_tier": "standard",
    }
    if counts.reasoning_tokens and output_tokens is None:
        body["output_tokens_details"] = {"thinking_tokens": counts.reasoning_tokens}
    return body


def _blocks(reply: Reply, rid: str) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    if reply.text is not None:
        blocks.append({"type": "text", "text": reply.text})
    blocks += [
        {
            "type": "tool_use",
            "id": call.id or f"toolu_{rid[:16]}{i}",
            "name": call.name,
            "input": dict(call.arguments),
        }
        for i, call in enumerate(reply.tool_calls)
    ]
    return blocks


def message(reply: Reply, model: str, rid: str) -> dict[str, Any]:
    """A ``message`` object."""
    return {
        "id": f"msg_{rid}",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": _blocks(reply, rid),
        "stop_reason": reply.anthropic_stop_reason,
        "stop_sequence": None,
        "usage": usage(reply.counts),
    }


def message_events(reply: Reply, model: str, rid: str) -> list[bytes]:
    """A message stream's events (each with its ``event:`` line), ``message_stop`` last.

    ``message_start`` carries the input and cache counts with a placeholder ``output_tokens`` of 1;
    ``message_delta`` carries the stop reason and the final counts.
    """
    counts = reply.counts
    start = {
        **message(reply, model, rid),
        "content": [],
        "stop_reason": None,
        "usage": usage(counts, output_tokens=1),
    }
    events = [sse({"type": "message_start", "message": start}, "message_start")]
    for index, block in enumerate(_blocks(reply, rid)):
        opening: dict[str, Any]
        deltas: list[dict[str, Any]]
        if block["type"] == "text":
            opening = {"type": "text", "text": ""}
            deltas = [{"type": "text_delta", "text": piece} for piece in split_text(block["text"])]
        else:
            opening = {**block, "input": {}}
            deltas = [
                {"type": "input_json_delta", "partial_json": piece}
                for piece in split_text(json.dumps(block["input"]))
            ]
        events.append(
            sse(
                {"type": "content_block_start", "index": index, "content_block": opening},
                "content_block_start",
            )
        )
        events += [
            sse({"type": "content_block_delta", "index": index, "delta": delta}, "content_block_delta")
            for delta in deltas
        ]
        events.append(sse({"type": "content_block_stop", "index": index}, "content_block_stop"))
    final: dict[str, Any] = {
        "input_tokens": counts.uncached_input_tokens,
        "cache_creation_input_tokens": counts.cache_write_total,
        "cache_read_input_tokens": counts.cache_read_tokens,
        "output_tokens": counts.output_tokens,
    }
    if counts.reasoning_tokens:
        final["output_tokens_details"] = {"thinking_tokens": counts.reasoning_tokens}
    delta = {"stop_reason": reply.anthropic_stop_reason, "stop_sequence": None}
    events.append(sse({"type": "message_delta", "delta": delta, "usage": final}, "message_delta"))
    events.append(sse({"type": "message_stop"}, "message_stop"))
    return events


def count_tokens(body: Mapping[str, Any]) -> int:
    """A crude, deterministic token count: a quarter of the characters of text in system, messages, tools."""
    characters = sum(text_length(body.get(key)) for key in ("system", "messages", "tools"))
    return max(1, tokens(characters))
