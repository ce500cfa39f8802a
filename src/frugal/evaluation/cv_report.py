"""The text report of a cross-validated evaluation (``frugal eval --cv``)."""

from __future__ import annotations

from .bootstrap import Interval
from .crossval import ClassifierResult, CrossValidation
from .folds import Folds

__all__ = ["PRIOR_ALONE", "format_cross_validation"]

#: How ``--adapt`` names the main classifier judged without adaptation (its name, then this).
PRIOR_ALONE = ", prior alone"


def _share(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def _points(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:+.1f}"


def _apgr(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _span(value: Interval | None, show: str = "apgr") -> str:
    if value is None:
        return ""
    if show == "share":
        return f"[{value.low:.1%}, {value.high:.1%}]"
    if show == "points":
        return f"[{100 * value.low:+.1f}, {100 * value.high:+.1f}]"
    return f"[{value.low:.3f}, {value.high:.3f}]"


def _short(model: str) -> str:
    return model.rsplit("/", 1)[-1]


def format_cross_validation(cv: CrossValidation, command: str = "frugal eval") -> str:
    """The report: the sources and their reference points, then each classifier's table, then a summary."""
    width = max(26, *(len(s.source) + 2 for s in cv.setups))
    lines = [
        f"{command}: {cv.folds.label}",
        f"target {cv.target:.0%} of each source's strongest model's quality; "
        + (f"90% intervals from {cv.resamples} bootstrap resamples; " if cv.resamples else "")
        + "the pooled row is the mean over sources, each weighing the same",
    ]
    if cv.folds.in_domain:
        lines.append(
            "IN-DOMAIN: every source is on both sides of each split; these figures do not predict what "
            "new traffic gets (use --cv sources)"
        )
    lines += ["", f"{'source':<{width}} {'rows':>7}  {'random mix':>10} {'oracle':>7} {'gap':>6}  tiers"]
    for s in cv.setups:
        tiers = " → ".join("/".join(_short(m) for m in tier) for tier in s.tiers)
        flag = "" if s.apgr_meaningful else "  (gap too small: APGR left out of the mean)"
        lines.append(
            f"{s.source:<{width}} {s.rows:>7,}  {_share(s.random_mix):>10} {_share(s.oracle):>7} "
            f"{s.gap:>6.3f}  {tiers}{flag}"
        )
    for result in cv.classifiers:
        lines += ["", *_classifier_table(result, width, cv.folds)]
    names = max(width, *(len(c.name) + 2 for c in cv.classifiers))
    lines += ["", _summary_header(names)]
    for result in cv.classifiers:
        pooled = result.pooled.figures
        lines.append(
            f"{result.name:<{names}} {_apgr(pooled.apgr):>7} {_share(pooled.savings):>9} "
            f"{_share(pooled.random_mix):>10} {_points(pooled.gain):>8}   "
            f"{result.beats_random_mix} of {len(result.sources)}"
        )
    return "\n".join(lines)


def _summary_header(width: int) -> str:
    return (
        f"{'mean over sources':<{width}} {'APGR':>7} {'savings':>9} {'random mix':>10} {'gain':>8}   "
        "sources where savings beat the random mix"
    )


def _classifier_table(result: ClassifierResult, width: int, folds: Folds) -> list[str]:
    how = (
        "as it is: not a trained classifier"
        if not result.refitted
        else "refitted on each fold's training rows"
        if folds.in_domain
        else "refitted without each source"
        if not folds.adapt or result.name.endswith(PRIOR_ALONE)
        else f"refitted on the other sources and a random {folds.adapt_share:.0%} of the judged one"
    )
    lines = [
        f"{result.name} ({how})",
        f"{'source':<{width}} {'APGR':>7} {'90% interval':<16} {'savings':>8} {'90% interval':<16} "
        f"{'gain vs random mix':>18} {'90% interval':<14}",
    ]
    for row in (*result.sources, result.pooled):
        f = row.figures
        line = (
            f"{row.source:<{width}} {_apgr(f.apgr):>7} {_span(row.apgr):<16} {_share(f.savings):>8} "
            f"{_span(row.savings, 'share'):<16} {_points(f.gain):>18} {_span(row.gain, 'points'):<14}"
        )
        lines.append(line.rstrip())
    return lines
