"""``frugal report``: the command line of :mod:`frugal.budgets.report` (registered by ``frugal.cli``).

Kept apart from ``cli.py`` and light to import: the ledger, pydantic and rich load only when the command
runs.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

__all__ = ["add_parser"]

#: The moment a report is made (one reading for its period and its budget status; tests replace it).
_now = time.time


def add_parser(commands: Any) -> None:
    """Add ``report`` to the ``frugal`` subcommands."""
    report = commands.add_parser(
        "report", help="spend, savings, premium-for-simple calls and budget status, from the ledger"
    )
    report.add_argument("--ledger", help="ledger URL (default: $FRUGAL_LEDGER, else the policy's ledger:)")
    report.add_argument("--policy", help="policy file, for its ledger and budgets (default as for route)")
    report.add_argument("--period", help="day, week, month (current, UTC) or 24h, 7d, 4w (the last ...)")
    report.add_argument("--since", help="ISO date or date-time (UTC unless given), inclusive")
    report.add_argument("--until", help="ISO date or date-time, exclusive (default: now)")
    report.add_argument("--top", type=int, default=10, help="premium-for-simple calls listed (default 10)")
    report.add_argument("--json", action="store_true", help="print the report as JSON")
    report.add_argument("--html", metavar="FILE", help="write a self-contained HTML page with charts")
    report.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Build the report; print it (tables or JSON) and/or write the HTML page."""
    from ..budgets import ledger_url
    from ..budgets.ledger import open_ledger
    from ..budgets.report import build_report, parse_period, render_terminal
    from ..budgets.rules import budget_status
    from ..exceptions import ConfigError
    from ..routing.compile import compile_budgets
    from .route import dry_run_router

    try:
        router = dry_run_router(args.policy)
        url = ledger_url(router.policy, args.ledger)
        if url is None or url.startswith("memory:"):
            print(
                "frugal report: no ledger to read: give --ledger sqlite:///path or redis://..., set "
                "$FRUGAL_LEDGER, or put ledger: in the policy (an in-memory ledger dies with its process)",
                file=sys.stderr,
            )
            return 2
        now = _now()
        period = parse_period(args.period, args.since, args.until, now)
        ledger = open_ledger(url)
        budgets = compile_budgets(router.policy, None, router)
    except (ConfigError, ValueError) as exc:
        print(f"frugal report: {exc}", file=sys.stderr)
        return 2
    try:
        records = ledger.records(period.since, period.until)
        statuses = budget_status(budgets, ledger, now)
    finally:
        ledger.close()
    report = build_report(records, period, statuses=statuses, top=args.top, ledger=url)
    if args.html:
        from ..budgets.report_html import render_html

        with open(args.html, "w", encoding="utf-8") as handle:
            handle.write(render_html(report))
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        render_terminal(report)
        if args.html:
            print(f"\nwrote {args.html}")
    return 0
