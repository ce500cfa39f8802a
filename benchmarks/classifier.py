"""The heuristic classifier: µs per classification, and how well its score separates hard from easy prompts.

Run: ``python -m benchmarks.classifier [--rounds 15]`` for speed (200, 2,000 and 20,000-character prompts);
``python -m benchmarks.classifier --quality [--data ../shared/data]`` for the AUC of the score on the
labelled routing data:

- routerbench-train.jsonl: *hard* = gpt-3.5-turbo-1106 got it wrong while gpt-4-1106-preview got it right;
  *easy* = gpt-3.5-turbo-1106 got it right;
- dcrouter-train.jsonl: *hard* = fewer than half of its 9 open models got it right; *easy* = the rest.

AUC = the probability that a random hard prompt scores above a random easy one (0.5 = chance).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path
from typing import Any

from frugal._request import RoutingRequest
from frugal.classifiers.heuristic import HeuristicClassifier

SAMPLE = (
    "Our support team keeps receiving tickets about delayed refunds for orders paid by card. Summarise the "
    "situation for a manager, explain why it happens, and compare two ways to fix the process. "
    "```python\ndef refund(order):\n    return order.total * 0.9\n```\nThe customer wrote: "
)


def speed(rounds: int) -> dict[int, float]:
    classifier = HeuristicClassifier()
    results = {}
    for size in (200, 2000, 20000):
        request = RoutingRequest.from_prompt((SAMPLE * (size // len(SAMPLE) + 1))[:size])
        for _ in range(300):
            classifier.classify(request)
        samples = []
        for _ in range(rounds):
            start = time.perf_counter()
            for _ in range(2000):
                classifier.classify(request)
            samples.append((time.perf_counter() - start) / 2000 * 1e6)
        results[size] = statistics.median(samples)
    return results


def auc(hard: list[float], easy: list[float]) -> float:
    """Mann-Whitney AUC with ties counted half."""
    ranked = sorted([(s, 1) for s in hard] + [(s, 0) for s in easy])
    rank_sum, index = 0.0, 0
    while index < len(ranked):
        end = index
        while end < len(ranked) and ranked[end][0] == ranked[index][0]:
            end += 1
        mean_rank = (index + 1 + end) / 2
        rank_sum += mean_rank * sum(label for _, label in ranked[index:end])
        index = end
    return (rank_sum - len(hard) * (len(hard) + 1) / 2) / (len(hard) * len(easy))


def _prompt(row: dict[str, Any]) -> str:
    if "prompt" in row:
        return str(row["prompt"])
    return "\n".join(str(m.get("content", "")) for m in row.get("messages", []))


def quality(data: Path) -> dict[str, dict[str, float]]:
    classifier = HeuristicClassifier()
    out = {}
    for name, label in (
        ("routerbench-train.jsonl", "routerbench"),
        ("dcrouter-train.jsonl", "dcrouter"),
    ):
        hard: list[float] = []
        easy: list[float] = []
        with open(data / name, encoding="utf-8") as handle:
            for line in handle:
                row = json.loads(line)
                q = row["quality"]
                score = classifier.classify(RoutingRequest.from_prompt(_prompt(row))).score
                if label == "routerbench":
                    cheap, strong = q.get("gpt-3.5-turbo-1106"), q.get("gpt-4-1106-preview")
                    if cheap is None or strong is None:
                        continue
                    if cheap < 0.5 <= strong:
                        hard.append(score)
                    elif cheap >= 0.5:
                        easy.append(score)
                else:
                    (hard if statistics.mean(q.values()) < 0.5 else easy).append(score)
        out[label] = {"auc": auc(hard, easy), "hard": len(hard), "easy": len(easy)}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--quality", action="store_true", help="AUC on the labelled routing data")
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    args = parser.parse_args()
    if args.quality:
        for label, figures in quality(args.data).items():
            counts = f"({figures['hard']:.0f} hard, {figures['easy']:.0f} easy)"
            print(f"{label:<12} AUC {figures['auc']:.3f}  {counts}")
        return
    for size, micros in speed(args.rounds).items():
        print(f"heuristic, {size:>6}-char prompt: {micros:6.1f} µs per classification")


if __name__ == "__main__":
    main()
