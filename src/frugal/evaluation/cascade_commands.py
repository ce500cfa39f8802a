"""``frugal eval --strategy cascade``: a cascade replayed on recorded answers, and its text report.

The cascade is the policy's (``--policy``: its default route's ``cascade:`` settings, whatever its
``strategy``) or one over ``--models``; ``--cascade JSON`` gives the settings instead, with the keys of a
policy's ``cascade:`` (``{"checks": [...], "answer_model": {"path": ..., "min_probability": ...}}``).
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from .cascade_report import CascadeEvaluation

__all__ = ["eval_cascade", "format_cascade"]


def _settings(args: argparse.Namespace, policy: Any) -> tuple[Any, str]:
    """The cascade settings (``--cascade``, else the policy's, else the defaults) and where they are from."""
    from pydantic import ValidationError

    from ..exceptions import ConfigError
    from ..policy import CascadeSpec

    if args.cascade is None:
        return policy.cascade or CascadeSpec(), "<policy object>"
    try:
        return CascadeSpec.model_validate(json.loads(args.cascade)), "--cascade"
    except json.JSONDecodeError as exc:
        raise ConfigError(f"--cascade: not valid JSON ({exc.msg})") from None
    except ValidationError as exc:
        problem = exc.errors()[0]
        where = ".".join(str(p) for p in problem["loc"]) or "(top level)"
        raise ConfigError(f"--cascade: {where}: {problem['msg']}") from None


def eval_cascade(args: argparse.Namespace) -> int:
    """Replay the cascade on the rows and print the report (``--json``: the document)."""
    from ..exceptions import ConfigError, DataError
    from ..policy import load_policy
    from ..routing.compile import DEFAULT_ROUTE, compile_cascades
    from .cascade_replay import replay_rows
    from .cascade_report import evaluate_cascade
    from .cv_commands import model_list
    from .data import load_rows, load_scores
    from .evaluate import prepare
    from .progress import progress_printer
    from .setup import classifier_spec, compile_for_evaluation, models_policy, parse_price

    for given, option in ((args.cv, "--cv"), (args.compare, "--compare"), (args.plot, "--plot")):
        if given:
            raise ConfigError(f"{option} is not used with --strategy cascade")
    if args.adapt is not None:
        raise ConfigError("--adapt is not used with --strategy cascade")
    prices = dict(parse_price(p) for p in args.price)
    override = classifier_spec(args.classifier, args.classifier_options)
    located = None
    if args.models is not None:
        if len(args.models) > 1:
            raise ConfigError("--models is given more than once: a cascade replays one set of tiers")
        policy: Any = models_policy(model_list(args.models[0]), override, output_tokens=args.output_tokens)
        override = None
    else:
        policy, located = load_policy(args.policy)
    router, route = compile_for_evaluation(
        args.policy if args.models is None else policy, prices=prices, classifier=override
    )
    spec, source = _settings(args, policy)
    cascading = router.policy.model_copy(update={"strategy": "cascade", "cascade": spec})
    plan = compile_cascades(cascading, located if args.cascade is None else None, router, source)[
        DEFAULT_ROUTE
    ]
    rows = load_rows(args.data)
    scores = load_scores(args.scores) if args.scores else None
    if scores is None and plan.start_cheapest:
        scores = dict.fromkeys((row.id for row in rows), 0.0)  # the start does not depend on a score
    prepared = prepare(
        rows, router, route, scores=scores, progress=progress_printer("frugal eval: routing", args.quiet)
    )
    replayed = replay_rows(prepared, plan)
    if not replayed.steps:
        raise DataError(
            f"{replayed.first_missing}: missing, and so in every row: a cascade is replayed on the answers "
            'each row recorded ("responses": {model: answer text}) for the steps it checks'
        )
    report = evaluate_cascade(
        replayed,
        plan,
        args.target,
        answer_model=spec.answer_model.path if spec.answer_model else None,
        resamples=args.bootstrap,
        seed=args.seed,
        progress=progress_printer("frugal eval: bootstrap", args.quiet, "resamples"),
    )
    if args.json:
        print(json.dumps(report.to_dict(), indent=2))
    else:
        print(format_cascade(report))
    return 0


def _usd(value: float | None) -> str:
    return "-" if value is None else f"${value:,.4f}" if value < 100 else f"${value:,.2f}"


def _share(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def _span(value: list[float] | None, points: bool = False) -> str:
    if value is None:
        return ""
    if points:
        return f" [{100 * value[0]:+.1f}, {100 * value[1]:+.1f}]"
    return f" [{value[0]:+.3f}, {value[1]:+.3f}]"


def format_cascade(report: CascadeEvaluation) -> str:
    """The text report (see docs/evaluation.md for an example)."""
    data = report.to_dict()
    settings = data["cascade_settings"]
    tiers = " → ".join(t["name"] for t in data["tiers"])
    checks = ", ".join(settings["checks"]) or "none"
    extra = []
    if settings["answer_model"]:
        model = settings["answer_model"]
        extra.append(f"answer model {model['path']} (min_probability {model['min_probability']:g})")
    if settings["check"]:
        extra.append(f"check {settings['check']}")
    lines = [
        f"frugal eval: {data['rows']:,} rows, cascade {tiers}; checks {checks}"
        + "".join(f"; {e}" for e in extra)
        + f"; target {report.base.target:.0%} of the strongest model's quality "
        f"({report.base.target_quality:.3f})"
    ]
    width = max(36, *(len(m["model"]) + 13 for m in data["models"]))
    lines += ["", f"{'':<{width}} {'quality':>8} {'cost':>12} {'savings':>8}"]

    def line(label: str, at: dict[str, Any]) -> None:
        q = "-" if at["quality"] is None else f"{at['quality']:.3f}"
        lines.append(f"{label:<{width}} {q:>8} {_usd(at['cost_usd']):>12} {_share(at['savings']):>8}")

    for item in data["models"]:
        line(item["model"] + (" (strongest)" if item["model"] == report.base.strongest else ""), item)
    line("random mix at target", data["zero_router"])
    line("oracle", data["oracle"])
    line("perfect check", data["perfect_check"])
    line("cascade", data["cascade"])
    line("random escalation, same rates", data["random_escalation"])
    if data["at_target"] is not None:
        line("cascade at target", data["at_target"])
    random_target = data["random_escalation_at_target"]
    line(
        "random escalation at target",
        {
            "quality": None if random_target["cost_usd"] is None else report.base.target_quality,
            **random_target,
        },
    )
    lines.append("")
    escalated = "; ".join(
        f"step {e['step']} ({data['tiers'][e['step'] - 1]['name']}): {e['rate']:.1%} of {e['rows']:,.0f} rows"
        for e in data["cascade"]["escalations"]
    )
    lines.append(f"{'escalated':<22} {escalated or 'nothing'}")
    cascade = data["cascade"]
    if cascade["reached"]:
        lines.append(f"{'target':<22} met by the cascade as configured ({cascade['quality']:.3f})")
    else:
        short = report.base.target_quality - cascade["quality"]
        lines.append(f"{'target':<22} missed by the cascade as configured ({short:.3f} short)")
    lines.append(
        f"{'vs random escalation':<22} quality {data['quality_gain']:+.3f}"
        f"{_span(data['quality_gain_interval'])} at the same escalation rates"
    )
    at = data["at_target"]
    if at is not None and settings["answer_model"]:
        gain = data["target_gain"]
        versus = (
            ""
            if gain is None
            else f", {100 * gain:+.1f} points over random escalation"
            f"{_span(data['target_gain_interval'], points=True)}"
        )
        setting = f"min_probability {at['min_probability']:g}"
        lines.append(f"{'at target':<22} {setting}: savings {_share(at['savings'])}{versus}")
    elif settings["answer_model"]:
        lines.append(f"{'at target':<22} no min_probability setting reaches the target")
    apgr, random_apgr = data["apgr"], data["random_escalation_apgr"]
    lines.append(
        f"{'APGR':<22} {'-' if apgr is None else f'{apgr:.3f}'} "
        f"(random escalation {'-' if random_apgr is None else f'{random_apgr:.3f}'}, random mix 0.5)"
    )
    if data["bootstrap"]:
        lines.append(f"{'intervals':<22} 90%, {data['bootstrap']} bootstrap resamples of the rows")
    if settings["judge"]:
        lines.append(
            f"{'not replayed':<22} judge {settings['judge']}: it would call a model; "
            "its verdicts count as passes"
        )
    if settings["check_errors"]:
        lines.append(f"{'check errors':<22} {settings['check_errors']:,} answers accepted (the check raised)")
    costs = data["costs"]
    lines.append(f"{'costs':<22} {costs['recorded']:,} recorded, {costs['estimated']:,} estimated")
    if data["skipped"]:
        skipped = ", ".join(f"{n:,} {why.replace('_', ' ')}" for why, n in data["skipped"].items())
        lines.append(f"{'skipped rows':<22} {skipped}")
    return "\n".join(lines)
