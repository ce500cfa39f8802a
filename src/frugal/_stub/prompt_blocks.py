"""A request's prompt as the vendors' prompt caches see it: an ordered list of blocks of text.

The stub counts tokens deterministically, as a quarter of the characters of text a request carries
(rounded up): the strings in system prompts, messages, tool definitions and tool calls, without the
structural keys (``type``, ``role``, ids, ``cache_control``). ``/v1/messages/count_tokens`` and the
prompt-cache simulation (:mod:`.cache_sim`) count the same way, so their figures agree.

Both vendors cache *prefixes* of the prompt in the order they render it:

- **Anthropic**: tools, then system, then messages; each tool definition, each system block and each
  message content block (a string content is one block) is a block, and a block may carry a
  ``cache_control`` breakpoint (a top-level ``cache_control`` is a breakpoint on the last block).
- **OpenAI**: tools, then (Responses) instructions, then the messages or input items, one block each.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["Block", "anthropic_blocks", "flat_text", "openai_blocks", "text_length", "tokens"]

_NOT_TEXT = frozenset({"type", "role", "id", "tool_use_id", "media_type", "cache_control"})


def _strings(value: Any, out: list[str]) -> None:
    if isinstance(value, str):
        out.append(value)
    elif isinstance(value, Mapping):
        for key, item in value.items():
            if key not in _NOT_TEXT:
                _strings(item, out)
    elif isinstance(value, list):
        for item in value:
            _strings(item, out)


def flat_text(value: Any) -> str:
    """The text ``value`` carries: its strings in order, structural keys left out."""
    out: list[str] = []
    _strings(value, out)
    return "".join(out)


def text_length(value: Any) -> int:
    """How many characters of text ``value`` carries (see :func:`flat_text`)."""
    return len(flat_text(value))


def tokens(characters: int) -> int:
    """The stub's token estimate for ``characters`` characters of text: a quarter, rounded up."""
    return -(-characters // 4)


@dataclass(frozen=True, slots=True)
class Block:
    """One block of a prompt, in the vendor's rendering order.

    Attributes:
        role: who the block belongs to (``tool``, ``system``, ``user``, ``assistant``, ...).
        text: the text it carries (what its tokens are counted from).
        identity: the block's full content, canonical (what a cached prefix must match exactly).
        ttl: the TTL of the Anthropic ``cache_control`` breakpoint on it (``"5m"`` or ``"1h"``), or None.
    """

    role: str
    text: str
    identity: str
    ttl: str | None = None


def _identity(role: str, block: Any) -> str:
    content = block
    if isinstance(block, Mapping):
        content = {k: v for k, v in block.items() if k != "cache_control"}
    return role + "\x1f" + json.dumps(content, sort_keys=True, separators=(",", ":"), default=str)


def _ttl(block: Any) -> str | None:
    marker = block.get("cache_control") if isinstance(block, Mapping) else None
    if not isinstance(marker, Mapping):
        return None
    return "1h" if marker.get("ttl") == "1h" else "5m"


def _block(role: str, value: Any) -> Block:
    return Block(role, flat_text(value), _identity(role, value), _ttl(value))


def anthropic_blocks(body: Mapping[str, Any]) -> list[Block]:
    """A Messages request's blocks: tools, system, messages (breakpoints where ``cache_control`` is)."""
    blocks = [_block("tool", tool) for tool in _list(body.get("tools"))]
    system = body.get("system")
    blocks += [_block("system", _text_block(part)) for part in _content(system)]
    for message in _list(body.get("messages")):
        if isinstance(message, Mapping):
            role = str(message.get("role", "user"))
            blocks += [_block(role, _text_block(part)) for part in _content(message.get("content"))]
    automatic = _ttl(body)  # a top-level cache_control: a breakpoint on the last block
    if automatic is not None and blocks and blocks[-1].ttl is None:
        last = blocks[-1]
        blocks[-1] = Block(last.role, last.text, last.identity, automatic)
    return blocks


def openai_blocks(kind: str, body: Mapping[str, Any]) -> list[Block]:
    """A chat or Responses request's blocks: tools, instructions, then messages or input items."""
    blocks = [_block("tool", tool) for tool in _list(body.get("tools"))]
    if kind == "responses":
        instructions = body.get("instructions")
        if isinstance(instructions, str):
            blocks.append(_block("developer", instructions))
        given = body.get("input")
        items: Sequence[Any] = _list(given)
        if isinstance(given, str):
            items = [{"role": "user", "content": given}]
    else:
        items = _list(body.get("messages"))
    for item in items:
        role = item.get("role") or item.get("type") if isinstance(item, Mapping) else None
        blocks.append(_block(str(role or "user"), item))
    return blocks


def _content(value: Any) -> list[Any]:
    """A system prompt's or message's blocks (a string is one block)."""
    return [value] if isinstance(value, str) else _list(value)


def _text_block(part: Any) -> Any:
    """A string as the text block it stands for: ``"hi"`` is ``[{"type": "text", "text": "hi"}]``."""
    return {"type": "text", "text": part} if isinstance(part, str) else part


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []
