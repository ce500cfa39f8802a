"""The SQLite ledger: one host, many processes, one file.

The file is created with mode 0600 (its ``-wal`` and ``-shm`` companions take the same mode) and runs in
WAL mode with ``synchronous=NORMAL``: readers never block writers, and a commit does not wait for the
disk (a power cut may lose the last few commits; a crashed process loses nothing). A reservation is one
``BEGIN IMMEDIATE`` transaction (read the window's counters, check every limit, add the estimate), so two
processes can never both see room for the last dollar; settling is another (append the record unless
its id is already there, then correct the counters by actual minus estimate). Each process opens its own
connection (again after a fork); a lock serialises the threads of one process on it.

URLs follow SQLAlchemy's convention: ``sqlite:///ledger.db`` is relative to the working directory,
``sqlite:////var/lib/app/ledger.db`` is absolute; ``~`` is expanded.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .ledger import FIELDS, Admission, Check, Hold, LedgerRecord

__all__ = ["SQLiteLedger"]

_COLUMNS = ", ".join("id TEXT PRIMARY KEY" if name == "id" else name for name in FIELDS)
_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS counters (key TEXT PRIMARY KEY, nano INTEGER NOT NULL, expires REAL NOT NULL);
CREATE TABLE IF NOT EXISTS records ({_COLUMNS});
CREATE INDEX IF NOT EXISTS records_time ON records (time);
"""
_INSERT = f"INSERT OR IGNORE INTO records ({', '.join(FIELDS)}) VALUES ({', '.join(':' + f for f in FIELDS)})"
_ADD = (
    "INSERT INTO counters (key, nano, expires) VALUES (?, ?, ?) "
    "ON CONFLICT (key) DO UPDATE SET nano = nano + excluded.nano, expires = max(expires, excluded.expires)"
)


def _default_clause(name: str) -> str:
    """`` DEFAULT x`` for a record field with a non-None default, so old rows read as that default."""
    default = LedgerRecord._field_defaults.get(name)
    if isinstance(default, (bool, int, float)):
        return f" DEFAULT {int(default) if isinstance(default, bool) else default!r}"
    return ""


def path_of(url: str) -> Path:
    """The file a ``sqlite:///`` URL names."""
    rest = url[len("sqlite:///") :] if url.startswith("sqlite:///") else url[len("sqlite://") :]
    return Path(os.path.expanduser(rest))


class SQLiteLedger:
    """Counters and records in one SQLite file shared by the processes of a host."""

    blocking = True

    def __init__(self, url: str, *, timeout: float = 30.0) -> None:
        self.url = url
        self.path = path_of(url)
        self._timeout = timeout
        self._lock = threading.Lock()
        self._connection: sqlite3.Connection | None = None
        self._pid = 0
        self._connect()  # a bad path fails when the client is built, not mid-call

    def _connect(self) -> sqlite3.Connection:
        if self._connection is not None and self._pid == os.getpid():
            return self._connection
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not self.path.exists():
            os.close(os.open(self.path, os.O_CREAT | os.O_RDWR, 0o600))
        connection = sqlite3.connect(
            self.path, timeout=self._timeout, isolation_level=None, check_same_thread=False
        )
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        connection.executescript(_SCHEMA)
        # A file written by an older frugal lacks the newer record fields: add them (NULL in old rows).
        present = {row[1] for row in connection.execute("PRAGMA table_info(records)")}
        for name in FIELDS:
            if name not in present:
                connection.execute(f"ALTER TABLE records ADD COLUMN {name}{_default_clause(name)}")
        connection.execute("DELETE FROM counters WHERE expires < ?", (time.time(),))
        self._connection, self._pid = connection, os.getpid()
        return connection

    def reserve(self, checks: Sequence[Check], amount: int) -> Admission:
        keys = sorted({key for check in checks for key in check.keys})
        with self._lock:
            db = self._connect()
            db.execute("BEGIN IMMEDIATE")
            try:
                found: dict[str, int] = {}
                for start in range(0, len(keys), 500):  # SQLite's variable limit
                    chunk = keys[start : start + 500]
                    marks = ",".join("?" * len(chunk))
                    found.update(db.execute(f"SELECT key, nano FROM counters WHERE key IN ({marks})", chunk))
                totals = tuple(sum(found.get(key, 0) for key in check.keys) for check in checks)
                adds = [amount if check.amount is None else check.amount for check in checks]
                for index, check in enumerate(checks):
                    if check.refuse and totals[index] + adds[index] > check.limit:
                        db.execute("ROLLBACK")
                        return Admission(index, totals)
                now = time.time()
                db.executemany(
                    _ADD,
                    [(check.current, add, now + check.ttl) for check, add in zip(checks, adds, strict=True)],
                )
                db.execute("COMMIT")
            except BaseException:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise
        return Admission(None, totals)

    def settle(self, hold: Hold, actual: int, record: LedgerRecord) -> None:
        delta = actual - hold.amount
        now = time.time()
        with self._lock:
            db = self._connect()
            db.execute("BEGIN IMMEDIATE")
            try:
                inserted = db.execute(_INSERT, record.to_dict()).rowcount == 1
                if inserted and delta:
                    db.executemany(_ADD, [(key, delta, now + ttl) for key, ttl in hold.counters])
                db.execute("COMMIT")
            except BaseException:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise

    def settle_many(self, settlements: Sequence[tuple[Hold, int, LedgerRecord]]) -> None:
        for hold, actual, record in settlements:
            self.settle(hold, actual, record)

    def records(self, since: float | None = None, until: float | None = None) -> list[LedgerRecord]:
        query = f"SELECT {', '.join(FIELDS)} FROM records WHERE time >= ? AND time < ? ORDER BY time, id"
        bounds: tuple[Any, ...] = (
            float("-inf") if since is None else since,
            float("inf") if until is None else until,
        )
        with self._lock:
            rows = self._connect().execute(query, bounds).fetchall()
        return [LedgerRecord(*row) for row in rows]

    def counters(self, prefix: str = "") -> dict[str, int]:
        with self._lock:
            rows = self._connect().execute(
                "SELECT key, nano FROM counters WHERE key >= ? AND key < ?", (prefix, prefix + "\U0010ffff")
            )
            return dict(rows.fetchall())

    def close(self) -> None:
        with self._lock:
            if self._connection is not None and self._pid == os.getpid():
                self._connection.close()
            self._connection = None
