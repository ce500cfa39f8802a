"""The quality section of ``frugal report``: the audit of :mod:`frugal.feedback.audit` in words.

:func:`with_quality` adds a period's audit to a report (``quality``, with ``claim``: the audit in one
sentence); :func:`quality_rows` lays it out as a table for the terminal and the HTML page, and
:func:`render_quality` prints it. Every share is shown with its sample: below the audit's ``min_sample`` as
"67% (n=12: too few to claim)", never as a finding.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .report import calls, print_table, round_money, usd

__all__ = [
    "NO_LABELS",
    "measured",
    "percent",
    "quality_claim",
    "quality_rows",
    "render_quality",
    "with_quality",
]

_TURN_ON = "turn on shadow: in the policy (docs/feedback.md)"
#: What the quality section says when the period has no labels.
NO_LABELS = f"no labels yet: {_TURN_ON}"


def percent(share: float) -> str:
    """A share for people: ``94%``; ``99.6%`` rather than a ``100%`` that is not all."""
    text = f"{share:.0%}"
    return f"{share:.1%}" if text in ("0%", "100%") and 0 < share < 1 else text


def measured(measure: Mapping[str, Any], *, of: bool = False) -> str:
    """A measured share with its sample: ``94% (91%–96%)``, ``94% of 300 (91%–96%)`` (``of``), ``67% (n=12:
    too few to claim)``, or ``not measured``."""
    n = measure["n"]
    if not n:
        return "not measured"
    if not measure["enough"]:
        return f"{percent(measure['share'])} (n={n:,}: too few to claim)"
    share = percent(measure["share"]) + (f" of {n:,}" if of else "")
    return f"{share} ({percent(measure['low'])}–{percent(measure['high'])})"


def quality_claim(period: Mapping[str, str], totals: Mapping[str, Any], quality: Mapping[str, Any]) -> str:
    """The audit in one sentence: what routing saved, and how often the routed answers of a measured sample
    were as good as the baseline's, with the interval and the sample size (or why nothing is claimed)."""
    if not quality["labels"]:
        return NO_LABELS
    first, last = period["since"][:10], period["until"][:10]
    saved = f"routing saved {usd(totals['savings_usd'])} " + (
        f"on {first}" if first == last else f"from {first} to {last}"
    )
    shadow = quality["shadow"]
    n = shadow["n"]
    if not n:
        return f"{saved}; no call was compared with its baseline: {_TURN_ON}"
    if not shadow["enough"]:
        return (
            f"{saved}; only {calls(n)} routed to a cheaper model were compared with the baseline "
            f"({percent(shadow['share'])} as good): too few to claim (at least {quality['min_sample']})"
        )
    return (
        f"{saved}, and on a measured sample of {calls(n)} routed to a cheaper model the routed answers were "
        f"as good as the baseline's in {percent(shadow['share'])} of cases ({quality['confidence']:.0%} "
        f"interval {percent(shadow['low'])}–{percent(shadow['high'])})"
    )


def with_quality(report: dict[str, Any], quality: Mapping[str, Any]) -> dict[str, Any]:
    """``report`` with its ``quality`` section: the audit of the same period and its ``claim``; money rounded
    to the micro-dollar like the rest of the report."""
    section = {**quality, "claim": quality_claim(report["period"], report["totals"], quality)}
    return {**report, "quality": round_money(section)}


def _cell(measure: Mapping[str, Any], *, of: bool = False) -> str:
    return measured(measure, of=of) if measure["n"] else "–"


def quality_rows(quality: Mapping[str, Any]) -> tuple[list[str], list[list[str]], set[int]]:
    """The quality audit as a table: columns, rows (one per route and tier; "–": no such labels) and the
    numeric columns; the cascade and feedback columns only when there are such labels."""
    columns = ["Route", "Tier", "Calls", "Saved", "Shadowed", "As good as baseline", "Compared by"]
    cascade, feedback = quality["cascade"]["n"] > 0, quality["feedback"]["n"] > 0
    columns += ["Cascade escalated"] * cascade + ["Feedback good"] * feedback
    rows = []
    for row in quality["rows"]:
        methods = row["shadow"]["by_method"]
        cells = [
            row["route"] or "(none)",
            row["tier"] or "(none)",
            f"{row['calls']:,}",
            usd(row["savings_usd"]),
            f"{row['shadow']['n']:,}",
            _cell(row["shadow"]),
            ", ".join(f"{name} {m['n']:,}" for name, m in methods.items()) or "–",
        ]
        cells += [_cell(row["cascade"], of=True)] * cascade
        rows.append(cells + [_cell(row["feedback"], of=True)] * feedback)
    return columns, rows, {2, 3, 4}


def render_quality(quality: Mapping[str, Any], console: Any) -> None:
    """Print the quality audit: where its labels come from, the sentence that sums it up, then a row per
    route and tier."""
    if not quality["labels"]:
        console.print(f"\n[bold]Quality audit[/bold]: {NO_LABELS}", highlight=False)
        return
    console.print(
        f"\n[bold]Quality audit[/bold]: {quality['labels']:,} labels from {quality['store']} "
        f"({quality['confidence']:.0%} intervals; under {quality['min_sample']} labels: too few to claim)\n"
        + quality["claim"],
        highlight=False,
    )
    print_table(console, None, *quality_rows(quality))
