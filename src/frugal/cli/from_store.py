"""``frugal train --from-store URL`` and ``frugal calibrate --from-store URL``: learning from the store.

The store is read whole (labels are few: a sample of calls, cascade outcomes, explicit feedback); a URL
that names no store, a SQLite file that does not exist, a store that cannot be read, or one holding no
label are each one line naming what was expected.
"""

from __future__ import annotations

import argparse
import json
import shlex
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ..exceptions import ConfigError, DataError
from ..feedback.labels import Label

__all__ = ["calibrate_from_store", "read_store", "train_from_store"]

_EXPECTED = (
    "expected sqlite:///PATH (the file the policy's feedback: or ledger: names) or redis://HOST:PORT/DB"
)


def read_store(url: str) -> list[Label]:
    """Every label of the store at ``url``, oldest first.

    Raises:
        ConfigError: the URL is not a SQLite or Redis store, the SQLite file does not exist, the store
            cannot be read, or it holds no label.
    """
    from ..feedback.store import open_labels
    from .report import redact

    shown = redact(url)
    scheme = url.split("://", 1)[0] if "://" in url else ""
    if scheme not in ("sqlite", "redis", "rediss", "unix"):
        raise ConfigError(f"--from-store {shown!r}: {_EXPECTED}")
    if scheme == "sqlite":
        from ..budgets.sqlite import path_of

        path = path_of(url)
        if not path.is_file():
            raise ConfigError(f"--from-store {shown}: no store at {path}; {_EXPECTED}")
    try:
        store = open_labels(url)
        try:
            labels = store.labels()
        finally:
            store.close()
    except ConfigError:
        raise
    except Exception as exc:  # sqlite3, redis and OS errors alike: one line, never a traceback
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ConfigError(f"--from-store {shown}: cannot read the labels: {reason}") from None
    if not labels:
        raise ConfigError(
            f"--from-store {shown}: the store holds no label (expected labels from shadow comparisons, "
            "cascades or client.feedback(); see docs/evaluation.md)"
        )
    return labels


def train_from_store(args: argparse.Namespace) -> int:
    """``frugal train --from-store URL [--prior-model MODEL] [--prior-rows N] --out MODEL.json``."""
    from .._version import __version__
    from ..classifiers.learned_model import load_model
    from ..evaluation.store_train import StoreTrainOptions, fit_from_labels
    from ._eval_tables import print_summary

    if args.data:
        raise ConfigError("give DATA files or --from-store URL, not both")
    if args.classifier != "learned" or args.answers or args.cv or args.folds or args.scores:
        raise ConfigError(
            "--from-store trains the learned classifier only (no --classifier knn, --answers, --cv)"
        )
    if not args.out:
        raise ConfigError("--from-store needs --out MODEL.json")
    options = StoreTrainOptions(
        prior_rows=args.prior_rows,
        words=not args.no_words,
        min_df=args.min_df,
        max_words=args.max_words,
        l2_dense=args.l2_dense,
        l2_words=args.l2_words,
    )
    prior = load_model(args.prior_model)
    labels = read_store(args.from_store)
    from .report import redact

    words = ["frugal", "train", "--from-store", redact(args.from_store), "--out", Path(args.out).name]
    if args.prior_model != "v2":
        words += ["--prior-model", Path(args.prior_model).name]
    if args.prior_rows != StoreTrainOptions().prior_rows:
        words += ["--prior-rows", f"{args.prior_rows:g}"]
    if args.no_words:
        words.append("--no-words")
    provenance = {
        "store": redact(args.from_store),
        "prior": Path(args.prior_model).name,
        "prior_command": prior.training.get("command"),
        "command": shlex.join(words),
        "date": datetime.now(timezone.utc).date().isoformat(),
        "frugal": __version__,
    }
    model = fit_from_labels(labels, prior, options, provenance=provenance)
    model.save(args.out)
    summary: dict[str, Any] = {
        "labels": len(labels),
        "labels_used": model.training["labels_used"],
        "prior": args.prior_model,
        "prior_share": model.training["prior_share"],
        "words": len(model.words),
        "out": args.out,
    }
    skipped = model.training["labels_skipped"]
    if skipped:
        summary["skipped"] = ", ".join(f"{k}: {v}" for k, v in sorted(skipped.items()))
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        print_summary(summary, ("labels", "labels_used", "skipped", "prior", "prior_share", "words", "out"))
    return 0


def calibrate_from_store(args: argparse.Namespace) -> int:
    """``frugal calibrate --from-store URL --policy POLICY.yaml [--out FILE]``."""
    from ..evaluation.calibrate import policy_with_thresholds
    from ..evaluation.store_calibrate import calibrate_from_labels
    from ..policy import load_policy
    from ._eval_tables import print_summary

    if args.data:
        raise ConfigError("give DATA files or --from-store URL, not both")
    if args.policy is None:
        raise ConfigError("--from-store needs --policy POLICY.yaml: the thresholds are chosen for its tiers")
    if args.cv or args.scores or args.classifier or args.classifier_options:
        raise ConfigError(
            "--from-store reads the scores the labels recorded (no --cv, --scores, --classifier)"
        )
    policy = load_policy(args.policy)[0]
    labels = read_store(args.from_store)
    try:
        result = calibrate_from_labels(labels, policy, args.target)
    except DataError as exc:
        raise ConfigError(f"--from-store: {exc}") from None
    if result.chosen is not None and args.out:
        text = policy_with_thresholds(Path(args.policy).read_text(encoding="utf-8"), result.chosen.thresholds)
        Path(args.out).write_text(text, encoding="utf-8")
    if args.json:
        print(json.dumps(result.to_dict(), indent=2))
    else:
        data = result.to_dict()
        summary = {
            "labels": result.labels,
            "labels by tier": ", ".join(f"{k}: {v}" for k, v in data["labels_by_tier"].items()),
            "skipped": ", ".join(f"{k}: {v}" for k, v in sorted(result.skipped.items())) or None,
            "threshold": data["threshold"] or "none reaches the target",
            "quality": f"{result.best.point.quality:.3f} (target {result.target:g})",
            "shares": ", ".join(f"{k} {v:.0%}" for k, v in data["shares"].items()),
            "out": args.out if result.chosen is not None else None,
        }
        print_summary(summary, tuple(k for k, v in summary.items() if v is not None))
    return 0 if result.chosen is not None else 1
