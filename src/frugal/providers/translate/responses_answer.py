"""An OpenAI-shaped ``responses.create`` call served by an Anthropic model: the answer.

Anthropic ``Message`` JSON -> OpenAI ``Response`` JSON. The pieces of a ``Response`` (item ids, status,
the envelope echoing the request) are public here because the stream translation
(:mod:`.responses_stream`) builds the very same ones, so that a streamed answer accumulates to exactly
the non-streamed translation.

Output items, in the order of the Anthropic content blocks: consecutive ``text`` blocks form one
``message`` item (one ``output_text`` part each); each ``tool_use`` block is a ``function_call`` item whose
``call_id`` is the ``tool_use`` id. Thinking blocks are dropped (their tokens stay in usage): a reasoning
item made of Claude's signed thinking could not be sent back to an OpenAI model on a later turn.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from .common import as_mapping, dump_tool_input, responses_usage_from_anthropic

# Anthropic stop reasons that end a Responses answer as `incomplete`, with the reason OpenAI gives.
# `refusal`: Claude's classifiers stopped the answer, which OpenAI reports as a content filter.
INCOMPLETE_REASON: dict[str, str] = {
    "max_tokens": "max_output_tokens",
    "model_context_window_exceeded": "max_output_tokens",
    "refusal": "content_filter",
}

# Request parameters the Response repeats, as OpenAI's does (None when the caller did not give them).
_ECHOED = (
    "instructions",
    "max_output_tokens",
    "metadata",
    "reasoning",
    "safety_identifier",
    "temperature",
    "top_p",
    "user",
)


def message_item_id(response_id: str, output_index: int) -> str:
    """The id of the ``message`` output item at ``output_index`` (derived from the Anthropic message id)."""
    return f"{response_id}_{output_index}"


def function_call_item_id(call_id: str) -> str:
    """The id of the ``function_call`` output item for the Anthropic ``tool_use`` block ``call_id``."""
    return f"fc_{call_id}"


def text_part(text: str) -> dict[str, Any]:
    """An ``output_text`` content part."""
    return {"type": "output_text", "text": text, "annotations": [], "logprobs": []}


def message_item(
    response_id: str, output_index: int, parts: list[dict[str, Any]], status: str
) -> dict[str, Any]:
    """A ``message`` output item."""
    return {
        "type": "message",
        "id": message_item_id(response_id, output_index),
        "status": status,
        "role": "assistant",
        "content": parts,
    }


def function_call_item(call_id: str, name: str, arguments: str, status: str) -> dict[str, Any]:
    """A ``function_call`` output item."""
    return {
        "type": "function_call",
        "id": function_call_item_id(call_id),
        "call_id": call_id,
        "name": name,
        "arguments": arguments,
        "status": status,
    }


def incomplete_reason(stop_reason: str | None) -> str | None:
    """Why an answer that stopped for ``stop_reason`` is ``incomplete`` (None: it is ``completed``)."""
    return INCOMPLETE_REASON.get(stop_reason) if stop_reason is not None else None


def response_object(
    *,
    response_id: str,
    model: str,
    created_at: int,
    output: list[dict[str, Any]],
    usage: dict[str, Any] | None,
    stop_reason: str | None,
    request: Mapping[str, Any],
    in_progress: bool = False,
) -> dict[str, Any]:
    """A ``response`` object: finished (``completed`` or ``incomplete``, by ``stop_reason``) or, with
    ``in_progress``, as it starts. It repeats the request's settings, as OpenAI's does."""
    reason = None if in_progress else incomplete_reason(stop_reason)
    status = "in_progress" if in_progress else "incomplete" if reason else "completed"
    text = request.get("text")
    tool_choice = request.get("tool_choice")
    parallel = request.get("parallel_tool_calls")
    response: dict[str, Any] = {
        "id": response_id,
        "object": "response",
        "created_at": created_at,
        "status": status,
        "error": None,
        "incomplete_details": {"reason": reason} if reason else None,
        "model": model,
        "output": output,
        "parallel_tool_calls": True if parallel is None else bool(parallel),
        "tool_choice": "auto" if tool_choice is None else _plain(tool_choice),
        "tools": [_plain(tool) for tool in request.get("tools") or ()],
        "text": {"format": {"type": "text"}} if text is None else _plain(text),
        "usage": usage,
    }
    for key in _ECHOED:
        value = request.get(key)
        response[key] = _plain(value) if isinstance(value, Mapping) else value
    if status != "in_progress":
        response["completed_at"] = int(time.time())
    return response


def _plain(value: Any) -> Any:
    """A request value (a dict or an SDK model) as a plain JSON-shaped value."""
    return value if isinstance(value, str) else dict(as_mapping(value))


def messages_response_to_responses(
    message: Mapping[str, Any], *, model: str | None = None, request: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Anthropic Message JSON -> OpenAI Response JSON.

    Args:
        message: the Anthropic response body.
        model: the model name to report; defaults to the model Anthropic says served the call.
        request: the caller's ``responses.create`` arguments, repeated on the Response as OpenAI does.
    """
    response_id = message["id"]
    output: list[dict[str, Any]] = []
    parts: list[dict[str, Any]] | None = None  # the open message item's parts
    for raw in message.get("content") or ():
        block = as_mapping(raw)
        kind = block.get("type")
        if kind == "text":
            if parts is None:
                parts = []
                output.append(message_item(response_id, len(output), parts, "completed"))
            parts.append(text_part(block["text"]))
        elif kind == "tool_use":
            parts = None
            arguments = dump_tool_input(block.get("input"))
            output.append(function_call_item(block["id"], block["name"], arguments, "completed"))
        # thinking and redacted_thinking are dropped (see the module docstring). Server-tool blocks cannot
        # occur: server tools are never translated.
    stop_reason = message.get("stop_reason")
    if output and incomplete_reason(stop_reason):
        output[-1]["status"] = "incomplete"  # the item that was being written when the answer stopped
    usage = message.get("usage")
    return response_object(
        response_id=response_id,
        model=model if model is not None else message["model"],
        created_at=int(time.time()),
        output=output,
        usage=responses_usage_from_anthropic(as_mapping(usage)) if usage is not None else None,
        stop_reason=stop_reason,
        request=request or {},
    )
