"""The evaluation commands of ``frugal``: ``eval``, ``calibrate`` and ``train`` (see docs/evaluation.md).

- ``frugal eval DATA.jsonl (--policy FILE | --models CHEAP,...,STRONG)``: what a policy would have cost
  and scored on labelled rows, against single models, the random-mix hull and the oracle; with
  ``--cv sources``, each source judged by a classifier refitted without it
  (:mod:`frugal.evaluation.cv_commands`).
- ``frugal calibrate DATA.jsonl ... --out POLICY.yaml``: thresholds for a quality target, with the
  k-fold out-of-sample figure next to the in-sample one, or (``--cv sources``) chosen on other sources.
- ``frugal train DATA.jsonl... --out MODEL.json``: fit the ``learned`` classifier (``--classifier knn``:
  a knn index); ``--cv sources|K`` scores every row out of fold.
- ``frugal train --from-store URL --out MODEL.json`` and ``frugal calibrate --from-store URL --policy
  FILE``: the same from the feedback store's labels (:mod:`frugal.cli.from_store`).

Nothing is sent anywhere. Imports are deferred to the command that needs them.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shlex
import sys
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..evaluation.evaluate import Prepared

__all__ = ["add_evaluation_commands"]


def add_evaluation_commands(commands: Any) -> None:
    """Register ``eval``, ``calibrate`` and ``train`` on the ``frugal`` command's subparsers."""
    evaluate = commands.add_parser("eval", help="measure a policy's cost and quality on labelled rows")
    _routing_options(evaluate)
    evaluate.add_argument("--plot", metavar="FILE", help="draw the cost-quality picture (.html or .png)")
    evaluate.add_argument(
        "--adapt",
        type=float,
        metavar="SHARE",
        help="with --cv sources: also train each source's model on a random SHARE of its own rows (e.g. "
        "0.2) and judge the rest, next to the prior alone on the same rows",
    )
    evaluate.add_argument(
        "--strategy",
        choices=("route", "cascade"),
        default="route",
        help="route (default): the classifier picks a tier; cascade: replay a cascade on the answers the "
        "rows recorded (responses), next to random escalation and the oracle",
    )
    evaluate.add_argument(
        "--cascade",
        metavar="JSON",
        help="with --strategy cascade: its settings, as a policy's cascade: block (default: the policy's)",
    )
    evaluate.set_defaults(run=_guarded(_eval))

    calibrate = commands.add_parser("calibrate", help="choose thresholds for a quality target")
    _routing_options(calibrate, store=True)
    calibrate.add_argument(
        "--folds", type=int, default=5, help="k of the k-fold cross-validation (default 5)"
    )
    calibrate.add_argument("--out", metavar="POLICY.yaml", help="write the policy with the chosen thresholds")
    calibrate.add_argument(
        "--from-store",
        metavar="URL",
        help="choose the --policy's thresholds from the feedback store's labels (sqlite:///PATH or "
        "redis://...) instead of DATA files",
    )
    calibrate.set_defaults(run=_guarded(_calibrate))

    train = commands.add_parser("train", help="fit the learned classifier (or a knn index) on labelled rows")
    train.add_argument("data", nargs="*", help="JSON Lines files of labelled rows")
    train.add_argument(
        "--from-store",
        metavar="URL",
        help="train on the feedback store's labels (sqlite:///PATH or redis://...) instead of DATA files, "
        "starting from the --prior-model",
    )
    train.add_argument(
        "--prior-model",
        default="v2",
        metavar="MODEL",
        help="--from-store: the model the fit starts from and is pulled towards (a model file, or a shipped "
        "model's name; default v2)",
    )
    train.add_argument(
        "--prior-rows",
        type=float,
        default=1000.0,
        metavar="N",
        help="--from-store: the prior counts as N labelled rows (default 1000: with n labels its share of "
        "the fit is N/(n+N); 0: the labels alone)",
    )
    train.add_argument("--out", metavar="MODEL.json", help="write the model file (the index file for knn)")
    train.add_argument(
        "--classifier", choices=("learned", "knn"), default="learned", help="what to train (default: learned)"
    )
    train.add_argument(
        "--embedder", default="hashing", help="knn: the embedder (default: the built-in hashing)"
    )
    train.add_argument("--embedder-options", type=_json_object, default={}, help="knn: its options (JSON)")
    train.add_argument("--k", type=int, default=30, help="knn: neighbours that vote (default 30)")
    train.add_argument("--strong", help="the strong model of the label (default: each file's most accurate)")
    train.add_argument("--no-words", action="store_true", help="no word features (structure and cues only)")
    train.add_argument(
        "--no-signs",
        action="store_true",
        help="let every dense weight take either sign (default: difficulty cues only raise the score)",
    )
    train.add_argument("--l2-dense", type=float, default=3e-4, help="L2 penalty of the dense features")
    train.add_argument(
        "--prior",
        choices=("heuristic", "zero"),
        default="heuristic",
        help="what the dense weights are pulled towards (default: the heuristic's weights)",
    )
    train.add_argument("--l2-words", type=float, default=0.03, help="L2 penalty of the word weights")
    train.add_argument("--min-df", type=int, default=5, help="rows a word must appear in to be a feature")
    train.add_argument("--max-words", type=int, default=1000, help="word weights kept in the model file")
    train.add_argument(
        "--label",
        choices=("escalation", "strong-wins"),
        default="escalation",
        help="what the score predicts (escalation: a stronger model succeeds where a weaker fails)",
    )
    train.add_argument(
        "--intercepts",
        choices=("source", "file"),
        default="source",
        help="one intercept per source (default) or per file during the fit",
    )
    train.add_argument(
        "--exclude-source",
        action="append",
        default=[],
        metavar="SOURCE",
        help="do not train on this source's rows (repeatable; they are still scored with --cv)",
    )
    train.add_argument(
        "--no-language-neutral",
        action="store_true",
        help="read the English-worded features of prompts in other scripts as measured",
    )
    train.add_argument(
        "--cv",
        metavar="sources|K",
        help="also score every row with a model trained without its source ('sources') or fold (K)",
    )
    train.add_argument("--folds", type=int, help="the same as --cv K (in-domain k-fold)")
    train.add_argument("--seed", type=int, default=0, help="seed of the fold shuffle (default 0)")
    train.add_argument("--scores", metavar="FILE.jsonl", help="write the out-of-fold scores (needs --cv)")
    train.add_argument(
        "--answers",
        action="store_true",
        help="fit the learned answer check of a cascade (a policy's answer_model) on recorded answers",
    )
    train.add_argument(
        "--cheap", metavar="MODEL", help="--answers: the model whose recorded answers are checked"
    )
    train.add_argument(
        "--adequate", type=float, default=0.5, help="--answers: an answer is adequate at this quality (0.5)"
    )
    train.add_argument("--json", action="store_true", help="print a summary as JSON")
    train.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    train.set_defaults(run=_guarded(_train))


def _routing_options(parser: argparse.ArgumentParser, *, store: bool = False) -> None:
    # With a store (calibrate --from-store) the data files are optional: the command checks one is given.
    parser.add_argument("data", nargs="*" if store else "+", help="JSON Lines files of labelled rows")
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--policy", help="a policy file: its tiers, thresholds and classifier")
    which.add_argument(
        "--models",
        action="append",
        help="CHEAP,...,STRONG: one tier per model (names may exist only in the data); with --cv, repeat "
        "it for data whose rows name other models (each row is evaluated with the first set it has)",
    )
    parser.add_argument(
        "--classifier",
        help="classifier to use instead of the policy's (with --models: the built-in default policy's)",
    )
    parser.add_argument("--classifier-options", type=_json_object, help="its options, as a JSON object")
    parser.add_argument("--scores", metavar="FILE.jsonl", help="precomputed scores ({id, score} per line)")
    parser.add_argument(
        "--price",
        action="append",
        default=[],
        metavar="MODEL=IN/OUT",
        help="USD per million input/output tokens, for rows without cost_usd (repeatable)",
    )
    parser.add_argument(
        "--output-tokens", type=int, default=400, help="output tokens assumed by cost estimates (--models)"
    )
    parser.add_argument("--target", type=float, default=0.95, help="share of the strongest model's quality")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    parser.add_argument(
        "--cv",
        metavar="sources|K",
        help="cross-validate: 'sources' leaves each source out (train on the others, score it); "
        "K: K random folds (in-domain)",
    )
    parser.add_argument(
        "--compare",
        action="append",
        default=[],
        metavar="NAME[=OPTIONS]",
        help="with --cv: another classifier to judge the same way (OPTIONS: a JSON object; repeatable)",
    )
    parser.add_argument(
        "--bootstrap",
        type=int,
        default=200,
        help="with --cv: bootstrap resamples of the intervals (default 200)",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of fold shuffles and resamples (default 0)")


def _json_object(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise argparse.ArgumentTypeError(f"not valid JSON: {exc.msg}") from None
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError("expected a JSON object")
    return value


def _guarded(command: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Bad input (a policy, a data file, an option) is one line on stderr and exit code 1."""

    def run(args: argparse.Namespace) -> int:
        from ..exceptions import FrugalError

        try:
            return command(args)
        except (FrugalError, ValueError) as exc:
            print(f"frugal {args.command}: {exc}", file=sys.stderr)
            return 1

    return run


def _prepare(args: argparse.Namespace) -> tuple[Prepared, Any]:
    """Load the rows, compile the evaluation policy and route every row."""
    from ..evaluation.cv_commands import check_routing_args, model_list
    from ..evaluation.data import load_rows, load_scores
    from ..evaluation.evaluate import prepare
    from ..evaluation.setup import classifier_spec, compile_for_evaluation, models_policy, parse_price
    from ..exceptions import ConfigError
    from ._output import progress

    check_routing_args(args)
    prices = dict(parse_price(p) for p in args.price)
    override = classifier_spec(args.classifier, args.classifier_options)
    if args.models is not None:
        if len(args.models) > 1:
            raise ConfigError("--models is given more than once: several model sets need --cv")
        source: Any = models_policy(model_list(args.models[0]), override, output_tokens=args.output_tokens)
        override = None
    else:
        source = args.policy
    router, route = compile_for_evaluation(source, prices=prices, classifier=override)
    rows = load_rows(args.data)
    scores = load_scores(args.scores) if args.scores else None
    return prepare(
        rows, router, route, scores=scores, progress=progress(f"frugal {args.command}", args.quiet)
    ), source


def _needs_data(args: argparse.Namespace) -> None:
    if not args.data:
        from ..exceptions import ConfigError

        raise ConfigError("expected DATA.jsonl files of labelled rows (or --from-store URL)")


def _eval(args: argparse.Namespace) -> int:
    from ..evaluation.cv_commands import check_routing_args, eval_cv
    from ..evaluation.evaluate import evaluate
    from ..evaluation.plot import write_plot

    check_routing_args(args)
    if args.strategy == "cascade":
        from ..evaluation.cascade_commands import eval_cascade

        return eval_cascade(args)
    if args.cascade is not None:
        from ..exceptions import ConfigError

        raise ConfigError("--cascade needs --strategy cascade")
    if args.cv:
        return eval_cv(args)
    prepared, _ = _prepare(args)
    report = evaluate(prepared, args.target)
    if args.plot:
        write_plot(report, args.plot)
    if args.json:
        print(json.dumps(report.to_dict(), indent=2))
    else:
        from ._eval_tables import print_evaluation

        print_evaluation(report, args.plot)
    return 0


def _calibrate(args: argparse.Namespace) -> int:
    from ..evaluation.calibrate import calibrate, models_policy_yaml, policy_with_thresholds
    from ..exceptions import ConfigError

    if args.from_store is not None:
        from .from_store import calibrate_from_store

        return calibrate_from_store(args)
    _needs_data(args)
    if args.policy is not None and (args.classifier or args.classifier_options):
        raise ConfigError(
            "--classifier: with --policy the policy's own classifier is calibrated (the thresholds are "
            "written into that policy); set the classifier in the policy file"
        )
    if args.cv:
        from ..evaluation.cv_commands import calibrate_cv, check_routing_args

        check_routing_args(args)
        return calibrate_cv(args)
    prepared, source = _prepare(args)
    result = calibrate(prepared, args.target, folds=args.folds, seed=args.seed)
    chosen = result.in_sample
    if chosen is not None and args.out:
        if args.policy is not None:
            text = policy_with_thresholds(Path(args.policy).read_text(encoding="utf-8"), chosen.thresholds)
        else:
            from ..evaluation.setup import parse_price

            prices = dict(parse_price(p) for p in args.price)
            text = models_policy_yaml(source, chosen.thresholds, prices)
        Path(args.out).write_text(text, encoding="utf-8")
    data = result.to_dict()
    if args.json:
        print(json.dumps(data, indent=2))
    else:
        from ._eval_tables import print_calibration

        print_calibration(result, len(prepared.rows), prepared.classifier, args.folds, args.out)
    return 0 if chosen is not None else 1


def _train(args: argparse.Namespace) -> int:
    from .._version import __version__
    from ..evaluation.data import load_rows
    from ..evaluation.folds import folds_for, parse_cv
    from ..evaluation.labels import labels
    from ..evaluation.train import TrainOptions, fit, out_of_fold_scores
    from ..evaluation.train_report import source_fits
    from ..exceptions import ConfigError
    from ._eval_tables import print_fits, print_summary
    from ._output import progress, working

    if args.from_store is not None:
        from .from_store import train_from_store

        return train_from_store(args)
    _needs_data(args)
    if args.answers:
        from ..evaluation.answer_commands import train_answers

        return train_answers(args)
    if args.folds is not None and args.cv is not None:
        raise ConfigError("give --cv or --folds, not both (--folds K is --cv K)")
    cv = parse_cv(args.cv) if args.cv is not None else args.folds
    if cv is not None and not isinstance(cv, str) and cv < 2:
        raise ConfigError(f"--folds must be >= 2, got {cv}")
    if not args.out and not args.scores and cv is None:
        raise ConfigError("give --out MODEL.json, or --cv sources|K (and --scores FILE.jsonl), or both")
    if args.scores and cv is None:
        raise ConfigError("--scores needs --cv (the scores are out of fold)")
    options = TrainOptions(
        words=not args.no_words,
        signs=not args.no_signs,
        l2_dense=args.l2_dense,
        l2_words=args.l2_words,
        min_df=args.min_df,
        max_words=args.max_words,
        strong=args.strong,
        prior=args.prior,
        label=args.label,
        intercepts=args.intercepts,
        language_neutral=not args.no_language_neutral,
        exclude_sources=tuple(args.exclude_source),
    )
    rows = load_rows(args.data)
    if args.classifier == "knn":
        return _train_knn(args, rows, options, cv)
    summary: dict[str, Any] = {"rows": len(rows)}
    report: tuple[str, Any] | None = None
    if cv is not None:
        folds = folds_for(rows, cv, args.seed)
        scores = out_of_fold_scores(rows, options, folds, progress=progress("frugal train", args.quiet))
        if args.scores:
            with Path(args.scores).open("w", encoding="utf-8") as handle:
                for row_id, score in scores.items():
                    handle.write(json.dumps({"id": row_id, "score": score}) + "\n")
            summary["scores"] = args.scores
        truth = labels(rows, options.label, options.strong)
        fits = source_fits(rows, scores, truth.values, truth.used)
        summary["cv"] = folds.kind
        summary["sources"] = [f.to_dict() for f in fits]
        report = (folds.label, fits)
    if args.out:
        provenance = {
            "data": [_file_summary(path, sum(r.file == path for r in rows)) for path in args.data],
            "command": _train_command(args, options),
            "date": datetime.now(timezone.utc).date().isoformat(),
            "frugal": __version__,
        }
        with working("frugal train: fitting the model", args.quiet):
            model = fit(rows, options, provenance=provenance)
        model.save(args.out)
        summary.update(
            out=args.out,
            words=len(model.words),
            rows_used=model.training["rows_used"],
            models=model.training["models"],
        )
    if args.json:
        print(json.dumps(summary, indent=2))
        return 0
    print_summary(summary, ("rows", "out", "words", "rows_used", "scores"))
    if report:
        print_fits(*report, options.label)
    return 0


def _train_knn(args: argparse.Namespace, rows: Any, options: Any, cv: str | int | None) -> int:
    """``frugal train --classifier knn``: an index file, and/or out-of-fold scores."""
    from .._version import __version__
    from ..evaluation.folds import folds_for
    from ..evaluation.knn_index import KnnRecipe, KnnTrainer
    from ..evaluation.labels import labels
    from ..evaluation.train_report import source_fits
    from ..evaluation.trainers import refit_scores
    from ._eval_tables import print_fits, print_summary
    from ._output import progress

    recipe = KnnRecipe(args.embedder, args.embedder_options, args.k, options.label, options.exclude_sources)
    trainer = KnnTrainer(rows, recipe, progress("frugal train: embedding", args.quiet))
    summary: dict[str, Any] = {"rows": len(rows)}
    report: tuple[str, Any] | None = None
    if cv is not None:
        folds = folds_for(rows, cv, args.seed)
        found = refit_scores(trainer, rows, folds, progress("frugal train", args.quiet))
        scores = {row_id: score for row_id, score in found.items() if score is not None}
        if args.scores:
            with Path(args.scores).open("w", encoding="utf-8") as handle:
                for row_id, score in scores.items():
                    handle.write(json.dumps({"id": row_id, "score": score}) + "\n")
            summary["scores"] = args.scores
        truth = labels(rows, options.label)
        fits = source_fits(rows, scores, truth.values, truth.used)
        summary["cv"] = folds.kind
        summary["sources"] = [f.to_dict() for f in fits]
        report = (folds.label, fits)
    if args.out:
        provenance = {
            "data": [_file_summary(path, sum(r.file == path for r in rows)) for path in args.data],
            "date": datetime.now(timezone.utc).date().isoformat(),
            "frugal": __version__,
        }
        index = trainer.index(range(len(rows)), scale=True, **provenance)
        index.save(args.out)
        summary.update(out=args.out, rows_used=len(index.labels), dims=index.dims, embedder=index.embedder)
    if args.json:
        print(json.dumps(summary, indent=2))
        return 0
    print_summary(summary, ("rows", "out", "embedder", "dims", "rows_used", "scores"))
    if report:
        print_fits(*report, options.label)
    return 0


def _train_command(args: argparse.Namespace, options: Any) -> str:
    """The command that made a model, with file names only: it reads the same on every machine."""
    from ..evaluation.train import TrainOptions

    words = ["frugal", "train", *(Path(p).name for p in args.data), "--out", Path(args.out).name]
    defaults = TrainOptions()
    for key in ("strong", "prior", "l2_dense", "l2_words", "min_df", "max_words", "label", "intercepts"):
        value = getattr(options, key)
        if value != getattr(defaults, key):
            words += [f"--{key.replace('_', '-')}", str(value)]
    for source in options.exclude_sources:
        words += ["--exclude-source", source]
    if not options.words:
        words.append("--no-words")
    if not options.signs:
        words.append("--no-signs")
    if not options.language_neutral:
        words.append("--no-language-neutral")
    return shlex.join(words)


def _file_summary(path: str, rows: int) -> dict[str, Any]:
    digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    return {"file": Path(path).name, "rows": rows, "sha256": digest}
