"""Wire bodies of the loopback vendor stub: OpenAI and Anthropic JSON and SSE, from the verified formats.

Pure functions from a scripted reply to the bytes a vendor would send; the server in
:mod:`frugal.testing` picks one by path and request.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["Reply", "ToolCall", "Usage"]


@dataclass(frozen=True, slots=True)
class Usage:
    """Token counts of a scripted reply, vendor-neutral (the OpenTelemetry convention).

    Attributes:
        input_tokens: ALL input tokens, cache reads and cache writes included.
        output_tokens: all output tokens, reasoning tokens included.
        cache_read_tokens: input tokens read from the prompt cache.
        cache_write_tokens: input tokens written to the cache with the 5-minute TTL.
        cache_write_1h_tokens: input tokens written to the cache with the 1-hour TTL.
        reasoning_tokens: output tokens spent on reasoning.
    """

    input_tokens: int = 12
    output_tokens: int = 5
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    cache_write_1h_tokens: int = 0
    reasoning_tokens: int = 0

    def __post_init__(self) -> None:
        for name in (
            "input_tokens",
            "output_tokens",
            "cache_read_tokens",
            "cache_write_tokens",
            "cache_write_1h_tokens",
            "reasoning_tokens",
        ):
            if getattr(self, name) < 0:
                raise ValueError(f"Usage.{name} must not be negative")
        if self.cache_read_tokens + self.cache_write_tokens + self.cache_write_1h_tokens > self.input_tokens:
            raise ValueError("Usage: cache reads and writes are part of input_tokens and cannot exceed it")
        if self.reasoning_tokens > self.output_tokens:
            raise ValueError("Usage: reasoning_tokens are part of output_tokens and cannot exceed it")

    @property
    def uncached_input_tokens(self) -> int:
        """Input tokens neither read from nor written to the cache (Anthropic's ``input_tokens``)."""
        return (
            self.input_tokens - self.cache_read_tokens - self.cache_write_tokens - self.cache_write_1h_tokens
        )

    def openai_chat(self) -> dict[str, Any]:
        """OpenAI chat ``usage`` (prompt_tokens includes cached tokens)."""
        return {
            "prompt_tokens": self.input_tokens,
            "completion_tokens": self.output_tokens,
            "total_tokens": self.input_tokens + self.output_tokens,
            "prompt_tokens_details": {
                "cached_tokens": self.cache_read_tokens,
                "cache_write_tokens": self.cache_write_tokens + self.cache_write_1h_tokens,
                "audio_tokens": 0,
            },
            "completion_tokens_details": {
                "reasoning_tokens": self.reasoning_tokens,
                "audio_tokens": 0,
                "accepted_prediction_tokens": 0,
                "rejected_prediction_tokens": 0,
            },
        }

    def openai_responses(self) -> dict[str, Any]:
        """OpenAI Responses ``usage``."""
        return {
            "input_tokens": self.input_tokens,
            "input_tokens_details": {
                "cached_tokens": self.cache_read_tokens,
                "cache_write_tokens": self.cache_write_tokens + self.cache_write_1h_tokens,
            },
            "output_tokens": self.output_tokens,
            "output_tokens_details": {"reasoning_tokens": self.reasoning_tokens},
            "total_tokens": self.input_tokens + self.output_tokens,
        }

    def anthropic(self) -> dict[str, Any]:
        """Anthropic ``usage`` (input_tokens excludes cache reads and writes)."""
        return {
            "input_tokens": self.uncached_input_tokens,
            "output_tokens": self.output_tokens,
            "cache_creation_input_tokens": self.cache_write_tokens + self.cache_write_1h_tokens,
            "cache_read_input_tokens": self.cache_read_tokens,
            "cache_creation": {
                "ephemeral_5m_input_tokens": self.cache_write_tokens,
                "ephemeral_1h_input_tokens": self.cache_write_1h_tokens,
            },
            "service_tier": "standard",
        }


@dataclass(frozen=True, slots=True)
class ToolCall:
    """A tool call in a scripted reply."""

    name: str
    arguments: Mapping[str, Any]
    id: str | None = None


@dataclass(frozen=True, slots=True)
class Reply:
    """A scripted reply.

    Attributes:
        text: the answer's text (None for a reply made only of tool calls).
        tool_calls: tool calls the model makes.
        usage: token counts (default: 12 in, 5 out).
        stop_reason: vendor-neutral ``stop``, ``length``, ``tool_calls``, ``content_filter``, or a vendor's
            own value (``end_turn``, ``stop_sequence``, ...); default from the content.
        delay: seconds to wait before answering.
        chunk_delay: seconds to wait between stream events.
    """

    text: str | None = "Hello from stub."
    tool_calls: Sequence[ToolCall] = ()
    usage: Usage | None = None
    stop_reason: str | None = None
    delay: float = 0.0
    chunk_delay: float = 0.0

    @property
    def counts(self) -> Usage:
        """The usage to report."""
        return self.usage or Usage()

    def neutral_stop(self) -> str:
        """The stop reason, vendor-neutral when not given explicitly."""
        return self.stop_reason or ("tool_calls" if self.tool_calls else "stop")


_OPENAI_FINISH = {
    "stop": "stop",
    "length": "length",
    "tool_calls": "tool_calls",
    "content_filter": "content_filter",
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
}
_ANTHROPIC_STOP = {
    "stop": "end_turn",
    "length": "max_tokens",
    "tool_calls": "tool_use",
    "content_filter": "refusal",
}


def _anthropic_stop(reply: Reply) -> str:
    stop = reply.neutral_stop()
    return _ANTHROPIC_STOP.get(stop, stop)


def _call_id(call: ToolCall, index: int, prefix: str) -> str:
    return call.id or f"{prefix}{index}_{uuid.uuid4().hex[:8]}"


def _split(text: str, parts: int = 3) -> list[str]:
    if len(text) < parts:
        return [text] if text else []
    size = -(-len(text) // parts)
    return [text[i : i + size] for i in range(0, len(text), size)]


def _sse(data: Mapping[str, Any], event: str | None = None) -> bytes:
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {json.dumps(data, separators=(',', ':'))}\n\n".encode()


# -- OpenAI chat -------------------------------------------------------------------------------------


def chat_completion(reply: Reply, model: str, rid: str) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": reply.text, "refusal": None, "annotations": []}
    if reply.tool_calls:
        message["tool_calls"] = [
            {
                "id": _call_id(c, i, "call_"),
                "type": "function",
                "function": {"name": c.name, "arguments": json.dumps(dict(c.arguments))},
            }
            for i, c in enumerate(reply.tool_calls)
        ]
    return {
        "id": f"chatcmpl-{rid}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "finish_reason": _OPENAI_FINISH.get(reply.neutral_stop(), "stop"),
                "logprobs": None,
                "message": message,
            }
        ],
        "usage": reply.counts.openai_chat(),
        "service_tier": "default",
        "system_fingerprint": "fp_stub",
    }


def chat_chunks(reply: Reply, model: str, rid: str, include_usage: bool) -> Iterator[bytes]:
    base = {
        "id": f"chatcmpl-{rid}",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
    }

    def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
        body: dict[str, Any] = {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
        if include_usage:
            body["usage"] = None
        return _sse(body)

    yield chunk({"role": "assistant", "content": ""})
    for piece in _split(reply.text or ""):
        yield chunk({"content": piece})
    for i, call in enumerate(reply.tool_calls):
        yield chunk(
            {
                "tool_calls": [
                    {
                        "index": i,
                        "id": _call_id(call, i, "call_"),
                        "type": "function",
                        "function": {"name": call.name, "arguments": ""},
                    }
                ]
            }
        )
        for piece in _split(json.dumps(dict(call.arguments))):
            yield chunk({"tool_calls": [{"index": i, "function": {"arguments": piece}}]})
    yield chunk({}, _OPENAI_FINISH.get(reply.neutral_stop(), "stop"))
    if include_usage:
        yield _sse({**base, "choices": [], "usage": reply.counts.openai_chat()})
    yield b"data: [DONE]\n\n"


# -- OpenAI responses --------------------------------------------------------------------------------


def response_object(reply: Reply, model: str, rid: str, status: str = "completed") -> dict[str, Any]:
    output: list[dict[str, Any]] = []
    if reply.text is not None:
        output.append(
            {
                "type": "message",
                "id": f"msg_{rid}",
                "status": "completed",
                "role": "assistant",
                "content": [{"type": "output_text", "text": reply.text, "annotations": []}],
            }
        )
    for i, call in enumerate(reply.tool_calls):
        output.append(
            {
                "type": "function_call",
                "id": f"fc_{rid}_{i}",
                "call_id": _call_id(call, i, "call_"),
                "name": call.name,
                "arguments": json.dumps(dict(call.arguments)),
                "status": "completed",
            }
        )
    stop = reply.neutral_stop()
    body: dict[str, Any] = {
        "id": f"resp_{rid}",
        "object": "response",
        "created_at": int(time.time()),
        "status": status,
        "model": model,
        "output": output if status == "completed" else [],
        "parallel_tool_calls": True,
        "tool_choice": "auto",
        "tools": [],
        "usage": reply.counts.openai_responses() if status == "completed" else None,
    }
    if status == "completed" and stop in ("length", "content_filter"):
        body["status"] = "incomplete"
        body["incomplete_details"] = {"reason": "max_output_tokens" if stop == "length" else "content_filter"}
    return body


def response_events(reply: Reply, model: str, rid: str) -> Iterator[bytes]:
    sequence = 0

    def event(event_type: str, **data: Any) -> bytes:
        nonlocal sequence
        sequence += 1
        return _sse({"type": event_type, "sequence_number": sequence - 1, **data}, event_type)

    pending = response_object(reply, model, rid, status="in_progress")
    yield event("response.created", response=pending)
    yield event("response.in_progress", response=pending)
    final = response_object(reply, model, rid)
    for index, item in enumerate(final["output"]):
        if item["type"] == "message":
            text = item["content"][0]["text"]
            yield event(
                "response.output_item.added",
                output_index=index,
                item={**item, "status": "in_progress", "content": []},
            )
            yield event(
                "response.content_part.added",
                item_id=item["id"],
                output_index=index,
                content_index=0,
                part={"type": "output_text", "text": "", "annotations": []},
            )
            for piece in _split(text):
                yield event(
                    "response.output_text.delta",
                    item_id=item["id"],
                    output_index=index,
                    content_index=0,
                    delta=piece,
                    logprobs=[],
                )
            yield event(
                "response.output_text.done",
                item_id=item["id"],
                output_index=index,
                content_index=0,
                text=text,
                logprobs=[],
            )
            yield event(
                "response.content_part.done",
                item_id=item["id"],
                output_index=index,
                content_index=0,
                part=item["content"][0],
            )
        else:
            yield event(
                "response.output_item.added",
                output_index=index,
                item={**item, "status": "in_progress", "arguments": ""},
            )
            for piece in _split(item["arguments"]):
                yield event(
                    "response.function_call_arguments.delta",
                    item_id=item["id"],
                    output_index=index,
                    delta=piece,
                )
            yield event(
                "response.function_call_arguments.done",
                item_id=item["id"],
                output_index=index,
                arguments=item["arguments"],
                name=item["name"],
            )
        yield event("response.output_item.done", output_index=index, item=item)
    yield event("response.completed", response=final)


# -- Anthropic ---------------------------------------------------------------------------------------


def message(reply: Reply, model: str, rid: str) -> dict[str, Any]:
    content: list[dict[str, Any]] = []
    if reply.text is not None:
        content.append({"type": "text", "text": reply.text})
    for i, call in enumerate(reply.tool_calls):
        content.append(
            {
                "type": "tool_use",
                "id": _call_id(call, i, "toolu_"),
                "name": call.name,
                "input": dict(call.arguments),
            }
        )
    return {
        "id": f"msg_{rid}",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": content,
        "stop_reason": _anthropic_stop(reply),
        "stop_sequence": None,
        "usage": reply.counts.anthropic(),
    }


def message_events(reply: Reply, model: str, rid: str) -> Iterator[bytes]:
    usage = reply.counts.anthropic()
    start_usage = {
        k: usage[k] for k in ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")
    }
    yield _sse(
        {
            "type": "message_start",
            "message": {
                "id": f"msg_{rid}",
                "type": "message",
                "role": "assistant",
                "model": model,
                "content": [],
                "stop_reason": None,
                "stop_sequence": None,
                "usage": {**start_usage, "output_tokens": 1},
            },
        },
        "message_start",
    )
    index = 0
    if reply.text is not None:
        yield _sse(
            {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
            "content_block_start",
        )
        for piece in _split(reply.text):
            yield _sse(
                {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": piece}},
                "content_block_delta",
            )
        yield _sse({"type": "content_block_stop", "index": 0}, "content_block_stop")
        index = 1
    for i, call in enumerate(reply.tool_calls):
        block = {"type": "tool_use", "id": _call_id(call, i, "toolu_"), "name": call.name, "input": {}}
        yield _sse(
            {"type": "content_block_start", "index": index, "content_block": block}, "content_block_start"
        )
        for piece in _split(json.dumps(dict(call.arguments))):
            yield _sse(
                {
                    "type": "content_block_delta",
                    "index": index,
                    "delta": {"type": "input_json_delta", "partial_json": piece},
                },
                "content_block_delta",
            )
        yield _sse({"type": "content_block_stop", "index": index}, "content_block_stop")
        index += 1
    yield _sse(
        {
            "type": "message_delta",
            "delta": {"stop_reason": _anthropic_stop(reply), "stop_sequence": None},
            "usage": {"output_tokens": usage["output_tokens"]},
        },
        "message_delta",
    )
    yield _sse({"type": "message_stop"}, "message_stop")


# -- errors ------------------------------------------------------------------------------------------

_OPENAI_ERRORS = {
    400: ("invalid_request_error", "invalid_request"),
    401: ("invalid_request_error", "invalid_api_key"),
    403: ("invalid_request_error", "permission_denied"),
    404: ("invalid_request_error", "model_not_found"),
    409: ("invalid_request_error", "conflict"),
    422: ("invalid_request_error", "unprocessable"),
    429: ("requests", "rate_limit_exceeded"),
}
_ANTHROPIC_ERRORS = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    529: "overloaded_error",
}


def openai_error(status: int, message: str | None) -> dict[str, Any]:
    kind, code = _OPENAI_ERRORS.get(status, ("server_error", "server_error"))
    return {
        "error": {"message": message or f"Stub error {status}", "type": kind, "param": None, "code": code}
    }


def anthropic_error(status: int, message: str | None, rid: str) -> dict[str, Any]:
    kind = _ANTHROPIC_ERRORS.get(status, "api_error")
    return {
        "type": "error",
        "error": {"type": kind, "message": message or f"Stub error {status}"},
        "request_id": f"req_{rid}",
    }


def anthropic_stream_error(message: str | None) -> bytes:
    return _sse(
        {"type": "error", "error": {"type": "overloaded_error", "message": message or "Overloaded"}}, "error"
    )


def openai_stream_error(message: str | None) -> bytes:
    return _sse(
        {
            "error": {
                "message": message or "Stub stream error",
                "type": "server_error",
                "param": None,
                "code": "server_error",
            }
        }
    )


def embeddings(model: str, inputs: Sequence[str], encoding: str | None) -> dict[str, Any]:
    import base64
    import hashlib
    import struct

    data = []
    for i, text in enumerate(inputs):
        digest = hashlib.sha256(text.encode()).digest()
        vector = [round((b - 128) / 128, 4) for b in digest[:8]]
        value: Any = vector
        if encoding == "base64":
            value = base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode()
        data.append({"object": "embedding", "index": i, "embedding": value})
    tokens = sum(max(1, len(t.split())) for t in inputs)
    return {
        "object": "list",
        "model": model,
        "data": data,
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    }
