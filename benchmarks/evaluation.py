"""Every figure of docs/evaluation.md, reproduced with the ``frugal`` command on the shared routing data.

    python -m benchmarks.evaluation [--data ../shared/data] [--work /tmp/frugal-evaluation]

Each step is a ``frugal eval`` / ``calibrate`` / ``train`` command, printed before it runs (copy any of
them to check a single number); the tables at the end are what docs/evaluation.md shows. Takes about a
minute on a 2-core machine.

Set-ups (chosen before any router was evaluated):

- **routerbench**: mixtral-8x7b (cheap) vs gpt-4-1106-preview (strong), RouteLLM's pair; real per-call
  costs from the rows. Also three tiers: mistral-7b, Yi-34B, gpt-4.
- **dcrouter**: llama-3.1-8b-instruct vs llama-3.1-nemotron-51b-instruct (a distilled 70B), same family;
  the rows have no cost, so prices are assumed: $0.18 and $0.60 per million tokens in and out (typical
  hosted prices for 8B and ~50B models), on local token estimates with 400 output tokens.

Learned classifier, judged out of sample four ways: 5-fold cross-validation within the file; 5-fold
cross-validation over both files pooled (how the shipped model is trained, one fold held out); trained
on the *other* file only; and, for the record, the shipped model in sample.
"""

from __future__ import annotations

import argparse
import json
import shlex
import subprocess
import sys
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


def frugal(*args: str) -> Any:
    """Run ``frugal ARGS --json`` (printed first) and return its JSON."""
    print("$ frugal " + shlex.join(args), file=sys.stderr, flush=True)
    out = subprocess.run(
        [sys.executable, "-m", "frugal.cli", *args, "--json"], check=True, capture_output=True, text=True
    ).stdout
    return json.loads(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--data", type=Path, default=DATA, help=f"data directory (default: {DATA})")
    parser.add_argument("--work", type=Path, default=Path("/tmp/frugal-evaluation"), help="scratch directory")
    args = parser.parse_args()
    data, work = args.data, args.work
    work.mkdir(parents=True, exist_ok=True)
    path = {name: str(data / name) for name in (RB, DC)}

    # Out-of-fold scores and models trained on one file.
    for name in (RB, DC):
        frugal("train", path[name], "--folds", "5", "--scores", str(work / f"cv-{name}"))
        frugal("train", path[name], "--out", str(work / f"model-{Path(name).stem}.json"))
    frugal("train", path[RB], path[DC], "--folds", "5", "--scores", str(work / "cv-pooled.jsonl"))

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


if __name__ == "__main__":
    main()
