"""The heuristic classifier: µs per classification, and how well its score separates hard from easy prompts.

Speed (median over rounds of 2,000 classifications each; 200, 2,000 and 20,000-character prompts of
mixed prose, code and figures)::

    python -m benchmarks.classifier [--rounds 15]

Quality (AUC of the score on the labelled routing data in shared/data, see its README)::

    python -m benchmarks.classifier --quality [--data ../shared/data] [--options '{"bias": -1.5}']

- routerbench-train.jsonl: *hard* = the cheap model (gpt-3.5-turbo-1106; also mistral-7b-chat) got it
  wrong while gpt-4-1106-preview got it right; *easy* = the cheap model got it right; prompts that both
  got wrong are left out (no model choice helps them). Reported over all rows and within each of its
  three sources (ARC-Challenge, MBPP, Winogrande): the overall figure mostly says how the three fixed
  formats compare.
- dcrouter-train.jsonl: *hard* = fewer than half of its six 7-9B models got it right; *easy* = the rest.
  Also reported: hard only when one of the two ~50B models got it right (the routing-relevant case).

AUC = the probability that a random hard prompt scores above a random easy one (0.5 = chance).
"""

from __future__ import annotations

import argparse
import json
import statistics
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

from frugal.classifiers.heuristic import HeuristicClassifier, HeuristicOptions
from frugal.request import RoutingRequest

from ._timing import paired

SAMPLE = (
    "Our support team keeps receiving tickets about delayed refunds for orders paid by card. Summarise the "
    "situation for a manager, explain why it happens, and compare two ways to fix the process. "
    "```python\ndef refund(order):\n    return order.total * 0.9\n```\nThe customer wrote: "
    '"I was charged $42.50 on 3 March and nothing came back after 14 days!" Refunds over 500 EUR need '
    "approval from Finance; the others are automatic. Last quarter 1,284 of 20,311 refunds were late.\n"
)
SIZES = (200, 2_000, 20_000)
DATA = Path(__file__).resolve().parents[2] / "shared" / "data"

# RouterBench: the strong model and the cheap ones it is compared with.
STRONG = "gpt-4-1106-preview"
CHEAP = ("gpt-3.5-turbo-1106", "mistralai/mistral-7b-chat")
# dcrouter: the 7-9B models, and the ~50B ones that a router would escalate to.
DC_SMALL = (
    "llama3-chatqa-1.5-8b",
    "qwen2.5-7b-instruct",
    "mistral-7b-instruct-v0.3",
    "gemma-2-9b-it",
    "llama-3.1-8b-instruct",
    "codegemma-7b",
)
DC_LARGE = ("llama-3.1-nemotron-51b-instruct", "llama-3.3-nemotron-super-49b-v1")


def prompt_of(size: int) -> str:
    """Realistic mixed text (prose, a code block, figures) of exactly ``size`` characters."""
    return (SAMPLE * (size // len(SAMPLE) + 1))[:size]


def speed(rounds: int, classifier: HeuristicClassifier) -> dict[int, float]:
    """Median µs per classification for each prompt size (sizes interleaved, so noise hits all alike)."""
    requests = {size: RoutingRequest.from_prompt(prompt_of(size)) for size in SIZES}
    variants = {str(size): partial(classifier.classify, request) for size, request in requests.items()}
    samples = paired(variants, calls=2_000, rounds=rounds)
    return {size: statistics.median(samples[str(size)]) for size in SIZES}


def auc(hard: list[float], easy: list[float]) -> float:
    """Mann-Whitney AUC, ties counted half."""
    ranked = sorted([(score, 1) for score in hard] + [(score, 0) for score in easy])
    rank_sum = 0.0
    index = 0
    while index < len(ranked):
        end = index
        while end < len(ranked) and ranked[end][0] == ranked[index][0]:
            end += 1
        mean_rank = (index + 1 + end) / 2
        rank_sum += mean_rank * sum(label for _, label in ranked[index:end])
        index = end
    return (rank_sum - len(hard) * (len(hard) + 1) / 2) / (len(hard) * len(easy))


def _rows(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


def _request(row: dict[str, Any]) -> RoutingRequest:
    if "prompt" in row:
        return RoutingRequest.from_prompt(str(row["prompt"]))
    return RoutingRequest.from_call("chat", {"messages": row.get("messages", [])}, {})


def quality(data: Path, classifier: HeuristicClassifier) -> dict[str, tuple[float, int, int]]:
    """AUC, hard count and easy count for each labelling of each file."""
    groups: dict[str, tuple[list[float], list[float]]] = {}

    def add(label: str, hard: bool, score: float) -> None:
        groups.setdefault(label, ([], []))[0 if hard else 1].append(score)

    for row in _rows(data / "routerbench-train.jsonl"):
        quality, score = row["quality"], classifier.classify(_request(row)).score
        source = str(row.get("source", "")).split("/")[-1]
        for cheap in CHEAP:
            if quality[cheap] < 0.5 and quality[STRONG] < 0.5:
                continue  # neither model: no choice of model helps this prompt
            for subset in ("all", source):
                add(f"routerbench, cheap = {cheap.split('/')[-1]}: {subset}", quality[cheap] < 0.5, score)
    for row in _rows(data / "dcrouter-train.jsonl"):
        quality, score = row["quality"], classifier.classify(_request(row)).score
        small_fail = statistics.mean(quality[m] for m in DC_SMALL) < 0.5
        add("dcrouter: hard = most 7-9B models fail", small_fail, score)
        if not small_fail or max(quality[m] for m in DC_LARGE) >= 0.5:
            add("dcrouter: hard = most 7-9B models fail, a ~50B one succeeds", small_fail, score)
    return {label: (auc(hard, easy), len(hard), len(easy)) for label, (hard, easy) in groups.items()}


def _order(item: tuple[str, Any]) -> tuple[bool, str]:
    return (item[0].startswith("dcrouter"), item[0].replace(": all", ": "))


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--rounds", type=int, default=15, help="timing rounds (the median is reported)")
    parser.add_argument("--quality", action="store_true", help="AUC on the labelled routing data instead")
    parser.add_argument("--data", type=Path, default=DATA, help=f"data directory (default: {DATA})")
    parser.add_argument("--options", type=json.loads, default={}, help="HeuristicOptions, as JSON")
    args = parser.parse_args()
    classifier = HeuristicClassifier(HeuristicOptions.model_validate(args.options))
    if args.quality:
        for label, (value, hard, easy) in sorted(quality(args.data, classifier).items(), key=_order):
            print(f"{label:<60} AUC {value:.3f}  ({hard:,} hard, {easy:,} easy)")
        return
    for size, micros in speed(args.rounds, classifier).items():
        print(f"heuristic, {size:>6,}-char prompt: {micros:6.1f} µs per classification")


if __name__ == "__main__":
    main()
