"""An OpenAI-shaped ``chat.completions.create`` call served by an Anthropic model.

Request: OpenAI keyword arguments -> ``anthropic.messages.create`` keyword arguments.
Response: Anthropic ``Message`` JSON -> OpenAI ``ChatCompletion`` JSON.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from typing import Any

from ...exceptions import UnsupportedFeature
from ..calls import DEFAULT_MAX_TOKENS
from .common import (
    ANTHROPIC,
    ANTHROPIC_EFFORT,
    REQUEST_OPTIONS,
    anthropic_system,
    anthropic_tool,
    anthropic_tool_choice,
    append_turn,
    as_mapping,
    dump_tool_input,
    finish_messages_request,
    finish_reason_from_stop_reason,
    image_source_from_url,
    openai_usage_from_anthropic,
    parse_tool_arguments,
    with_cache_hint,
)

# Parameters that do not change what the model generates, or only hint at OpenAI-side storage, caching
# or billing; Anthropic has no counterpart, so they are dropped.
_DROPPED = frozenset(
    {
        "metadata",  # key-values stored with the completion on OpenAI's side
        "prompt_cache_key",
        "prompt_cache_options",
        "prompt_cache_retention",
        "seed",  # best-effort determinism hint; OpenAI itself does not guarantee it
        "service_tier",
        "store",
        "stream_options",  # Anthropic streams always carry usage
        "verbosity",  # a soft length hint without an Anthropic counterpart
    }
)

_HANDLED = frozenset(
    {
        "extra_body",
        "max_completion_tokens",
        "max_tokens",
        "messages",
        "model",
        "parallel_tool_calls",
        "reasoning_effort",
        "response_format",
        "safety_identifier",
        "stop",
        "stream",
        "temperature",
        "tool_choice",
        "tools",
        "top_p",
        "user",
        *REQUEST_OPTIONS,
    }
)

# Parameters that translate only in their neutral form (n=1, logprobs=False, ...); see _reject_unsupported.
_CHECKED = frozenset(
    {
        "audio",
        "frequency_penalty",
        "function_call",
        "functions",
        "logit_bias",
        "logprobs",
        "modalities",
        "moderation",
        "n",
        "prediction",
        "presence_penalty",
        "top_logprobs",
        "web_search_options",
    }
)


def _reject_unsupported(params: Mapping[str, Any]) -> None:
    """Raise for every parameter whose effect Anthropic cannot reproduce."""
    n = params.get("n")
    if n is not None and n != 1:
        raise UnsupportedFeature("n > 1", ANTHROPIC, "Anthropic returns exactly one choice")
    if params.get("logprobs") or params.get("top_logprobs"):
        raise UnsupportedFeature("logprobs", ANTHROPIC)
    if params.get("audio") is not None:
        raise UnsupportedFeature("audio output", ANTHROPIC)
    modalities = params.get("modalities")
    if modalities is not None and any(modality != "text" for modality in modalities):
        raise UnsupportedFeature("modalities other than text", ANTHROPIC)
    for name in ("prediction", "web_search_options", "moderation", "function_call"):
        if params.get(name) is not None:
            raise UnsupportedFeature(name, ANTHROPIC)
    if params.get("functions"):
        raise UnsupportedFeature("functions", ANTHROPIC, "the legacy functions API; use tools")
    if params.get("logit_bias"):
        raise UnsupportedFeature("logit_bias", ANTHROPIC)
    for name in ("presence_penalty", "frequency_penalty"):
        if params.get(name):
            raise UnsupportedFeature(name, ANTHROPIC, "Anthropic has no repetition penalties")
    for key in params:
        if key not in _HANDLED and key not in _DROPPED and key not in _CHECKED:
            raise UnsupportedFeature(
                f"parameter {key!r}", ANTHROPIC, "frugal does not know how to translate it"
            )


def chat_request_to_messages(
    params: Mapping[str, Any], *, model: str, default_max_tokens: int = DEFAULT_MAX_TOKENS
) -> dict[str, Any]:
    """OpenAI chat.completions.create keyword arguments -> anthropic messages.create keyword arguments.

    Args:
        params: the caller's keyword arguments, SDK sentinels already removed.
        model: the Anthropic model that will serve the call (replaces the caller's model).
        default_max_tokens: ``max_tokens`` when the caller set neither ``max_completion_tokens`` nor
            ``max_tokens``.

    Raises:
        UnsupportedFeature: the call uses something Anthropic cannot reproduce faithfully.
    """
    _reject_unsupported(params)
    system, messages = _messages(params.get("messages") or ())
    max_tokens = params.get("max_completion_tokens")
    if max_tokens is None:
        max_tokens = params.get("max_tokens")
    out: dict[str, Any] = {
        "model": model,
        "max_tokens": default_max_tokens if max_tokens is None else max_tokens,
        "messages": messages,
    }
    if system:
        out["system"] = anthropic_system(system)
    stop = params.get("stop")
    if isinstance(stop, str):
        out["stop_sequences"] = [stop]
    elif stop:
        out["stop_sequences"] = list(stop)
    tools = params.get("tools")
    if tools:
        out["tools"] = [_tool(as_mapping(tool)) for tool in tools]
        tool_choice = anthropic_tool_choice(
            params.get("tool_choice"), params.get("parallel_tool_calls"), _chosen_function
        )
        if tool_choice is not None:
            out["tool_choice"] = tool_choice
    output_config: dict[str, Any] = {}
    response_format = _response_format(params.get("response_format"))
    if response_format is not None:
        output_config["format"] = response_format
    effort = params.get("reasoning_effort")
    if effort is not None and effort != "none":
        if effort not in ANTHROPIC_EFFORT:
            raise UnsupportedFeature(f"reasoning_effort {effort!r}", ANTHROPIC)
        effort = ANTHROPIC_EFFORT[effort]
    return finish_messages_request(out, params, output_config, effort)


def check_chat_for_anthropic(params: Mapping[str, Any]) -> None:
    """Raise UnsupportedFeature if this OpenAI-shaped call cannot be served faithfully by an Anthropic model.

    A dry run of :func:`chat_request_to_messages`, so the check and the translation never disagree.
    """
    chat_request_to_messages(params, model="")


def _messages(messages: Iterable[Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Split OpenAI messages into Anthropic system blocks and alternating user/assistant turns."""
    system: list[dict[str, Any]] = []
    turns: list[dict[str, Any]] = []
    for raw in messages:
        message = as_mapping(raw)
        role = message.get("role")
        if role in ("system", "developer"):
            system.extend(_text_blocks(message.get("content"), where=f"{role} messages"))
        elif role == "user":
            append_turn(turns, "user", _user_blocks(message.get("content")))
        elif role == "assistant":
            append_turn(turns, "assistant", _assistant_blocks(message))
        elif role == "tool":
            append_turn(turns, "user", [_tool_result(message)])
        elif role == "function":
            raise UnsupportedFeature("function messages", ANTHROPIC, "the legacy functions API; use tools")
        else:
            raise UnsupportedFeature(f"message role {role!r}", ANTHROPIC)
    for turn in turns:
        blocks = turn["content"]
        if len(blocks) == 1 and set(blocks[0]) == {"type", "text"}:
            turn["content"] = blocks[0]["text"]
    return system, turns


def _text_blocks(content: Any, *, where: str) -> list[dict[str, Any]]:
    """String or text parts -> Anthropic text blocks (empty text dropped: Anthropic rejects it)."""
    if content is None:
        return []
    if isinstance(content, str):
        return [{"type": "text", "text": content}] if content else []
    blocks = []
    for raw in content:
        part = as_mapping(raw)
        kind = part.get("type")
        if kind == "text" or kind == "refusal":
            text = part.get("text") if kind == "text" else part.get("refusal")
            if text:
                blocks.append(with_cache_hint({"type": "text", "text": text}, part))
        else:
            raise UnsupportedFeature(f"{kind} content in {where}", ANTHROPIC)
    return blocks


def _user_blocks(content: Any) -> list[dict[str, Any]]:
    if content is None or isinstance(content, str):
        return _text_blocks(content, where="user messages")
    blocks = []
    for raw in content:
        part = as_mapping(raw)
        kind = part.get("type")
        if kind == "text":
            blocks.extend(_text_blocks([part], where="user messages"))
        elif kind == "image_url":
            source = image_source_from_url(as_mapping(part["image_url"])["url"])
            blocks.append(with_cache_hint({"type": "image", "source": source}, part))
        elif kind == "input_audio":
            raise UnsupportedFeature("audio input", ANTHROPIC)
        elif kind == "file":
            raise UnsupportedFeature("file content parts", ANTHROPIC)
        else:
            raise UnsupportedFeature(f"{kind} content parts", ANTHROPIC)
    return blocks


def _assistant_blocks(message: Mapping[str, Any]) -> list[dict[str, Any]]:
    if message.get("audio"):
        raise UnsupportedFeature("assistant audio in history", ANTHROPIC)
    if message.get("function_call"):
        raise UnsupportedFeature("function_call in history", ANTHROPIC, "the legacy functions API; use tools")
    blocks = _text_blocks(message.get("content"), where="assistant messages")
    refusal = message.get("refusal")
    if refusal and not blocks:
        blocks.append({"type": "text", "text": refusal})
    for raw in message.get("tool_calls") or ():
        call = as_mapping(raw)
        if call.get("type", "function") != "function":
            raise UnsupportedFeature(f"{call.get('type')} tool calls", ANTHROPIC)
        function = as_mapping(call["function"])
        arguments = parse_tool_arguments(function.get("arguments"))
        if arguments is None:
            raise UnsupportedFeature(
                "tool call arguments that are not a JSON object",
                ANTHROPIC,
                f"call {call.get('id')!r}; Anthropic tool_use input must be an object",
            )
        blocks.append({"type": "tool_use", "id": call["id"], "name": function["name"], "input": arguments})
    return blocks


def _tool_result(message: Mapping[str, Any]) -> dict[str, Any]:
    block: dict[str, Any] = {"type": "tool_result", "tool_use_id": message["tool_call_id"]}
    content = message.get("content")
    if isinstance(content, str):
        if content:
            block["content"] = content
    else:
        texts = _text_blocks(content, where="tool messages")
        if texts:
            block["content"] = texts
    return block


def _tool(tool: Mapping[str, Any]) -> dict[str, Any]:
    kind = tool.get("type")
    if kind != "function":
        raise UnsupportedFeature(f"{kind} tools", ANTHROPIC, "only function tools translate")
    return anthropic_tool(as_mapping(tool["function"]))


def _chosen_function(choice: Mapping[str, Any]) -> str:
    """The function a chat ``tool_choice`` names: ``{"type": "function", "function": {"name": ...}}``."""
    return str(as_mapping(choice["function"])["name"])


def _response_format(response_format: Any) -> dict[str, Any] | None:
    if response_format is None:
        return None
    if not isinstance(response_format, Mapping):
        raise UnsupportedFeature(
            "response_format given as a Python type", ANTHROPIC, "pass a JSON schema dict"
        )
    kind = response_format.get("type")
    if kind == "text":
        return None
    if kind == "json_schema":
        schema = (response_format.get("json_schema") or {}).get("schema")
        if schema is None:
            raise UnsupportedFeature("response_format json_schema without a schema", ANTHROPIC)
        return {"type": "json_schema", "schema": schema}
    if kind == "json_object":
        raise UnsupportedFeature(
            "response_format json_object",
            ANTHROPIC,
            "Anthropic structured output needs a schema and cannot express 'any JSON object'",
        )
    raise UnsupportedFeature(f"response_format {kind!r}", ANTHROPIC)


def messages_response_to_chat(message: Mapping[str, Any], *, model: str | None = None) -> dict[str, Any]:
    """Anthropic Message JSON -> OpenAI ChatCompletion JSON.

    Args:
        message: the Anthropic response body.
        model: the model name to report; defaults to the model Anthropic says served the call.
    """
    texts: list[str] = []
    tool_calls: list[dict[str, Any]] = []
    for raw in message.get("content") or ():
        block = as_mapping(raw)
        kind = block.get("type")
        if kind == "text":
            texts.append(block["text"])
        elif kind == "tool_use":
            tool_calls.append(
                {
                    "id": block["id"],
                    "type": "function",
                    "function": {"name": block["name"], "arguments": dump_tool_input(block.get("input"))},
                }
            )
        # thinking and redacted_thinking have no place in an OpenAI chat message; their tokens stay in
        # usage. Server-tool blocks cannot occur: server tools are never translated.
    reply: dict[str, Any] = {
        "role": "assistant",
        "content": "".join(texts) if texts or not tool_calls else None,
        "refusal": None,
        "annotations": [],
    }
    if tool_calls:
        reply["tool_calls"] = tool_calls
    completion: dict[str, Any] = {
        "id": message["id"],
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model if model is not None else message["model"],
        "choices": [
            {
                "index": 0,
                "message": reply,
                "finish_reason": finish_reason_from_stop_reason(message.get("stop_reason")),
                "logprobs": None,
            }
        ],
    }
    usage = message.get("usage")
    if usage is not None:
        completion["usage"] = openai_usage_from_anthropic(as_mapping(usage))
    return completion
