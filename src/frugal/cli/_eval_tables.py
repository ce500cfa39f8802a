"""The tables of ``frugal eval``, ``calibrate`` and ``train`` (rich, like ``frugal report``'s)."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ._output import console, table

if TYPE_CHECKING:
    from ..evaluation.calibrate import Calibration
    from ..evaluation.evaluate import Evaluation
    from ..evaluation.train_report import SourceFit

__all__ = ["print_calibration", "print_evaluation", "print_fits", "print_summary"]

_FIGURES = ("quality", "cost", "savings")


def usd(value: float | None) -> str:
    """Dollars as evaluations show them: four decimals under $100, cents above."""
    return "-" if value is None else f"${value:,.4f}" if value < 100 else f"${value:,.2f}"


def share(value: float | None) -> str:
    """A fraction as a percentage with one decimal (``-`` when unknown)."""
    return "-" if value is None else f"{value:.1%}"


def _quality(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def print_evaluation(report: Evaluation, plot: str | None) -> None:
    """``frugal eval``'s text report: the headline, one table of every figure, then the details."""
    data = report.to_dict()
    p = report.prepared
    out = console()
    out.print(
        f"[bold]frugal eval[/bold]: {data['rows']:,} rows, {len(p.tiers)} tiers, classifier "
        f"{p.classifier}, target {report.target:.0%} of the strongest model's quality "
        f"({report.target_quality:.3f})",
        highlight=False,
    )
    rows: list[list[str]] = []

    def line(label: str, point: dict[str, Any]) -> None:
        rows.append([label, _quality(point["quality"]), usd(point["cost_usd"]), share(point["savings"])])

    for item in data["models"]:
        mark = " (strongest)" if item["model"] == report.strongest else ""
        line(item["model"] + mark, item)
    line("zero router at target", data["zero_router"])
    line("oracle", data["oracle"])
    line("router at target", data["at_target"])
    line("router, policy thresholds", data["configured"])
    table(out, None, ["", "Quality", "Cost", "Savings"], rows, numeric=["Quality", "Cost", "Savings"])
    at = data["at_target"]
    details: list[list[str]] = []
    if at["reached"]:
        shares = ", ".join(f"{t} {s:.0%}" for t, s in at["tier_share"].items())
        details.append(["thresholds at target", f"{at['threshold']}  ({shares})"])
    else:
        details.append(["thresholds at target", "none: no threshold setting reaches the target"])
    apgr, zero_apgr = data["apgr"], data["zero_router"]["apgr"]
    details.append(
        [
            "APGR",
            f"{'-' if apgr is None else f'{apgr:.3f}'} "
            f"(zero router {'-' if zero_apgr is None else f'{zero_apgr:.3f}'})",
        ]
    )
    costs = data["costs"]
    details.append(["costs", f"{costs['recorded']:,} recorded, {costs['estimated']:,} estimated"])
    if data["skipped"]:
        skipped = ", ".join(f"{n:,} {why.replace('_', ' ')}" for why, n in data["skipped"].items())
        details.append(["skipped rows", skipped])
    if data["classifier_failures"]:
        details.append(["classifier failures", f"{data['classifier_failures']:,} (default tier)"])
    if plot:
        details.append(["plot", plot])
    _pairs(out, details)


def _pairs(out: Any, pairs: Sequence[Sequence[str]]) -> None:
    width = max(len(key) for key, _ in pairs) + 3
    for key, value in pairs:
        out.print(f"{key:<{width}}{value}", highlight=False)


def print_calibration(
    result: Calibration, rows: int, classifier: str, folds: int, out_file: str | None
) -> None:
    """``frugal calibrate``'s text report: in-sample and k-fold figures in one table, the thresholds."""
    data = result.to_dict()
    strong = data["strongest"]
    out = console()
    out.print(
        f"[bold]frugal calibrate[/bold]: {rows:,} rows, classifier {classifier}, target "
        f"{result.target:.0%} of {strong['model']} ({result.target_quality:.3f}, {usd(strong['cost_usd'])})",
        highlight=False,
    )
    lines = []
    for label, point in (
        ("in sample", data["in_sample"]),
        (f"out of sample ({folds}-fold)", data["out_of_sample"]),
    ):
        if point is None:
            lines.append([label, "-", "-", "-", "-", "target not reached by any threshold setting"])
            continue
        lines.append(
            [
                label,
                _quality(point["quality"]),
                share(point["share_of_strongest"]),
                usd(point["cost_usd"]),
                share(point["savings"]),
                "" if point["reached"] else "target missed",
            ]
        )
    numeric = ["Quality", "Of strongest", "Cost", "Savings"]
    table(out, None, ["", *numeric, ""], lines, numeric=numeric)
    if result.in_sample is not None:
        written = f" -> {out_file}" if out_file else ""
        out.print(f"thresholds   {list(result.in_sample.thresholds)}{written}", highlight=False)


def print_summary(summary: dict[str, Any], keys: Sequence[str]) -> None:
    """``frugal train``'s summary: what was read and written, one line per key."""
    _pairs(console(), [[key, str(summary[key])] for key in keys if key in summary])


def print_fits(title: str, fits: Sequence[SourceFit], label: str) -> None:
    """``frugal train --cv``'s table: out-of-fold scores against the label per source, and their mean."""
    out = console()
    out.print()
    rows = [
        [
            f.source,
            f"{f.rows:,}",
            f"{f.mean_score:.3f}",
            f"{f.mean_label:.3f}",
            f"{f.calibration_error:.3f}",
            "-" if f.auc is None else f"{f.auc:.3f}",
        ]
        for f in fits
    ]
    aucs = [f.auc for f in fits if f.auc is not None]
    rows.append(
        [
            f"mean of {len(fits)} sources",
            "",
            f"{statistics.fmean(f.mean_score for f in fits):.3f}",
            f"{statistics.fmean(f.mean_label for f in fits):.3f}",
            f"{statistics.fmean(f.calibration_error for f in fits):.3f}",
            f"{statistics.fmean(aucs):.3f}" if aucs else "-",
        ]
    )
    numeric = ["rows", "mean score", "mean label", "calib. error", "AUC"]
    table(
        out,
        f"{title}\nout-of-fold scores against the label ({label})",
        ["source", *numeric],
        rows,
        numeric=numeric,
    )
