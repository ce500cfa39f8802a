"""What the ``frugal`` commands print: rich tables and progress, whole when the output is not a terminal.

A terminal gets its own width (long cells wrap, never cut); a pipe, a file or a CI log gets every line
whole, however long (rich would otherwise cut tables at 80 columns: ``claude-op…``). Progress goes to
stderr: a bar on a terminal, a line per 10 % in a log.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.table import Table

__all__ = ["Progress", "console", "progress", "table", "working"]

#: Wide enough for any line frugal prints: off a terminal nothing is wrapped or cut.
_UNBOUNDED = 100_000

#: Called with (work done, work in all).
Progress = Callable[[int, int], None]


def console(*, stderr: bool = False) -> Console:
    """A console on stdout (or stderr): the terminal's width, or unbounded when it is not a terminal."""
    stream = sys.stderr if stderr else sys.stdout
    terminal = stream.isatty()
    return Console(file=stream, width=None if terminal else _UNBOUNDED, soft_wrap=not terminal)


def table(
    out: Console,
    title: str | None,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    numeric: Sequence[str] = (),
    note: str | None = None,
) -> None:
    """Print one table: a bold title line, the columns (those in ``numeric`` right-aligned), the rows.

    Cells wrap on a narrow terminal rather than being cut; ``note`` is a dim line under the table
    (e.g. ``+12 more``).
    """
    if title:
        out.print(f"[bold]{title}[/bold]", highlight=False)
    grid = Table(show_edge=True, header_style="bold", pad_edge=True)
    for column in columns:
        grid.add_column(column, justify="right" if column in numeric else "left", overflow="fold")
    for row in rows:
        grid.add_row(*("" if cell is None else str(cell) for cell in row))
    out.print(grid, highlight=False)
    if note:
        out.print(f"[dim]{note}[/dim]", highlight=False)


class _Bar:
    """A rich progress bar on stderr, started by the first update and stopped at the last."""

    def __init__(self, label: str, unit: str) -> None:
        self._label, self._unit = label, unit
        self._bar: Any = None
        self._task: Any = None

    def __call__(self, done: int, total: int) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TaskProgressColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        if self._bar is None:
            self._bar = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn(self._unit),
                TaskProgressColumn(),
                TimeElapsedColumn(),
                TimeRemainingColumn(),
                console=console(stderr=True),
            )
            self._bar.start()
            self._task = self._bar.add_task(self._label, total=total)
        self._bar.update(self._task, completed=done, total=total)
        if done >= total:
            self._bar.stop()
            self._bar = None


def progress(label: str, quiet: bool = False, unit: str = "rows") -> Progress | None:
    """Progress of a long command on stderr (None when ``quiet``): a bar with the rate and the time left
    on a terminal, else a line per 10 % (a CI log sees the run move without filling up)."""
    if quiet:
        return None
    if sys.stderr.isatty():
        return _Bar(label, unit)
    from ..evaluation.progress import progress_printer

    return progress_printer(label, quiet, unit)


@contextmanager
def working(label: str, quiet: bool = False) -> Iterator[None]:
    """A phase whose length is unknown (fitting a model): a pulsing bar and the time it has taken on a
    terminal; in a log, one line when it starts and one when it ends, with the time."""
    start = time.monotonic()
    if quiet:
        yield
        return
    if not sys.stderr.isatty():
        print(f"{label} ...", file=sys.stderr, flush=True)
        yield
        print(f"{label}: done in {time.monotonic() - start:.1f} s", file=sys.stderr, flush=True)
        return
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), console=console(stderr=True)
    ) as bar:
        task = bar.add_task(label, total=None)
        yield
        bar.update(task, total=1, completed=1)
