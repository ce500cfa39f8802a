"""``frugal train --answers``: fit the learned answer check of a cascade, and say how well it holds.

- ``--out check.json``: the model, trained on every row that recorded the cheap model's answer.
- ``--cv sources|K``: every such row scored by a model fitted without its source (or fold), and per
  source: the AUC of P(adequate) for adequate answers, and at a few ``min_probability`` settings the
  share of rows escalated next to the share of inadequate answers caught (random escalation catches as
  many as it escalates). ``--scores FILE.jsonl`` writes the out-of-fold probabilities.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shlex
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .answer_train import AnswerExamples

__all__ = ["MIN_PROBABILITIES", "AnswerFit", "answer_fits", "format_answer_fits", "train_answers"]

#: The ``min_probability`` settings whose trade-off ``--cv`` reports.
MIN_PROBABILITIES = (0.3, 0.5, 0.7)


@dataclass(frozen=True, slots=True)
class AnswerFit:
    """Out-of-fold P(adequate) on one source's answers.

    Attributes:
        source: the source.
        rows: answers scored.
        adequate: the share of them that were adequate.
        mean_probability: the mean P(adequate).
        auc: P(an adequate answer scores above an inadequate one); None when the source has only one kind.
        escalated: per setting of :data:`MIN_PROBABILITIES`, the share of answers below it.
        caught: per setting, the share of inadequate answers below it (None when none is inadequate).
    """

    source: str
    rows: int
    adequate: float
    mean_probability: float
    auc: float | None
    escalated: tuple[float, ...]
    caught: tuple[float | None, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON of the figures."""
        return {
            "source": self.source,
            "rows": self.rows,
            "adequate": self.adequate,
            "mean_probability": self.mean_probability,
            "auc": self.auc,
            "tradeoff": [
                {"min_probability": t, "escalated": e, "inadequate_caught": c}
                for t, e, c in zip(MIN_PROBABILITIES, self.escalated, self.caught, strict=True)
            ],
        }


def answer_fits(examples: AnswerExamples, probabilities: Mapping[str, float]) -> list[AnswerFit]:
    """Per source (in the order first seen), the figures of :class:`AnswerFit`."""
    from .train_report import auc

    by_source: dict[str, list[tuple[float, bool]]] = {}
    for row, adequate in zip(examples.rows, examples.adequate, strict=True):
        if row.id in probabilities:
            by_source.setdefault(row.source or row.file, []).append((probabilities[row.id], adequate))
    fits = []
    for source, pairs in by_source.items():
        scores = [p for p, _ in pairs]
        good = [a for _, a in pairs]
        bad = [p for p, a in pairs if not a]
        fits.append(
            AnswerFit(
                source,
                len(pairs),
                sum(good) / len(pairs),
                statistics.fmean(scores),
                auc(scores, good),
                tuple(sum(p < t for p in scores) / len(scores) for t in MIN_PROBABILITIES),
                tuple(sum(p < t for p in bad) / len(bad) if bad else None for t in MIN_PROBABILITIES),
            )
        )
    return fits


def format_answer_fits(fits: Sequence[AnswerFit], protocol: str) -> str:
    """The ``--cv`` table: one line per source, then the mean over sources."""
    width = max(26, *(len(f.source) + 2 for f in fits))
    settings = " | ".join(f"{t:g}" for t in MIN_PROBABILITIES)
    lines = [
        protocol,
        "P(adequate) out of fold; escalated / inadequate answers caught at min_probability "
        f"{settings} (random escalation catches as many as it escalates)",
        f"{'source':<{width}} {'rows':>7} {'adequate':>9} {'mean P':>7} {'AUC':>6}  trade-off",
    ]

    def line(name: str, rows: str, adequate: float, mean_p: float, auc: float | None, fit: Any) -> str:
        shown = "-" if auc is None else f"{auc:.3f}"
        pairs = " | ".join(
            f"{e:>4.0%} / {'-' if c is None else f'{c:.0%}':>4}" for e, c in zip(*fit, strict=True)
        )
        return f"{name:<{width}} {rows:>7} {adequate:>9.1%} {mean_p:>7.3f} {shown:>6}  {pairs}"

    for f in fits:
        lines.append(
            line(f.source, f"{f.rows:,}", f.adequate, f.mean_probability, f.auc, (f.escalated, f.caught))
        )
    aucs = [f.auc for f in fits if f.auc is not None]
    mean_escalated = tuple(
        statistics.fmean(f.escalated[k] for f in fits) for k in range(len(MIN_PROBABILITIES))
    )
    mean_caught = tuple(_mean([f.caught[k] for f in fits]) for k in range(len(MIN_PROBABILITIES)))
    lines.append(
        line(
            f"mean of {len(fits)} sources",
            "",
            statistics.fmean(f.adequate for f in fits),
            statistics.fmean(f.mean_probability for f in fits),
            statistics.fmean(aucs) if aucs else None,
            (mean_escalated, mean_caught),
        )
    )
    return "\n".join(lines)


def _mean(values: Sequence[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return statistics.fmean(known) if known else None


def train_answers(args: argparse.Namespace) -> int:
    """``frugal train --answers``: the answer check's model file and/or its out-of-fold figures."""
    from .._version import __version__
    from ..exceptions import ConfigError
    from .answer_train import AnswerTrainOptions, answer_examples, fit_answer_model, out_of_fold
    from .data import load_rows
    from .folds import folds_for, parse_cv
    from .progress import progress_printer

    if not args.cheap:
        raise ConfigError("--answers needs --cheap MODEL: the model whose recorded answers are checked")
    if args.classifier != "learned":
        raise ConfigError("--answers trains the answer check: leave out --classifier")
    if args.folds is not None and args.cv is not None:
        raise ConfigError("give --cv or --folds, not both (--folds K is --cv K)")
    cv = parse_cv(args.cv) if args.cv is not None else args.folds
    if not args.out and cv is None:
        raise ConfigError("give --out CHECK.json, or --cv sources|K, or both")
    if args.scores and cv is None:
        raise ConfigError("--scores needs --cv (the probabilities are out of fold)")
    options = AnswerTrainOptions(args.cheap, args.adequate, exclude_sources=tuple(args.exclude_source))
    rows = load_rows(args.data)
    examples = answer_examples(rows, options, progress_printer("frugal train: reading answers", args.quiet))
    summary: dict[str, Any] = {
        "rows": len(rows),
        "answers": len(examples.rows),
        "skipped": examples.skipped,
        "adequate": sum(examples.adequate) / len(examples.adequate),
    }
    report = ""
    if cv is not None:
        folds = folds_for(examples.rows, cv, args.seed)
        found = out_of_fold(examples, options, folds, progress_printer("frugal train", args.quiet))
        if args.scores:
            with Path(args.scores).open("w", encoding="utf-8") as handle:
                for row_id, probability in found.items():
                    handle.write(json.dumps({"id": row_id, "score": probability}) + "\n")
            summary["scores"] = args.scores
        fits = answer_fits(examples, found)
        summary["cv"] = folds.kind
        summary["sources"] = [f.to_dict() for f in fits]
        report = format_answer_fits(fits, folds.label)
    if args.out:
        provenance = {
            "data": [_file_summary(path, sum(r.file == path for r in rows)) for path in args.data],
            "command": _command(args),
            "date": datetime.now(timezone.utc).date().isoformat(),
            "frugal": __version__,
        }
        model = fit_answer_model(examples, options, provenance=provenance)
        model.save(args.out)
        summary.update(out=args.out, rows_used=model.training["rows_used"], weights=len(model.weights))
    if args.json:
        print(json.dumps(summary, indent=2))
        return 0
    print(f"{'rows':<10} {summary['rows']:,}")
    print(f"{'answers':<10} {summary['answers']:,} of {args.cheap} ({summary['adequate']:.1%} adequate)")
    for key in ("out", "rows_used", "scores"):
        if key in summary:
            print(f"{key:<10} {summary[key]}")
    if report:
        print("\n" + report)
    return 0


def _command(args: argparse.Namespace) -> str:
    """The command that made a model, with file names only: it reads the same on every machine."""
    words = ["frugal", "train", "--answers", *(Path(p).name for p in args.data), "--cheap", args.cheap]
    if args.adequate != 0.5:
        words += ["--adequate", f"{args.adequate:g}"]
    for source in args.exclude_source:
        words += ["--exclude-source", source]
    return shlex.join([*words, "--out", Path(args.out).name])


def _file_summary(path: str, rows: int) -> dict[str, Any]:
    digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    return {"file": Path(path).name, "rows": rows, "sha256": digest}
