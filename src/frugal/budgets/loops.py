"""The runaway-loop detector: the same request sent again and again in one session.

An agent stuck in a loop (the same prompt, the same history, over and over) is the most-reported way teams
overspend. With the policy's ``loops:`` set, every call carrying the scope's metadata value (a session id,
``with_context(session=...)``) has its request fingerprinted (system prompt, messages, tools); when the
same fingerprint comes back ``max_repeats`` times within ``window_seconds`` in that session, the call is a
loop: a span event, a log line and a warning (``warn``), or :class:`~frugal.exceptions.BudgetExceeded`
before anything is sent (``block``). State is per process, bounded.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..policy import LoopSpec

__all__ = ["LoopDetector"]

_MAX_KEYS = 100_000  # sessions x distinct requests remembered at most (the oldest are forgotten)


class LoopDetector:
    """Counts identical requests per session within a sliding window."""

    def __init__(self, spec: LoopSpec) -> None:
        self.spec = spec
        self._seen: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()

    def see(self, metadata: Mapping[str, str], fingerprint: str, now: float) -> int | None:
        """Count this request; how many times it was sent in its session within the window (this one
        included), or None when the call carries no value of the scope."""
        session = metadata.get(self.spec.scope)
        if session is None:
            return None
        key = (session, fingerprint)
        window = self.spec.window_seconds
        with self._lock:
            times = self._seen.get(key)
            if times is None:
                if len(self._seen) >= _MAX_KEYS:
                    for old in list(self._seen)[: _MAX_KEYS // 10]:
                        del self._seen[old]
                times = self._seen[key] = deque()
            times.append(now)
            while times and times[0] <= now - window:
                times.popleft()
            return len(times)

    def is_loop(self, repeats: int | None) -> bool:
        """Whether that many repeats make a loop."""
        return repeats is not None and repeats >= self.spec.max_repeats
