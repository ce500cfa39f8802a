"""Settlements written off the caller's path: a daemon thread drains a queue, several per round trip.

A call's reservation is synchronous (it must be, for ``block`` to refuse before the vendor request); its
settlement — the record and the counters' correction from estimate to actual — can wait a moment. With a
store across the network (Redis) that moment is a round trip the caller no longer waits for, and the
writer sends every settlement that queued up meanwhile in one round trip.

What is guaranteed: a settlement handed to the writer is written, or spooled with a warning when the
store refuses it (see :mod:`~frugal.budgets.spool`), before :meth:`Writer.flush` returns — which
``client.close()``, leaving the client's ``with`` block, ``client.flush_ledger()`` and the end of the
interpreter (``atexit``) all do. A process that dies without running them (``SIGKILL``, ``os._exit``, a
crash) loses what was still queued: those calls have no record, and their reservations stay counted at
their estimate until their window ends.

The thread starts with the first settlement and ends after a moment without any (so a client that is
dropped without ``close()`` leaves no thread behind); in a child process after ``fork`` it starts afresh
(the parent's queue belongs to the parent).
"""

from __future__ import annotations

import atexit
import logging
import os
import queue
import threading
import weakref
from collections.abc import Callable, Sequence
from typing import Any

from .ledger import Hold, LedgerRecord

__all__ = ["Settlement", "Writer"]

log = logging.getLogger("frugal.ledger")

Settlement = tuple[Hold, int, LedgerRecord]

#: Seconds between two looks at the queue (a flush looks at once).
INTERVAL = 0.02
#: Seconds the thread waits for more work before it ends.
LINGER = 1.0
#: Settlements sent in one round trip at most.
BATCH = 256

_STOP = object()
_writers: weakref.WeakSet[Writer] = weakref.WeakSet()


class Writer:
    """Hands settlements to ``write`` (which never raises) on a daemon thread, in order, in batches."""

    def __init__(self, write: Callable[[Sequence[Settlement]], None], name: str = "frugal-ledger") -> None:
        self._write = write
        self._name = name
        self._reset()
        _writers.add(self)

    def _reset(self) -> None:
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._wake = threading.Event()

    def put(self, hold: Hold, actual: int, record: LedgerRecord) -> None:
        """Queue one settlement (returns at once)."""
        self._queue.put((hold, actual, record))
        if self._thread is None:
            self._start()

    def _start(self) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
                self._thread.start()

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every settlement queued before this call is written or spooled.

        Returns:
            False when ``timeout`` seconds passed first (what is queued is still written later).
        """
        if self._thread is None and self._queue.empty():
            return True
        done = threading.Event()
        self._queue.put(done)
        self._wake.set()
        if self._thread is None:
            self._start()
        return done.wait(timeout)

    def close(self, timeout: float | None = None) -> bool:
        """Flush, then end the thread (a later :meth:`put` starts a new one)."""
        flushed = self.flush(timeout)
        with self._lock:
            thread = self._thread
        if thread is not None and flushed:
            self._queue.put(_STOP)
            self._wake.set()
            thread.join(timeout)
        return flushed

    def _run(self) -> None:
        items = self._queue
        idle = 0.0
        while True:
            # Woken by a flush, else every INTERVAL: a call's put() never pays for waking this thread.
            self._wake.wait(INTERVAL)
            self._wake.clear()
            batch: list[Any] = []
            while True:
                try:
                    batch.append(items.get_nowait())
                except queue.Empty:
                    break
            if not batch:
                idle += INTERVAL
                if idle >= LINGER and self._leave():
                    return
                continue
            idle = 0.0
            pending: list[Settlement] = []
            stop = False
            for item in batch:  # settlements in order; each flush marker once those before it are written
                if isinstance(item, tuple):
                    pending.append(item)
                    if len(pending) >= BATCH:
                        self._drain(pending)
                    continue
                self._drain(pending)
                if item is _STOP:
                    stop = True
                else:
                    item.set()
            self._drain(pending)
            if stop and self._leave():
                return

    def _leave(self) -> bool:
        """End the thread unless work arrived meanwhile (then: True when another thread took it over)."""
        with self._lock:
            self._thread = None
        if self._queue.empty():
            return True
        # put() may have seen this thread still running and started none: stay on, unless it did.
        with self._lock:
            if self._thread is not None:
                return True
            self._thread = threading.current_thread()
        return False

    def _drain(self, pending: list[Settlement]) -> None:
        if not pending:
            return
        try:
            self._write(pending)
        except Exception:  # write never raises; a bug there must not end the thread with work queued
            log.exception("frugal ledger: the background writer failed on %d settlement(s)", len(pending))
        pending.clear()


def _flush_all() -> None:
    for writer in list(_writers):
        writer.flush(timeout=30)


def _after_fork() -> None:
    for writer in list(_writers):
        writer._reset()


atexit.register(_flush_all)
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork)
