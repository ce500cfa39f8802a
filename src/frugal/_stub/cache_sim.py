"""A simulation of the vendors' prompt caches: what a request reads from and writes to them, billed as the
vendors bill it.

Opt in with ``VendorStub(prompt_cache=True)`` (or a :class:`PromptCacheSimulation` with a clock of your
own); replies that script no usage are then billed by :mod:`.billing`. Tokens are the stub's estimate (a
quarter of the characters of text, :mod:`.prompt_blocks`). Caches are per model and live on the
simulation's clock, which a test or benchmark may drive by hand.

**Anthropic** (Messages): only prefixes that end at a ``cache_control`` breakpoint are written, in the
order tools → system → messages; a request reads the longest cached prefix ending at a block boundary
it finds by looking back at most :data:`LOOKBACK_BLOCKS` boundaries from each of its breakpoints (the
breakpoint's own included); a prefix shorter than the model's documented minimum
(:func:`~frugal.providers.caching.anthropic_minimum`: 4,096 tokens for Haiku 4.5 and Opus 4.5 / 4.6,
2,048 for Haiku 3 / 3.5, 1,024 for the others) is not cached; an entry lives 5 minutes
(1 hour with ``"ttl": "1h"``), refreshed by each hit. Tokens written are reported as ``cache_creation``
by the TTL of the breakpoint that ends them, tokens read as ``cache_read_input_tokens``, the rest as
``input_tokens``. More than :data:`MAX_BREAKPOINTS` breakpoints is the vendor's 400 error.

**OpenAI** (chat completions and Responses): automatic for prompts of 1,024 tokens or more; the prompt is
cached in steps of 128 tokens from 1,024 on, so a request reads the longest prefix, rounded down to a
step, that an earlier request of the same model sent within the TTL (5 minutes, refreshed on use; 24
hours with ``prompt_cache_retention: "24h"``); what it newly caches is reported as
``cache_write_tokens`` (billed at the input rate before the GPT-5.6 models, at 1.25× from them on, as
the catalog prices it).

Simplified: OpenAI routes a request to a cache machine by a hash of its first ~256 tokens and its
``prompt_cache_key``, and overflows a prefix sent more than ~15 times a minute to other machines. Here the
key is a partition of the cache and nothing overflows: a request hits only what was cached under the same
key (or, without one, under no key). A key therefore never raises the simulated hit rate; one that
changes from request to request lowers it, as it would on the vendor's fleet. Explicit OpenAI breakpoints
(``prompt_cache_breakpoint``), images and structured-output schemas are not modelled.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..providers.caching import anthropic_minimum
from .prompt_blocks import Block, anthropic_blocks, openai_blocks, tokens

__all__ = [
    "LOOKBACK_BLOCKS",
    "MAX_BREAKPOINTS",
    "CacheRuleError",
    "InputBill",
    "PromptCacheSimulation",
    "anthropic_minimum",
]

#: How many block boundaries Anthropic checks for a cached prefix from each breakpoint, its own included.
LOOKBACK_BLOCKS = 20
#: Anthropic accepts at most this many ``cache_control`` breakpoints in one request.
MAX_BREAKPOINTS = 4
_ANTHROPIC_TTL = {"5m": 300.0, "1h": 3600.0}
_OPENAI_MIN_TOKENS = 1024
_OPENAI_STEP = 128
_OPENAI_TTL = 300.0
_OPENAI_EXTENDED_TTL = 86_400.0
_PRUNE_EVERY = 4096  # writes between sweeps of expired entries


class CacheRuleError(ValueError):
    """A request the vendor refuses for its cache markers (its message is the vendor's)."""


@dataclass(frozen=True, slots=True)
class InputBill:
    """A request's input tokens as the vendor bills them.

    Attributes:
        input_tokens: all input tokens, cache reads and writes included.
        cache_read_tokens: read from the cache.
        cache_write_tokens: written with a 5-minute TTL (OpenAI: newly cached).
        cache_write_1h_tokens: written with a 1-hour TTL.
    """

    input_tokens: int
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    cache_write_1h_tokens: int = 0


class PromptCacheSimulation:
    """The vendors' prompt caches, per model, on an injectable clock; thread-safe.

    Args:
        clock: seconds, read at each request (default: ``time.monotonic``); only differences matter, so
            a test can pass a callable it advances by hand.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._entries: dict[tuple[str, str, bytes], tuple[float, float]] = {}  # -> (expiry, ttl)
        self._lock = threading.Lock()
        self._writes = 0

    def clear(self) -> None:
        """Forget every cached prefix."""
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        """How many cache entries are held (expired ones included until swept)."""
        with self._lock:
            return len(self._entries)

    def bill(self, kind: str, body: Mapping[str, Any], model: str) -> InputBill:
        """Apply one request to the caches and say how its input is billed.

        Args:
            kind: ``"messages"`` (Anthropic), ``"chat"`` or ``"responses"`` (OpenAI).
            body: the request's JSON body.
            model: the requested model (each model has its own cache).

        Raises:
            CacheRuleError: an Anthropic request with more than :data:`MAX_BREAKPOINTS` breakpoints.
        """
        if kind == "messages":
            return self._anthropic(anthropic_blocks(body), model)
        key = body.get("prompt_cache_key")
        ttl = _OPENAI_EXTENDED_TTL if body.get("prompt_cache_retention") == "24h" else _OPENAI_TTL
        return self._openai(openai_blocks(kind, body), model, key if isinstance(key, str) else "", ttl)

    # -- Anthropic ---------------------------------------------------------------------------------------

    def _anthropic(self, blocks: Sequence[Block], model: str) -> InputBill:
        ends: list[int] = []  # the tokens of the prefix ending with each block
        digests: list[bytes] = []
        running = hashlib.blake2b(digest_size=16)
        characters = 0
        for block in blocks:
            characters += len(block.text)
            ends.append(tokens(characters))
            running.update(block.identity.encode("utf-8", "surrogatepass") + b"\x1e")
            digests.append(running.copy().digest())
        total = max(1, tokens(characters))
        breakpoints = [i for i, block in enumerate(blocks) if block.ttl is not None]
        if len(breakpoints) > MAX_BREAKPOINTS:
            raise CacheRuleError(
                f"A maximum of {MAX_BREAKPOINTS} blocks with cache_control may be provided. "
                f"Found {len(breakpoints)}."
            )
        if not breakpoints:
            return InputBill(total)
        minimum = anthropic_minimum(model)
        with self._lock:
            now = self.clock()
            read_at = -1
            for point in breakpoints:
                for index in range(point, max(-1, point - LOOKBACK_BLOCKS), -1):
                    if index <= read_at:
                        break
                    if self._alive(("anthropic", model, digests[index]), now):
                        read_at = index
                        break
            if read_at >= 0:
                self._touch(("anthropic", model, digests[read_at]), now)
            read = ends[read_at] if read_at >= 0 else 0
            written = {"5m": 0, "1h": 0}
            covered = read
            for point in breakpoints:
                if point <= read_at or ends[point] < minimum:
                    continue
                ttl = blocks[point].ttl or "5m"
                self._put(("anthropic", model, digests[point]), now, _ANTHROPIC_TTL[ttl])
                written[ttl] += ends[point] - covered
                covered = ends[point]
        return InputBill(total, read, written["5m"], written["1h"])

    # -- OpenAI ------------------------------------------------------------------------------------------

    def _openai(self, blocks: Sequence[Block], model: str, key: str, ttl: float) -> InputBill:
        characters = sum(len(block.text) for block in blocks)
        total = max(1, tokens(characters))
        if total < _OPENAI_MIN_TOKENS:
            return InputBill(total)
        steps = _prefix_digests(blocks, range(_OPENAI_MIN_TOKENS, characters // 4 + 1, _OPENAI_STEP))
        with self._lock:
            now = self.clock()
            read = 0
            for length, digest in reversed(steps):
                if self._alive(("openai", model + "\x1f" + key, digest), now):
                    read = length
                    break
            for _, digest in steps:
                self._put(("openai", model + "\x1f" + key, digest), now, ttl)
        cached = steps[-1][0] if steps else 0
        return InputBill(total, read, max(0, cached - read))

    # -- the store (called with the lock held) -----------------------------------------------------------

    def _alive(self, key: tuple[str, str, bytes], now: float) -> bool:
        entry = self._entries.get(key)
        return entry is not None and now < entry[0]

    def _touch(self, key: tuple[str, str, bytes], now: float) -> None:
        _, ttl = self._entries[key]
        self._entries[key] = (now + ttl, ttl)

    def _put(self, key: tuple[str, str, bytes], now: float, ttl: float) -> None:
        self._entries[key] = (now + ttl, ttl)
        self._writes += 1
        if self._writes % _PRUNE_EVERY == 0:
            for stale in [k for k, (expiry, _) in self._entries.items() if expiry <= now]:
                del self._entries[stale]


def _prefix_digests(blocks: Sequence[Block], lengths: range) -> list[tuple[int, bytes]]:
    """The digest of the prompt's first ``n`` tokens (``4n`` characters of text), for each ``n`` of
    ``lengths``: whole blocks by their full content, the block the cut falls in by its role and text."""
    out: list[tuple[int, bytes]] = []
    cuts = iter(lengths)
    cut = next(cuts, None)
    running = hashlib.blake2b(digest_size=16)
    start = 0
    for block in blocks:
        end = start + len(block.text)
        if cut is not None and cut * 4 <= end:
            inside = running.copy()
            inside.update(block.role.encode("utf-8", "surrogatepass") + b"\x1f")
            done = start
            while cut is not None and cut * 4 <= end:
                inside.update(block.text[done - start : cut * 4 - start].encode("utf-8", "surrogatepass"))
                done = cut * 4
                out.append((cut, inside.copy().digest()))
                cut = next(cuts, None)
        running.update(block.identity.encode("utf-8", "surrogatepass") + b"\x1e")
        start = end
    return out
