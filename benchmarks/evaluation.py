"""Every figure of docs/evaluation.md, reproduced with the ``frugal`` command on the shared routing data.

    python -m benchmarks.evaluation [--data ../shared/data] [--work /tmp/frugal-evaluation] [--quick|--adapt]

Each step is a ``frugal`` command, printed before it runs and its output shown as it is (copy any of them
to check a single number); the label table is computed in-process from :mod:`frugal.evaluation.labels`.
About 30 minutes on a quiet 2-core machine (``--quick``: the leave-one-source-out table only;
``--adapt``: the adaptation table only, each source adapted on a random 20 % of its rows).

The protocol (docs/evaluation.md): every source of the three shared files is left out in turn; trained
classifiers are refitted on every other source with their own recipe; each left-out source is judged
with one model pair per file, fixed before any router was run:

- routerbench: mixtral-8x7b → gpt-4-1106-preview (RouteLLM's pair), the rows' recorded costs;
- dcrouter: llama-3.1-8b-instruct → llama-3.1-nemotron-51b-instruct, prices assumed ($0.18 and $0.60 per
  million tokens in and out, typical hosted prices for 8B and ~50B models);
- difficulty: Mistral-7B-v0.1 (its weakest base model) → dolphin-2.9-llama3-8b (its most accurate),
  prices assumed ($0.10 and $0.30: the models are of one size, only the ratio matters for savings).
"""

from __future__ import annotations

import argparse
import itertools
import shlex
import statistics
import subprocess
import sys
from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
FILES = ("routerbench-train.jsonl", "dcrouter-train.jsonl", "difficulty-train.jsonl")
PAIRS = (
    ("mistralai/mixtral-8x7b-chat", "gpt-4-1106-preview"),
    ("llama-3.1-8b-instruct", "llama-3.1-nemotron-51b-instruct"),
    ("mistralai/Mistral-7B-v0.1", "cognitivecomputations/dolphin-2.9-llama3-8b"),
)
PRICES = (
    "llama-3.1-8b-instruct=0.18/0.18",
    "llama-3.1-nemotron-51b-instruct=0.6/0.6",
    "mistralai/Mistral-7B-v0.1=0.1/0.1",
    "cognitivecomputations/dolphin-2.9-llama3-8b=0.3/0.3",
)
#: The two non-commercial sources of difficulty-train.jsonl: evaluated, never trained on for a model that
#: ships (see shared/data/README.md).
NON_COMMERCIAL = ("cmmlu", "ceval")
COMPARE = ('learned={"model": "v1"}', "heuristic", "knn")


def routing_args(data: Path) -> list[str]:
    """The data files, one --models per file, and the assumed prices."""
    args = [str(data / f) for f in FILES]
    for cheap, strong in PAIRS:
        args += ["--models", f"{cheap},{strong}"]
    for price in PRICES:
        args += ["--price", price]
    return args


def frugal(*args: str) -> None:
    """Run ``frugal ARGS`` (printed first), its output shown as it is."""
    print(f"\n$ frugal {shlex.join(args)}", flush=True)
    subprocess.run([sys.executable, "-m", "frugal.cli", *args, "--quiet"], check=False)


def label_table(data: Path) -> None:
    """For each label: used as a perfect score, the AUC of the rows where a pair's stronger model wins.

    Per source, every ordered pair of its models at least 5 points apart in mean quality; the mean over
    pairs. A label that transfers across model pairs ranks each pair's winning rows first, whatever pair.
    """
    from frugal.evaluation.data import load_rows
    from frugal.evaluation.labels import labels
    from frugal.evaluation.train_report import auc

    rows = load_rows([data / f for f in FILES])
    found = {
        "escalation (the default)": labels(rows, "escalation").values,
        "strong-wins (the 0.1 label)": labels(rows, "strong-wins").values,
        "share of models that fail": tuple(1 - sum(r.quality.values()) / len(r.quality) for r in rows),
    }
    sources = list(dict.fromkeys(r.source for r in rows))
    print("\n| label | " + " | ".join(sources) + " | mean |")
    print("|---|" + "---|" * (len(sources) + 1))
    for name, values in found.items():
        cells = []
        for source in sources:
            mine = [i for i, r in enumerate(rows) if r.source == source]
            models = list(rows[mine[0]].quality)
            mean = {m: statistics.fmean(rows[i].quality[m] for i in mine) for m in models}
            aucs = []
            for weak, strong in itertools.permutations(models, 2):
                if mean[strong] - mean[weak] < 0.05:
                    continue
                wins = [rows[i].quality[strong] * (1 - rows[i].quality[weak]) > 0.5 for i in mine]
                found_auc = auc([values[i] for i in mine], wins)
                if found_auc is not None:
                    aucs.append(found_auc)
            cells.append(statistics.fmean(aucs))
        print(
            f"| {name} | " + " | ".join(f"{c:.3f}" for c in cells) + f" | **{statistics.fmean(cells):.3f}** |"
        )


def feature_table(data: Path) -> None:
    """Per feature of the learned classifier: its AUC for "the pair's strong model wins" on each source.

    A feature that carried across sources would sit on the same side of 0.5 on most of them.
    """
    from frugal.classifiers.learned_features import DENSE_FEATURES, read
    from frugal.evaluation.data import load_rows
    from frugal.evaluation.train_report import auc

    rows = load_rows([data / f for f in FILES])
    pair_of = {}
    for row in rows:
        pair_of[row.id] = next(p for p in PAIRS if set(p) <= row.quality.keys())
    wins = [r.quality[pair_of[r.id][1]] * (1 - r.quality[pair_of[r.id][0]]) > 0.5 for r in rows]
    values = [read(r.request).dense for r in rows]
    sources = list(dict.fromkeys(r.source for r in rows))
    print("\n| feature | mean AUC − 0.5 | sources above 0.5 | sources below 0.5 |")
    print("|---|---|---|---|")
    for name in DENSE_FEATURES:
        aucs = []
        for source in sources:
            mine = [i for i, r in enumerate(rows) if r.source == source]
            found = auc([values[i][name] for i in mine], [wins[i] for i in mine])
            if found is not None:
                aucs.append(found)
        above = sum(a > 0.5 for a in aucs)
        below = sum(a < 0.5 for a in aucs)
        print(f"| {name} | {statistics.fmean(aucs) - 0.5:+.3f} | {above} | {below} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--data", type=Path, default=DATA, help=f"data directory (default: {DATA})")
    parser.add_argument("--work", type=Path, default=Path("/tmp/frugal-evaluation"), help="scratch directory")
    parser.add_argument("--quick", action="store_true", help="the leave-one-source-out table only")
    parser.add_argument("--adapt", action="store_true", help="the adaptation table (20 %% of a source) only")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    routing = routing_args(args.data)
    compare = [arg for c in COMPARE for arg in ("--compare", c)]
    if args.adapt:
        # Each source judged on 80 % of its rows by a model trained on the other sources and the other
        # 20 % (cmmlu and ceval included: an evaluation figure, nothing ships), beside the prior alone.
        frugal("eval", *routing, "--cv", "sources", "--adapt", "0.2", "--compare", "knn")
        return
    # 1. The headline: every source left out in turn, the shipped default beside the others.
    frugal("eval", *routing, "--cv", "sources", *compare)
    if args.quick:
        return
    # 2. Thresholds chosen on the other sources: does a calibration carry?
    frugal("calibrate", *routing, "--cv", "sources")
    # 3. The shipped recipe's scores out of source against its label: calibration and ranking.
    excluded = [arg for s in NON_COMMERCIAL for arg in ("--exclude-source", s)]
    frugal("train", *(str(args.data / f) for f in FILES), "--no-words", *excluded, "--cv", "sources")
    # 4. Which label transfers across model pairs; whether any feature carries across sources.
    label_table(args.data)
    feature_table(args.data)
    # 5. In-domain, for contrast (every source on both sides of each split): what labels of your own buy.
    frugal("eval", *routing, "--cv", "5", "--compare", "knn", "--compare", 'learned={"model": "v1"}')
    # 6. Between the two: each source adapted on a random 20 % of its rows, judged on the rest.
    frugal("eval", *routing, "--cv", "sources", "--adapt", "0.2", "--compare", "knn")


if __name__ == "__main__":
    main()
