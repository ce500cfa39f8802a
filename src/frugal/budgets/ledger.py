"""The ledger: one record per client call, and the spend counters budgets are checked against.

A :class:`Ledger` stores two things:

- **counters** in integer nano-dollars (so sums are exact and order-free), keyed
  ``{budget}|{scope value}|{window key}``; :meth:`Ledger.reserve` checks a call's estimate against every
  matching limit and adds it, atomically; :meth:`Ledger.settle` replaces the estimate by the actual cost
  and appends the call's :class:`LedgerRecord`, atomically and at most once per record id;
- **records**: who (user, team, feature, route), which models, tokens, cost, baseline, savings, outcome,
  latency, trace id. Never prompt or answer text.

Backends: :class:`~frugal.budgets.memory.MemoryLedger` (one process), ``SQLiteLedger`` (one host, many
processes), ``RedisLedger`` (a fleet), chosen by URL with :func:`open_ledger`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple, Protocol, runtime_checkable

from ..exceptions import ConfigError

__all__ = [
    "NANO",
    "Admission",
    "Check",
    "Hold",
    "Ledger",
    "LedgerRecord",
    "from_nano",
    "open_ledger",
    "to_nano",
]

#: Counters count nano-dollars: $1 is 10**9.
NANO = 1_000_000_000


def to_nano(usd: float, *, up: bool = False) -> int:
    """USD as integer nano-dollars (``up``: an estimate, rounded up so a reservation is never short)."""
    scaled = usd * NANO
    return math.ceil(scaled) if up else round(scaled)


def from_nano(nano: int) -> float:
    """Integer nano-dollars as USD."""
    return nano / NANO


class LedgerRecord(NamedTuple):
    """One client call, as the ledger keeps it (no prompt or answer text, ever).

    A named tuple: a flat, immutable row that every store writes as it is (SQLite columns, Redis and
    spool JSON, the in-memory ledger's columns).

    Attributes:
        id: unique id (settling the same record twice counts it once).
        time: when the call started, seconds since the epoch (UTC).
        operation: ``chat``, ``messages``, ``responses``, ``embeddings``.
        user: the caller's user id (hashed when the policy's ``hash_user_ids`` is on), or None.
        team, feature: from the routing context, or None.
        route: the route that decided, or None for an unrouted call.
        requested_model: what the caller named (``auto``, a route, a model).
        model, provider: the model and provider of the last attempt (the one that answered, on success).
        tier: the tier routing chose (``requested`` when a model was honoured), or None.
        requested_tier: the tier of the requested model in the policy, when it is in one.
        routed_down: the requested model's tier is above the tier routing chose (a premium model asked
            for a prompt that a cheaper tier could serve).
        input_tokens ... reasoning_tokens: all attempts' tokens (input includes cache reads and writes).
        cost_usd: what all attempts cost; None when a price is unknown.
        baseline_cost_usd: what the baseline model would have cost for the same tokens.
        savings_usd: baseline minus cost.
        estimated_cost_usd: the pre-call estimate that was reserved.
        outcome: ``ok``, ``error``, ``abandoned`` (a stream closed early) or ``blocked`` (by a budget).
        error_type: the exception's class name when the call failed or was blocked.
        latency_s: seconds from the call to its answer (a stream's end).
        attempts: vendor requests made.
        trace_id: the call span's trace id, when spans are recorded.
        downgraded: the budget that capped the call (action ``downgrade``), or None.
        escalations: how many tiers a cascade route moved the call up (its answers failed their checks).
        finish_reason: how the answer ended, in its vendor's words (``length`` / ``max_tokens``: cut by the
            output limit), or None.
        cache_savings_usd: what prompt caching saved on this call (cache reads at their discount, less the
            cost of cache writes), or None when a price is unknown.
        service_tier: the vendor service tier that served it, when the answer says (``flex``: background
            work at batch prices).
        response_id: the answer's id, as the vendor gave it (``frugal.call_id(response)``: what
            ``client.feedback()`` names a call by), or None.
        shadow_of: for a shadow call (the baseline model answering a routed call again, to compare), the
            call it shadows; None for the caller's own calls.
    """

    id: str
    time: float
    operation: str
    user: str | None = None
    team: str | None = None
    feature: str | None = None
    route: str | None = None
    requested_model: str | None = None
    model: str | None = None
    provider: str | None = None
    tier: str | None = None
    requested_tier: str | None = None
    routed_down: bool = False
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    reasoning_tokens: int = 0
    cost_usd: float | None = None
    baseline_cost_usd: float | None = None
    savings_usd: float | None = None
    estimated_cost_usd: float | None = None
    outcome: str = "ok"
    error_type: str | None = None
    latency_s: float = 0.0
    attempts: int = 0
    trace_id: str | None = None
    downgraded: str | None = None
    escalations: int = 0
    finish_reason: str | None = None
    cache_savings_usd: float | None = None
    service_tier: str | None = None
    response_id: str | None = None
    shadow_of: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return self._asdict()

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LedgerRecord:
        """From :meth:`to_dict` output (unknown keys are ignored, so newer writers stay readable)."""
        return cls(**{name: data[name] for name in FIELDS if name in data})


FIELDS: tuple[str, ...] = LedgerRecord._fields


class Check(NamedTuple):
    """One budget's limit for one call, as the store checks it.

    Attributes:
        keys: the counters whose sum is the spend in the window (rolling: every bucket).
        current: the counter this call's reservation goes to (the last of ``keys``).
        limit: the limit in nano-dollars.
        refuse: refuse the reservation when it would cross the limit (``block``, and ``downgrade``
            before the call is capped); otherwise only count it.
        ttl: seconds the current counter must live.
        amount: what this check's counter gets, when not the reservation's amount (1 for a budget that
            counts calls); such a counter is not settled afterwards.
    """

    keys: tuple[str, ...]
    current: str
    limit: int
    refuse: bool
    ttl: int
    amount: int | None = None


class Hold(NamedTuple):
    """What a reservation added: ``amount`` nano-dollars to each counter of ``counters``."""

    counters: tuple[tuple[str, int], ...]
    amount: int

    def to_dict(self) -> dict[str, Any]:
        return {"counters": [list(c) for c in self.counters], "amount": self.amount}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Hold:
        return cls(tuple((str(k), int(t)) for k, t in data["counters"]), int(data["amount"]))


class Admission(NamedTuple):
    """The store's answer to a reservation.

    Attributes:
        refused: the index of the first refusing check that the call would cross, or None (reserved).
        totals: each check's spend before this call (nano-dollars, other calls' reservations included).
    """

    refused: int | None
    totals: tuple[int, ...]


@runtime_checkable
class Ledger(Protocol):
    """A store of spend counters and call records.

    Implementations make :meth:`reserve` and :meth:`settle` atomic with respect to every other process
    using the same store, and :meth:`settle` idempotent per record id.
    """

    #: The URL it was opened from (``memory://``, ``sqlite:///...``, ``redis://...``).
    url: str
    #: Whether calls do I/O (the async client runs them in a worker thread).
    blocking: bool

    def reserve(self, checks: Sequence[Check], amount: int) -> Admission:
        """Atomically: if no refusing check would go over its limit, add ``amount`` (or the check's own
        ``amount``) to each current key."""
        ...

    def settle(self, hold: Hold, actual: int, record: LedgerRecord) -> None:
        """Atomically: add ``actual - hold.amount`` to the held counters and append ``record`` (once)."""
        ...

    def settle_many(self, settlements: Sequence[tuple[Hold, int, LedgerRecord]]) -> None:
        """:meth:`settle` each of ``settlements`` (each atomic and idempotent on its own), in as few round
        trips as the store allows."""
        ...

    def records(self, since: float | None = None, until: float | None = None) -> list[LedgerRecord]:
        """Records with ``since <= time < until``, oldest first."""
        ...

    def counters(self, prefix: str = "") -> dict[str, int]:
        """Counters whose key starts with ``prefix`` (nano-dollars)."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...


def max_records_of(url: str, default: int) -> int:
    """``memory://?max_records=N``: how many records the in-memory ledger keeps (0: all).

    Raises:
        ConfigError: anything else after ``memory://``.
    """
    rest = url.split("://", 1)[1]
    if not rest:
        return default
    name, _, value = rest.removeprefix("?").partition("=")
    if rest.startswith("?") and name == "max_records" and value.isdigit():
        return int(value)
    raise ConfigError(
        f"ledger url {url!r}: the in-memory ledger takes only ?max_records=N (N records kept, 0: all)"
    )


def open_ledger(url: str) -> Ledger:
    """The ledger a URL names: ``memory://``, ``sqlite:///path``, ``redis://host:port/db``.

    Raises:
        ConfigError: an unknown scheme, or a Redis URL without the ``redis`` package installed.
    """
    scheme = url.split("://", 1)[0] if "://" in url else ""
    if scheme == "memory":
        from .memory import DEFAULT_MAX_RECORDS, MemoryLedger

        return MemoryLedger(max_records_of(url, DEFAULT_MAX_RECORDS))
    if scheme == "sqlite":
        from .sqlite import SQLiteLedger

        return SQLiteLedger(url)
    if scheme in ("redis", "rediss", "unix"):
        from .redis import RedisLedger

        return RedisLedger(url)
    raise ConfigError(f"unknown ledger url {url!r}: expected memory://, sqlite:///path or redis://host:port")
