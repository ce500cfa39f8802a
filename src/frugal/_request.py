"""``RoutingRequest``: the vendor-neutral view of a call that classifiers and the router read.

Built from the caller's keyword arguments in one pass over the messages, without copying the text:
the prompt and system text are joined strings; everything else is counts and flags.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ._frozen import builder

__all__ = ["RoutingRequest"]

_CHARS_PER_TOKEN = 4  # a fast, vendor-neutral estimate; English prose averages ~4 characters a token
_IMAGE_TOKENS = 1000  # a mid-size image costs roughly this many input tokens with either vendor


@dataclass(frozen=True, slots=True)
class RoutingRequest:
    """What a classifier and the router may know about a call.

    Attributes:
        prompt: the text of the last user turn (what is being asked now).
        system: the system / developer instructions, joined.
        history: the text of the earlier turns, joined (assistant answers, tool results included).
        turns: the number of messages in the conversation (the last user turn included).
        tools: the number of tools offered to the model.
        tool_history: whether earlier turns contain tool calls or tool results.
        images: the number of images in the conversation.
        structured_output: whether the caller asked for JSON / a JSON schema.
        max_output_tokens: the caller's output limit, or None when not given.
        operation: ``"chat"``, ``"messages"``, ``"responses"`` or ``"prompt"`` (built from bare text).
        requested_model: the model the caller named (``"auto"``, a route name, or a concrete model).
        metadata: routing context: ``user``, ``team``, ``feature`` and any other keys.
    """

    prompt: str
    system: str = ""
    history: str = ""
    turns: int = 1
    tools: int = 0
    tool_history: bool = False
    images: int = 0
    structured_output: bool = False
    max_output_tokens: int | None = None
    operation: str = "prompt"
    requested_model: str | None = None
    metadata: Mapping[str, str] = field(default_factory=dict)

    @property
    def input_chars(self) -> int:
        """Characters of text sent to the model."""
        return len(self.prompt) + len(self.system) + len(self.history)

    @property
    def estimated_input_tokens(self) -> int:
        """A fast local estimate of the input tokens (text / 4, plus a fixed cost per image)."""
        chars = len(self.prompt) + len(self.system) + len(self.history)  # input_chars, without a call
        return -(-chars // _CHARS_PER_TOKEN) + self.images * _IMAGE_TOKENS

    @property
    def needs_tools(self) -> bool:
        """Whether only a model that supports tool use can serve the call."""
        return self.tools > 0 or self.tool_history

    @classmethod
    def from_prompt(cls, prompt: str, **fields: Any) -> RoutingRequest:
        """A request made of one user turn (``frugal route "PROMPT"``, evaluation rows)."""
        return cls(prompt=prompt, **fields)

    @classmethod
    def from_call(
        cls, operation: str, params: Mapping[str, Any], metadata: Mapping[str, str]
    ) -> RoutingRequest:
        """The view of an SDK call's keyword arguments.

        Args:
            operation: ``"chat"`` (OpenAI chat completions), ``"messages"`` (Anthropic) or ``"responses"``.
            params: the caller's keyword arguments.
            metadata: routing context already gathered (user, team, feature, ...).
        """
        if operation == "responses":
            return _from_responses(params, metadata)
        system_parts: list[str] = []
        if operation == "messages":
            _collect_text(params.get("system"), system_parts)
        messages = params.get("messages") or ()
        last_user = -1
        for index, message in enumerate(messages):
            # type() first: isinstance() against an ABC costs more than the rest of the loop.
            if (type(message) is dict or isinstance(message, Mapping)) and message.get("role") == "user":
                last_user = index
        prompt_parts: list[str] = []
        history_parts: list[str] = []
        images = 0
        tool_history = False
        for index, message in enumerate(messages):
            if not (type(message) is dict or isinstance(message, Mapping)):
                continue
            role = message.get("role")
            if role == "system" or role == "developer":
                _collect_text(message.get("content"), system_parts)
                continue
            if role == "tool" or message.get("tool_calls"):
                tool_history = True
            target = prompt_parts if index == last_user else history_parts
            images += _collect_text(message.get("content"), target)
            if operation == "messages" and not tool_history:
                tool_history = _has_tool_blocks(message.get("content"))
        tools = params.get("tools")
        limit = (
            params.get("max_completion_tokens") or params.get("max_tokens") or params.get("max_output_tokens")
        )
        model = params.get("model")
        return (_build if cls is RoutingRequest else cls)(
            "\n".join(prompt_parts),
            "\n".join(system_parts),
            "\n".join(history_parts),
            len(messages) if isinstance(messages, (list, tuple)) else 1,
            len(tools) if isinstance(tools, (list, tuple)) else 0,
            tool_history,
            images,
            _wants_structure(operation, params),
            limit if type(limit) is int or (isinstance(limit, int) and not isinstance(limit, bool)) else None,
            operation,
            model if isinstance(model, str) else None,
            dict(metadata),
        )


# Positional, all fields: the call path builds one RoutingRequest per call (see _frozen).
_build = builder(RoutingRequest)


def _from_responses(params: Mapping[str, Any], metadata: Mapping[str, str]) -> RoutingRequest:
    system_parts: list[str] = []
    _collect_text(params.get("instructions"), system_parts)
    raw_input = params.get("input")
    prompt_parts: list[str] = []
    history_parts: list[str] = []
    images = 0
    turns = 1
    if isinstance(raw_input, str):
        prompt_parts.append(raw_input)
    elif isinstance(raw_input, (list, tuple)):
        turns = len(raw_input)
        items = [item for item in raw_input if isinstance(item, Mapping)]
        last_user = max((i for i, item in enumerate(items) if item.get("role") == "user"), default=-1)
        for index, item in enumerate(items):
            if item.get("role") in ("system", "developer"):
                _collect_text(item.get("content"), system_parts)
            else:
                images += _collect_text(
                    item.get("content"), prompt_parts if index == last_user else history_parts
                )
    tools = params.get("tools")
    text = params.get("text")
    structured = (
        isinstance(text, Mapping)
        and isinstance(text.get("format"), Mapping)
        and (text["format"].get("type") in ("json_schema", "json_object"))
    )
    return _build(
        "\n".join(prompt_parts),
        "\n".join(system_parts),
        "\n".join(history_parts),
        turns,
        len(tools) if isinstance(tools, (list, tuple)) else 0,
        False,
        images,
        bool(structured),
        _int_or_none(params.get("max_output_tokens")),
        "responses",
        _str_or_none(params.get("model")),
        dict(metadata),
    )


def _collect_text(content: object, out: list[str]) -> int:
    """Append the text of a message content to ``out``; return the number of images in it."""
    if isinstance(content, str):
        out.append(content)
        return 0
    images = 0
    if isinstance(content, Iterable) and not isinstance(content, (bytes, Mapping)):
        for part in content:
            if not isinstance(part, Mapping):
                continue
            kind = part.get("type")
            if kind in ("text", "input_text", "output_text"):
                text = part.get("text")
                if isinstance(text, str):
                    out.append(text)
            elif kind in ("image_url", "image", "input_image"):
                images += 1
            elif kind == "tool_result":
                images += _collect_text(part.get("content"), out)
    return images


def _has_tool_blocks(content: object) -> bool:
    if isinstance(content, (list, tuple)):
        return any(isinstance(p, Mapping) and p.get("type") in ("tool_use", "tool_result") for p in content)
    return False


def _wants_structure(operation: str, params: Mapping[str, Any]) -> bool:
    if operation == "chat":
        fmt = params.get("response_format")
        return (
            fmt is not None and isinstance(fmt, Mapping) and fmt.get("type") in ("json_schema", "json_object")
        )
    config = params.get("output_config")
    return config is not None and isinstance(config, Mapping) and config.get("format") is not None


def _int_or_none(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _str_or_none(value: object) -> str | None:
    return value if isinstance(value, str) else None
