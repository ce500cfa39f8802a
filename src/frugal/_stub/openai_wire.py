"""OpenAI wire bodies: chat completions, Responses, embeddings and errors, JSON and SSE.

Pure functions from a scripted :class:`Reply` to what the OpenAI API sends, in the shapes that
openai 3.x accepts with strict response validation.
"""

from __future__ import annotations

import base64
import hashlib
import json
import struct
from collections.abc import Mapping, Sequence
from typing import Any

from .script import Reply, ToolCall, Usage
from .sse import split_text, sse

__all__ = [
    "chat_completion",
    "chat_events",
    "chat_stream_error",
    "embedding_inputs",
    "embeddings",
    "error_body",
    "response_events",
    "response_object",
    "responses_stream_error",
    "served_tier",
]

DONE = b"data: [DONE]\n\n"

# status -> (type, code, message), as the OpenAI API words them.
_ERRORS: dict[int, tuple[str, str | None, str]] = {
    400: ("invalid_request_error", None, "Invalid request."),
    401: ("invalid_request_error", "invalid_api_key", "Incorrect API key provided."),
    403: ("invalid_request_error", "permission_denied", "You are not allowed to sample from this model."),
    404: (
        "invalid_request_error",
        "model_not_found",
        "The model does not exist or you do not have access to it.",
    ),
    405: ("invalid_request_error", None, "Method not allowed."),
    409: ("invalid_request_error", "conflict", "Conflict."),
    422: ("invalid_request_error", None, "Unprocessable request."),
    429: ("requests", "rate_limit_exceeded", "Rate limit reached."),
    500: ("server_error", None, "The server had an error while processing your request."),
    503: ("server_error", None, "The server is overloaded or not ready yet."),
}


def error_body(status: int, message: str | None = None) -> dict[str, Any]:
    """The ``{"error": {...}}`` body OpenAI sends with an HTTP error ``status``."""
    default = (
        ("server_error", None, "Server error.") if status >= 500 else ("invalid_request_error", None, "")
    )
    kind, code, text = _ERRORS.get(status, default)
    return {
        "error": {"message": message or text or f"Error {status}.", "type": kind, "param": None, "code": code}
    }


def chat_stream_error(status: int, message: str | None) -> bytes:
    """A chat stream's mid-stream error chunk: ``data: {"error": {...}}`` (the SDK raises ``APIError``)."""
    return sse(error_body(status, message))


def responses_stream_error(status: int, message: str | None, sequence_number: int) -> bytes:
    """A Responses stream's ``event: error``.

    The fields are flat, as the API reference documents, and nested under ``error`` too, as the live API
    sends them: the SDK raises ``APIError`` on the nested shape.
    """
    error = error_body(status, message)["error"]
    data = {
        "type": "error",
        "sequence_number": sequence_number,
        "code": error["code"] or error["type"],
        "message": error["message"],
        "param": None,
        "error": error,
    }
    return sse(data, "error")


# -- chat completions ----------------------------------------------------------------------------


def chat_usage(usage: Usage) -> dict[str, Any]:
    """Chat ``usage``: ``prompt_tokens`` include cached tokens; reasoning is inside ``completion_tokens``."""
    return {
        "prompt_tokens": usage.input_tokens,
        "completion_tokens": usage.output_tokens,
        "total_tokens": usage.total_tokens,
        "prompt_tokens_details": {
            "cached_tokens": usage.cache_read_tokens,
            "cache_write_tokens": usage.cache_write_total,
            "audio_tokens": 0,
        },
        "completion_tokens_details": {
            "reasoning_tokens": usage.reasoning_tokens,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }


def _calls(reply: Reply, rid: str) -> list[tuple[ToolCall, str]]:
    """The tool calls with their ids (generated ones are unique per response)."""
    return [(call, call.id or f"call_{rid[:16]}{i}") for i, call in enumerate(reply.tool_calls)]


def chat_completion(reply: Reply, model: str, rid: str, created: int) -> dict[str, Any]:
    """A ``chat.completion`` object."""
    message: dict[str, Any] = {"role": "assistant", "content": reply.text, "refusal": None, "annotations": []}
    if reply.tool_calls:
        message["tool_calls"] = [
            {
                "id": call_id,
                "type": "function",
                "function": {"name": call.name, "arguments": call.arguments_json()},
            }
            for call, call_id in _calls(reply, rid)
        ]
    return {
        "id": f"chatcmpl-{rid}",
        "object": "chat.completion",
        "created": created,
        "model": model,
        "choices": [
            {"index": 0, "finish_reason": reply.openai_finish_reason, "logprobs": None, "message": message}
        ],
        "usage": chat_usage(reply.counts),
        "service_tier": "default",
        "system_fingerprint": "fp_stub",
    }


def chat_events(reply: Reply, model: str, rid: str, created: int, include_usage: bool) -> list[bytes]:
    """A chat stream's events, ``data: [DONE]`` last.

    With ``include_usage`` every chunk carries ``"usage": null`` and a last ``choices: []`` chunk carries the
    usage; without it no chunk has a ``usage`` key.
    """
    base = {
        "id": f"chatcmpl-{rid}",
        "object": "chat.completion.chunk",
        "created": created,
        "model": model,
        "service_tier": "default",
        "system_fingerprint": "fp_stub",
    }

    def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
        body: dict[str, Any] = {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
        if include_usage:
            body["usage"] = None
        return sse(body)

    events = [chunk({"role": "assistant", "content": "" if reply.text is not None else None})]
    events += [chunk({"content": piece}) for piece in split_text(reply.text or "")]
    for index, (call, call_id) in enumerate(_calls(reply, rid)):
        opening = {
            "index": index,
            "id": call_id,
            "type": "function",
            "function": {"name": call.name, "arguments": ""},
        }
        events.append(chunk({"tool_calls": [opening]}))
        events += [
            chunk({"tool_calls": [{"index": index, "function": {"arguments": piece}}]})
            for piece in split_text(call.arguments_json())
        ]
    events.append(chunk({}, reply.openai_finish_reason))
    if include_usage:
        events.append(sse({**base, "choices": [], "usage": chat_usage(reply.counts)}))
    events.append(DONE)
    return events


# -- Responses -----------------------------------------------------------------------------------


def responses_usage(usage: Usage) -> dict[str, Any]:
    """Responses ``usage``: ``input_tokens`` include cached tokens."""
    return {
        "input_tokens": usage.input_tokens,
        "input_tokens_details": {
            "cached_tokens": usage.cache_read_tokens,
            "cache_write_tokens": usage.cache_write_total,
        },
        "output_tokens": usage.output_tokens,
        "output_tokens_details": {"reasoning_tokens": usage.reasoning_tokens},
        "total_tokens": usage.total_tokens,
    }


_INCOMPLETE_REASON = {"length": "max_output_tokens", "content_filter": "content_filter"}


def response_object(
    reply: Reply, model: str, rid: str, created: int, *, in_progress: bool = False
) -> dict[str, Any]:
    """A ``response`` object, finished (``completed`` or ``incomplete``) or as it starts (``in_progress``)."""
    reason = _INCOMPLETE_REASON.get(reply.neutral_stop)
    status = "in_progress" if in_progress else "incomplete" if reason else "completed"
    output: list[dict[str, Any]] = []
    if not in_progress:
        if reply.text is not None:
            output.append(
                {
                    "type": "message",
                    "id": f"msg_{rid}",
                    "status": "incomplete" if reason else "completed",
                    "role": "assistant",
                    "content": [
                        {"type": "output_text", "text": reply.text, "annotations": [], "logprobs": []}
                    ],
                }
            )
        output += [
            {
                "type": "function_call",
                "id": f"fc_{rid[:16]}{i}",
                "call_id": call_id,
                "name": call.name,
                "arguments": call.arguments_json(),
                "status": "completed",
            }
            for i, (call, call_id) in enumerate(_calls(reply, rid))
        ]
    return {
        "id": f"resp_{rid}",
        "object": "response",
        "created_at": created,
        "status": status,
        "error": None,
        "incomplete_details": {"reason": reason} if reason and not in_progress else None,
        "instructions": None,
        "metadata": {},
        "model": model,
        "output": output,
        "parallel_tool_calls": True,
        "tool_choice": "auto",
        "tools": [],
        "usage": None if in_progress else responses_usage(reply.counts),
    }


def response_events(reply: Reply, model: str, rid: str, created: int) -> list[bytes]:
    """A Responses stream's events, ``response.completed`` (or ``response.incomplete``) last.

    Each has an ``event:`` line and a ``type`` plus increasing ``sequence_number`` in its data.
    """
    events: list[bytes] = []

    def emit(event_type: str, **data: Any) -> None:
        events.append(sse({"type": event_type, "sequence_number": len(events), **data}, event_type))

    started = response_object(reply, model, rid, created, in_progress=True)
    emit("response.created", response=started)
    emit("response.in_progress", response=started)
    final = response_object(reply, model, rid, created)
    for index, item in enumerate(final["output"]):
        where = {"item_id": item["id"], "output_index": index}
        if item["type"] == "message":
            part = item["content"][0]
            emit(
                "response.output_item.added",
                output_index=index,
                item={**item, "status": "in_progress", "content": []},
            )
            emit("response.content_part.added", **where, content_index=0, part={**part, "text": ""})
            for piece in split_text(part["text"]):
                emit("response.output_text.delta", **where, content_index=0, delta=piece, logprobs=[])
            emit("response.output_text.done", **where, content_index=0, text=part["text"], logprobs=[])
            emit("response.content_part.done", **where, content_index=0, part=part)
        else:
            emit(
                "response.output_item.added",
                output_index=index,
                item={**item, "status": "in_progress", "arguments": ""},
            )
            for piece in split_text(item["arguments"]):
                emit("response.function_call_arguments.delta", **where, delta=piece)
            emit(
                "response.function_call_arguments.done",
                **where,
                name=item["name"],
                arguments=item["arguments"],
            )
        emit("response.output_item.done", output_index=index, item=item)
    emit("response.incomplete" if final["status"] == "incomplete" else "response.completed", response=final)
    return events


# -- embeddings ----------------------------------------------------------------------------------

EMBEDDING_DIMENSIONS = 8


def embedding_vector(text: str) -> list[float]:
    """A deterministic vector for ``text``: multiples of 1/128, so float32 (base64) carries them exactly."""
    digest = hashlib.sha256(text.encode()).digest()
    return [(byte - 128) / 128 for byte in digest[:EMBEDDING_DIMENSIONS]]


def embeddings(
    model: str, inputs: Sequence[str], encoding_format: str | None, prompt_tokens: int | None = None
) -> dict[str, Any]:
    """An embeddings ``list``: one vector per input, as floats or base64 little-endian float32."""
    data = []
    for index, text in enumerate(inputs):
        vector = embedding_vector(text)
        value: list[float] | str = vector
        if encoding_format == "base64":
            value = base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode()
        data.append({"object": "embedding", "index": index, "embedding": value})
    if prompt_tokens is None:
        prompt_tokens = sum(max(1, len(text.split())) for text in inputs)
    return {
        "object": "list",
        "model": model,
        "data": data,
        "usage": {"prompt_tokens": prompt_tokens, "total_tokens": prompt_tokens},
    }


def embedding_inputs(value: object) -> list[str]:
    """The texts of an embeddings request's ``input`` (token ids read as one text of numbers)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        if value and all(isinstance(token, int) for token in value):
            return [" ".join(map(str, value))]  # one input given as token ids
        return [item if isinstance(item, str) else json.dumps(item) for item in value]
    return [json.dumps(value)]


def served_tier(answer: dict[str, Any], body: Mapping[str, Any]) -> dict[str, Any]:
    """The answer with the service tier the request asked for, as OpenAI reports the one that served it."""
    tier = body.get("service_tier")
    if tier in ("default", "flex", "priority", "scale"):
        answer["service_tier"] = tier
    return answer
