"""Pieces shared by both translation directions and both OpenAI shapes: stop reasons, usage, images, tools,
the end of a translated request.

Everything here works on plain JSON-shaped dicts and imports neither vendor SDK.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from ...exceptions import UnsupportedFeature

ANTHROPIC = "anthropic"
OPENAI = "openai"

# Keyword arguments every SDK method takes for the HTTP request itself; they mean the same on both sides.
REQUEST_OPTIONS = ("extra_headers", "extra_query", "timeout")

# Anthropic `stop_reason` -> OpenAI `finish_reason`. `pause_turn` only happens with server tools (which
# are never translated); if it shows up anyway the turn ended as far as an OpenAI caller can tell.
FINISH_REASON_FROM_STOP_REASON: dict[str, str] = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
    "pause_turn": "stop",
    "model_context_window_exceeded": "length",
}

# OpenAI `finish_reason` -> Anthropic `stop_reason`. OpenAI does not say whether `stop` came from a stop
# sequence, so it always becomes `end_turn`.
STOP_REASON_FROM_FINISH_REASON: dict[str, str] = {
    "stop": "end_turn",
    "length": "max_tokens",
    "tool_calls": "tool_use",
    "function_call": "tool_use",
    "content_filter": "refusal",
}

ANTHROPIC_IMAGE_MEDIA_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})

# OpenAI reasoning effort (chat's reasoning_effort, Responses' reasoning.effort) -> Anthropic
# output_config.effort. Anthropic's lowest level is "low"; "none" is handled by the callers (thinking off).
ANTHROPIC_EFFORT = {
    "minimal": "low",
    "low": "low",
    "medium": "medium",
    "high": "high",
    "xhigh": "xhigh",
    "max": "max",
}


def as_mapping(value: Any) -> Mapping[str, Any]:
    """A message or content block as a mapping.

    Callers often pass SDK response objects back as history (``messages.append(completion.choices[0]
    .message)``, ``{"role": "assistant", "content": message.content}``); the SDKs accept those pydantic
    models, so the translation does too, without importing either SDK.
    """
    if isinstance(value, Mapping):
        return value
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        dumped = dump(mode="json", exclude_none=True)
        if isinstance(dumped, Mapping):
            return dumped
    raise TypeError(f"expected a JSON object or an SDK model, got {type(value).__name__}")


def anthropic_extra_body(params: Mapping[str, Any]) -> dict[str, Any]:
    """The caller's extra_body plus the sampling parameters, which anthropic 2.x only takes there.

    Raises:
        UnsupportedFeature: a temperature above 1 (Anthropic's range is 0 to 1).
    """
    extra = dict(params.get("extra_body") or {})
    sampling: dict[str, Any] = {}
    for key in ("temperature", "top_p"):
        # extra_body wins over a keyword argument, as it does in the SDK itself.
        value = extra.pop(key) if key in extra else params.get(key)
        if value is not None:
            sampling[key] = value
    temperature = sampling.get("temperature")
    if temperature is not None and temperature > 1:
        raise UnsupportedFeature(
            "temperature above 1", ANTHROPIC, f"got {temperature}; Anthropic accepts 0 to 1"
        )
    return {**extra, **sampling}


def anthropic_system(system: list[dict[str, Any]]) -> str | list[dict[str, Any]]:
    """The ``system`` field of a request: one plain text block as a string, blocks otherwise."""
    plain = len(system) == 1 and set(system[0]) == {"type", "text"}
    return system[0]["text"] if plain else system


def anthropic_tool(function: Mapping[str, Any]) -> dict[str, Any]:
    """A function definition (``name``, ``parameters``, ``description``, ``strict``) -> an Anthropic tool."""
    out: dict[str, Any] = {
        "name": function["name"],
        "input_schema": function.get("parameters") or {"type": "object", "properties": {}},
    }
    if function.get("description"):
        out["description"] = function["description"]
    if function.get("strict"):
        out["strict"] = True
    return out


def anthropic_tool_choice(
    choice: Any, parallel_tool_calls: Any, function_name: Callable[[Mapping[str, Any]], str]
) -> dict[str, Any] | None:
    """An OpenAI ``tool_choice`` (and ``parallel_tool_calls``) -> Anthropic's; ``function_name`` reads the
    name out of a ``{"type": "function", ...}`` choice (chat and Responses nest it differently)."""
    if choice is None:
        out: dict[str, Any] | None = None
    elif choice == "auto":
        out = {"type": "auto"}
    elif choice == "required":
        out = {"type": "any"}
    elif choice == "none":
        return {"type": "none"}
    elif isinstance(choice, Mapping) and choice.get("type") == "function":
        out = {"type": "tool", "name": function_name(choice)}
    else:
        kind = as_mapping(choice).get("type") if not isinstance(choice, str) else choice
        raise UnsupportedFeature(f"tool_choice {kind!r}", ANTHROPIC)
    if parallel_tool_calls is False:
        out = out or {"type": "auto"}
        out["disable_parallel_tool_use"] = True
    return out


def finish_messages_request(
    out: dict[str, Any], params: Mapping[str, Any], output_config: dict[str, Any], effort: str | None
) -> dict[str, Any]:
    """The end both OpenAI shapes share once translated: ``effort`` (Anthropic's level; ``"none"`` turns
    thinking off), ``output_config``, the end user's id as ``metadata``, ``stream``, the extra body and the
    request options."""
    if effort == "none":
        out["thinking"] = {"type": "disabled"}
    elif effort is not None:
        output_config["effort"] = effort
    if output_config:
        out["output_config"] = output_config
    user_id = params.get("safety_identifier") or params.get("user")
    if user_id:
        out["metadata"] = {"user_id": user_id}
    if params.get("stream") is not None:
        out["stream"] = params["stream"]
    extra_body = anthropic_extra_body(params)
    if extra_body:
        out["extra_body"] = extra_body
    for key in REQUEST_OPTIONS:
        if key in params:
            out[key] = params[key]
    return out


def append_turn(turns: list[dict[str, Any]], role: str, blocks: list[dict[str, Any]]) -> None:
    """Add Anthropic content blocks as a turn, merged into the previous turn when it has the same role.

    Empty turns are dropped: Anthropic rejects messages without content.
    """
    if not blocks:
        return
    if turns and turns[-1]["role"] == role:
        turns[-1]["content"].extend(blocks)
    else:
        turns.append({"role": role, "content": list(blocks)})


def with_cache_hint(block: dict[str, Any], part: Mapping[str, Any]) -> dict[str, Any]:
    """``block`` with ``cache_control`` when the OpenAI content ``part`` carries a cache breakpoint."""
    # OpenAI's explicit cache breakpoint is the same idea as Anthropic's cache_control marker. Its TTL
    # is not carried: Anthropic offers 5m (default) and 1h (billed higher), OpenAI 30m and 12h.
    if part.get("prompt_cache_breakpoint"):
        block["cache_control"] = {"type": "ephemeral"}
    return block


def finish_reason_from_stop_reason(stop_reason: str | None) -> str:
    """Map an Anthropic stop reason to an OpenAI finish reason (unknown or missing -> ``stop``)."""
    if stop_reason is None:
        return "stop"
    return FINISH_REASON_FROM_STOP_REASON.get(stop_reason, "stop")


def stop_reason_from_finish_reason(finish_reason: str | None) -> str | None:
    """Map an OpenAI finish reason to an Anthropic stop reason (missing stays None)."""
    if finish_reason is None:
        return None
    return STOP_REASON_FROM_FINISH_REASON.get(finish_reason, "end_turn")


def _int(value: Any) -> int:
    return value if isinstance(value, int) else 0


def openai_usage_from_anthropic(usage: Mapping[str, Any]) -> dict[str, Any]:
    """Anthropic usage -> OpenAI chat usage, counting each input token exactly once.

    Anthropic's ``input_tokens`` excludes cache reads and writes; OpenAI's ``prompt_tokens`` includes
    both (``cached_tokens`` and ``cache_write_tokens`` are breakdowns of it).
    """
    uncached = _int(usage.get("input_tokens"))
    cache_read = _int(usage.get("cache_read_input_tokens"))
    cache_write = usage.get("cache_creation_input_tokens")
    if cache_write is None:
        by_ttl = usage.get("cache_creation") or {}
        cache_write = _int(by_ttl.get("ephemeral_5m_input_tokens")) + _int(
            by_ttl.get("ephemeral_1h_input_tokens")
        )
    cache_write = _int(cache_write)
    output = _int(usage.get("output_tokens"))
    prompt = uncached + cache_read + cache_write
    result: dict[str, Any] = {
        "prompt_tokens": prompt,
        "completion_tokens": output,
        "total_tokens": prompt + output,
        "prompt_tokens_details": {"cached_tokens": cache_read, "cache_write_tokens": cache_write},
    }
    thinking = (usage.get("output_tokens_details") or {}).get("thinking_tokens")
    if isinstance(thinking, int):
        result["completion_tokens_details"] = {"reasoning_tokens": thinking}
    return result


def responses_usage_from_anthropic(usage: Mapping[str, Any]) -> dict[str, Any]:
    """Anthropic usage -> OpenAI Responses usage, counting each input token exactly once.

    The Responses API counts input as chat does (``input_tokens`` includes cached tokens). Anthropic
    reports thinking tokens inside ``output_tokens`` and, usually, not apart: ``reasoning_tokens`` (a
    field the Responses usage requires) is 0 unless Anthropic gave the count.
    """
    chat = openai_usage_from_anthropic(usage)
    reasoning = (chat.get("completion_tokens_details") or {}).get("reasoning_tokens", 0)
    return {
        "input_tokens": chat["prompt_tokens"],
        "input_tokens_details": chat["prompt_tokens_details"],
        "output_tokens": chat["completion_tokens"],
        "output_tokens_details": {"reasoning_tokens": reasoning},
        "total_tokens": chat["total_tokens"],
    }


def anthropic_usage_from_openai(usage: Mapping[str, Any]) -> dict[str, Any]:
    """OpenAI chat usage -> Anthropic usage, counting each input token exactly once.

    OpenAI reports one cache-write count with no TTL; it is reported as 5-minute writes.
    """
    prompt = _int(usage.get("prompt_tokens"))
    prompt_details = usage.get("prompt_tokens_details") or {}
    cache_read = _int(prompt_details.get("cached_tokens"))
    cache_write = _int(prompt_details.get("cache_write_tokens"))
    result: dict[str, Any] = {
        "input_tokens": max(prompt - cache_read - cache_write, 0),
        "output_tokens": _int(usage.get("completion_tokens")),
        "cache_read_input_tokens": cache_read,
        "cache_creation_input_tokens": cache_write,
        "cache_creation": {"ephemeral_5m_input_tokens": cache_write, "ephemeral_1h_input_tokens": 0},
    }
    reasoning = (usage.get("completion_tokens_details") or {}).get("reasoning_tokens")
    if isinstance(reasoning, int):
        result["output_tokens_details"] = {"thinking_tokens": reasoning}
    return result


def image_source_from_url(url: str) -> dict[str, Any]:
    """OpenAI ``image_url.url`` (https URL or base64 data URL) -> Anthropic image ``source``."""
    if url.startswith("data:"):
        header, comma, data = url.partition(",")
        fields = header[len("data:") :].split(";")
        media_type = fields[0].lower()
        if media_type == "image/jpg":
            media_type = "image/jpeg"
        if not comma or fields[-1] != "base64":
            raise UnsupportedFeature("image data URL that is not base64", ANTHROPIC)
        if media_type not in ANTHROPIC_IMAGE_MEDIA_TYPES:
            raise UnsupportedFeature(
                f"image type {media_type!r}", ANTHROPIC, "Anthropic accepts jpeg, png, gif and webp"
            )
        return {"type": "base64", "media_type": media_type, "data": data}
    if url.startswith(("https://", "http://")):
        return {"type": "url", "url": url}
    raise UnsupportedFeature("image URL that is neither http(s) nor a data URL", ANTHROPIC)


def url_from_image_source(source: Mapping[str, Any]) -> str:
    """Anthropic image ``source`` -> OpenAI ``image_url.url``."""
    kind = source.get("type")
    if kind == "base64":
        return f"data:{source['media_type']};base64,{source['data']}"
    if kind == "url":
        return str(source["url"])
    raise UnsupportedFeature(f"image source of type {kind!r}", OPENAI, "OpenAI chat takes URLs and data URLs")


def parse_tool_arguments(arguments: str | None) -> dict[str, Any] | None:
    """Parse OpenAI tool-call ``arguments``; None when they are not a JSON object.

    An empty string means "no arguments": OpenAI sends it for functions without parameters.
    """
    if arguments is None or not arguments.strip():
        return {}
    try:
        value = json.loads(arguments)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def dump_tool_input(tool_input: Any) -> str:
    """Anthropic ``tool_use.input`` -> OpenAI ``arguments`` (compact JSON, non-ASCII kept readable)."""
    return json.dumps(tool_input if tool_input is not None else {}, ensure_ascii=False, separators=(",", ":"))
