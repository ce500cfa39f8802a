"""Every figure of docs/evaluation.md, reproduced with the ``frugal`` command on the shared routing data.

    python -m benchmarks.evaluation [--data ../shared/data] [--work /tmp/frugal-evaluation] [--quick]

Each step is a ``frugal eval`` / ``calibrate`` / ``train`` command, printed before it runs (copy any of
them to check a single number); the tables at the end are what docs/evaluation.md shows. Takes about
five minutes on a 2-core machine (``--quick``: the main tables only, about a minute).

Set-ups (chosen before any router was evaluated):

- **routerbench**: mixtral-8x7b (cheap) vs gpt-4-1106-preview (strong), RouteLLM's pair; real per-call
  costs from the rows. Also three tiers: mistral-7b, Yi-34B, gpt-4.
- **dcrouter**: llama-3.1-8b-instruct vs llama-3.1-nemotron-51b-instruct (a distilled 70B), same family;
  the rows have no cost, so prices are assumed: $0.18 and $0.60 per million tokens in and out (typical
  hosted prices for 8B and ~50B models), on local token estimates with 400 output tokens.

Learned classifier, in the shipped configuration (``--no-words``, every other option at its default),
judged out of sample four ways: 5-fold cross-validation within the file; 5-fold cross-validation over
both files pooled (how the shipped model is trained, one fold held out); trained on the *other* file
only; and, for the record, the shipped model in sample. Then the training choices, each judged the same
ways (in the file and across files), and the spread of a router whose scores are noise.
"""

from __future__ import annotations

import argparse
import json
import random
import shlex
import statistics
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
RB, DC = "routerbench-train.jsonl", "dcrouter-train.jsonl"
SETUPS = {
    "routerbench": (RB, ["--models", "mistralai/mixtral-8x7b-chat,gpt-4-1106-preview"]),
    "dcrouter": (
        DC,
        [
            "--models",
            "llama-3.1-8b-instruct,llama-3.1-nemotron-51b-instruct",
            "--price",
            "llama-3.1-8b-instruct=0.18/0.18",
            "--price",
            "llama-3.1-nemotron-51b-instruct=0.6/0.6",
        ],
    ),
    "routerbench, 3 tiers": (
        RB,
        ["--models", "mistralai/mistral-7b-chat,zero-one-ai/Yi-34B-Chat,gpt-4-1106-preview"],
    ),
}
OTHER = {RB: DC, DC: RB}
SHIPPED = ["--no-words"]  # how the shipped model is trained (see docs/evaluation.md)
# The training choices compared (both 2-tier set-ups, in the file and across files).
VARIANTS = {
    "shipped: signs, no words, l2-dense 3e-4": SHIPPED,
    "l2-dense 1e-2": [*SHIPPED, "--l2-dense", "1e-2"],
    "l2-dense 1e-3": [*SHIPPED, "--l2-dense", "1e-3"],
    "l2-dense 1e-4": [*SHIPPED, "--l2-dense", "1e-4"],
    "l2-dense 3e-5": [*SHIPPED, "--l2-dense", "3e-5"],
    "words (frugal train's default), l2-words 0.1": ["--l2-words", "0.1"],
    "words (frugal train's default), l2-words 0.03": [],
    "no signs, no words": [*SHIPPED, "--no-signs"],
    "no signs, words, l2-dense 0.01 (the previous model's options)": ["--no-signs", "--l2-dense", "0.01"],
}
NOISE_SEEDS = 20


def frugal(*args: str) -> Any:
    """Run ``frugal ARGS --json`` (printed first) and return its JSON."""
    print("$ frugal " + shlex.join(args), file=sys.stderr, flush=True)
    out = subprocess.run(
        [sys.executable, "-m", "frugal.cli", *args, "--json"], check=True, capture_output=True, text=True
    ).stdout
    return json.loads(out)


def _figures(report: dict[str, Any]) -> tuple[str, str]:
    at = report["at_target"]
    return (f"{at['savings']:.1%}" if at["reached"] else "not reached"), f"{report['apgr']:.3f}"


def main_tables(path: dict[str, str], work: Path) -> None:
    """Single models, zero router, oracle, heuristic and the learned classifier judged four ways."""
    for name in (RB, DC):
        frugal("train", path[name], *SHIPPED, "--folds", "5", "--scores", str(work / f"cv-{name}"))
        frugal("train", path[name], *SHIPPED, "--out", str(work / f"model-{Path(name).stem}.json"))
    frugal("train", path[RB], path[DC], *SHIPPED, "--folds", "5", "--scores", str(work / "cv-pooled.jsonl"))

    rows = []
    for setup, (name, models) in SETUPS.items():
        base = [path[name], *models]
        heuristic = frugal("eval", *base)
        learned = {
            "5-fold CV in the file": frugal("eval", *base, "--scores", str(work / f"cv-{name}")),
            "5-fold CV, both files pooled": frugal("eval", *base, "--scores", str(work / "cv-pooled.jsonl")),
            f"trained on {OTHER[name].split('-')[0]} only": frugal(
                "eval",
                *base,
                "--classifier",
                "learned",
                "--classifier-options",
                json.dumps({"model": str(work / f"model-{Path(OTHER[name]).stem}.json")}),
            ),
            "shipped model (in sample)": frugal("eval", *base, "--classifier", "learned"),
        }
        calibrated = {
            "heuristic": frugal("calibrate", *base),
            "learned, 5-fold CV scores": frugal("calibrate", *base, "--scores", str(work / f"cv-{name}")),
        }
        rows.append((setup, heuristic, learned, calibrated))

    for setup, heuristic, learned, calibrated in rows:
        strong, zero, oracle = heuristic["strongest"], heuristic["zero_router"], heuristic["oracle"]
        print(f"\n### {setup} ({heuristic['rows']:,} rows)\n")
        print("| | quality | cost | savings vs strongest at 95 % | APGR |")
        print("|---|---|---|---|---|")
        for model in heuristic["models"]:
            print(f"| {model['model']} | {model['quality']:.3f} | ${model['cost_usd']:.2f} | | |")
        print(
            f"| strongest: {strong['model']} | {strong['quality']:.3f} | ${strong['cost_usd']:.2f} | 0 % | |"
        )
        print(
            f"| zero router (random-mix hull) | {zero['quality']:.3f} | ${zero['cost_usd']:.2f} | "
            f"{zero['savings']:.1%} | {zero['apgr']:.3f} |"
        )
        print(
            f"| oracle | {oracle['quality']:.3f} | ${oracle['cost_usd']:.2f} | ({oracle['savings']:.1%}) | |"
        )
        for label, report in [("heuristic", heuristic), *((f"learned: {k}", v) for k, v in learned.items())]:
            at = report["at_target"]
            if at["reached"]:
                figures = f"{at['quality']:.3f} | ${at['cost_usd']:.2f} | **{at['savings']:.1%}**"
            else:
                figures = "- | - | target not reached"
            print(f"| {label} | {figures} | **{report['apgr']:.3f}** |")
        print("\n| calibration at 95 % | thresholds | in sample: quality, savings | 5-fold out of sample |")
        print("|---|---|---|---|")
        for label, result in calibrated.items():
            inside, outside = result["in_sample"], result["out_of_sample"]
            print(
                f"| {label} | {result['threshold']} | "
                f"{inside['share_of_strongest']:.1%}, {inside['savings']:.1%} | "
                f"{outside['share_of_strongest']:.1%}, {outside['savings']:.1%} |"
            )


def variants_table(path: dict[str, str], work: Path) -> None:
    """Each training choice in the file (5-fold CV) and across files, on both 2-tier set-ups."""
    results = {}
    for number, (label, options) in enumerate(VARIANTS.items()):
        tag = str(number)
        cells = []
        for name in (RB, DC):
            scores = work / f"variant-{tag}-cv-{name}"
            frugal("train", path[name], *options, "--folds", "5", "--scores", str(scores))
            report = frugal("eval", path[name], *SETUPS[_setup(name)][1], "--scores", str(scores))
            cells.append(_figures(report))
        for name in (RB, DC):
            model = work / f"variant-{tag}-model-{Path(name).stem}.json"
            frugal("train", path[name], *options, "--out", str(model))
            other = OTHER[name]
            report = frugal(
                "eval",
                path[other],
                *SETUPS[_setup(other)][1],
                "--classifier",
                "learned",
                "--classifier-options",
                json.dumps({"model": str(model)}),
            )
            cells.append(_figures(report))
        results[label] = cells
    print("\n### Training choices: savings at 95 % / APGR\n")
    print(
        "| `frugal train` options | CV in routerbench | CV in dcrouter "
        "| routerbench → dcrouter | dcrouter → routerbench |"
    )
    print("|---|---|---|---|---|")
    for label, cells in results.items():
        shown = " | ".join(f"{savings} / {apgr}" for savings, apgr in cells)
        print(f"| {label}: `{shlex.join(VARIANTS[label]) or '(defaults)'}` | {shown} |")


def _setup(name: str) -> str:
    return "routerbench" if name == RB else "dcrouter"


def noise_table(path: dict[str, str]) -> None:
    """Savings and APGR of routers whose scores are seeded random numbers: the spread of a coin."""
    from frugal.evaluation.data import load_rows
    from frugal.evaluation.evaluate import evaluate, prepare
    from frugal.evaluation.setup import compile_for_evaluation, models_policy, parse_price
    from frugal.evaluation.sweep import Outcomes
    from frugal.policy import ClassifierSpec

    print(f"\n### Random scores ({NOISE_SEEDS} seeds): mean ± standard deviation\n")
    print("| set-up | savings at 95 % | APGR |")
    print("|---|---|---|")
    for setup in ("routerbench", "dcrouter"):
        name, args = SETUPS[setup]
        models = args[1].split(",")
        prices = dict(parse_price(args[i + 1]) for i, a in enumerate(args) if a == "--price")
        router, route = compile_for_evaluation(models_policy(models, ClassifierSpec()), prices=prices)
        prepared = prepare(load_rows([path[name]]), router, route)
        savings, apgrs = [], []
        for seed in range(NOISE_SEEDS):
            rng = random.Random(seed)
            o = prepared.outcomes
            scores = tuple(rng.random() for _ in o.scores)
            report = evaluate(replace(prepared, outcomes=Outcomes(scores, o.quality, o.cost, o.default_tier)))
            at = report.to_dict()["at_target"]
            savings.append(at["savings"] if at["reached"] else 0.0)
            apgrs.append(report.apgr or 0.0)
        print(
            f"| {setup} | {statistics.mean(savings):.1%} ± {statistics.stdev(savings):.1%} | "
            f"{statistics.mean(apgrs):.3f} ± {statistics.stdev(apgrs):.3f} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--data", type=Path, default=DATA, help=f"data directory (default: {DATA})")
    parser.add_argument("--work", type=Path, default=Path("/tmp/frugal-evaluation"), help="scratch directory")
    parser.add_argument("--quick", action="store_true", help="the main tables only")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    path = {name: str(args.data / name) for name in (RB, DC)}
    main_tables(path, args.work)
    if not args.quick:
        variants_table(path, args.work)
        noise_table(path)


if __name__ == "__main__":
    main()
