"""A scripted reply billed as the vendor would bill it: input from the request and the prompt caches,
output from the answer itself, cut at the request's output limit.

Used when the stub simulates prompt caches (``VendorStub(prompt_cache=True)``) and a reply scripts no
usage of its own:

- input: :meth:`.cache_sim.PromptCacheSimulation.bill` (all input tokens, cache reads and writes);
- output: a quarter of the characters of the reply's text and tool calls (names and JSON arguments),
  rounded up, at least 1;
- the output limit the request gives (``max_tokens`` / ``max_completion_tokens`` for chat,
  ``max_output_tokens`` for Responses, ``max_tokens`` for Messages): an answer longer than it is cut
  there, as a model stops mid-answer: its text is shortened to the limit, its tool calls dropped, and
  it stops for length (``length`` / ``max_tokens`` / an ``incomplete`` Response).

Reasoning tokens are not simulated.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from .cache_sim import PromptCacheSimulation
from .prompt_blocks import tokens
from .script import Reply, Usage

__all__ = ["billed", "output_limit", "output_tokens"]

_LIMIT_KEYS = {
    "chat": ("max_completion_tokens", "max_tokens"),
    "responses": ("max_output_tokens",),
    "messages": ("max_tokens",),
}


def output_tokens(reply: Reply) -> int:
    """The stub's count of a reply's output tokens: its text and tool calls, a quarter of the characters."""
    characters = len(reply.text or "")
    characters += sum(len(call.name) + len(call.arguments_json()) for call in reply.tool_calls)
    return max(1, tokens(characters))


def output_limit(kind: str, body: Mapping[str, Any]) -> int | None:
    """The output limit a request gives, or None."""
    for key in _LIMIT_KEYS.get(kind, ()):
        value = body.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value
    return None


def billed(
    reply: Reply, kind: str, body: Mapping[str, Any], model: str, cache: PromptCacheSimulation
) -> Reply:
    """``reply`` with the usage the vendor would bill for ``body`` (and cut at its output limit).

    Args:
        reply: the scripted reply; one with a usage of its own is returned as it is.
        kind: ``"chat"``, ``"responses"`` or ``"messages"``.
        body: the request's JSON body.
        model: the requested model.
        cache: the prompt-cache simulation the request reads and writes.

    Raises:
        CacheRuleError: the vendor refuses the request's cache markers.
    """
    if reply.usage is not None:
        return reply
    bill = cache.bill(kind, body, model)
    produced = output_tokens(reply)
    limit = output_limit(kind, body)
    if limit is not None and produced > limit:
        reply = dataclasses.replace(
            reply, text=(reply.text or "")[: limit * 4], tool_calls=(), stop_reason="length"
        )
        produced = limit
    usage = Usage(
        input_tokens=bill.input_tokens,
        output_tokens=produced,
        cache_read_tokens=bill.cache_read_tokens,
        cache_write_tokens=bill.cache_write_tokens,
        cache_write_1h_tokens=bill.cache_write_1h_tokens,
    )
    return dataclasses.replace(reply, usage=usage)
