"""``RoutingRequest``: the vendor-neutral view of a call that classifiers, the router and budgets read.

Built once per call from the caller's keyword arguments (:meth:`RoutingRequest.from_call`), in one pass
over the messages: the prompt, system and history text are joined strings; everything else is counts and
flags. Its :attr:`~RoutingRequest.estimated_input_tokens` is frugal's one input-token estimate (UTF-8
bytes / 4, or the policy's ``token_counter``), read by routing, budgets and ``frugal eval`` alike. Public:
a classifier plugin receives one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["RoutingRequest", "estimate_text_tokens", "text_size", "tokens_of_size"]

_BYTES_PER_TOKEN = 4  # a fast, vendor-neutral estimate: English prose averages ~4 characters a token
_IMAGE_TOKENS = 1000  # a mid-size image costs roughly this many input tokens with either vendor


def estimate_text_tokens(*texts: str) -> int:
    """The local estimate of the tokens in ``texts``: their UTF-8 bytes / 4, rounded up.

    For ASCII that is characters / 4. Beyond ASCII, bytes track tokens better than characters: a CJK
    character (3 bytes) is about 0.7-1 token with either vendor's tokenizer, a Cyrillic or Greek letter
    (2 bytes) about 0.3-0.6; characters / 4 would undercount Japanese ~4x, and context-window checks and
    budget reservations would let through calls that do not fit.
    """
    return tokens_of_size(text_size(*texts))


def text_size(*texts: str) -> int:
    """The UTF-8 bytes of ``texts`` (ASCII text: its length, without encoding it)."""
    size = 0
    for text in texts:
        size += len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))
    return size


def tokens_of_size(size: int) -> int:
    """Estimated tokens of ``size`` bytes of text (or characters of tool definitions)."""
    return -(-size // _BYTES_PER_TOKEN)


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
        tool_chars: the size of the tool definitions sent with the call (they are input tokens too).
        counted_input_tokens: the input tokens counted by the policy's ``token_counter`` (text and tool
            definitions, images excluded), or None for the built-in estimate.
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
    tool_chars: int = 0
    counted_input_tokens: int | None = None

    @property
    def input_chars(self) -> int:
        """Characters of text sent to the model."""
        return len(self.prompt) + len(self.system) + len(self.history)

    @property
    def estimated_input_tokens(self) -> int:
        """The input tokens, estimated locally: the policy's counter's figure when one is configured, else
        UTF-8 bytes / 4 (:func:`estimate_text_tokens`), tool definitions included; plus a fixed cost
        per image."""
        counted = self.counted_input_tokens
        if counted is None:
            counted = tokens_of_size(text_size(self.prompt, self.system, self.history) + self.tool_chars)
        return counted + self.images * _IMAGE_TOKENS

    def fingerprint(self) -> str:
        """A short hash of what the model reads: system text, conversation, the number and size of tool
        definitions (two identical requests have the same fingerprint). Never the text itself."""
        import hashlib

        digest = hashlib.blake2b(digest_size=8)
        for part in (
            self.operation,
            self.system,
            self.history,
            self.prompt,
            f"{self.tools}:{self.tool_chars}",
        ):
            digest.update(part.encode("utf-8", "surrogatepass"))
            digest.update(b"\x00")
        return digest.hexdigest()

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
            operation: ``"chat"`` (OpenAI chat completions), ``"messages"`` (Anthropic), ``"responses"``,
                ``"embeddings"`` (the inputs are the prompt) or ``"count_tokens"`` (as ``"messages"``).
            params: the caller's keyword arguments.
            metadata: routing context already gathered (user, team, feature, ...).
        """
        if operation == "responses":
            return _from_responses(params, metadata)
        if operation == "embeddings":
            return _from_embeddings(params, metadata)
        system_parts: list[str] = []
        if operation in ("messages", "count_tokens"):
            _collect_text(params.get("system"), system_parts)
        messages = params.get("messages") or ()
        last_user = -1
        for index, message in enumerate(messages):
            if isinstance(message, Mapping) and message.get("role") == "user":
                last_user = index
        prompt_parts: list[str] = []
        history_parts: list[str] = []
        images = 0
        tool_history = False
        for index, message in enumerate(messages):
            if not isinstance(message, Mapping):
                continue
            role = message.get("role")
            if role == "system" or role == "developer":
                _collect_text(message.get("content"), system_parts)
                continue
            if role == "tool" or message.get("tool_calls"):
                tool_history = True
            target = prompt_parts if index == last_user else history_parts
            images += _collect_text(message.get("content"), target)
            if operation in ("messages", "count_tokens") and not tool_history:
                tool_history = _has_tool_blocks(message.get("content"))
        tools = params.get("tools")
        limit = (
            params.get("max_completion_tokens") or params.get("max_tokens") or params.get("max_output_tokens")
        )
        model = params.get("model")
        return cls(
            prompt="\n".join(prompt_parts),
            system="\n".join(system_parts),
            history="\n".join(history_parts),
            turns=len(messages) if isinstance(messages, (list, tuple)) else 1,
            tools=len(tools) if isinstance(tools, (list, tuple)) else 0,
            tool_history=tool_history,
            images=images,
            structured_output=_wants_structure(operation, params),
            max_output_tokens=_int_or_none(limit),
            operation=operation,
            requested_model=model if isinstance(model, str) else None,
            metadata=dict(metadata),
            tool_chars=_tool_chars(tools),
        )


def _from_embeddings(params: Mapping[str, Any], metadata: Mapping[str, str]) -> RoutingRequest:
    """Embeddings: the input texts are the prompt; inputs given as token ids count one token each."""
    raw = params.get("input")
    items: list[Any] = [raw] if isinstance(raw, (str, bytes)) else list(raw or ())
    texts = [item for item in items if isinstance(item, str)]
    ids = sum(len(item) for item in items if isinstance(item, (list, tuple)))
    if items and not texts and all(isinstance(item, int) for item in items):
        ids = len(items)  # one list of token ids
    prompt = "\n".join(texts)
    model = params.get("model")
    return RoutingRequest(
        prompt=prompt,
        operation="embeddings",
        requested_model=model if isinstance(model, str) else None,
        metadata=dict(metadata),
        counted_input_tokens=estimate_text_tokens(prompt) + ids if ids else None,
    )


def _from_responses(params: Mapping[str, Any], metadata: Mapping[str, str]) -> RoutingRequest:
    system_parts: list[str] = []
    _collect_text(params.get("instructions"), system_parts)
    raw_input = params.get("input")
    prompt_parts: list[str] = []
    history_parts: list[str] = []
    images = 0
    turns = 1
    tool_history = False
    if isinstance(raw_input, str):
        prompt_parts.append(raw_input)
    elif isinstance(raw_input, (list, tuple)):
        turns = len(raw_input)
        items = [item for item in raw_input if isinstance(item, Mapping)]
        last_user = max((i for i, item in enumerate(items) if item.get("role") == "user"), default=-1)
        for index, item in enumerate(items):
            kind = item.get("type")
            if kind in _RESPONSES_TOOL_ITEMS:
                # A tool call or its result: earlier tool use, and text the model reads again.
                tool_history = True
                for key in ("arguments", "output"):
                    value = item.get(key)
                    if isinstance(value, str):
                        history_parts.append(value)
                    elif value is not None:
                        images += _collect_text(value, history_parts)
            elif item.get("role") in ("system", "developer"):
                _collect_text(item.get("content"), system_parts)
            else:
                images += _collect_text(
                    item.get("content"), prompt_parts if index == last_user else history_parts
                )
    tools = params.get("tools")
    text = params.get("text")
    structured = isinstance(params.get("text_format"), type) or (
        isinstance(text, Mapping)
        and isinstance(text.get("format"), Mapping)
        and (text["format"].get("type") in ("json_schema", "json_object"))
    )
    return RoutingRequest(
        prompt="\n".join(prompt_parts),
        system="\n".join(system_parts),
        history="\n".join(history_parts),
        turns=turns,
        tools=len(tools) if isinstance(tools, (list, tuple)) else 0,
        tool_history=tool_history,
        images=images,
        structured_output=bool(structured),
        max_output_tokens=_int_or_none(params.get("max_output_tokens")),
        operation="responses",
        requested_model=_str_or_none(params.get("model")),
        metadata=dict(metadata),
        tool_chars=_tool_chars(tools),
    )


# Responses API input items that are tool use (function calls, their outputs, built-in tools' calls).
_RESPONSES_TOOL_ITEMS = frozenset(
    {
        "function_call",
        "function_call_output",
        "custom_tool_call",
        "custom_tool_call_output",
        "computer_call",
        "computer_call_output",
        "local_shell_call",
        "local_shell_call_output",
        "mcp_call",
    }
)


def _tool_chars(tools: object) -> int:
    """The size of the tool definitions, as their ``repr`` (close to their JSON, at C speed)."""
    if not tools or not isinstance(tools, (list, tuple)):
        return 0
    return len(repr(tools))


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
    """Whether the caller asked for JSON: a JSON response format, or a type to parse the answer into (the
    SDKs' ``parse`` helpers: ``response_format=Model``, ``output_format=Model``)."""
    if operation == "chat":
        fmt = params.get("response_format")
        if isinstance(fmt, type):
            return True
        return isinstance(fmt, Mapping) and fmt.get("type") in ("json_schema", "json_object")
    if isinstance(params.get("output_format"), type):
        return True
    config = params.get("output_config")
    return isinstance(config, Mapping) and config.get("format") is not None


def _int_or_none(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _str_or_none(value: object) -> str | None:
    return value if isinstance(value, str) else None
