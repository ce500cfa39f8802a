"""The in-memory ledger: one process, no I/O. Counters live as long as their window (as in Redis and
SQLite); the newest records are kept (100,000 unless ``memory://?max_records=N`` says otherwise; ``0``:
all of them)."""

from __future__ import annotations

import bisect
import logging
import sys
import threading
import time
import warnings
from collections.abc import Sequence
from functools import partial

from ..exceptions import FrugalWarning
from .ledger import Admission, Check, Hold, LedgerRecord, PendingRecord

__all__ = ["DEFAULT_MAX_RECORDS", "MemoryLedger"]

_SWEEP_AT = 4096  # counters before the first look for ended windows
#: Records the in-memory ledger keeps unless told otherwise: ~70 MB while none has been read (~700 bytes a
#: call kept for its record), ~50 MB once read (~500 bytes a record).
DEFAULT_MAX_RECORDS = 100_000

# Admission((refused, totals)) built by tuple.__new__ itself: a named tuple's own __new__ is Python code.
_admission = partial(tuple.__new__, Admission)
log = logging.getLogger("frugal.ledger")


def _built(call: PendingRecord) -> LedgerRecord:
    """A pending call's record; a record that cannot be built keeps the call's time and says why."""
    try:
        return call.record()
    except Exception as exc:  # a bug must not make the ledger unreadable: the call's spend is counted
        log.exception("frugal ledger: could not build the record of a call")
        return LedgerRecord(
            id=f"unbuilt-{id(call):x}", time=call.time, operation="?", error_type=type(exc).__name__
        )


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
        self._records: list[LedgerRecord | PendingRecord] = []
        self._times: list[float] = []
        self._ids: set[str] = set()
        self._expires: dict[str, float] = {}  # counter key -> when its window has ended (time.time())
        self._sweep_at = _SWEEP_AT
        self._max = max_records or sys.maxsize
        self.dropped = 0
        """Records dropped so far to stay within ``max_records``."""
        if max_records != DEFAULT_MAX_RECORDS:
            self.url = f"memory://?max_records={max_records}"

    def reserve(self, checks: Sequence[Check], amount: int) -> Admission:
        if len(checks) == 1 and len(checks[0].keys) == 1:  # one calendar-window budget: most calls
            check = checks[0]
            with self._lock:
                counters = self._counters
                total = counters.get(check.current)
                if total is None:  # a new window bucket: once per budget, scope value and window
                    total = 0
                    self._expiring(check.current, check.ttl)
                if check.refuse and total + amount > check.limit:
                    return _admission((0, (total,)))
                counters[check.current] = total + amount
                return _admission((None, (total,)))
        with self._lock:
            get = self._counters.get
            totals = tuple(
                [
                    get(check.keys[0], 0)
                    if len(check.keys) == 1
                    else sum([get(key, 0) for key in check.keys])
                    for check in checks
                ]
            )
            for index, check in enumerate(checks):
                if check.refuse and totals[index] + amount > check.limit:
                    return Admission(index, totals)
            counters = self._counters
            for check in checks:
                if check.current not in counters:
                    self._expiring(check.current, check.ttl)
                counters[check.current] = get(check.current, 0) + amount
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
            ids = self._ids
            if record.id in ids:
                return
            ids.add(record.id)
            self._settle(hold, actual, record)

    def settle_pending(self, hold: Hold, actual: int, call: PendingRecord) -> None:
        """Settle a call whose record is built when it is first read (by :meth:`records`).

        The client's own path for this store: the record's ~30 fields are not assembled on the call path.
        Each call is settled once (its telemetry ends once), so there is no id to check yet.
        """
        with self._lock:
            self._settle(hold, actual, call)

    def _settle(self, hold: Hold, actual: int, entry: LedgerRecord | PendingRecord) -> None:
        delta = actual - hold.amount
        if delta:
            counters = self._counters
            for key, ttl in hold.counters:
                value = counters.get(key)
                if value is None:  # reserved while the store was down, or swept meanwhile
                    self._expiring(key, ttl)
                    value = 0
                counters[key] = value + delta
        # Records arrive nearly in time order; keep them sorted for range queries.
        times = self._times
        when = entry.time
        if not times or when >= times[-1]:
            times.append(when)
            self._records.append(entry)
        else:
            at = bisect.bisect_right(times, when)
            times.insert(at, when)
            self._records.insert(at, entry)
        if len(times) > self._max:
            self._trim()

    def _trim(self) -> None:
        """Drop the oldest records (a tenth of the limit at a time, so that trimming is rare)."""
        excess = len(self._times) - self._max + self._max // 10
        for entry in self._records[:excess]:
            if isinstance(entry, LedgerRecord):  # settled by id (pending calls have none yet)
                self._ids.discard(entry.id)
        del self._times[:excess]
        del self._records[:excess]
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
            entries = self._records
            out: list[LedgerRecord] = []
            for at in range(low, high):
                entry = entries[at]
                if not isinstance(entry, LedgerRecord):  # a pending call: its record is built once, now
                    entry = entries[at] = _built(entry)
                out.append(entry)
            return out

    def counters(self, prefix: str = "") -> dict[str, int]:
        with self._lock:
            return {key: value for key, value in self._counters.items() if key.startswith(prefix)}

    def close(self) -> None:
        return None
