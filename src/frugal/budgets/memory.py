"""The in-memory ledger: one process, no I/O.

Counters live as long as their window (as in Redis and SQLite). Records are kept as columns (typed
arrays for numbers, a shared table for repeated strings such as models and teams, the vendors' response
ids packed end to end), so a kept record costs about 250 bytes instead of the ~1 KB of a tuple of Python
objects; the newest 100,000 are kept unless ``memory://?max_records=N`` says otherwise (``0``: all of
them), about 25 MB.
"""

from __future__ import annotations

import bisect
import logging
import math
import sys
import threading
import time
import warnings
from array import array
from collections.abc import Sequence
from typing import Any

from ..exceptions import FrugalWarning
from .ledger import FIELDS, Admission, Check, Hold, LedgerRecord

__all__ = ["DEFAULT_MAX_RECORDS", "MemoryLedger"]

_SWEEP_AT = 4096  # counters before the first look for ended windows
#: Records the in-memory ledger keeps unless told otherwise (about 20 MB of them).
DEFAULT_MAX_RECORDS = 100_000

log = logging.getLogger("frugal.ledger")

_NUMBERS = {
    "time",
    "cost_usd",
    "baseline_cost_usd",
    "savings_usd",
    "estimated_cost_usd",
    "latency_s",
    "cache_savings_usd",
}
_COUNTS = {
    "input_tokens",
    "output_tokens",
    "cache_read_tokens",
    "cache_write_tokens",
    "reasoning_tokens",
    "attempts",
    "escalations",
}
_HEX = frozenset("0123456789abcdef")
_NO_TRACE = bytes(16)


def _split_id(record_id: str) -> tuple[str, int] | None:
    """frugal's own record ids (16 hex digits of this process, then a hex counter) as (prefix, counter)."""
    prefix, counter = record_id[:16], record_id[16:]
    if len(prefix) == 16 and counter and _HEX.issuperset(record_id) and len(counter) <= 15:
        number = int(counter, 16)
        if format(number, "x") == counter:
            return prefix, number
    return None


class _Packed:
    """A column of strings that are mostly unique (the vendors' response ids): their UTF-8 bytes end to end
    in one ``bytearray``, and where each record's text ends. A record costs its text's length and 8 bytes,
    where a ``str`` in the shared string table costs ~140 bytes and stays there after its record is
    dropped (the table only grows: it is for the few distinct models, teams and outcomes)."""

    def __init__(self) -> None:
        self._text = bytearray()
        # Where each record's text ends, counted from the first byte ever kept; -1 - end for None.
        self._ends = array("q")
        self._dropped = 0  # bytes of the records dropped so far: where _text[0] stands

    def _end(self, at: int) -> int:
        """Where record ``at``'s text ends (where the kept text starts, before the first record)."""
        if at < 0:
            return self._dropped
        end = self._ends[at]
        return end if end >= 0 else -1 - end

    def insert(self, at: int, value: str | None) -> None:
        start = self._end(at - 1)
        data = b"" if value is None else value.encode("utf-8", "surrogatepass")
        self._text[start - self._dropped : start - self._dropped] = data
        if data:
            # Records arrive nearly in time order, so few records (usually none) come after this one.
            for later in range(at, len(self._ends)):
                end = self._ends[later]
                self._ends[later] = end + len(data) if end >= 0 else end - len(data)
        end = start + len(data)
        self._ends.insert(at, end if value is not None else -1 - end)

    def get(self, at: int) -> str | None:
        end = self._ends[at]
        if end < 0:
            return None
        start = self._end(at - 1)
        return self._text[start - self._dropped : end - self._dropped].decode("utf-8", "surrogatepass")

    def drop_oldest(self, count: int) -> None:
        if count <= 0:
            return
        cut = self._end(count - 1)
        del self._text[: cut - self._dropped]
        del self._ends[:count]
        self._dropped = cut


#: String fields kept packed (:class:`_Packed`) rather than in the string table: unique per record.
_UNIQUE = ("response_id", "shadow_of")


class _Columns:
    """Records as columns: ``array('d')`` for money and times (NaN for None), ``array('q')`` for token
    counts, ``array('b')`` for flags, indices into one table of distinct strings for repeated strings
    (models, teams, outcomes, ...), response ids packed (:class:`_Packed`). Record ids of frugal's own form
    and trace ids are kept as numbers and bytes; any other id or trace id is kept as it is."""

    def __init__(self) -> None:
        self.columns: dict[str, Any] = {}
        for name in FIELDS:
            if name in _NUMBERS:
                self.columns[name] = array("d")
            elif name in _COUNTS:
                self.columns[name] = array("q")
            elif name == "routed_down":
                self.columns[name] = array("b")
            elif name in _UNIQUE:
                self.columns[name] = _Packed()
            elif name not in ("id", "trace_id"):
                self.columns[name] = array("I")
        self._id_prefix = array("I")  # the id's prefix in the string table (0: the id is in _id_other)
        self._id_counter = array("q")
        self._id_other: list[str | None] = []
        self._trace = bytearray()  # 16 bytes a record; all zero: none, or in _trace_other
        self._trace_other = array("I")  # a trace id that is not 32 hex digits, in the string table
        self._strings: list[str | None] = [None]
        self._index: dict[str | None, int] = {None: 0}

    def _code(self, value: str | None) -> int:
        code = self._index.get(value)
        if code is None:
            code = self._index[value] = len(self._strings)
            self._strings.append(value)
        return code

    def insert(self, at: int, record: LedgerRecord) -> None:
        for name, value in zip(FIELDS, record, strict=True):
            if name in ("id", "trace_id"):
                continue
            column = self.columns[name]
            if name in _NUMBERS:
                column.insert(at, math.nan if value is None else value)
            elif name in _COUNTS or name == "routed_down" or name in _UNIQUE:
                column.insert(at, value)
            else:
                column.insert(at, self._code(value if isinstance(value, str) else None))
        split = _split_id(record.id)
        self._id_prefix.insert(at, self._code(split[0]) if split else 0)
        self._id_counter.insert(at, split[1] if split else 0)
        self._id_other.insert(at, None if split else record.id)
        trace = record.trace_id
        packed = bytes.fromhex(trace) if trace and len(trace) == 32 and _HEX.issuperset(trace) else None
        self._trace[16 * at : 16 * at] = packed if packed is not None and packed != _NO_TRACE else _NO_TRACE
        self._trace_other.insert(at, 0 if packed is not None or trace is None else self._code(trace))

    def record_id(self, at: int) -> str:
        other = self._id_other[at]
        if other is not None:
            return other
        return f"{self._strings[self._id_prefix[at]]}{self._id_counter[at]:x}"

    def row(self, at: int) -> LedgerRecord:
        values: dict[str, Any] = {}
        for name, column in self.columns.items():
            if name in _UNIQUE:
                values[name] = column.get(at)
                continue
            value = column[at]
            if name in _NUMBERS:
                values[name] = None if math.isnan(value) else value
            elif name == "routed_down":
                values[name] = bool(value)
            elif name in _COUNTS:
                values[name] = value
            else:
                values[name] = self._strings[value]
        trace = bytes(self._trace[16 * at : 16 * at + 16])
        other = self._trace_other[at]
        values["trace_id"] = self._strings[other] if other else (trace.hex() if trace != _NO_TRACE else None)
        return LedgerRecord(id=self.record_id(at), **values)

    def drop_oldest(self, count: int) -> None:
        for name in _UNIQUE:
            self.columns[name].drop_oldest(count)
        for column in (
            *(column for name, column in self.columns.items() if name not in _UNIQUE),
            self._id_prefix,
            self._id_counter,
            self._id_other,
            self._trace_other,
        ):
            del column[:count]
        del self._trace[: 16 * count]


class MemoryLedger:
    """Counters and records in this process; thread-safe. The default when budgets need a ledger."""

    url = "memory://"
    blocking = False

    def __init__(self, max_records: int = DEFAULT_MAX_RECORDS) -> None:
        """Args:
        max_records: how many records are kept, the newest (0: all). Older ones are dropped, with a
            warning the first time, so that a long-running process with the default ledger does not
            grow without end; its counters (what budgets check) are kept whatever happens to records.
        """
        if max_records < 0:
            raise ValueError(f"max_records must be 0 (keep all) or more, got {max_records}")
        self._lock = threading.Lock()
        self._counters: dict[str, int] = {}
        self._rows = _Columns()
        self._times = self._rows.columns["time"]
        self._expires: dict[str, float] = {}  # counter key -> when its window has ended (time.time())
        self._sweep_at = _SWEEP_AT
        self._max = max_records or sys.maxsize
        self.dropped = 0
        """Records dropped so far to stay within ``max_records``."""
        if max_records != DEFAULT_MAX_RECORDS:
            self.url = f"memory://?max_records={max_records}"

    def reserve(self, checks: Sequence[Check], amount: int) -> Admission:
        with self._lock:
            counters = self._counters
            totals = tuple(sum(counters.get(key, 0) for key in check.keys) for check in checks)
            adds = [amount if check.amount is None else check.amount for check in checks]
            for index, check in enumerate(checks):
                if check.refuse and totals[index] + adds[index] > check.limit:
                    return Admission(index, totals)
            for check, add in zip(checks, adds, strict=True):
                if check.current not in counters:
                    self._expiring(check.current, check.ttl)
                counters[check.current] = counters.get(check.current, 0) + add
            return Admission(None, totals)

    def _expiring(self, key: str, ttl: int) -> None:
        """A new counter lives ``ttl`` seconds (as in Redis and SQLite): counters of windows that have
        ended are dropped once the number of counters has doubled since the last look."""
        self._expires[key] = time.time() + ttl
        if len(self._expires) >= self._sweep_at:
            now = time.time()
            for dead in [k for k, until in self._expires.items() if until < now]:
                del self._expires[dead]
                self._counters.pop(dead, None)
            self._sweep_at = max(_SWEEP_AT, 2 * len(self._expires))

    def settle(self, hold: Hold, actual: int, record: LedgerRecord) -> None:
        with self._lock:
            times = self._times
            # Settled once per id: a record settled again has the same time, so only its neighbours can be it.
            at = bisect.bisect_left(times, record.time)
            while at < len(times) and times[at] == record.time:
                if self._rows.record_id(at) == record.id:
                    return
                at += 1
            delta = actual - hold.amount
            if delta:
                for key, ttl in hold.counters:
                    if key not in self._counters:  # reserved while the store was down, or swept meanwhile
                        self._expiring(key, ttl)
                    self._counters[key] = self._counters.get(key, 0) + delta
            # Records arrive nearly in time order; keep them sorted for range queries.
            times = self._times
            at = (
                len(times)
                if not times or record.time >= times[-1]
                else bisect.bisect_right(times, record.time)
            )
            self._rows.insert(at, record)
            if len(times) > self._max:
                self._trim()

    def settle_many(self, settlements: Sequence[tuple[Hold, int, LedgerRecord]]) -> None:
        for hold, actual, record in settlements:
            self.settle(hold, actual, record)

    def _trim(self) -> None:
        """Drop the oldest records (a tenth of the limit at a time, so that trimming is rare)."""
        excess = len(self._times) - self._max + self._max // 10
        self._rows.drop_oldest(excess)
        if not self.dropped:
            message = (
                f"frugal ledger: the in-memory ledger keeps the newest {self._max:,} records; older ones "
                "are dropped from now on (their spend stays counted). Use sqlite:// or redis:// to keep "
                "every record, or memory://?max_records=0 to keep them all in memory."
            )
            log.warning(message)
            warnings.warn(message, FrugalWarning, stacklevel=2)
        self.dropped += excess

    def records(self, since: float | None = None, until: float | None = None) -> list[LedgerRecord]:
        with self._lock:
            low = 0 if since is None else bisect.bisect_left(self._times, since)
            high = len(self._times) if until is None else bisect.bisect_left(self._times, until)
            return [self._rows.row(at) for at in range(low, high)]

    def counters(self, prefix: str = "") -> dict[str, int]:
        with self._lock:
            return {key: value for key, value in self._counters.items() if key.startswith(prefix)}

    def close(self) -> None:
        return None
