"""``frugal report``: where the money went and what routing saved, from the ledger.

:func:`build_report` turns ledger records (and budget counters) into one JSON-ready summary: totals,
spend / baseline / savings / calls by team, user, feature and model, spend per day, the calls where a
premium model was asked for a prompt that a cheaper tier served ("premium model asked for a simple
prompt") with what routing saved on them, and each budget's status (``quality``, the quality audit, is
added by :mod:`frugal.budgets.report_quality`). Shadow calls (``shadow_of`` set: the baseline answering a
routed call again, to compare) are not the application's calls: they are left out of every figure and
counted apart (``shadow_calls``, ``shadow_cost_usd``). :func:`render_terminal` prints it as tables (rich,
imported here only); :mod:`frugal.budgets.report_html` renders it as one self-contained HTML page with
inline SVG charts.
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

__all__ = ["SCHEMA_VERSION", "Period", "build_report", "parse_period", "render_terminal"]

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


def _calls(records: Sequence[LedgerRecord]) -> list[LedgerRecord]:
    """The application's own calls: shadow calls left out."""
    return [r for r in records if r.shadow_of is None]


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, timezone.utc).isoformat(timespec="seconds")


#: The version of the report's JSON document (``schema_version``): 2 added the grouped premium-for-simple
#: calls, the previous period, the month-end projection, rounded money and budgets' ``over_limit``; since
#: then keys were only added (``quality``, ``totals.shadow_calls``, ``totals.shadow_cost_usd``).
SCHEMA_VERSION = 2


def round_money(value: Any) -> Any:
    """Every ``*_usd`` figure rounded to the micro-dollar (what a finance sheet can use), recursively."""
    if isinstance(value, dict):
        return {
            k: round(v, 6) if k.endswith("_usd") and isinstance(v, float) else round_money(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [round_money(v) for v in value]
    return value


def _premium_groups(premium: Sequence[LedgerRecord]) -> list[dict[str, Any]]:
    """Premium-for-simple calls by (team, feature, requested model): counts and dollars, largest savings
    first."""
    groups: dict[tuple[str | None, str | None, str | None], list[LedgerRecord]] = {}
    for record in premium:
        groups.setdefault((record.team, record.feature, record.requested_model), []).append(record)
    rows: list[dict[str, Any]] = []
    for (team, feature, requested), items in groups.items():
        served: dict[str, int] = {}
        for r in items:
            served[r.model or "(none)"] = served.get(r.model or "(none)", 0) + 1
        rows.append(
            {
                "team": team,
                "feature": feature,
                "requested_model": requested,
                "calls": len(items),
                "cost_usd": _sum(r.cost_usd for r in items),
                "baseline_usd": _sum(r.baseline_cost_usd for r in items),
                "savings_usd": _sum(r.savings_usd for r in items),
                "served_by": dict(sorted(served.items(), key=lambda kv: (-kv[1], kv[0]))),
            }
        )
    rows.sort(key=lambda g: (-g["savings_usd"], -g["calls"], str(g["team"]), str(g["feature"])))
    return rows


def _change(now: float, before: float) -> float | None:
    """The relative change from ``before`` to ``now`` (None when there was nothing before)."""
    return (now - before) / before if before else None


def _previous(records: Sequence[LedgerRecord], period: Period, current: dict[str, Any]) -> dict[str, Any]:
    """The period of the same length just before the report's, and the change since."""
    served = [r for r in records if r.outcome != "blocked"]
    cost = _sum(r.cost_usd for r in served)
    savings = _sum(r.savings_usd for r in served)
    length = period.until - period.since
    return {
        "since": _iso(period.since - length),
        "until": _iso(period.since),
        "calls": len(records),
        "cost_usd": cost,
        "savings_usd": savings,
        "cost_change": _change(current["cost_usd"], cost),
        "savings_change": _change(current["savings_usd"], savings),
        "calls_change": _change(current["calls"], len(records)),
    }


def _projection(records: Sequence[LedgerRecord], now: float) -> dict[str, Any]:
    """Spend of the calendar month so far (UTC), and where it ends at the month's average daily rate."""
    start = Window("month").start(now)
    moment = datetime.fromtimestamp(start, timezone.utc)
    following = moment.replace(year=moment.year + moment.month // 12, month=moment.month % 12 + 1)
    days_in_month = (following - moment).days
    elapsed = (now - start) / 86_400
    spent = _sum(r.cost_usd for r in records if r.outcome != "blocked" and start <= r.time < now)
    return {
        "month": moment.strftime("%Y-%m"),
        "days_elapsed": round(elapsed, 2),
        "days_in_month": days_in_month,
        "month_to_date_usd": spent,
        # Less than a day in, a daily rate says little: no projection rather than a wild one.
        "projected_usd": spent / elapsed * days_in_month if elapsed >= 1 else None,
    }


def _budgets(statuses: Sequence[BudgetStatus]) -> list[dict[str, Any]]:
    """Budget status, over-limit first, then by the share of the limit used."""
    rows = [{**status.to_dict(), "over_limit": status.used_share >= 1} for status in statuses]
    rows.sort(key=lambda b: (not b["over_limit"], -b["used_share"], b["budget"], str(b["value"])))
    return rows


def build_report(
    records: Sequence[LedgerRecord],
    period: Period,
    *,
    statuses: Sequence[BudgetStatus] = (),
    top: int = 10,
    ledger: str = "",
    previous: Sequence[LedgerRecord] | None = None,
    month: Sequence[LedgerRecord] | None = None,
    now: float | None = None,
) -> dict[str, Any]:
    """The report as a JSON-ready dict (``frugal report --json`` prints exactly this).

    Args:
        records: the ledger's records of the period.
        period: the period reported on.
        statuses: each budget's status in its current window.
        top: the largest premium-for-simple calls listed one by one (``premium_for_simple.top``).
        ledger: the ledger's URL as shown (without a password).
        previous: the records of the period of the same length just before, for the change since.
        month: the records of the current calendar month (UTC) up to ``now``, for the month-end projection.
        now: the moment the report is made (default: the end of the period).
    """
    now = period.until if now is None else now
    shadows = [r for r in records if r.shadow_of is not None]
    records = _calls(records)
    previous = None if previous is None else _calls(previous)
    month = None if month is None else _calls(month)
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
    totals = {
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
        "shadow_calls": len(shadows),
        "shadow_cost_usd": _sum(r.cost_usd for r in shadows),
    }
    report = {
        "schema_version": SCHEMA_VERSION,
        "period": {"since": _iso(period.since), "until": _iso(period.until)},
        "ledger": ledger,
        "totals": totals,
        "previous": None if previous is None else _previous(previous, period, totals),
        "projection": None if month is None else _projection(month, now),
        "by_team": _group(served, "team"),
        "by_user": _group(served, "user"),
        "by_feature": _group(served, "feature"),
        "by_model": _group(served, "model"),
        "by_requested_model": _group(served, "requested_model"),
        "daily": daily,
        "premium_for_simple": {
            "calls": len(premium),
            "cost_usd": _sum(r.cost_usd for r in premium),
            "baseline_usd": _sum(r.baseline_cost_usd for r in premium),
            "savings_usd": _sum(r.savings_usd for r in premium),
            "groups": _premium_groups(premium),
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
        "budgets": _budgets(statuses),
        "quality": None,
    }
    rounded: dict[str, Any] = round_money(report)
    return rounded


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


def calls(count: int) -> str:
    """``1 call``, ``12 calls``."""
    return f"{count:,} call" + ("" if count == 1 else "s")


def change_of(ratio: float | None) -> str:
    """A relative change for people: ``+12%``, ``-3%``, ``new`` (nothing before)."""
    return "new" if ratio is None else f"{ratio:+.0%}"


def headline(report: dict[str, Any]) -> list[str]:
    """The report's first lines, in words: what was spent and saved, the change since the previous period,
    what shadow comparisons cost, the month-end projection."""
    totals = report["totals"]
    share = totals["savings_share"]
    lines = [
        f"spent {usd(totals['cost_usd'])}; without frugal the same calls would have cost "
        f"{usd(totals['baseline_usd'])}: routing saved {usd(totals['savings_usd'])}"
        + (f" ({share:.0%})" if share is not None else "")
    ]
    before = report.get("previous")
    if before is not None and not before["calls"]:
        lines.append(
            f"nothing recorded in the previous period ({before['since'][:10]} → {before['until'][:10]})"
        )
    elif before is not None:
        lines.append(
            f"against the previous period ({before['since'][:10]} → {before['until'][:10]}): spend "
            f"{change_of(before['cost_change'])}, savings {change_of(before['savings_change'])}, calls "
            f"{change_of(before['calls_change'])}"
        )
    shadows = totals.get("shadow_calls", 0)
    if shadows:
        lines.append(
            f"shadow comparisons cost {usd(totals['shadow_cost_usd'])} ({calls(shadows)} to the baseline or "
            "a judge), not counted in the spend or savings above"
        )
    month = report.get("projection")
    if month is not None:
        projected = month["projected_usd"]
        lines.append(
            f"{month['month']} so far: {usd(month['month_to_date_usd'])} in {month['days_elapsed']:g} days; "
            + (
                f"month-end projection {usd(projected)} at this rate"
                if projected is not None
                else "no month-end projection before the first full day"
            )
        )
    return lines


def premium_rows(report: dict[str, Any], top: int) -> tuple[list[list[str]], int]:
    """The premium-for-simple groups as table rows (the first ``top``) and how many more there are."""
    groups = report["premium_for_simple"]["groups"]
    rows = [
        [
            g["team"] or "(none)",
            g["feature"] or "(none)",
            g["requested_model"] or "(none)",
            f"{g['calls']:,}",
            ", ".join(g["served_by"]),
            usd(g["baseline_usd"]),
            usd(g["cost_usd"]),
            usd(g["savings_usd"]),
        ]
        for g in groups[:top]
    ]
    return rows, max(0, len(groups) - top)


def used_of(status: dict[str, Any]) -> str:
    """A budget's share used, marked when over its limit."""
    return f"{status['used_share']:.0%}" + (" OVER" if status["over_limit"] else "")


def print_table(
    console: Any,
    title: str | None,
    columns: Sequence[str],
    rows: list[list[str]],
    numeric: set[int],
    more: int = 0,
) -> None:
    """Print a table under a bold ``title`` (if any): ``numeric`` columns right-aligned, then how many
    rows were left out (``more``)."""
    from rich.table import Table

    if title is not None:
        console.print(f"\n[bold]{title}[/bold]", highlight=False)
    grid = Table(header_style="bold")
    for index, column in enumerate(columns):
        grid.add_column(column, justify="right" if index in numeric else "left", overflow="fold")
    for row in rows:
        grid.add_row(*row)
    console.print(grid, highlight=False)
    if more:
        console.print(f"[dim]+{more:,} more[/dim]", highlight=False)


def render_terminal(report: dict[str, Any], console: Any = None, *, top: int = 10) -> None:
    """Print the report as rich tables (to ``console``, default: standard output); each ranking shows its
    first ``top`` rows and says how many more there are. The quality audit, when the report has one, comes
    last."""
    from rich.console import Console

    console = console or Console()

    totals = report["totals"]
    period = report["period"]
    console.print(
        f"[bold]frugal report[/bold]  {period['since']} → {period['until']}  ({report['ledger']})",
        highlight=False,
    )
    console.print(
        f"{totals['calls']:,} calls ({totals['blocked']:,} blocked, {totals['errors']:,} failed, "
        f"{totals['downgraded']:,} downgraded, {totals['unpriced']:,} unpriced)"
        + (f", {totals['cut_short']:,} answers cut by their output limit" if totals["cut_short"] else "")
        + (
            f"; prompt caching saved {usd(totals['cache_savings_usd'])}"
            if totals["cache_read_tokens"]
            else ""
        ),
        highlight=False,
    )
    for line in headline(report):
        console.print(line, highlight=False)
    for key, title in (
        ("by_team", "Team"),
        ("by_feature", "Feature"),
        ("by_model", "Model"),
        ("by_user", "User"),
    ):
        groups = report[key]
        if groups and [g["name"] for g in groups] != ["(none)"]:
            rows = [
                [
                    g["name"],
                    f"{g['calls']:,}",
                    usd(g["cost_usd"]),
                    usd(g["baseline_usd"]),
                    usd(g["savings_usd"]),
                ]
                for g in groups[:top]
            ]
            columns = [title, "Calls", "Spent", "Baseline", "Saved"]
            print_table(
                console, f"By {title.lower()}", columns, rows, {1, 2, 3, 4}, max(0, len(groups) - top)
            )
    premium = report["premium_for_simple"]
    rows, more = premium_rows(report, top)
    if not rows:
        console.print("\n[bold]Premium model asked for a simple prompt[/bold]: none", highlight=False)
    else:
        print_table(
            console,
            f"Premium model asked for a simple prompt: {calls(premium['calls'])} cost "
            f"{usd(premium['cost_usd'])} instead of {usd(premium['baseline_usd'])}: "
            f"routing saved {usd(premium['savings_usd'])}",
            ["Team", "Feature", "Asked for", "Calls", "Served by", "Would have cost", "Cost", "Saved"],
            rows,
            {3, 5, 6, 7},
            more,
        )
    budgets = report["budgets"]
    if budgets:
        rows = [
            [
                status["budget"],
                status["scope"],
                status["value"] or "",
                status["action"],
                spent_of(status),
                limit_of(status),
                used_of(status),
                status["reset_at"].replace("T", " ")[:16],
            ]
            for status in budgets[:top]
        ]
        over = sum(b["over_limit"] for b in budgets)
        print_table(
            console,
            f"Budgets in their current window: {over:,} of {len(budgets):,} over the limit",
            ["Budget", "Scope", "Value", "Action", "Spent", "Limit", "Used", "Resets (UTC)"],
            rows,
            {4, 5, 6},
            max(0, len(budgets) - top),
        )
    quality = report.get("quality")
    if quality is not None:
        from .report_quality import render_quality

        render_quality(quality, console)
