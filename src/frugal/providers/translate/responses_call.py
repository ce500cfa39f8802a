"""An OpenAI-shaped ``responses.create`` call served by an Anthropic model: the request.

OpenAI Responses keyword arguments -> ``anthropic.messages.create`` keyword arguments. The answer and its
stream are translated back by :mod:`.responses_answer` and :mod:`.responses_stream`.

The Responses API can keep a conversation on OpenAI's side (``previous_response_id``, ``conversation``);
Claude keeps nothing between calls, so a call is translated only when its whole conversation is in
``input``. Reasoning items in ``input`` are dropped: they are an OpenAI model's encrypted reasoning, which
Claude cannot read (as Claude's signed thinking is dropped on the way to an OpenAI model).
"""

from __future__ import annotations

from collections.abc import Mapping
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
    finish_messages_request,
    image_source_from_url,
    parse_tool_arguments,
    with_cache_hint,
)

# Parameters that do not change what the model generates, or only concern OpenAI-side storage, caching or
# billing; Anthropic has no counterpart, so they are dropped.
_DROPPED = frozenset(
    {
        "metadata",  # key-values stored with the response on OpenAI's side (echoed on the Response)
        "max_tool_calls",  # caps calls to OpenAI's built-in tools, which never translate
        "prompt_cache_key",
        "prompt_cache_options",
        "prompt_cache_retention",
        "service_tier",
        "store",  # whether OpenAI keeps the response for later retrieval; Anthropic keeps nothing
        "stream_options",  # only include_obfuscation: padding on OpenAI's own stream events
    }
)

_HANDLED = frozenset(
    {
        "extra_body",
        "input",
        "instructions",
        "max_output_tokens",
        "model",
        "parallel_tool_calls",
        "reasoning",
        "safety_identifier",
        "stream",
        "temperature",
        "text",
        "tool_choice",
        "tools",
        "top_p",
        "user",
        *REQUEST_OPTIONS,
    }
)

# Parameters that translate only in their neutral form; see _reject_unsupported.
_CHECKED = frozenset(
    {
        "background",
        "context_management",
        "conversation",
        "include",
        "moderation",
        "previous_response_id",
        "prompt",
        "top_logprobs",
        "truncation",
    }
)

_FULL_CONVERSATION = "Claude keeps no conversation between calls; pass the whole conversation in input"

# `include` values that add nothing to an answer served by Claude: they ask for the results of OpenAI's
# built-in tools (refused here), input image URLs (not part of the answer) or encrypted reasoning (an
# answer translated from Claude has no reasoning items). Only logprobs would be missing, so they are refused.
_INCLUDE_NOTHING = frozenset(
    {
        "code_interpreter_call.outputs",
        "computer_call_output.output.image_url",
        "file_search_call.results",
        "message.input_image.image_url",
        "reasoning.encrypted_content",
        "web_search_call.action.sources",
        "web_search_call.results",
    }
)

# Keys of `reasoning` that only shape the reasoning items OpenAI returns or keeps; there are none here.
_REASONING_DROPPED = frozenset({"summary", "generate_summary", "context"})


def _reject_unsupported(params: Mapping[str, Any]) -> None:
    """Raise for every parameter whose effect Anthropic cannot reproduce."""
    for name in ("previous_response_id", "conversation"):
        if params.get(name) is not None:
            raise UnsupportedFeature(name, ANTHROPIC, _FULL_CONVERSATION)
    if params.get("background"):
        raise UnsupportedFeature("background", ANTHROPIC, "Anthropic has no background responses to poll")
    if params.get("prompt") is not None:
        raise UnsupportedFeature("prompt", ANTHROPIC, "a prompt template stored on OpenAI")
    if params.get("top_logprobs"):
        raise UnsupportedFeature("top_logprobs", ANTHROPIC, "Anthropic returns no log probabilities")
    if params.get("truncation") == "auto":
        raise UnsupportedFeature(
            "truncation='auto'", ANTHROPIC, "Claude does not drop earlier input to fit its context window"
        )
    if params.get("context_management"):
        raise UnsupportedFeature("context_management", ANTHROPIC, "OpenAI's server-side compaction")
    if params.get("moderation") is not None:
        raise UnsupportedFeature("moderation", ANTHROPIC)
    for value in params.get("include") or ():
        if value == "message.output_text.logprobs":
            raise UnsupportedFeature(
                f"include {value!r}", ANTHROPIC, "Anthropic returns no log probabilities"
            )
        if value not in _INCLUDE_NOTHING:
            raise UnsupportedFeature(
                f"include {value!r}", ANTHROPIC, "frugal does not know how to translate it"
            )
    for key in params:
        if key not in _HANDLED and key not in _DROPPED and key not in _CHECKED:
            raise UnsupportedFeature(
                f"parameter {key!r}", ANTHROPIC, "frugal does not know how to translate it"
            )


def responses_request_to_messages(
    params: Mapping[str, Any], *, model: str, default_max_tokens: int = DEFAULT_MAX_TOKENS
) -> dict[str, Any]:
    """OpenAI responses.create keyword arguments -> anthropic messages.create keyword arguments.

    Args:
        params: the caller's keyword arguments, SDK sentinels already removed.
        model: the Anthropic model that will serve the call (replaces the caller's model).
        default_max_tokens: ``max_tokens`` when the caller set no ``max_output_tokens``.

    Raises:
        UnsupportedFeature: the call uses something Anthropic cannot reproduce faithfully.
    """
    _reject_unsupported(params)
    system, messages = _conversation(params.get("instructions"), params.get("input"))
    max_tokens = params.get("max_output_tokens")
    out: dict[str, Any] = {
        "model": model,
        "max_tokens": default_max_tokens if max_tokens is None else max_tokens,
        "messages": messages,
    }
    if system:
        out["system"] = anthropic_system(system)
    tools = params.get("tools")
    if tools:
        out["tools"] = [_tool(as_mapping(tool)) for tool in tools]
        tool_choice = anthropic_tool_choice(
            params.get("tool_choice"), params.get("parallel_tool_calls"), _chosen_function
        )
        if tool_choice is not None:
            out["tool_choice"] = tool_choice
    output_config: dict[str, Any] = {}
    output_format = _output_format(params.get("text"))
    if output_format is not None:
        output_config["format"] = output_format
    return finish_messages_request(out, params, output_config, _effort(params.get("reasoning")))


def check_responses_for_anthropic(params: Mapping[str, Any]) -> None:
    """Raise UnsupportedFeature if this Responses call cannot be served faithfully by an Anthropic model.

    A dry run of :func:`responses_request_to_messages`, so the check and the translation never disagree.
    """
    responses_request_to_messages(params, model="")


def _conversation(instructions: Any, items: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """``instructions`` and ``input`` -> Anthropic system blocks and alternating user/assistant turns."""
    system: list[dict[str, Any]] = []
    if instructions is not None:
        if not isinstance(instructions, str):
            raise UnsupportedFeature("instructions that are not a string", ANTHROPIC)
        system.extend(_text_blocks(instructions, where="instructions"))
    if isinstance(items, str):
        items = [{"role": "user", "content": items}]
    turns: list[dict[str, Any]] = []
    for raw in items or ():
        item = as_mapping(raw)
        kind = item.get("type")
        if kind is None or kind == "message":
            role = item.get("role")
            if role in ("system", "developer"):
                system.extend(_text_blocks(item.get("content"), where=f"{role} messages"))
            elif role == "user":
                append_turn(turns, "user", _user_blocks(item.get("content")))
            elif role == "assistant":
                append_turn(turns, "assistant", _assistant_blocks(item.get("content")))
            else:
                raise UnsupportedFeature(f"message role {role!r}", ANTHROPIC)
        elif kind == "function_call":
            append_turn(turns, "assistant", [_tool_use(item)])
        elif kind == "function_call_output":
            append_turn(turns, "user", [_tool_result(item)])
        elif kind == "reasoning":
            continue  # an OpenAI model's (encrypted) reasoning: Claude cannot read it
        elif kind == "item_reference":
            raise UnsupportedFeature(
                "item_reference input items", ANTHROPIC, "they name items stored on OpenAI"
            )
        else:
            raise UnsupportedFeature(
                f"{kind} input items", ANTHROPIC, "only messages and function calls translate"
            )
    for turn in turns:
        blocks = turn["content"]
        if len(blocks) == 1 and set(blocks[0]) == {"type", "text"}:
            turn["content"] = blocks[0]["text"]
    return system, turns


def _text_blocks(content: Any, *, where: str) -> list[dict[str, Any]]:
    """A string or text parts -> Anthropic text blocks (empty text dropped: Anthropic rejects it)."""
    if content is None:
        return []
    if isinstance(content, str):
        return [{"type": "text", "text": content}] if content else []
    blocks = []
    for raw in content:
        part = as_mapping(raw)
        kind = part.get("type")
        if kind in ("input_text", "output_text", "refusal"):
            text = part.get("refusal") if kind == "refusal" else part.get("text")
            # output_text annotations (citations) only annotate earlier output: dropped.
            if text:
                blocks.append(with_cache_hint({"type": "text", "text": text}, part))
        else:
            raise UnsupportedFeature(f"{kind} content in {where}", ANTHROPIC)
    return blocks


def _user_blocks(content: Any, *, where: str = "user messages") -> list[dict[str, Any]]:
    """User content (or a function call's output) -> Anthropic text and image blocks."""
    if content is None or isinstance(content, str):
        return _text_blocks(content, where=where)
    blocks = []
    for raw in content:
        part = as_mapping(raw)
        kind = part.get("type")
        if kind == "input_text":
            blocks.extend(_text_blocks([part], where=where))
        elif kind == "input_image":
            url = part.get("image_url")
            if not url:
                raise UnsupportedFeature(
                    "input_image given by file_id", ANTHROPIC, "OpenAI file ids mean nothing to Anthropic"
                )
            # `detail` has no Anthropic counterpart and is dropped, as in chat.
            blocks.append(with_cache_hint({"type": "image", "source": image_source_from_url(url)}, part))
        elif kind == "input_file":
            raise UnsupportedFeature("input_file content", ANTHROPIC)
        elif kind == "input_audio":
            raise UnsupportedFeature("audio input", ANTHROPIC)
        else:
            raise UnsupportedFeature(f"{kind} content in {where}", ANTHROPIC)
    return blocks


def _assistant_blocks(content: Any) -> list[dict[str, Any]]:
    return _text_blocks(content, where="assistant messages")


def _tool_use(item: Mapping[str, Any]) -> dict[str, Any]:
    """A ``function_call`` input item -> an Anthropic ``tool_use`` block (the call id is its id)."""
    if item.get("namespace"):
        raise UnsupportedFeature("function calls of namespaced tools", ANTHROPIC)
    if (as_mapping(item.get("caller") or {})).get("type") == "program":
        raise UnsupportedFeature("function calls made by a program", ANTHROPIC, "OpenAI-hosted tool calling")
    arguments = parse_tool_arguments(item.get("arguments"))
    if arguments is None:
        raise UnsupportedFeature(
            "function call arguments that are not a JSON object",
            ANTHROPIC,
            f"call {item.get('call_id')!r}; Anthropic tool_use input must be an object",
        )
    return {"type": "tool_use", "id": item["call_id"], "name": item["name"], "input": arguments}


def _tool_result(item: Mapping[str, Any]) -> dict[str, Any]:
    """A ``function_call_output`` input item -> an Anthropic ``tool_result`` block."""
    call_id = item.get("call_id")
    if not call_id:
        raise UnsupportedFeature("function_call_output without a call_id", ANTHROPIC)
    if (as_mapping(item.get("caller") or {})).get("type") == "program":
        raise UnsupportedFeature(
            "function call outputs for a program", ANTHROPIC, "OpenAI-hosted tool calling"
        )
    block: dict[str, Any] = {"type": "tool_result", "tool_use_id": call_id}
    output = item.get("output")
    if isinstance(output, str):
        if output:
            block["content"] = output
    else:
        blocks = _user_blocks(output, where="function call outputs")
        if blocks:
            block["content"] = blocks
    return block


def _tool(tool: Mapping[str, Any]) -> dict[str, Any]:
    kind = tool.get("type")
    if kind != "function":
        raise UnsupportedFeature(
            f"{kind} tools", ANTHROPIC, "only function tools translate; built-in tools run on OpenAI's side"
        )
    if tool.get("defer_loading"):
        raise UnsupportedFeature("defer_loading tools", ANTHROPIC, "OpenAI's tool search")
    if "programmatic" in (tool.get("allowed_callers") or ()):
        raise UnsupportedFeature("programmatic tool callers", ANTHROPIC, "OpenAI-hosted tool calling")
    # output_schema only describes what the function returns, for OpenAI's programmatic callers: dropped.
    return anthropic_tool(tool)


def _chosen_function(choice: Mapping[str, Any]) -> str:
    """The function a Responses ``tool_choice`` names: ``{"type": "function", "name": ...}``."""
    return str(choice["name"])


def _output_format(text: Any) -> dict[str, Any] | None:
    """``text.format`` -> Anthropic ``output_config.format`` (``text.verbosity``, a soft hint, is dropped)."""
    if text is None:
        return None
    output_format = as_mapping(text).get("format")
    if output_format is None:
        return None
    output_format = as_mapping(output_format)
    kind = output_format.get("type")
    if kind == "text":
        return None
    if kind == "json_schema":
        schema = output_format.get("schema")
        if schema is None:
            raise UnsupportedFeature("text.format json_schema without a schema", ANTHROPIC)
        # name, description and strict have no Anthropic field: its structured output is always strict.
        return {"type": "json_schema", "schema": schema}
    if kind == "json_object":
        raise UnsupportedFeature(
            "text.format json_object",
            ANTHROPIC,
            "Anthropic structured output needs a schema and cannot express 'any JSON object'",
        )
    raise UnsupportedFeature(f"text.format {kind!r}", ANTHROPIC)


def _effort(reasoning: Any) -> str | None:
    """``reasoning`` -> Anthropic's effort level, ``"none"`` (thinking off) or None (the model's default)."""
    if reasoning is None:
        return None
    reasoning = as_mapping(reasoning)
    for key, value in reasoning.items():
        if key in ("effort", *_REASONING_DROPPED) or value is None:
            continue
        if key == "mode" and value == "standard":
            continue
        raise UnsupportedFeature(f"reasoning.{key}={value!r}", ANTHROPIC)
    effort = reasoning.get("effort")
    if effort is None:
        return None
    if effort == "none":
        return "none"
    if effort not in ANTHROPIC_EFFORT:
        raise UnsupportedFeature(f"reasoning.effort {effort!r}", ANTHROPIC)
    return ANTHROPIC_EFFORT[effort]
