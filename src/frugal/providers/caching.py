"""Provider prompt caching, used automatically: cache breakpoints for Claude, cache keys for OpenAI.

Cached input costs a tenth of the input price on Anthropic (a 5-minute write costs 1.25×, a 1-hour write
2×) and is automatic on OpenAI for prompts of 1,024 tokens or more, where a ``prompt_cache_key`` raises the
hit rate. On long system prompts, RAG context and agent loops that is most of the input bill. With the
policy's ``prompt_cache:`` on, every request a provider sends in its own shape (after any translation)
goes through :class:`PromptCache`:

- **Anthropic**: when the caller marked nothing, ``cache_control`` breakpoints go on the stable prefix (the
  last tool definition, the last system block, the last block before the final user turn), at most
  :data:`MAX_BREAKPOINTS`, when that prefix is at least the model's minimum cacheable length. Reuse is
  tracked per prefix in this process: a prefix seen again within the TTL is a hit; once a prefix has been
  sent a few times and is reused less often than the break-even, frugal stops marking it (a 5-minute write
  costs 0.25× the prefix's input price more, a hit saves 0.9×: hits must be about 22 % of its sends; 53 %
  for the 1-hour cache, whose writes cost 1× more: :func:`break_even`).
- **OpenAI**: ``prompt_cache_key`` from the hash of the stable head (tools, system prompt), unless the
  caller set one: the same key for every turn of every conversation that starts the same way.
- A system prompt whose start changes from call to call while the rest stays (a timestamp or an id at
  the top) defeats any cache: one warning per prompt says so.

What caching saved is measured whatever this setting says (``frugal.cache.savings.usd``, the ledger's
``cache_savings_usd``, ``frugal report``).
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .._util import warn_once

__all__ = ["MAX_BREAKPOINTS", "CacheSettings", "PromptCache", "anthropic_minimum", "break_even"]

#: Anthropic accepts at most this many cache breakpoints in one request.
MAX_BREAKPOINTS = 4
#: What a cache write costs above the input price, as a share of it, by TTL (1.25× and 2×); a hit saves 0.9.
_WRITE_PREMIUM = {"5m": 0.25, "1h": 1.0}
_HIT_SAVES = 0.9


def break_even(ttl: str) -> float:
    """The share of a prefix's sends that must be cache hits for marking it to pay. A send is a write
    (costs the premium) or a hit (saves 0.9): hits / sends >= premium / (premium + 0.9), so about 22 %
    for the 5-minute cache (writes 1.25×) and 53 % for the 1-hour one (writes 2×)."""
    premium = _WRITE_PREMIUM[ttl]
    return premium / (premium + _HIT_SAVES)


def anthropic_minimum(model: str) -> int:
    """The shortest prefix Anthropic caches for ``model``, in tokens (its documented minimums): 4,096 for
    Claude Haiku 4.5, Opus 4.5 and Opus 4.6, 2,048 for Haiku 3 and 3.5, 1,024 for the others."""
    name = model.lower()
    if any(tag in name for tag in ("haiku-4-5", "opus-4-5", "opus-4-6")):
        return 4096
    if "haiku" in name and ("claude-3" in name or "haiku-3" in name):
        return 2048
    return 1024


_SAMPLES = 4  # sends of a prefix before its reuse is judged
_TTL_SECONDS = {"5m": 300.0, "1h": 3600.0}
_OPENAI_MIN_TOKENS = 1024
_MAX_PREFIXES = 10_000


@dataclass(frozen=True, slots=True)
class CacheSettings:
    """The policy's ``prompt_cache:``.

    Attributes:
        anthropic: insert cache breakpoints on Anthropic requests whose caller set none.
        openai: set ``prompt_cache_key`` on OpenAI requests whose caller set none.
        ttl: the Anthropic cache's lifetime asked for: ``"5m"`` (writes 1.25×) or ``"1h"`` (writes 2×).
        min_tokens: the shortest prefix worth marking (None: the model's documented minimum).
    """

    anthropic: bool = False
    openai: bool = False
    ttl: str = "5m"
    min_tokens: int | None = None


def _tokens(*parts: Any) -> int:
    """A quick estimate of the tokens of JSON-able parts (characters / 4)."""
    return sum(len(json.dumps(part, separators=(",", ":"), default=str)) for part in parts if part) // 4


def _digest(*parts: Any) -> str:
    text = json.dumps(parts, separators=(",", ":"), sort_keys=True, default=str)
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=12).hexdigest()


def _marked(value: Any) -> bool:
    """Whether the caller already placed a ``cache_control`` anywhere in ``value``."""
    if isinstance(value, Mapping):
        return "cache_control" in value or any(_marked(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(_marked(item) for item in value)
    return False


class _Reuse:
    """How often each prefix is sent again within the TTL, in this process."""

    def __init__(self) -> None:
        self._seen: dict[str, tuple[float, int, int]] = {}  # hash -> (last sent, sends, hits)
        self._lock = threading.Lock()

    def sent(self, prefix: str, now: float, ttl: float, needed: float) -> bool:
        """Count one send of ``prefix``; whether it is still worth marking (hits are at least ``needed``
        of its sends)."""
        with self._lock:
            last, sends, hits = self._seen.get(prefix, (-1e18, 0, 0))
            hits += 1 if now - last <= ttl else 0
            sends += 1
            if len(self._seen) >= _MAX_PREFIXES and prefix not in self._seen:
                self._seen.clear()
            self._seen[prefix] = (now, sends, hits)
            return sends < _SAMPLES or hits / sends >= needed


class PromptCache:
    """Marks requests for the vendors' prompt caches (see the module docstring); thread-safe."""

    def __init__(self, settings: CacheSettings, clock: Callable[[], float] = time.monotonic) -> None:
        self.settings = settings
        self._clock = clock
        self._reuse = _Reuse()
        self._systems: dict[str, str] = {}  # the tail of a system prompt -> its last head
        self._lock = threading.Lock()

    # -- Anthropic ---------------------------------------------------------------------------------------

    def anthropic(self, kwargs: dict[str, Any], model: str) -> dict[str, Any]:
        """``messages.create`` arguments with cache breakpoints on their stable prefix, when worth it."""
        system, tools, messages = kwargs.get("system"), kwargs.get("tools"), kwargs.get("messages")
        self._watch_system(system)
        if not self.settings.anthropic or not isinstance(messages, list):
            return kwargs
        if _marked(system) or _marked(tools) or _marked(messages):
            return kwargs  # the caller placed their own breakpoints
        last_user = max(
            (i for i, m in enumerate(messages) if isinstance(m, Mapping) and m.get("role") == "user"),
            default=-1,
        )
        history = messages[:last_user] if last_user > 0 else []
        minimum = self.settings.min_tokens or anthropic_minimum(model)
        if _tokens(system, tools, history) < minimum:
            return kwargs
        ttl = self.settings.ttl
        prefix = _digest(model, system, tools, history)
        if not self._reuse.sent(prefix, self._clock(), _TTL_SECONDS[ttl], break_even(ttl)):
            return kwargs
        marker: dict[str, Any] = {"type": "ephemeral"} if ttl == "5m" else {"type": "ephemeral", "ttl": ttl}
        out = dict(kwargs)
        placed = 0
        if isinstance(tools, list) and tools and isinstance(tools[-1], Mapping):
            out["tools"] = [*tools[:-1], {**tools[-1], "cache_control": marker}]
            placed += 1
        if system:
            blocks = [{"type": "text", "text": system}] if isinstance(system, str) else list(system)
            if blocks and isinstance(blocks[-1], Mapping):
                out["system"] = [*blocks[:-1], {**blocks[-1], "cache_control": marker}]
                placed += 1
        if history and placed < MAX_BREAKPOINTS:
            out["messages"] = [*_marked_last(history, marker), *messages[last_user:]]
        return out

    # -- OpenAI ----------------------------------------------------------------------------------------

    def openai(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        """Chat or Responses arguments with a ``prompt_cache_key`` from their stable head (tools, system
        or developer messages, instructions), when the prompt is long enough to be cached. The key names
        the head, not the conversation: every turn of every conversation that starts the same way goes
        to the same cache (a key that changed each turn would send each turn where nothing is cached)."""
        messages = kwargs.get("messages")
        head: list[Any]
        if isinstance(messages, list):
            head = [
                m for m in messages if isinstance(m, Mapping) and m.get("role") in ("system", "developer")
            ]
            self._watch_system(head[0].get("content") if head else None)
        else:
            head = [kwargs.get("instructions")] if kwargs.get("instructions") else []
            self._watch_system(kwargs.get("instructions"))
        if not self.settings.openai or kwargs.get("prompt_cache_key"):
            return kwargs
        tools = kwargs.get("tools")
        if not head and not tools:
            return kwargs  # nothing stable to name
        if _tokens(tools, messages if isinstance(messages, list) else kwargs.get("input"), head) < (
            _OPENAI_MIN_TOKENS
        ):
            return kwargs
        return {**kwargs, "prompt_cache_key": f"frugal-{_digest(tools, head)[:16]}"}

    # -- unstable prefixes -------------------------------------------------------------------------------

    def _watch_system(self, system: Any) -> None:
        """Warn (once per prompt) when a system prompt's start changes while its long tail stays."""
        text = system if isinstance(system, str) else ""
        if isinstance(system, list):
            text = "".join(b.get("text", "") for b in system if isinstance(b, Mapping))
        if len(text) < 400:
            return
        head, tail = text[:200], text[200:]
        key = hashlib.blake2b(tail.encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()
        with self._lock:
            before = self._systems.get(key)
            if len(self._systems) >= _MAX_PREFIXES:
                self._systems.clear()
            self._systems[key] = head
        if before is not None and before != head:
            warn_once(
                f"unstable-prefix:{key}",
                "frugal prompt cache: the start of a system prompt changes from call to call while the rest "
                "stays the same (a timestamp or an id at the top?): no prompt cache can reuse it. Move what "
                "changes to the end of the prompt.",
            )


def _marked_last(history: list[Any], marker: dict[str, Any]) -> list[Any]:
    """``history`` with a breakpoint on the last block of its last message."""
    last = history[-1]
    if not isinstance(last, Mapping):
        return history
    content = last.get("content")
    if isinstance(content, str):
        blocks: list[Any] = [{"type": "text", "text": content}]
    elif isinstance(content, list) and content and isinstance(content[-1], Mapping):
        blocks = list(content)
    else:
        return history
    blocks[-1] = {**blocks[-1], "cache_control": marker}
    return [*history[:-1], {**last, "content": blocks}]
