"""The label store, beside the ledger and on the same backends: memory, SQLite, Redis.

Labels are few (a sample of calls, cascade outcomes, explicit feedback), so each store keeps them as JSON
documents indexed by time: a ``labels`` table in the ledger's SQLite file, a hash and a sorted set in
Redis, a bounded list in memory. :func:`open_labels` opens one from a URL.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections import deque
from typing import Any, Protocol, cast

from ..exceptions import ConfigError
from .labels import Label

__all__ = ["LabelStore", "MemoryLabels", "RedisLabels", "SQLiteLabels", "open_labels"]

#: Labels the in-memory store keeps (the oldest go first).
MEMORY_LABELS = 100_000


class LabelStore(Protocol):
    """Where labels are kept."""

    url: str
    blocking: bool

    def add(self, label: Label) -> None:
        """Keep ``label`` (adding the same id twice keeps one)."""
        ...

    def labels(self, since: float | None = None, until: float | None = None) -> list[Label]:
        """Labels with ``since <= time < until``, oldest first."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...


def _dumps(label: Label) -> str:
    return json.dumps(label.to_dict(), separators=(",", ":"))


class MemoryLabels:
    """Labels in this process (lost at exit): tests, demos, and ``client.feedback()`` without a ledger."""

    blocking = False

    def __init__(self, url: str = "memory://", max_labels: int = MEMORY_LABELS) -> None:
        self.url = url
        self._labels: deque[Label] = deque(maxlen=max_labels)
        self._ids: set[str] = set()
        self._lock = threading.Lock()

    def add(self, label: Label) -> None:
        with self._lock:
            if label.id in self._ids:
                return
            if len(self._labels) == self._labels.maxlen:
                self._ids.discard(self._labels[0].id)
            self._labels.append(label)
            self._ids.add(label.id)

    def labels(self, since: float | None = None, until: float | None = None) -> list[Label]:
        with self._lock:
            found = list(self._labels)
        return sorted(
            (x for x in found if (since is None or x.time >= since) and (until is None or x.time < until)),
            key=lambda x: x.time,
        )

    def close(self) -> None:
        return None


class SQLiteLabels:
    """Labels in a ``labels`` table of a SQLite file (the ledger's, by default)."""

    blocking = True

    def __init__(self, url: str) -> None:
        from ..budgets.sqlite import path_of

        self.url = url
        self.path = path_of(url)
        self._lock = threading.Lock()
        self._connection: sqlite3.Connection | None = None
        self._pid = 0
        self._connect()

    def _connect(self) -> sqlite3.Connection:
        if self._connection is not None and self._pid == os.getpid():
            return self._connection
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not self.path.exists():
            os.close(os.open(self.path, os.O_CREAT | os.O_RDWR, 0o600))
        connection = sqlite3.connect(self.path, timeout=30.0, isolation_level=None, check_same_thread=False)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.executescript(
            "CREATE TABLE IF NOT EXISTS labels (id TEXT PRIMARY KEY, time REAL NOT NULL, body TEXT NOT NULL);"
            "CREATE INDEX IF NOT EXISTS labels_time ON labels (time);"
        )
        self._connection, self._pid = connection, os.getpid()
        return connection

    def add(self, label: Label) -> None:
        with self._lock:
            self._connect().execute(
                "INSERT OR IGNORE INTO labels (id, time, body) VALUES (?, ?, ?)",
                (label.id, label.time, _dumps(label)),
            )

    def labels(self, since: float | None = None, until: float | None = None) -> list[Label]:
        with self._lock:
            rows = self._connect().execute(
                "SELECT body FROM labels WHERE time >= ? AND time < ? ORDER BY time, id",
                (-1e300 if since is None else since, 1e300 if until is None else until),
            )
            return [Label.from_dict(json.loads(body)) for (body,) in rows]

    def close(self) -> None:
        with self._lock:
            if self._connection is not None and self._pid == os.getpid():
                self._connection.close()
            self._connection = None


_PREFIX = "{frugal}:labels"


class RedisLabels:
    """Labels in Redis: a hash of JSON documents by id and a sorted set of ids by time."""

    blocking = True

    def __init__(self, url: str) -> None:
        try:
            import redis
        except ImportError:
            raise ConfigError(
                f"the label store {url!r} needs the redis package: pip install 'frugal-router[redis]'"
            ) from None
        self.url = url
        self._redis = redis.Redis.from_url(url, socket_timeout=1.0, socket_connect_timeout=1.0)

    def add(self, label: Label) -> None:
        pipe = self._redis.pipeline(transaction=True)
        pipe.hsetnx(_PREFIX, label.id, _dumps(label))
        pipe.zadd(_PREFIX + ":times", {label.id: label.time}, nx=True)
        pipe.execute()

    def labels(self, since: float | None = None, until: float | None = None) -> list[Label]:
        low = "-inf" if since is None else repr(since)
        high = "+inf" if until is None else f"({until!r}"
        ids = cast("list[bytes]", self._redis.zrangebyscore(_PREFIX + ":times", low, high))
        found: list[Label] = []
        for start in range(0, len(ids), 1000):
            bodies = cast("list[Any]", self._redis.hmget(_PREFIX, ids[start : start + 1000]))
            found.extend(Label.from_dict(json.loads(body)) for body in bodies if body is not None)
        return sorted(found, key=lambda x: x.time)

    def close(self) -> None:
        self._redis.close()


def open_labels(url: str) -> LabelStore:
    """The label store a URL names: ``memory://``, ``sqlite:///PATH``, ``redis://...``.

    Raises:
        ConfigError: the URL's scheme is not one of these, or the store cannot be opened.
    """
    scheme = url.split("://", 1)[0] if "://" in url else ""
    if scheme == "memory":
        return MemoryLabels(url)
    if scheme == "sqlite":
        return SQLiteLabels(url)
    if scheme in ("redis", "rediss", "unix"):
        return RedisLabels(url)
    raise ConfigError(f"label store {url!r}: expected memory://, sqlite:///PATH or redis://HOST:PORT/DB")
