"""How well out-of-fold scores track their label, per source: ``frugal train --cv``'s report.

For each source: its rows, the mean score next to the mean label (calibration in the large: a score is
meant as the label's probability), the mean absolute gap between them within ten score bins (the
expected calibration error), and the AUC of the score for rows above the source's median label (how well
it ranks them; 0.5 is chance).
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .data import Row

__all__ = ["SourceFit", "auc", "format_fits", "source_fits"]


@dataclass(frozen=True, slots=True)
class SourceFit:
    """Out-of-fold scores against the label on one source."""

    source: str
    rows: int
    mean_score: float
    mean_label: float
    calibration_error: float
    auc: float | None

    def to_dict(self) -> dict[str, Any]:
        """JSON of the figures."""
        return {
            "source": self.source,
            "rows": self.rows,
            "mean_score": self.mean_score,
            "mean_label": self.mean_label,
            "calibration_error": self.calibration_error,
            "auc": self.auc,
        }


def source_fits(
    rows: Sequence[Row], scores: Mapping[str, float], values: Sequence[float], used: Sequence[bool]
) -> list[SourceFit]:
    """Per source (in the order first seen), the figures of the module docstring."""
    by_source: dict[str, list[tuple[float, float]]] = {}
    for row, value, ok in zip(rows, values, used, strict=True):
        if ok and row.id in scores:
            by_source.setdefault(row.source or row.file, []).append((scores[row.id], value))
    return [_fit(source, pairs) for source, pairs in by_source.items()]


def _fit(source: str, pairs: list[tuple[float, float]]) -> SourceFit:
    scores = [s for s, _ in pairs]
    labels = [y for _, y in pairs]
    ordered = sorted(pairs)
    bins = [ordered[len(ordered) * k // 10 : len(ordered) * (k + 1) // 10] for k in range(10)]
    error = sum(
        len(b) * abs(statistics.fmean(s for s, _ in b) - statistics.fmean(y for _, y in b)) for b in bins if b
    ) / len(pairs)
    median = statistics.median(labels)
    return SourceFit(
        source,
        len(pairs),
        statistics.fmean(scores),
        statistics.fmean(labels),
        error,
        auc(scores, [y > median for y in labels]),
    )


def auc(scores: Sequence[float], positive: Sequence[bool]) -> float | None:
    """P(a positive row scores above a negative one), ties counting half (Mann-Whitney)."""
    npos = sum(positive)
    nneg = len(positive) - npos
    if not npos or not nneg:
        return None
    ranked = sorted(range(len(scores)), key=lambda i: scores[i])
    rank = [0.0] * len(scores)
    start = 0
    while start < len(ranked):
        end = start
        while end + 1 < len(ranked) and scores[ranked[end + 1]] == scores[ranked[start]]:
            end += 1
        for k in range(start, end + 1):
            rank[ranked[k]] = (start + end) / 2 + 1
        start = end + 1
    total = sum(r for r, p in zip(rank, positive, strict=True) if p)
    return (total - npos * (npos + 1) / 2) / (npos * nneg)


def format_fits(fits: Sequence[SourceFit], label: str) -> str:
    """The report's table: one line per source, then the mean over sources."""
    width = max(26, *(len(f.source) + 2 for f in fits))
    lines = [
        f"out-of-fold scores against the label ({label})",
        f"{'source':<{width}} {'rows':>7} {'mean score':>11} {'mean label':>11} "
        f"{'calib. error':>13} {'AUC':>6}",
    ]
    for f in fits:
        auc = "-" if f.auc is None else f"{f.auc:.3f}"
        lines.append(
            f"{f.source:<{width}} {f.rows:>7,} {f.mean_score:>11.3f} {f.mean_label:>11.3f} "
            f"{f.calibration_error:>13.3f} {auc:>6}"
        )
    aucs = [f.auc for f in fits if f.auc is not None]
    lines.append(
        f"{'mean of ' + str(len(fits)) + ' sources':<{width}} {'':>7} "
        f"{statistics.fmean(f.mean_score for f in fits):>11.3f} "
        f"{statistics.fmean(f.mean_label for f in fits):>11.3f} "
        f"{statistics.fmean(f.calibration_error for f in fits):>13.3f} "
        f"{statistics.fmean(aucs) if aucs else float('nan'):>6.3f}"
    )
    return "\n".join(lines)
