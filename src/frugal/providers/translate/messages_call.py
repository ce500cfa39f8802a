"""An Anthropic-shaped ``messages.create`` call served by an OpenAI model.

Request: Anthropic keyword arguments -> ``openai.chat.completions.create`` keyword arguments.
Response: OpenAI ``ChatCompletion`` JSON -> Anthropic ``Message`` JSON.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ...exceptions import UnsupportedFeature
from .common import (
    OPENAI,
    REQUEST_OPTIONS,
    anthropic_usage_from_openai,
    as_mapping,
    dump_tool_input,
    parse_tool_arguments,
    stop_reason_from_finish_reason,
    url_from_image_source,
)

# Parameters without an effect on what the model generates, or Anthropic-account plumbing that means
# nothing to OpenAI; dropped.
_DROPPED = frozenset(
    {
        "cache_control",  # automatic prompt-cache marker: a cost hint (OpenAI caches automatically)
        "diagnostics",  # asks for prompt-cache diagnostics in the response
        "service_tier",
        "speed",
        "workspace_id",  # selects the Anthropic workspace of the credential
    }
)

_HANDLED = frozenset(
    {
        "extra_body",
        "max_tokens",
        "messages",
        "metadata",
        "model",
        "output_config",
        "stop_sequences",
        "stream",
        "system",
        "temperature",
        "thinking",
        "tool_choice",
        "tools",
        "top_k",
        "top_p",
        *REQUEST_OPTIONS,
    }
)

_UNSUPPORTED = {
    "container": "code-execution containers",
    "mcp_servers": "remote MCP servers",
    "inference_geo": "a data-residency constraint OpenAI cannot honour",
    "user_profile_id": "billing attribution to another party",
}

# OpenAI accepts at most four stop sequences.
_MAX_STOP_SEQUENCES = 4

# thinking.budget_tokens -> reasoning_effort, used only when output_config.effort is not given. OpenAI
# publishes no token counts per effort level; these bands are frugal's approximation.
_BUDGET_BANDS = ((4096, "low"), (16384, "medium"))

# The name OpenAI requires on a json_schema response format; Anthropic's format has none.
JSON_SCHEMA_NAME = "output"

_BLOCK_FEATURES = {
    "document": "document blocks (PDFs, citations)",
    "search_result": "search_result blocks",
    "container_upload": "container uploads",
}


def messages_request_to_chat(params: Mapping[str, Any], *, model: str) -> dict[str, Any]:
    """anthropic messages.create keyword arguments -> OpenAI chat.completions.create keyword arguments.

    Args:
        params: the caller's keyword arguments, SDK sentinels already removed.
        model: the OpenAI model that will serve the call (replaces the caller's model).

    Raises:
        UnsupportedFeature: the call uses something OpenAI cannot reproduce faithfully.
    """
    for key in params:
        if key in _UNSUPPORTED:
            if params[key] is not None:
                raise UnsupportedFeature(key, OPENAI, _UNSUPPORTED[key])
        elif key not in _HANDLED and key not in _DROPPED:
            raise UnsupportedFeature(f"parameter {key!r}", OPENAI, "frugal does not know how to translate it")
    messages: list[dict[str, Any]] = []
    system = params.get("system")
    if system:
        messages.append({"role": "system", "content": _system_content(system)})
    for raw in params.get("messages") or ():
        messages.extend(_messages(as_mapping(raw)))
    out: dict[str, Any] = {"model": model, "messages": messages}
    if params.get("max_tokens") is not None:
        out["max_completion_tokens"] = params["max_tokens"]
    stop = params.get("stop_sequences")
    if stop:
        stop = list(stop)
        if len(stop) > _MAX_STOP_SEQUENCES:
            raise UnsupportedFeature(f"more than {_MAX_STOP_SEQUENCES} stop_sequences", OPENAI)
        out["stop"] = stop
    tools = params.get("tools")
    if tools:
        out["tools"] = [_tool(as_mapping(tool)) for tool in tools]
        out.update(_tool_choice(params.get("tool_choice")))
    output_config = params.get("output_config") or {}
    for key in output_config:
        if key not in ("effort", "format"):
            raise UnsupportedFeature(
                f"output_config.{key}", OPENAI, "frugal does not know how to translate it"
            )
    response_format = _response_format(output_config.get("format"))
    if response_format is not None:
        out["response_format"] = response_format
    effort = _reasoning_effort(output_config.get("effort"), params.get("thinking"))
    if effort is not None:
        out["reasoning_effort"] = effort
    user_id = (params.get("metadata") or {}).get("user_id")
    if user_id:
        out["safety_identifier"] = user_id
    if params.get("stream") is not None:
        out["stream"] = params["stream"]
        if params["stream"]:
            # Anthropic streams always report usage; an OpenAI stream only does when asked.
            out["stream_options"] = {"include_usage": True}
    extra = dict(params.get("extra_body") or {})
    for key in ("temperature", "top_p", "top_k"):
        # anthropic 2.x takes sampling parameters only through extra_body; lift them to OpenAI's own.
        value = extra.pop(key) if key in extra else params.get(key)
        if value is None:
            continue
        if key == "top_k":
            raise UnsupportedFeature("top_k", OPENAI, "OpenAI has no top-k sampling")
        out[key] = value
    if extra:
        out["extra_body"] = extra
    for key in REQUEST_OPTIONS:
        if key in params:
            out[key] = params[key]
    return out


def check_messages_for_openai(params: Mapping[str, Any]) -> None:
    """Raise UnsupportedFeature if this Anthropic-shaped call cannot be served faithfully by an OpenAI model.

    A dry run of :func:`messages_request_to_chat`, so the check and the translation never disagree.
    """
    messages_request_to_chat(params, model="")


def _text_parts(blocks: Iterable[Any], *, where: str) -> list[dict[str, Any]]:
    parts = []
    for raw in blocks:
        block = as_mapping(raw)
        if block.get("type") != "text":
            raise UnsupportedFeature(f"{block.get('type')} blocks in {where}", OPENAI)
        # cache_control is only a cost hint and citations only annotate earlier output: both dropped.
        parts.append({"type": "text", "text": block["text"]})
    return parts


def _collapse(parts: list[dict[str, Any]]) -> str | list[dict[str, Any]]:
    """One text part becomes a plain string, the form every OpenAI model accepts."""
    if len(parts) == 1 and parts[0]["type"] == "text":
        return str(parts[0]["text"])
    return parts


def _system_content(system: Any) -> str | list[dict[str, Any]]:
    if isinstance(system, str):
        return system
    return _collapse(_text_parts(system, where="system"))


def _messages(message: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One Anthropic message -> zero or more OpenAI messages."""
    role = message.get("role")
    content = message.get("content")
    if role == "system":
        return [{"role": "system", "content": _system_content(content)}]
    if role == "user":
        return _user_messages(content)
    if role == "assistant":
        return _assistant_messages(content)
    raise UnsupportedFeature(f"message role {role!r}", OPENAI)


def _user_messages(content: Any) -> list[dict[str, Any]]:
    if isinstance(content, str):
        return [{"role": "user", "content": content}]
    # OpenAI wants each tool result as its own `tool` message directly after the assistant's calls;
    # Anthropic puts them first in the next user turn, so they come out first here too.
    tool_messages: list[dict[str, Any]] = []
    parts: list[dict[str, Any]] = []
    for raw in content:
        block = as_mapping(raw)
        kind = block.get("type")
        if kind == "text":
            parts.extend(_text_parts([block], where="user messages"))
        elif kind == "image":
            parts.append({"type": "image_url", "image_url": {"url": url_from_image_source(block["source"])}})
        elif kind == "tool_result":
            # is_error has no OpenAI field; the result text itself is what the model reads.
            tool_messages.append(
                {
                    "role": "tool",
                    "tool_call_id": block["tool_use_id"],
                    "content": _tool_result_content(block.get("content")),
                }
            )
        else:
            raise UnsupportedFeature(_BLOCK_FEATURES.get(str(kind), f"{kind} blocks"), OPENAI)
    if parts:
        tool_messages.append({"role": "user", "content": _collapse(parts)})
    return tool_messages


def _tool_result_content(content: Any) -> str | list[dict[str, Any]]:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    parts = _text_parts(content, where="tool results")
    return _collapse(parts) if parts else ""


def _assistant_messages(content: Any) -> list[dict[str, Any]]:
    if isinstance(content, str):
        return [{"role": "assistant", "content": content}] if content else []
    parts: list[dict[str, Any]] = []
    tool_calls: list[dict[str, Any]] = []
    for raw in content:
        block = as_mapping(raw)
        kind = block.get("type")
        if kind == "text":
            if block["text"]:
                parts.extend(_text_parts([block], where="assistant messages"))
        elif kind == "tool_use":
            tool_calls.append(
                {
                    "id": block["id"],
                    "type": "function",
                    "function": {"name": block["name"], "arguments": dump_tool_input(block.get("input"))},
                }
            )
        elif kind in ("thinking", "redacted_thinking"):
            # Signed Claude reasoning; an OpenAI model cannot take it back and never needs it.
            continue
        else:
            raise UnsupportedFeature(_BLOCK_FEATURES.get(str(kind), f"{kind} blocks"), OPENAI)
    if not parts and not tool_calls:
        return []
    message: dict[str, Any] = {"role": "assistant", "content": _collapse(parts) if parts else None}
    if tool_calls:
        message["tool_calls"] = tool_calls
    return [message]


def _tool(tool: Mapping[str, Any]) -> dict[str, Any]:
    kind = tool.get("type")
    if kind not in (None, "custom"):
        raise UnsupportedFeature(f"server tool {kind!r}", OPENAI, "only client (custom) tools translate")
    function: dict[str, Any] = {"name": tool["name"], "parameters": tool["input_schema"]}
    if tool.get("description"):
        function["description"] = tool["description"]
    if tool.get("strict"):
        function["strict"] = True
    # cache_control, input_examples, eager_input_streaming, defer_loading and allowed_callers are hints
    # for Anthropic's own tool machinery; none changes the call's meaning.
    return {"type": "function", "function": function}


def _tool_choice(choice: Any) -> dict[str, Any]:
    """Anthropic tool_choice -> OpenAI ``tool_choice`` and ``parallel_tool_calls`` keyword arguments."""
    if choice is None:
        return {}
    choice = as_mapping(choice)
    kind = choice.get("type")
    out: dict[str, Any]
    if kind == "auto":
        out = {"tool_choice": "auto"}
    elif kind == "any":
        out = {"tool_choice": "required"}
    elif kind == "tool":
        out = {"tool_choice": {"type": "function", "function": {"name": choice["name"]}}}
    elif kind == "none":
        return {"tool_choice": "none"}
    else:
        raise UnsupportedFeature(f"tool_choice {kind!r}", OPENAI)
    if choice.get("disable_parallel_tool_use"):
        out["parallel_tool_calls"] = False
    return out


def _response_format(output_format: Any) -> dict[str, Any] | None:
    if output_format is None:
        return None
    if output_format.get("type") != "json_schema":
        raise UnsupportedFeature(f"output format {output_format.get('type')!r}", OPENAI)
    # Anthropic structured output is always constrained decoding: OpenAI's strict mode is the match.
    return {
        "type": "json_schema",
        "json_schema": {"name": JSON_SCHEMA_NAME, "schema": output_format["schema"], "strict": True},
    }


def _reasoning_effort(effort: Any, thinking: Any) -> str | None:
    """output_config.effort (same scale as OpenAI's) or else a manual thinking budget -> reasoning_effort.

    Adaptive thinking leaves the model's default; disabled or between_tools thinking sends nothing, as a
    reasoning_effort would be rejected by OpenAI models that do not reason.
    """
    if effort is not None:
        return str(effort)
    if not thinking or thinking.get("type") != "enabled":
        return None
    budget = int(thinking.get("budget_tokens") or 0)
    for limit, level in _BUDGET_BANDS:
        if budget < limit:
            return level
    return "high"


def chat_response_to_messages(completion: Mapping[str, Any], *, model: str | None = None) -> dict[str, Any]:
    """OpenAI ChatCompletion JSON -> Anthropic Message JSON.

    Args:
        completion: the OpenAI response body.
        model: the model name to report; defaults to the model OpenAI says served the call.
    """
    choices = completion.get("choices") or ()
    choice = as_mapping(choices[0]) if choices else {}
    reply = as_mapping(choice.get("message") or {})
    content: list[dict[str, Any]] = []
    if reply.get("content"):
        content.append({"type": "text", "text": reply["content"]})
    refusal = reply.get("refusal")
    if refusal:
        content.append({"type": "text", "text": refusal})
    for raw in reply.get("tool_calls") or ():
        call = as_mapping(raw)
        if call.get("type", "function") != "function":
            continue  # only function tools are ever sent, so no other call can come back
        function = as_mapping(call["function"])
        arguments = parse_tool_arguments(function.get("arguments"))
        if arguments is None:
            # The call has been paid for: keep the text where the caller can see it rather than fail.
            arguments = {"_raw": function.get("arguments")}
        content.append({"type": "tool_use", "id": call["id"], "name": function["name"], "input": arguments})
    stop_reason = stop_reason_from_finish_reason(choice.get("finish_reason"))
    if refusal:
        stop_reason = "refusal"
    elif stop_reason == "end_turn" and any(block["type"] == "tool_use" for block in content):
        # OpenAI reports "stop" when tool_choice forced a function; Anthropic callers look for tool_use.
        stop_reason = "tool_use"
    return {
        "id": completion["id"],
        "type": "message",
        "role": "assistant",
        "model": model if model is not None else completion["model"],
        "content": content,
        "stop_reason": stop_reason or "end_turn",
        "stop_sequence": None,
        "usage": anthropic_usage_from_openai(as_mapping(completion.get("usage") or {})),
    }
