"""Records that could not be written: kept on disk and replayed, never dropped silently.

When a settlement fails (the store is unreachable), the record, its reservation and its actual cost are
appended as one JSON line to ``{spool}/{ledger}-{pid}.jsonl`` (directory 0700, file 0600) and a
:class:`~frugal.exceptions.FrugalWarning` plus a log line with the record's numbers say so. As soon as
the store answers again, every spool file of that ledger (this process's and any left by others) is
replayed: settling is idempotent per record id, so a line replayed twice counts once. Appends and
replays take an exclusive ``flock`` on the file, so two processes never replay the same lines.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from .ledger import Hold, Ledger, LedgerRecord

__all__ = ["Spool", "default_spool_dir"]

log = logging.getLogger("frugal.ledger")


def default_spool_dir() -> Path:
    """``$XDG_CACHE_HOME/frugal/spool`` (``~/.cache/frugal/spool``)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "frugal" / "spool"


@contextmanager
def _locked(handle: IO[Any]) -> Iterator[None]:
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX: one process per spool file is assumed
        yield
        return
    fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
    try:
        yield
    finally:
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


class Spool:
    """The on-disk spool of one ledger URL."""

    def __init__(self, directory: str | os.PathLike[str] | None, ledger_url: str) -> None:
        self.directory = Path(directory) if directory is not None else default_spool_dir()
        self.tag = hashlib.sha256(ledger_url.encode()).hexdigest()[:12]
        self.pending = any(self._files())

    @property
    def path(self) -> Path:
        """This process's spool file."""
        return self.directory / f"{self.tag}-{os.getpid()}.jsonl"

    def _files(self) -> list[Path]:
        try:
            return sorted(p for p in self.directory.glob(f"{self.tag}-*.jsonl") if p.stat().st_size)
        except OSError:
            return []

    def add(self, hold: Hold, actual: int, record: LedgerRecord) -> Path:
        """Append one settlement; raises OSError when even the disk refuses."""
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        line = json.dumps({"hold": hold.to_dict(), "actual": actual, "record": record.to_dict()})
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        with os.fdopen(fd, "a", encoding="utf-8") as handle, _locked(handle):
            handle.write(line + "\n")
            handle.flush()
        self.pending = True
        return self.path

    def replay(self, ledger: Ledger) -> int:
        """Settle every spooled line into ``ledger``; how many were replayed. Stops at the first failure."""
        replayed = 0
        for path in self._files():
            try:
                handle = open(path, "r+", encoding="utf-8")  # noqa: SIM115 - held across the lock
            except OSError:
                continue
            with handle, _locked(handle):
                lines = [line for line in handle.read().splitlines() if line.strip()]
                done = 0
                try:
                    for line in lines:
                        entry = json.loads(line)
                        ledger.settle(
                            Hold.from_dict(entry["hold"]),
                            int(entry["actual"]),
                            LedgerRecord.from_dict(entry["record"]),
                        )
                        done += 1
                finally:
                    handle.seek(0)
                    handle.truncate()
                    handle.writelines(line + "\n" for line in lines[done:])
                    handle.flush()
                    replayed += done
            if done < len(lines):
                return replayed
        self.pending = any(self._files())
        if replayed:
            log.warning("frugal ledger: replayed %d spooled record(s) into %s", replayed, ledger.url)
        return replayed
