"""What genai-prices says of each model, kept on disk so that building a client need not import it.

Importing genai-prices and resolving a policy's models through it costs a few hundred milliseconds in a
fresh interpreter, most of a client's cold start. The answers depend only on genai-prices' version and on
the day (prices change on dates its data names), so they are cached in
``$XDG_CACHE_HOME/frugal/prices-<version>-<day>.json`` (``~/.cache/frugal/...``): the first client of a
day resolves and writes, the others read a small JSON file. A cache that cannot be read or written is
ignored (prices are then resolved every time): it never changes a price or fails a client.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, ClassVar

__all__ = ["PriceCache"]


def _directory() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "frugal"


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("genai-prices")
    except PackageNotFoundError:  # pragma: no cover - a dependency of frugal
        return "unknown"


class PriceCache:
    """A JSON object of ``"provider/model"`` → what genai-prices says of it (None: it knows nothing)."""

    _lock: ClassVar[threading.Lock] = threading.Lock()
    _loaded: ClassVar[dict[Path, dict[str, Any]]] = {}

    def __init__(self, path: Path | None = None) -> None:
        day = datetime.now(timezone.utc).strftime("%Y%m%d")
        self.path = path or _directory() / f"prices-{_version()}-{day}.json"

    def entries(self) -> dict[str, Any]:
        """What the cache file holds (read once per process and path)."""
        with self._lock:
            found = self._loaded.get(self.path)
            if found is None:
                try:
                    found = json.loads(self.path.read_text(encoding="utf-8"))
                    if not isinstance(found, dict):
                        found = {}
                except (OSError, ValueError):
                    found = {}
                self._loaded[self.path] = found
            return found

    def add(self, new: dict[str, Any]) -> None:
        """Add entries and write the file (atomically; a failure to write is ignored)."""
        with self._lock:
            entries = {**self._loaded.get(self.path, {}), **new}
            self._loaded[self.path] = entries
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                handle, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=".prices-")
                with os.fdopen(handle, "w", encoding="utf-8") as out:
                    json.dump(entries, out)
                os.replace(temporary, self.path)
            except OSError:
                return
