"""``frugal report --html FILE``: the report as one self-contained page (inline CSS and SVG, no script,
no fonts or files from anywhere else), readable offline and in any browser."""

from __future__ import annotations

import math
from html import escape
from typing import Any

from .report import calls, change_of, headline, limit_of, premium_rows, spent_of, usd, used_of
from .report_quality import NO_LABELS, quality_rows

__all__ = ["render_html"]

_SPENT, _SAVED, _BASE = "#2563eb", "#16a34a", "#cbd5e1"

_CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;
background:#f8fafc;color:#0f172a}
main{max-width:1180px;margin:0 auto;padding:28px 32px 48px}
h1{font-size:24px;margin:0 0 4px}h2{font-size:17px;margin:30px 0 10px}
.sub{color:#475569;margin:0 0 20px}
.cards{display:grid;grid-template-columns:repeat(5,1fr);gap:12px}
.card{background:#fff;border:1px solid #e2e8f0;border-radius:10px;padding:14px 16px}
.card b{display:block;font-size:22px;margin-top:2px}.card span{color:#64748b;font-size:12px}
.grid{display:grid;grid-template-columns:1fr 1fr;gap:18px}
.panel{background:#fff;border:1px solid #e2e8f0;border-radius:10px;padding:14px 16px;overflow:hidden}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{padding:5px 8px;border-bottom:1px solid #e2e8f0;text-align:left;white-space:nowrap}
th{color:#475569;font-weight:600}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
.bar{background:#e2e8f0;border-radius:4px;height:8px;width:120px;display:inline-block;vertical-align:middle}
.bar i{display:block;height:8px;border-radius:4px}
.legend{font-size:12px;color:#475569}
.legend i{display:inline-block;width:10px;height:10px;margin:0 4px 0 12px}
.card em{display:block;font-style:normal;font-size:12px;color:#64748b;margin-top:2px}
.lead{margin:0 0 4px;color:#334155}.more{color:#64748b;font-size:12px;margin:6px 0 0}
.over{background:#fee2e2;color:#b91c1c;border-radius:4px;padding:0 5px;font-size:11px;font-weight:600}
@media (max-width:900px){.cards{grid-template-columns:repeat(2,1fr)}.grid{grid-template-columns:1fr}
main{padding:16px}}
"""


def _legend(*items: tuple[str, str]) -> str:
    return (
        '<div class="legend">'
        + "".join(f'<i style="background:{c}"></i>{escape(t)}' for t, c in items)
        + "</div>"
    )


def _round_top(top: float) -> float:
    """The chart's top: the first of 1, 2, 2.5, 5 times a power of ten at or above ``top`` (round ticks)."""
    power = 10.0 ** math.floor(math.log10(top))
    return float(next(f * power for f in (1, 2, 2.5, 5, 10) if f * power >= top * (1 - 1e-12)))


def _daily_chart(daily: list[dict[str, Any]], width: int = 1100, height: int = 220) -> str:
    """Spend and baseline per day: grouped vertical bars."""
    if not daily:
        return "<p>No calls in this period.</p>"
    top = _round_top(max(max(d["baseline_usd"], d["cost_usd"]) for d in daily) or 1.0)
    left, chart_h = 60, height - 34
    step = (width - left - 10) / len(daily)
    bar = max(1.0, min(18.0, step * 0.38))
    parts = [f'<svg viewBox="0 0 {width} {height}" width="100%" role="img" aria-label="spend per day">']
    for fraction in (0, 0.25, 0.5, 0.75, 1):
        y = 10 + chart_h * (1 - fraction)
        parts.append(f'<line x1="{left}" x2="{width - 10}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e2e8f0"/>')
        parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" font-size="11" text-anchor="end" fill="#64748b">')
        parts.append(f"{escape(usd(top * fraction))}</text>")
    label_every = max(1, len(daily) // 10)
    for index, day in enumerate(daily):
        x = left + index * step + step / 2
        for offset, value, colour in ((-bar, day["baseline_usd"], _BASE), (0.0, day["cost_usd"], _SPENT)):
            h = chart_h * value / top
            parts.append(
                f'<rect x="{x + offset:.1f}" y="{10 + chart_h - h:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                f'fill="{colour}"><title>{escape(day["day"])}: {escape(usd(value))}</title></rect>'
            )
        if index % label_every == 0:
            parts.append(
                f'<text x="{x:.1f}" y="{height - 6}" font-size="11" text-anchor="middle" fill="#64748b">'
                f"{escape(day['day'][5:])}</text>"
            )
    parts.append("</svg>")
    return "".join(parts)


def _bars(rows: list[dict[str, Any]], *, stacked: bool, width: int = 520, limit: int = 8) -> str:
    """Horizontal bars per row: spent (and, stacked, saved on top: together the baseline)."""
    rows = rows[:limit]
    if not rows:
        return "<p>No calls.</p>"
    top = max((r["cost_usd"] + max(r["savings_usd"], 0.0)) if stacked else r["cost_usd"] for r in rows) or 1.0
    label, row_h = 150, 26
    height = row_h * len(rows) + 6
    span = width - label - 90
    parts = [f'<svg viewBox="0 0 {width} {height}" width="100%" role="img">']
    for index, row in enumerate(rows):
        y = 4 + index * row_h
        spent = span * row["cost_usd"] / top
        name = row["name"] if len(row["name"]) <= 22 else row["name"][:21] + "…"
        parts.append(
            f'<text x="{label - 8}" y="{y + 15}" font-size="12" text-anchor="end">{escape(name)}</text>'
        )
        parts.append(
            f'<rect x="{label}" y="{y + 3}" width="{spent:.1f}" height="16" rx="3" fill="{_SPENT}">'
            f"<title>spent {escape(usd(row['cost_usd']))}</title></rect>"
        )
        end = label + spent
        if stacked and row["savings_usd"] > 0:
            saved = span * row["savings_usd"] / top
            parts.append(
                f'<rect x="{end:.1f}" y="{y + 3}" width="{saved:.1f}" height="16" rx="3" fill="{_SAVED}">'
                f"<title>saved {escape(usd(row['savings_usd']))}</title></rect>"
            )
            end += saved
        parts.append(f'<text x="{end + 6:.1f}" y="{y + 15}" font-size="11" fill="#475569">')
        parts.append(f"{escape(usd(row['cost_usd']))}</text>")
    parts.append("</svg>")
    return "".join(parts)


def _table(headers: list[str], rows: list[list[str]], numeric: set[int]) -> str:
    head = "".join(
        f'<th class="n">{escape(h)}</th>' if i in numeric else f"<th>{escape(h)}</th>"
        for i, h in enumerate(headers)
    )
    body = "".join(
        "<tr>"
        + "".join(f'<td class="n">{c}</td>' if i in numeric else f"<td>{c}</td>" for i, c in enumerate(row))
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body or '<tr><td>none</td></tr>'}</tbody></table>"


def _group_table(rows: list[dict[str, Any]], title: str, top: int) -> str:
    return _table(
        [title, "Calls", "Spent", "Without frugal", "Saved"],
        [
            [
                escape(r["name"]),
                f"{r['calls']:,}",
                usd(r["cost_usd"]),
                usd(r["baseline_usd"]),
                usd(r["savings_usd"]),
            ]
            for r in rows[:top]
        ],
        {1, 2, 3, 4},
    ) + _more(len(rows) - top)


def _more(count: int) -> str:
    return f'<p class="more">+{count:,} more</p>' if count > 0 else ""


def _cards(report: dict[str, Any]) -> str:
    totals = report["totals"]
    share = totals["savings_share"]
    before = report.get("previous")
    month = report.get("projection")

    def versus(key: str) -> str:
        return "" if before is None else f"{change_of(before[key])} vs previous period"

    cards = [
        ("Spent", usd(totals["cost_usd"]), versus("cost_change")),
        ("Without frugal", usd(totals["baseline_usd"]), "the same calls, unrouted"),
        (
            "Saved by routing",
            usd(totals["savings_usd"]) + (f" ({share:.0%})" if share is not None else ""),
            versus("savings_change"),
        ),
        (
            "Calls",
            f"{totals['served']:,}",
            f"{totals['blocked']:,} blocked, {totals['downgraded']:,} downgraded",
        ),
    ]
    if month is not None:
        projected = month["projected_usd"]
        cards.append(
            (
                f"Month-end projection ({month['month']})",
                "n/a" if projected is None else usd(projected),
                f"{usd(month['month_to_date_usd'])} in {month['days_elapsed']:g} days",
            )
        )
    return (
        '<div class="cards">'
        + "".join(
            f'<div class="card"><span>{escape(k)}</span><b>{escape(v)}</b><em>{escape(note)}</em></div>'
            for k, v, note in cards
        )
        + "</div>"
    )


def _budget_table(budgets: list[dict[str, Any]], top: int) -> str:
    rows = []
    for status in budgets[:top]:
        used = status["used_share"]
        colour = "#dc2626" if used >= 1 else "#d97706" if used >= 0.8 else _SAVED
        fill = f'<i style="width:{min(used, 1) * 100:.0f}%;background:{colour}"></i>'
        badge = ' <span class="over">over limit</span>' if status["over_limit"] else ""
        meter = f'<span class="bar">{fill}</span> {escape(used_of(status).replace(" OVER", ""))}{badge}'
        rows.append(
            [
                escape(status["budget"]),
                escape(f"{status['scope']} = {status['value']}"),
                escape(status["action"]),
                spent_of(status),
                limit_of(status),
                meter,
                escape(status["reset_at"].replace("T", " ")[:16]) + " UTC",
            ]
        )
    table = _table(["Budget", "Scope", "Action", "Spent", "Limit", "Used", "Resets"], rows, {3, 4})
    return table + _more(len(budgets) - top)


def _quality_section(quality: dict[str, Any] | None) -> str:
    """The quality audit: the sentence that sums it up and a row per route and tier (nothing without an
    audit; one line without labels)."""
    if quality is None:
        return ""
    if not quality["labels"]:
        return f"<h2>Quality audit</h2><div class=panel><p>{escape(NO_LABELS)}</p></div>"
    columns, rows, numeric = quality_rows(quality)
    return (
        "<h2>Quality audit</h2><div class=panel>"
        f'<p class="lead"><b>{escape(quality["claim"])}</b></p>'
        f'<p class="more">{quality["labels"]:,} labels from {escape(quality["store"])}; '
        f"{quality['confidence']:.0%} intervals; under {quality['min_sample']} labels a share is shown but "
        "too few to claim</p>"
        + _table(columns, [[escape(cell) for cell in row] for row in rows], numeric)
        + "</div>"
    )


def render_html(report: dict[str, Any], *, top: int = 10) -> str:
    """The report as one HTML document; each ranking shows its first ``top`` rows and how many more."""
    totals = report["totals"]
    period = report["period"]
    premium = report["premium_for_simple"]
    rows, more = premium_rows(report, top)
    budgets = report["budgets"]
    over = sum(b["over_limit"] for b in budgets)
    sections = [
        f"<h1>frugal report</h1><p class=sub>{escape(period['since'][:16])} → "
        f"{escape(period['until'][:16])} UTC"
        f" · {escape(report['ledger'])} · {totals['calls']:,} calls, {totals['unpriced']} unpriced, "
        f"{totals['errors']} failed</p>",
        "".join(f'<p class="lead">{escape(line)}</p>' for line in headline(report)),
        _cards(report),
        "<h2>Spend per day</h2><div class=panel>"
        + _legend(("without frugal", _BASE), ("spent", _SPENT))
        + _daily_chart(report["daily"])
        + "</div>",
        '<div class="grid"><div><h2>Spend and savings by team</h2><div class=panel>'
        + _legend(("spent", _SPENT), ("saved by routing", _SAVED))
        + _bars(report["by_team"], stacked=True)
        + "</div></div><div><h2>Spend and savings by model</h2><div class=panel>"
        + _legend(("spent", _SPENT), ("saved by routing", _SAVED))
        + _bars(report["by_model"], stacked=True)
        + "</div></div></div>",
        f"<h2>Premium model asked for a simple prompt: {calls(premium['calls'])} cost "
        f"{usd(premium['cost_usd'])} instead of {usd(premium['baseline_usd'])}, routing saved "
        f"{usd(premium['savings_usd'])}</h2><div class=panel>"
        + _table(
            ["Team", "Feature", "Asked for", "Calls", "Served by", "Would have cost", "Cost", "Saved"],
            [[escape(c) for c in row[:-1]] + [f"<b>{escape(row[-1])}</b>"] for row in rows],
            {3, 5, 6, 7},
        )
        + _more(more)
        + "</div>",
        f"<h2>Budgets in their current window: {over:,} of {len(budgets):,} over the limit</h2>"
        "<div class=panel>" + _budget_table(budgets, top) + "</div>",
        _quality_section(report.get("quality")),
        '<div class="grid"><div><h2>By model</h2><div class=panel>'
        + _group_table(report["by_model"], "Model", top)
        + "</div></div><div><h2>By feature</h2><div class=panel>"
        + _group_table(report["by_feature"], "Feature", top)
        + "</div></div></div>",
        '<div class="grid"><div><h2>By team</h2><div class=panel>'
        + _group_table(report["by_team"], "Team", top)
        + "</div></div><div><h2>By user</h2><div class=panel>"
        + _group_table(report["by_user"], "User", top)
        + "</div></div></div>",
    ]
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>frugal report</title><style>{_CSS}</style></head><body><main>"
        + "".join(sections)
        + "</main></body></html>\n"
    )
