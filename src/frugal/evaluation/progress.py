"""Progress of long evaluation commands on stderr, readable in a terminal and in a log."""

from __future__ import annotations

import sys
from collections.abc import Callable

__all__ = ["Progress", "progress_printer"]

#: Called with (work done, work in all).
Progress = Callable[[int, int], None]


def progress_printer(
    label: str, quiet: bool = False, unit: str = "rows"
) -> Callable[[int, int], None] | None:
    """Progress on stderr: one line updated in place on a terminal, else a line per 10 % (None if quiet).

    A log or a CI job is not a terminal: it gets ten lines, so a long run is seen to move without
    filling the log.
    """
    if quiet:
        return None
    terminal = sys.stderr.isatty()
    step = 1 if terminal else 10
    last = [-1]

    def show(done: int, total: int) -> None:
        percent = done * 100 // total // step * step
        if percent == last[0]:
            return
        last[0] = percent
        text = f"{label}: {done:,}/{total:,} {unit} ({percent}%)"
        if terminal:
            print("\r" + text, end="\n" if done == total else "", file=sys.stderr, flush=True)
        else:
            print(text, file=sys.stderr, flush=True)

    return show
