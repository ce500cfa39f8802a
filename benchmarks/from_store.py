"""The from-store figure of docs/evaluation.md: each source learned from 20 % of its rows, through the store.

    python -m benchmarks.from_store [--data ../shared/data] [--work /tmp/frugal-from-store] [--prior-rows N]

Each source of the shared data is left out in turn, with the folds and the random 20 % of
``frugal eval --cv sources --adapt 0.2`` (seed 0), so the judged rows are those of the adaptation table:

1. **the prior**: the shipped model's recipe (v2) refitted on every other source (what a deployment
   starts from knows nothing of its traffic);
2. **the store**: the source's 20 % written into a SQLite feedback store with ``frugal.feedback`` (the API
   the client's shadow comparisons use): one label per row, with the request's hashed features (no text),
   the row's cheap model against its strong one (its file's ``--models`` pair), ``good`` = 1 - q_strong x
   (1 - q_cheap): the cheap answer falls short only where the strong one succeeds;
3. ``frugal train --from-store sqlite:///... --prior-model prior.json --out model.json``, the command;
4. the other 80 % scored by that model and by the prior alone; each set of scores is judged by
   ``frugal eval --cv sources --adapt 0.2 --scores FILE`` (APGR and savings against the random mix, with
   bootstrap intervals), and the two are printed side by side.

About 10 minutes on a 2-core machine. Nothing here ships: cmmlu and ceval are adapted on when judged.
"""

from __future__ import annotations

import argparse
import json
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

from frugal.classifiers.learned import LearnedClassifier, load_model
from frugal.evaluation.data import load_rows
from frugal.evaluation.folds import SOURCES, adapt_folds, folds_for
from frugal.evaluation.train import LearnedTrainer, recipe_of
from frugal.feedback import Label, SQLiteLabels, hashed_features

from .evaluation import DATA, FILES, PAIRS, routing_args

SHARE = 0.2


def frugal(*args: str, capture: bool = False) -> str:
    """Run ``frugal ARGS`` (printed first); its output shown, or returned when ``capture``."""
    print(f"$ frugal {shlex.join(args)}", flush=True)
    done = subprocess.run(
        [sys.executable, "-m", "frugal.cli", *args], check=True, capture_output=capture, text=True
    )
    return done.stdout if capture else ""


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--data", type=Path, default=DATA, help=f"data directory (default: {DATA})")
    parser.add_argument("--work", type=Path, default=Path("/tmp/frugal-from-store"), help="scratch directory")
    parser.add_argument("--prior-rows", default="1000", help="frugal train --prior-rows (default 1000)")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    paths = [str(args.data / f) for f in FILES]
    rows = load_rows(paths)
    pair_of = {str(args.data / f): pair for f, pair in zip(FILES, PAIRS, strict=True)}
    plain = folds_for(rows, SOURCES, 0)
    folds = adapt_folds(plain, SHARE, 0)
    trainer = LearnedTrainer(rows, recipe_of(load_model("v2")))
    store_scores: dict[str, float] = {}
    prior_scores: dict[str, float] = {}
    for fold, name in enumerate(folds.names):
        slug = name.replace("/", "-")
        prior = trainer.fit(plain.training_rows(fold))
        prior_path = args.work / f"prior-{slug}.json"
        prior.model.save(prior_path)
        store_path = args.work / f"store-{slug}.db"
        store_path.unlink(missing_ok=True)
        store = SQLiteLabels(f"sqlite:///{store_path}")
        for i in folds.adaptation_rows(fold):
            row = rows[i]
            cheap, strong = pair_of[row.file]
            good = 1.0 - row.quality[strong] * (1.0 - row.quality[cheap])
            store.add(
                Label(
                    id=row.id,
                    time=float(i),
                    source="shadow",
                    good=good,
                    method="judge",
                    model=cheap,
                    reference_model=strong,
                    features=hashed_features(row.request),
                )
            )
        store.close()
        model_path = args.work / f"model-{slug}.json"
        frugal(
            "train",
            "--from-store",
            f"sqlite:///{store_path}",
            "--prior-model",
            str(prior_path),
            "--prior-rows",
            args.prior_rows,
            "--out",
            str(model_path),
            "--quiet",
            "--json",
        )
        adapted = LearnedClassifier(model=load_model(model_path))
        for i in range(len(rows)):
            if folds.of_row[i] != fold:
                continue
            request = rows[i].request
            prior_scores[rows[i].id] = prior.classify(request).score
            # Adaptation rows are never judged; they get the prior's score so the file is complete.
            chosen = prior if folds.adapted(i) else adapted
            store_scores[rows[i].id] = chosen.classify(request).score
    results = {}
    for label, scores in (("from-store", store_scores), ("prior", prior_scores)):
        path = args.work / f"scores-{label}.jsonl"
        path.write_text("".join(json.dumps({"id": k, "score": v}) + "\n" for k, v in scores.items()))
        routing = routing_args(args.data)
        out = frugal(
            "eval",
            *routing,
            "--cv",
            "sources",
            "--adapt",
            str(SHARE),
            "--scores",
            str(path),
            "--json",
            "--quiet",
            capture=True,
        )
        results[label] = json.loads(out)
    print_table(results)


def _cell(result: dict[str, Any], pooled: bool = False) -> str:
    apgr, low_high = result["apgr"], result["apgr_interval"]
    gain = result["gain"]
    if apgr is None:
        return "n/a"
    text = f"{apgr:.3f}"
    if isinstance(low_high, list):
        text += f" [{low_high[0]:.3f}, {low_high[1]:.3f}]"
    if isinstance(gain, float):
        spread = result["gain_interval"]
        within = f" [{100 * spread[0]:+.1f}, {100 * spread[1]:+.1f}]" if pooled and spread else ""
        text += f" ({100 * gain:+.1f}{within})"
    return text


def print_table(results: dict[str, dict[str, Any]]) -> None:
    """The markdown table of docs/evaluation.md: per source, from-store beside the prior alone."""
    store, prior = results["from-store"], results["prior"]
    setups = {s["source"]: s for s in store["sources"]}
    (mine,) = store["classifiers"]
    (alone,) = prior["classifiers"]
    print("\n| source | judged rows | gap | from the store (20 %) + prior | prior alone |")
    print("|---|---|---|---|---|")
    for a, b in zip(mine["sources"], alone["sources"], strict=True):
        setup = setups[a["source"]]
        gap = f"{setup['gap']:.3f}" if setup["apgr_in_mean"] else f"*{setup['gap']:.3f}*"
        print(f"| {a['source']} | {setup['rows']:,} | {gap} | {_cell(a)} | {_cell(b)} |")
    print(f"| **mean** | | | {_cell(mine['pooled'], True)} | {_cell(alone['pooled'], True)} |")
    print(
        f"| sources above the random mix (savings) | | | {mine['beats_random_mix']} of {len(mine['sources'])}"
        f" | {alone['beats_random_mix']} of {len(alone['sources'])} |"
    )


if __name__ == "__main__":
    main()
