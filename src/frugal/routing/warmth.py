"""Warm prompt prefixes: which model's prompt cache already holds the start of a call.

Routing destroys caches: a conversation whose 50k-token prefix is warm on one model, and whose next turn is
routed to another, pays full price for that prefix again. With the policy's ``prompt_cache: {routing:
true}`` the client keeps :class:`WarmPrefixes`, and the router prices a candidate on which the call's prefix
is warm as cached (see :meth:`~frugal.routing.decide.Router.decide`).

What counts as warm, after an answer on model M (by provider and model: caches are per account and model):

- **Anthropic** caches only up to a ``cache_control`` breakpoint: an answer whose usage shows cache reads or
  writes warms the conversation before its last user turn (where frugal's prompt cache, and most callers,
  place the last breakpoint) and the system prompt and tools alone. For the policy's ``prompt_cache.ttl``
  (5 minutes or 1 hour; an answer with 1-hour writes: 1 hour), refreshed by every use.
- **OpenAI** caches every prompt of 1,024 tokens or more by itself: the whole prompt is warm (the next turn
  starts with it), and the system prompt and tools alone, in 128-token steps, for 5 minutes (OpenAI keeps
  them 5 to 10 minutes).

A prefix is compared by hash, never kept as text: the conversation's text (``history`` then ``prompt`` of
the :class:`~frugal.request.RoutingRequest`, joined as it joins them) up to the prefix's length. Prefixes
are filed under the system prompt and tool definitions (a prefix of those alone), or those and the
conversation's first characters (a conversation's prefixes), so a lookup reads two small sets. Warmth is
kept in this process and, with a Redis ledger, shared by the fleet (:class:`FleetWarmth`): read in one
round trip before routing, written off the caller's path after the answer.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from ..providers.caching import anthropic_minimum
from ..request import tokens_of_size

if TYPE_CHECKING:
    from ..request import RoutingRequest
    from ..usage import TokenUsage

__all__ = ["FleetWarmth", "Warm", "WarmPrefixes", "encode_fleet", "parse_fleet", "warm_key"]

log = logging.getLogger("frugal")

#: OpenAI caches prompts of at least this many tokens, in steps of ``_OPENAI_STEP``.
_OPENAI_MIN_TOKENS = 1024
_OPENAI_STEP = 128
_OPENAI_TTL = 300.0
_ANTHROPIC_TTL = {"5m": 300.0, "1h": 3600.0}
_PER_MODEL = 4  # warm prefixes kept per root and model in this process: the newest
_MAX_ROOTS = 10_000
#: A conversation's warm prefixes are kept under its first characters (with its system prompt and tools).
_CONVERSATION_ROOT = 256


def warm_key(provider: str, model: str) -> str:
    """How a model is named in warmth (a provider's cache is its own)."""
    return f"{provider}:{model}"


@dataclass(frozen=True, slots=True)
class Warm:
    """A prefix warm on one model.

    Attributes:
        model: :func:`warm_key` of the model whose cache holds it.
        chars: how much of the conversation's text it covers (0: the system prompt and tools only).
        digest: the hash of that text.
        tokens: the prefix's input tokens (system prompt and tools included).
        expires: when it goes cold (seconds, the clock of :class:`WarmPrefixes`).
    """

    model: str
    chars: int
    digest: str
    tokens: int
    expires: float


class FleetWarmth(Protocol):
    """Warm prefixes shared by every process of a fleet (the Redis ledger implements it)."""

    def warm_read(self, roots: Sequence[str]) -> list[Warm]:
        """The warm prefixes recorded under ``roots`` (expired ones may be among them)."""
        ...

    def warm_write(self, entries: Mapping[str, Sequence[Warm]]) -> None:
        """Record warm prefixes, by root."""
        ...


def _hash(*parts: str) -> str:
    digest = hashlib.blake2b(digest_size=12)
    for part in parts:
        digest.update(part.encode("utf-8", "surrogatepass"))
        digest.update(b"\x00")
    return digest.hexdigest()


def _roots(request: RoutingRequest, text: str) -> tuple[str, str | None]:
    """Where a call's warm prefixes are kept: its head (system prompt and tools: shared by every
    conversation that starts with them), and its conversation (the head and the conversation's first
    :data:`_CONVERSATION_ROOT` characters; None while the conversation is shorter)."""
    head = _hash(request.operation, request.system, f"{request.tools}:{request.tool_chars}")
    if len(text) < _CONVERSATION_ROOT:
        return head, None
    return head, _hash(head, text[:_CONVERSATION_ROOT])


def _conversation(request: RoutingRequest) -> str:
    """The call's conversation text as the next turn's history will start with it."""
    if not request.history:
        return request.prompt
    return f"{request.history}\n{request.prompt}"


def _digest(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=12).hexdigest()


class WarmPrefixes:
    """Warm prompt prefixes by model, in this process and (with ``fleet``) the fleet's; thread-safe.

    Args:
        ttl: the Anthropic cache lifetime frugal asks for (``"5m"`` or ``"1h"``).
        clock: seconds; wall-clock time by default (a fleet's processes compare their entries).
        fleet: the fleet's shared store (None: this process only).
    """

    def __init__(
        self, ttl: str = "5m", clock: Callable[[], float] = time.time, fleet: FleetWarmth | None = None
    ) -> None:
        self._ttl = _ANTHROPIC_TTL[ttl]
        self._clock = clock
        self.fleet = fleet
        self._roots: dict[str, list[Warm]] = {}
        self._lock = threading.Lock()
        self._writer: ThreadPoolExecutor | None = None
        self._last_write: Future[None] | None = None

    # -- reading ---------------------------------------------------------------------------------------

    @staticmethod
    def worth_looking(request: RoutingRequest) -> bool:
        """Whether the call is long enough for a cache to matter (shorter calls skip the fleet)."""
        return request.estimated_input_tokens >= _OPENAI_MIN_TOKENS

    def read_fleet(self, request: RoutingRequest) -> list[Warm]:
        """The fleet's entries for the call (empty without a fleet, or when it fails: logged)."""
        if self.fleet is None or not self.worth_looking(request):
            return []
        head, conversation = _roots(request, _conversation(request))
        try:
            return self.fleet.warm_read([head] if conversation is None else [head, conversation])
        except Exception as exc:  # warmth only prices candidates: a failure never breaks the call
            log.warning("frugal: could not read warm prefixes from the ledger (%s)", type(exc).__name__)
            return []

    def lookup(self, request: RoutingRequest, fleet: Sequence[Warm] = ()) -> dict[str, int]:
        """Model (:func:`warm_key`) → the tokens of the call's longest prefix warm on it."""
        if not self.worth_looking(request):
            return {}
        text = _conversation(request)
        head, conversation = _roots(request, text)
        now = self._clock()
        with self._lock:
            entries = [*self._roots.get(head, ()), *self._roots.get(conversation or "", ()), *fleet]
        digests: dict[int, str] = {}
        warm: dict[str, int] = {}
        for entry in entries:
            if entry.expires < now or entry.chars > len(text) or entry.tokens <= warm.get(entry.model, 0):
                continue
            digest = digests.get(entry.chars)
            if digest is None:
                digest = digests[entry.chars] = _digest(text[: entry.chars])
            if digest == entry.digest:
                warm[entry.model] = entry.tokens
        return warm

    # -- recording -------------------------------------------------------------------------------------

    def record(
        self, request: RoutingRequest, provider: str, kind: str, model: str, usage: TokenUsage | None
    ) -> None:
        """An answer of ``model`` came: note what it left warm (see the module docstring)."""
        if usage is None:
            return
        by_root: dict[str, list[Warm]] = {}
        head = _roots(request, "")[0]
        for entry, text in self._entries(request, kind, warm_key(provider, model), model, usage):
            root = head if entry.chars == 0 else _roots(request, text)[1]
            if root is not None:
                by_root.setdefault(root, []).append(entry)
        if not by_root:
            return
        with self._lock:
            if len(self._roots) >= _MAX_ROOTS:
                self._roots.clear()
            for root, entries in by_root.items():
                self._roots[root] = _newest([*self._roots.get(root, ()), *entries])
        if self.fleet is not None:
            self._publish(by_root)

    def _entries(
        self, request: RoutingRequest, kind: str, key: str, model: str, usage: TokenUsage
    ) -> list[tuple[Warm, str]]:
        """(warm prefix, the conversation text it covers)."""
        now = self._clock()
        head = tokens_of_size(len(request.system.encode("utf-8", "surrogatepass")) + request.tool_chars)
        if kind == "anthropic":
            cached = usage.cache_read_tokens + usage.cache_write_tokens + usage.cache_write_1h_tokens
            if cached == 0:
                return []  # no breakpoint: nothing was cached
            expires = now + (_ANTHROPIC_TTL["1h"] if usage.cache_write_1h_tokens else self._ttl)
            history = request.history
            found = [(Warm(key, len(history), _digest(history), cached, expires), history)]
            if history and head >= anthropic_minimum(model):
                found.append((Warm(key, 0, _digest(""), min(head, cached), expires), ""))
            return found
        if usage.input_tokens < _OPENAI_MIN_TOKENS:
            return []
        expires = now + _OPENAI_TTL
        text = _conversation(request)
        found = [(Warm(key, len(text), _digest(text), _steps(usage.input_tokens), expires), text)]
        if head >= _OPENAI_MIN_TOKENS:
            found.append((Warm(key, 0, _digest(""), _steps(head), expires), ""))
        return found

    # -- the fleet -------------------------------------------------------------------------------------

    def _publish(self, entries: Mapping[str, Sequence[Warm]]) -> None:
        """Write to the fleet on a worker thread (the caller never waits for it)."""
        fleet = self.fleet
        assert fleet is not None
        with self._lock:
            if self._writer is None:
                self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="frugal-warmth")
            self._last_write = self._writer.submit(_write, fleet, entries)

    def flush(self) -> None:
        """Wait until what was handed to the fleet is written."""
        last = self._last_write
        if last is not None:
            last.result()

    def close(self) -> None:
        """Finish the fleet writes and stop the worker thread."""
        with self._lock:
            writer, self._writer = self._writer, None
        if writer is not None:
            writer.shutdown(wait=True)


def _steps(tokens: int) -> int:
    """OpenAI caches in 128-token steps."""
    return tokens - tokens % _OPENAI_STEP


def _newest(entries: Sequence[Warm]) -> list[Warm]:
    """The newest :data:`_PER_MODEL` entries of each model (one per length: a newer one replaces it)."""
    kept: dict[str, dict[int, Warm]] = {}
    for entry in sorted(entries, key=lambda e: e.expires, reverse=True):
        lengths = kept.setdefault(entry.model, {})
        if entry.chars not in lengths and len(lengths) < _PER_MODEL:
            lengths[entry.chars] = entry
    return [entry for lengths in kept.values() for entry in lengths.values()]


def _write(fleet: FleetWarmth, entries: Mapping[str, Sequence[Warm]]) -> None:
    try:
        fleet.warm_write(entries)
    except Exception as exc:  # never breaks a call: the next one is priced from this process's warmth
        log.warning("frugal: could not share warm prefixes through the ledger (%s)", type(exc).__name__)


def parse_fleet(fields: Mapping[bytes, bytes]) -> list[Warm]:
    """Entries stored by :meth:`encode_fleet` (malformed ones skipped)."""
    found = []
    for name, value in fields.items():
        try:
            model, chars, digest = name.decode().rsplit("|", 2)
            tokens, expires = value.decode().split("|")
            found.append(Warm(model, int(chars), digest, int(tokens), float(expires)))
        except ValueError:
            continue
    return found


def encode_fleet(entries: Sequence[Warm]) -> dict[str, str]:
    """Hash fields for ``entries``: ``model|chars|digest`` → ``tokens|expires``."""
    return {f"{e.model}|{e.chars}|{e.digest}": f"{e.tokens}|{e.expires!r}" for e in entries}
