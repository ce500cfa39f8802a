"""The cross-validated variants of ``frugal eval`` and ``frugal calibrate`` (``--cv sources|K``).

Rows are loaded once, every model set (``--models``, repeatable) or the policy routes the rows that name
its models, each candidate classifier scores every row out of fold (refitted per fold when it is a
trained one), and each source is then judged on its own (:mod:`frugal.evaluation.crossval`).
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from .cv_report import PRIOR_ALONE
from .data import load_scores
from .evaluate import Prepared
from .progress import progress_printer

__all__ = [
    "calibrate_cv",
    "check_routing_args",
    "eval_cv",
    "main_candidate",
    "model_list",
    "route_groups",
]


def model_list(text: str) -> list[str]:
    """``--models A,B,C`` as a list of names."""
    return [m.strip() for m in text.split(",") if m.strip()]


def check_routing_args(args: argparse.Namespace) -> None:
    """The options shared by ``eval`` and ``calibrate`` checked together, before any work."""
    from ..exceptions import ConfigError

    if not 0.0 < args.target <= 1.0:
        raise ConfigError(f"--target must lie in (0, 1], got {args.target}")
    if args.output_tokens <= 0:
        raise ConfigError(f"--output-tokens must be > 0, got {args.output_tokens}")
    if args.compare and not args.cv:
        raise ConfigError("--compare needs --cv (classifiers are compared cross-validated)")
    if args.bootstrap < 0:
        raise ConfigError(f"--bootstrap must be >= 0, got {args.bootstrap}")
    if getattr(args, "adapt", None) is not None and args.cv != "sources":
        raise ConfigError("--adapt needs --cv sources (each source adapted on a share of its own rows)")


def main_candidate(args: argparse.Namespace) -> Any:
    """The classifier judged first: the scores file, --classifier, the policy's, or the built-in's."""
    from ..policy import load_policy
    from .candidates import Candidate, label_of
    from .setup import builtin_classifier, classifier_spec

    if args.scores:
        return Candidate("scores file", scores=load_scores(args.scores))
    spec = classifier_spec(args.classifier, args.classifier_options)
    if spec is None:
        spec = load_policy(args.policy)[0].classifier if args.policy else builtin_classifier()
    return Candidate(label_of(spec), spec)


def route_groups(args: argparse.Namespace, rows: Any) -> tuple[list[Prepared], int]:
    """The rows routed once per model set (or by the policy), each row with the first set it has.

    Scores are placeholders: the cross-validation puts each classifier's own in their place.
    """
    from ..exceptions import DataError
    from .evaluate import prepare
    from .setup import compile_for_evaluation, models_policy, parse_price

    prices = dict(parse_price(p) for p in args.price)
    sources: list[Any] = (
        [args.policy]
        if args.policy
        else [models_policy(model_list(m), None, output_tokens=args.output_tokens) for m in args.models]
    )
    left = list(rows)
    groups = []
    for source in sources:
        router, route = compile_for_evaluation(source, prices=prices)
        models = {c.info.name for t in route.tiers for c in router.tiers[t].candidates}
        mine = [row for row in left if models <= row.quality.keys()]
        if not mine:
            raise DataError(f"no row has the quality of every one of {', '.join(sorted(models))}")
        left = [row for row in left if not models <= row.quality.keys()]
        placeholder = dict.fromkeys((row.id for row in mine), 0.0)
        groups.append(prepare(mine, router, route, scores=placeholder))
    return groups, len(left)


def eval_cv(args: argparse.Namespace) -> int:
    """``frugal eval --cv``: each source's figures from out-of-fold scores, per candidate classifier.

    With ``--adapt SHARE`` (``--cv sources`` only), each source's model also trains on a random share of
    its rows, and only its other rows are judged; the main classifier is judged a second time without
    adaptation (the prior alone), on the same rows.
    """
    from .candidates import parse_candidate, score_candidates
    from .crossval import by_source, cross_validate
    from .cv_report import format_cross_validation
    from .data import load_rows
    from .folds import adapt_folds, folds_for, parse_cv

    cv = parse_cv(args.cv)
    candidates = [main_candidate(args), *(parse_candidate(c) for c in args.compare)]
    rows = load_rows(args.data)
    folds = plain = folds_for(rows, cv, args.seed)
    adapt = getattr(args, "adapt", None)
    if adapt is not None:
        folds = adapt_folds(plain, adapt, args.seed)
    groups, unmatched = route_groups(args, rows)

    def show(label: str) -> Any:
        return progress_printer(f"frugal eval: {label}", args.quiet)

    scored = score_candidates(rows, folds, candidates, progress=show)
    if adapt is not None:
        adapted_name = f", adapted ({adapt:.0%})"
        (label, refitted, table), *others = scored
        scored = [(label + adapted_name if refitted else label, refitted, table)]
        if refitted:
            ((_, _, prior),) = score_candidates(rows, plain, candidates[:1], progress=show)
            scored.append((label + PRIOR_ALONE, refitted, prior))
        scored += [(name + adapted_name if again else name, again, t) for name, again, t in others]
        adapted = {row.id for i, row in enumerate(rows) if folds.adapted(i)}
        groups = [g.subset([i for i, row in enumerate(g.rows) if row.id not in adapted]) for g in groups]
    report = cross_validate(
        by_source(groups, folds),
        scored,
        folds,
        target=args.target,
        resamples=args.bootstrap,
        seed=args.seed,
        progress=progress_printer("frugal eval: bootstrap", args.quiet, "sources"),
    )
    if args.json:
        print(json.dumps({**report.to_dict(), "unmatched_rows": unmatched}, indent=2))
    else:
        print(format_cross_validation(report))
        if unmatched:
            print(f"\n{unmatched:,} rows have the quality of no --models set: used to train, not evaluated")
    return 0


def calibrate_cv(args: argparse.Namespace) -> int:
    """``frugal calibrate --cv sources``: thresholds chosen on the other sources, applied to each one."""
    from ..exceptions import ConfigError
    from .calibrate import models_policy_yaml, policy_with_thresholds
    from .calibrate_sources import calibrate_across_sources
    from .candidates import score_candidates
    from .crossval import by_source, source_setup, with_scores
    from .data import load_rows
    from .folds import SOURCES, folds_for, parse_cv
    from .setup import models_policy, parse_price

    if parse_cv(args.cv) != SOURCES:
        raise ConfigError("calibrate --cv takes 'sources'; for in-domain k-fold use --folds K")
    if args.out and not args.policy and len(args.models) > 1:
        raise ConfigError("--out writes one policy: give one --models set (or --policy) with --out")
    candidate = main_candidate(args)
    rows = load_rows(args.data)
    folds = folds_for(rows, SOURCES)
    groups, _ = route_groups(args, rows)
    label, refitted, scores = score_candidates(
        rows,
        folds,
        [candidate],
        progress=lambda text: progress_printer(f"frugal calibrate: {text}", args.quiet),
    )[0]
    parts = [(source, with_scores(part, scores, label)) for source, part in by_source(groups, folds)]
    result = calibrate_across_sources(parts, args.target)
    if args.out:
        if args.policy:
            with open(args.policy, encoding="utf-8") as handle:
                text = policy_with_thresholds(handle.read(), result.chosen.thresholds)
        else:
            policy = models_policy(
                model_list(args.models[0]), candidate.spec, output_tokens=args.output_tokens
            )
            prices = dict(parse_price(p) for p in args.price)
            text = models_policy_yaml(policy, result.chosen.thresholds, prices)
        with open(args.out, "w", encoding="utf-8") as handle:
            handle.write(text)
    if args.json:
        print(json.dumps({**result.to_dict(), "classifier": label, "refitted": refitted}, indent=2))
        return 0 if result.reached else 1
    mixes = {source: source_setup(source, part, args.target).random_mix for source, part in parts}
    how = "refitted without each source" if refitted else "as it is: not a trained classifier"
    print(f"frugal calibrate: {folds.label}; classifier {label} ({how}); target {args.target:.0%}")
    width = max(26, *(len(s.source) + 2 for s in result.sources))
    print(
        f"\n{'source':<{width}} {'thresholds (chosen on the others)':<34} {'quality':>8} {'savings':>8} "
        f"{'random mix':>10}"
    )
    for s in result.sources:
        share = "-" if s.share_of_strongest is None else f"{s.share_of_strongest:.1%}"
        savings = "-" if s.savings is None else f"{s.savings:.1%}"
        mix = mixes[s.source]
        print(
            f"{s.source:<{width}} {json.dumps(list(s.thresholds)):<34} {share:>8} {savings:>8} "
            f"{'-' if mix is None else f'{mix:.1%}':>10}{'' if s.reached else '  (target missed)'}"
        )
    print(
        f"\nquality is a share of each source's strongest model; the target was met on "
        f"{sum(s.reached for s in result.sources)} of {len(result.sources)} sources"
    )
    written = f" -> {args.out}" if args.out else ""
    missed = "" if result.reached else " (no setting reaches the target on all sources pooled)"
    print(f"thresholds, all sources pooled   {json.dumps(list(result.chosen.thresholds))}{written}{missed}")
    return 0 if result.reached else 1
