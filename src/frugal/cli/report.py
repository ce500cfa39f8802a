"""``frugal report``: the command line of :mod:`frugal.budgets.report`.

Light to import: the ledger, the label store, pydantic and the report itself load only when the command
runs.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

import rich_click as click

from ._errors import CliError

if TYPE_CHECKING:
    from ..feedback.labels import Label
    from ..policy import Policy

__all__ = ["redact", "report"]

#: The moment a report is made (one reading for its period and its budget status; tests replace it).
_now = time.time


def redact(url: str) -> str:
    """``url`` without its password (``redis://:secret@host`` -> ``redis://:***@host``), for messages."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))


def _check_sqlite(url: str, what: str = "ledger", first: str = "recorded call") -> None:
    """A report never creates a ledger (or a label store): a SQLite path that does not exist is a typo,
    not $0 of spend."""
    from ..budgets.sqlite import path_of

    path = path_of(url)
    if not path.is_file():
        hint = "" if path.parent.is_dir() else f" (nor does the directory {path.parent})"
        raise CliError(
            f"{url}: no {what} at {path}{hint}; frugal creates it on the first {first}: check the path "
            "(sqlite:///relative.db, sqlite:////absolute/path.db)"
        )


def _labels_url(explicit: str | None, policy: Policy, ledger: str) -> str | None:
    """The label store to audit: ``--labels``, else the policy's ``feedback.store``, else the ledger's
    (where a client keeps its labels by default); None when the policy keeps them in memory."""
    if explicit is not None:
        if explicit.startswith("memory:"):
            raise click.UsageError(
                "--labels memory:// cannot be read: an in-memory label store dies with its process; give "
                "sqlite:///path or redis://..."
            )
        return explicit
    url = policy.feedback.store or ledger
    return None if url.startswith("memory:") else url


def _read_labels(url: str, since: float, until: float) -> list[Label]:
    """The labels of ``[since, until)`` from the store at ``url``.

    Raises:
        CliError: the store does not exist (SQLite) or cannot be read.
    """
    from ..feedback.store import open_labels

    if url.startswith("sqlite:"):
        _check_sqlite(url, "label store", "label")
    try:
        store = open_labels(url)
        try:
            return store.labels(since, until)
        finally:
            store.close()
    except Exception as exc:  # any store's error (redis, sqlite3, OS, a bad URL): one line naming it
        reason = str(exc) or type(exc).__name__
        raise CliError(f"cannot read the label store {redact(url)}: {reason}") from exc


@click.command(
    epilog="""Examples:

\b
  frugal report --ledger sqlite:///frugal-ledger.db      # the last 30 days, as tables
  frugal report --period week                             # this calendar week (UTC)
  frugal report --since 2026-11-01 --until 2026-12-01 --json
  frugal report --html report.html                        # a page to mail to finance
  frugal report --labels sqlite:///labels.db              # the quality audit from another store"""
)
@click.option("--ledger", help="Ledger URL (default: $FRUGAL_LEDGER, else the policy's ledger:).")
@click.option(
    "--policy",
    type=click.Path(dir_okay=False),
    help="Policy file, for its ledger and budgets (default: as for frugal route).",
)
@click.option("--period", help="day, week, month (the current one, UTC) or 24h, 7d, 4w (the last ...).")
@click.option("--since", help="ISO date or date-time (UTC unless given), inclusive.")
@click.option("--until", help="ISO date or date-time, exclusive (default: now).")
@click.option(
    "--top",
    type=click.IntRange(min=1),
    default=10,
    show_default=True,
    help="Rows of each ranking shown (premium-for-simple groups, budgets).",
)
@click.option(
    "--labels",
    help="Label store URL for the quality audit: sqlite:///path or redis://... (default: the policy's "
    "feedback.store, else the ledger).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--html", type=click.Path(dir_okay=False), help="Write a self-contained HTML page with charts.")
def report(
    ledger: str | None,
    policy: str | None,
    period: str | None,
    since: str | None,
    until: str | None,
    top: int,
    labels: str | None,
    as_json: bool,
    html: str | None,
) -> int:
    """Spend, savings, premium-for-simple calls and budget status, from the ledger; the quality audit from
    the label store (shadow comparisons, cascades, explicit feedback)."""
    from ..budgets import ledger_url
    from ..budgets.ledger import open_ledger
    from ..budgets.report import build_report, parse_period, render_terminal
    from ..budgets.report_quality import with_quality
    from ..budgets.rules import budget_status
    from ..budgets.windows import Window
    from ..feedback.audit import build_audit
    from ..routing.compile import compile_budgets
    from ._output import console
    from .route import dry_run_router

    router = dry_run_router(policy)
    url = ledger_url(router.policy, ledger)
    if url is None or url.startswith("memory:"):
        raise click.UsageError(
            "no ledger to read: give --ledger sqlite:///path or redis://..., set $FRUGAL_LEDGER, or put "
            "ledger: in the policy (an in-memory ledger dies with its process)"
        )
    now = _now()
    try:
        span = parse_period(period, since, until, now)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    shown = redact(url)
    if url.startswith("sqlite:"):
        _check_sqlite(url)
    label_url = _labels_url(labels, router.policy, url)
    budgets = compile_budgets(router.policy, None, router)
    try:
        store = open_ledger(url)
        try:
            records = store.records(span.since, span.until)
            previous = store.records(2 * span.since - span.until, span.since)
            month = store.records(Window("month").start(now), now)
            statuses = budget_status(budgets, store, now)
        finally:
            store.close()
    except CliError:
        raise
    except Exception as exc:  # any store's error (redis, sqlite3, OS): one line naming the ledger
        reason = str(exc) or type(exc).__name__
        raise CliError(f"cannot read the ledger {shown}: {reason}") from exc
    made = build_report(
        records, span, statuses=statuses, top=top, ledger=shown, previous=previous, month=month, now=now
    )
    if label_url is not None:
        found = _read_labels(label_url, span.since, span.until)
        tiers = [tier.name for tier in router.policy.tiers]
        made = with_quality(made, build_audit(found, records, tiers=tiers, store=redact(label_url)))
    if html:
        from ..budgets.report_html import render_html

        try:
            Path(html).write_text(render_html(made, top=top), encoding="utf-8")
        except OSError as exc:
            raise CliError(f"{html}: cannot write the page: {exc.strerror}") from None
    if as_json:
        print(json.dumps(made, indent=2))
    else:
        out = console()
        render_terminal(made, out, top=top)
        if html:
            out.print(f"\nwrote {html}", highlight=False)
    return 0
