"""Budget windows: which counters a call's spend goes to, which ones it is checked against, and when the
window resets.

Calendar windows (UTC) are one counter each: ``minute``, ``hour``, ``day``, ``week`` (ISO, from
Monday) and ``month``; the counter's key names the window (``d20261201``), so a new window starts from
zero without anyone resetting anything. Rolling windows are the last minute, hour, day, week or 30 days,
kept as
:data:`BUCKETS` buckets of 1/60 of the window each (a minute for an hour, 24 minutes for a day): a call
is checked against the sum of the buckets that overlap the window and counted in the current bucket, so
spend rolls off one bucket at a time, exact to within one bucket's width. Time comes from an injected
clock (seconds since the epoch), never read here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Literal

__all__ = ["BUCKETS", "Unit", "Window"]

Unit = Literal["minute", "hour", "day", "week", "month"]

#: Buckets per rolling window.
BUCKETS = 60

_SPAN = {"minute": 60, "hour": 3600, "day": 86_400, "week": 7 * 86_400, "month": 30 * 86_400}
_FORMAT = {"minute": "n%Y%m%d%H%M", "hour": "h%Y%m%d%H", "day": "d%Y%m%d", "week": "w%G%V", "month": "m%Y%m"}


@dataclass(frozen=True, slots=True)
class Window:
    """A budget's window.

    Attributes:
        unit: minute, hour, day, week or month.
        rolling: a sliding window (the last ``unit``) instead of the calendar one.
    """

    unit: Unit
    rolling: bool = False

    @property
    def seconds(self) -> int:
        """The window's length (a rolling month is 30 days; a calendar month varies)."""
        return _SPAN[self.unit]

    @property
    def width(self) -> int:
        """A rolling window's bucket width in seconds."""
        return _SPAN[self.unit] // BUCKETS

    def current(self, now: float) -> str:
        """The key of the counter that a call made at ``now`` is counted in."""
        if self.rolling:
            return f"r{self.width}:{int(now // self.width)}"
        return datetime.fromtimestamp(now, timezone.utc).strftime(_FORMAT[self.unit])

    def keys(self, now: float) -> tuple[str, ...]:
        """The keys whose sum is the spend in the window at ``now`` (the current one last)."""
        if not self.rolling:
            return (self.current(now),)
        index = int(now // self.width)
        return tuple(f"r{self.width}:{i}" for i in range(index - BUCKETS + 1, index + 1))

    def start(self, now: float) -> float:
        """When the window that ``now`` falls in began (a rolling window: its oldest bucket's start)."""
        if self.rolling:
            return (int(now // self.width) - BUCKETS + 1) * self.width
        moment = datetime.fromtimestamp(now, timezone.utc)
        if self.unit == "minute":
            begin = moment.replace(second=0, microsecond=0)
        elif self.unit == "hour":
            begin = moment.replace(minute=0, second=0, microsecond=0)
        else:
            begin = moment.replace(hour=0, minute=0, second=0, microsecond=0)
            if self.unit == "week":
                begin -= timedelta(days=begin.weekday())
            elif self.unit == "month":
                begin = begin.replace(day=1)
        return begin.timestamp()

    def bucket(self, now: float) -> tuple[float, float]:
        """The span ``[start, end)`` around ``now`` in which :meth:`current` and :meth:`keys` hold."""
        if self.rolling:
            index = int(now // self.width)
            return index * self.width, (index + 1) * self.width
        return self.start(now), self.reset_at(now)

    def reset_at(self, now: float) -> float:
        """When spend counted at ``now`` stops counting.

        Calendar: the end of the window. Rolling: the end of the current bucket, when the oldest bucket
        rolls off (the earliest moment the spend can fall; what falls depends on what was spent then).
        """
        if self.rolling:
            return (int(now // self.width) + 1) * self.width
        begin = datetime.fromtimestamp(self.start(now), timezone.utc)
        if self.unit == "minute":
            end = begin + timedelta(minutes=1)
        elif self.unit == "hour":
            end = begin + timedelta(hours=1)
        elif self.unit == "day":
            end = begin + timedelta(days=1)
        elif self.unit == "week":
            end = begin + timedelta(days=7)
        else:
            end = (begin + timedelta(days=32)).replace(day=1)
        return end.timestamp()

    def ttl(self, now: float) -> int:
        """Seconds a counter written at ``now`` must live: until nothing counts it any more, plus a day."""
        if self.rolling:
            return self.seconds + self.width + 86_400
        return int(self.reset_at(now) - now) + 1 + 86_400
