"""``frugal report``: where the money went and what routing saved, from the ledger.

:func:`build_report` turns ledger records (and budget counters) into one JSON-ready summary: totals,
spend / baseline / savings / calls by team, user, feature and model, spend per day, the calls where a
premium model was asked for a prompt that a cheaper tier served ("premium model asked for a simple
prompt") with what routing saved on them, and each budget's status. :func:`render_terminal` prints it
as tables (rich, imported here only); :mod:`frugal.budgets.report_html` renders it as one
self-contained HTML page with inline SVG charts.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from .ledger import LedgerRecord
from .rules import BudgetStatus
from .windows import Unit, Window

__all__ = ["Period", "build_report", "parse_period", "render_terminal"]

_RELATIVE = re.compile(r"^(\d+)([hdw])$")


@dataclass(frozen=True, slots=True)
class Period:
    """A half-open time range ``[since, until)`` in seconds since the epoch."""

    since: float
    until: float


def _moment(text: str) -> float:
    """An ISO date or date-time (UTC unless it says otherwise) as seconds since the epoch."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(
            f"not an ISO date or date-time: {text!r} (e.g. 2026-12-01 or 2026-12-01T09:00)"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()


def parse_period(
    period: str | None, since: str | None, until: str | None, now: float | None = None
) -> Period:
    """The report's range from ``--period`` (``day``, ``week``, ``month``: the current calendar one, UTC;
    or ``24h``, ``7d``, ``4w``: the last so many) or ``--since`` / ``--until``. Default: the last 30 days.

    Raises:
        ValueError: an unreadable period or date.
    """
    now = time.time() if now is None else now
    end = _moment(until) if until else now
    if since:
        return Period(_moment(since), end)
    calendar: dict[str | None, Unit] = {"day": "day", "week": "week", "month": "month"}
    unit = calendar.get(period)
    if unit is not None:
        return Period(Window(unit).start(now), end)
    if period:
        found = _RELATIVE.match(period)
        if not found:
            raise ValueError(f"--period must be day, week, month or a count of h/d/w like 7d; got {period!r}")
        hours = {"h": 1, "d": 24, "w": 24 * 7}[found.group(2)] * int(found.group(1))
        return Period(end - hours * 3600, end)
    return Period(end - 30 * 86_400, end)


#: Finish reasons of an answer cut by its output limit, in either vendor's words.
_CUT_SHORT = frozenset({"length", "max_tokens", "max_output_tokens", "incomplete"})


def _sum(values: Iterable[float | None]) -> float:
    return math.fsum(v for v in values if v is not None)


def _group(records: Sequence[LedgerRecord], key: str) -> list[dict[str, Any]]:
    groups: dict[str, list[LedgerRecord]] = {}
    for record in records:
        name = getattr(record, key)
        groups.setdefault("(none)" if name is None else str(name), []).append(record)
    rows: list[dict[str, Any]] = [
        {
            "name": name,
            "calls": len(items),
            "cost_usd": _sum(r.cost_usd for r in items),
            "baseline_usd": _sum(r.baseline_cost_usd for r in items),
            "savings_usd": _sum(r.savings_usd for r in items),
            "input_tokens": sum(r.input_tokens for r in items),
            "output_tokens": sum(r.output_tokens for r in items),
        }
        for name, items in groups.items()
    ]
    rows.sort(key=lambda row: (-row["cost_usd"], -row["calls"], row["name"]))
    return rows


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, timezone.utc).isoformat(timespec="seconds")


def build_report(
    records: Sequence[LedgerRecord],
    period: Period,
    *,
    statuses: Sequence[BudgetStatus] = (),
    top: int = 10,
    ledger: str = "",
) -> dict[str, Any]:
    """The report as a JSON-ready dict (``frugal report --json`` prints exactly this)."""
    served = [r for r in records if r.outcome != "blocked"]
    cost = _sum(r.cost_usd for r in served)
    baseline = _sum(r.baseline_cost_usd for r in served)
    savings = _sum(r.savings_usd for r in served)
    premium = [r for r in served if r.routed_down]
    premium.sort(key=lambda r: (-(r.savings_usd or 0.0), r.time))
    days: dict[str, list[LedgerRecord]] = {}
    for record in served:
        days.setdefault(_iso(record.time)[:10], []).append(record)
    start = datetime.fromtimestamp(period.since, timezone.utc).date()
    end = datetime.fromtimestamp(max(period.since, period.until - 1e-6), timezone.utc).date()
    daily: list[dict[str, Any]] = []
    day = start
    while day <= end and len(daily) < 400:
        items = days.get(day.isoformat(), [])
        daily.append(
            {
                "day": day.isoformat(),
                "calls": len(items),
                "cost_usd": _sum(r.cost_usd for r in items),
                "baseline_usd": _sum(r.baseline_cost_usd for r in items),
            }
        )
        day += timedelta(days=1)
    return {
        "period": {"since": _iso(period.since), "until": _iso(period.until)},
        "ledger": ledger,
        "totals": {
            "calls": len(records),
            "served": len(served),
            "blocked": len(records) - len(served),
            "errors": sum(r.outcome == "error" for r in served),
            "downgraded": sum(r.downgraded is not None for r in served),
            "unpriced": sum(r.cost_usd is None for r in served),
            "cost_usd": cost,
            "baseline_usd": baseline,
            "savings_usd": savings,
            "savings_share": savings / baseline if baseline else None,
            "input_tokens": sum(r.input_tokens for r in served),
            "output_tokens": sum(r.output_tokens for r in served),
            "cache_read_tokens": sum(r.cache_read_tokens for r in served),
            "cache_savings_usd": _sum(r.cache_savings_usd for r in served),
            "cut_short": sum(r.finish_reason in _CUT_SHORT for r in served),
        },
        "by_team": _group(served, "team"),
        "by_user": _group(served, "user"),
        "by_feature": _group(served, "feature"),
        "by_model": _group(served, "model"),
        "daily": daily,
        "premium_for_simple": {
            "calls": len(premium),
            "savings_usd": _sum(r.savings_usd for r in premium),
            "top": [
                {
                    "time": _iso(r.time),
                    "user": r.user,
                    "team": r.team,
                    "feature": r.feature,
                    "requested_model": r.requested_model,
                    "requested_tier": r.requested_tier,
                    "model": r.model,
                    "tier": r.tier,
                    "cost_usd": r.cost_usd,
                    "baseline_usd": r.baseline_cost_usd,
                    "savings_usd": r.savings_usd,
                }
                for r in premium[:top]
            ],
        },
        "budgets": [status.to_dict() for status in statuses],
    }


def usd(value: float | None) -> str:
    """Dollars for people: ``$1,234.56``, ``$0.0694``, ``$0.000420``, or ``n/a``."""
    if value is None:
        return "n/a"
    if abs(value) >= 1:
        return f"${value:,.2f}"
    if abs(value) >= 0.01:
        return f"${value:.4f}"
    return f"${value:.6f}" if value else "$0"


def spent_of(status: dict[str, Any]) -> str:
    """A budget status's spend: dollars, or calls for a budget that counts calls."""
    return f"{status['calls']:,} calls" if status.get("limit_calls") is not None else usd(status["spent_usd"])


def limit_of(status: dict[str, Any]) -> str:
    """A budget status's limit: dollars, or calls."""
    limit = status.get("limit_calls")
    return f"{limit:,} calls" if limit is not None else usd(status["limit_usd"])


def render_terminal(report: dict[str, Any], console: Any = None) -> None:
    """Print the report as rich tables (to ``console``, default: standard output)."""
    from rich.console import Console
    from rich.table import Table

    console = console or Console()
    totals = report["totals"]
    period = report["period"]
    share = totals["savings_share"]
    console.print(
        f"[bold]frugal report[/bold]  {period['since']} → {period['until']}  ({report['ledger']})\n"
        f"{totals['calls']} calls ({totals['blocked']} blocked, {totals['errors']} failed, "
        f"{totals['downgraded']} downgraded, {totals['unpriced']} unpriced)   "
        f"spent [bold]{usd(totals['cost_usd'])}[/bold]   without frugal {usd(totals['baseline_usd'])}   "
        f"saved [bold green]{usd(totals['savings_usd'])}[/bold green]"
        + (f" ({share:.0%})" if share is not None else "")
        + (
            f"   prompt caching saved {usd(totals['cache_savings_usd'])}"
            if totals["cache_read_tokens"]
            else ""
        )
        + (f"   {totals['cut_short']} answers cut by their output limit" if totals["cut_short"] else "")
    )
    for key, title in (
        ("by_team", "Team"),
        ("by_user", "User"),
        ("by_feature", "Feature"),
        ("by_model", "Model"),
    ):
        rows = report[key]
        if not rows:
            continue
        table = Table(title=f"By {title.lower()}", title_justify="left")
        table.add_column(title)
        for column in ("Calls", "Spent", "Baseline", "Saved"):
            table.add_column(column, justify="right")
        for row in rows[:20]:
            table.add_row(
                row["name"],
                str(row["calls"]),
                usd(row["cost_usd"]),
                usd(row["baseline_usd"]),
                usd(row["savings_usd"]),
            )
        console.print(table)
    premium = report["premium_for_simple"]
    table = Table(
        title=f"Premium model asked for a simple prompt: {premium['calls']} calls, routing saved "
        f"{usd(premium['savings_usd'])}",
        title_justify="left",
    )
    for column in ("When", "Team", "User", "Asked for", "Served by", "Spent", "Saved"):
        table.add_column(column, justify="right" if column in ("Spent", "Saved") else "left")
    for row in premium["top"]:
        table.add_row(
            row["time"][:16].replace("T", " "),
            row["team"] or "",
            row["user"] or "",
            f"{row['requested_model']} ({row['requested_tier']})",
            f"{row['model']} ({row['tier']})",
            usd(row["cost_usd"]),
            usd(row["savings_usd"]),
        )
    console.print(table)
    if report["budgets"]:
        table = Table(title="Budgets (current window)", title_justify="left")
        for column in ("Budget", "Scope", "Value", "Action", "Spent", "Limit", "Used", "Resets"):
            table.add_column(column, justify="right" if column in ("Spent", "Limit", "Used") else "left")
        for status in report["budgets"]:
            used = status["used_share"]
            colour = "red" if used >= 1 else "yellow" if used >= 0.8 else "green"
            table.add_row(
                status["budget"],
                status["scope"],
                status["value"],
                status["action"],
                spent_of(status),
                limit_of(status),
                f"[{colour}]{used:.0%}[/{colour}]",
                status["reset_at"].replace("T", " ")[:16],
            )
        console.print(table)
