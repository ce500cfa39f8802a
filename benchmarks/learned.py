"""µs per classification: the shipped learned model (v2), the previous one (v1), the heuristic, and knn.

    python -m benchmarks.learned [--rounds 15] [--index-rows 5000]

Median over rounds of 2,000 classifications each (200 for knn), on the 200, 2,000 and 20,000-character
prompts of ``benchmarks.classifier`` (mixed prose, code and figures) and a Chinese question, variants
interleaved (:func:`benchmarks._timing.paired`). knn runs the built-in hashing embedder (256 dimensions)
over an index of ``--index-rows`` synthetic rows, its search with numpy and in pure Python (what a host
without numpy gets).
"""

from __future__ import annotations

import argparse
import builtins
import random
import statistics
from collections.abc import Callable
from functools import partial
from typing import Any

from frugal.classifiers.embedders import HashingEmbedder
from frugal.classifiers.heuristic import HeuristicClassifier
from frugal.classifiers.knn import KnnClassifier, KnnIndex
from frugal.classifiers.learned import LearnedClassifier, LearnedOptions
from frugal.request import RoutingRequest

from ._timing import paired
from .classifier import SIZES, prompt_of

CHINESE = "运行中变压器温度最高的部分是哪一个？请说明原因，并比较绕组、变压器油、引线和铁芯的温度。"
_VOCABULARY = (
    "the of and to in a is that for it as was with be by on not he this are or his from at which but "
    "prove design compare explain why how many refund order code function bound prime rate limiter "
    "summarise translate write list query table customer report budget model routing cache thread"
)
_WORDS = _VOCABULARY.split()


def synthetic_index(rows: int, embedder: HashingEmbedder) -> KnnIndex:
    """An index of ``rows`` random 20–60-word texts with random labels (seeded)."""
    rng = random.Random(0)
    texts = [" ".join(rng.choices(_WORDS, k=rng.randint(20, 60))) for _ in range(rows)]
    return KnnIndex.from_vectors(embedder, 30, embedder.embed(texts), [rng.random() for _ in range(rows)])


def pure_python(build: Callable[[], KnnClassifier]) -> KnnClassifier:
    """A knn classifier built as on a host without numpy (its search in pure Python)."""
    real_import = builtins.__import__

    def no_numpy(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "numpy":
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    builtins.__import__ = no_numpy
    try:
        return build()
    finally:
        builtins.__import__ = real_import


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--rounds", type=int, default=15, help="timing rounds (the median is reported)")
    parser.add_argument("--index-rows", type=int, default=5_000, help="rows of the knn index")
    args = parser.parse_args()
    requests = {f"{size:,}": RoutingRequest.from_prompt(prompt_of(size)) for size in SIZES}
    requests["chinese"] = RoutingRequest.from_prompt(CHINESE)
    classifiers: dict[str, Any] = {
        "learned v2": LearnedClassifier(),
        "learned v1": LearnedClassifier(LearnedOptions(model="v1")),
        "heuristic": HeuristicClassifier(),
    }
    variants = {
        f"{kind} | {name}": partial(c.classify, r)
        for kind, c in classifiers.items()
        for name, r in requests.items()
    }
    samples = paired(variants, calls=2_000, rounds=args.rounds)
    embedder = HashingEmbedder()
    index = synthetic_index(args.index_rows, embedder)
    knn = {
        f"knn numpy ({args.index_rows:,} rows)": KnnClassifier(index=index, embedder=embedder),
        f"knn pure Python ({args.index_rows:,} rows)": pure_python(
            lambda: KnnClassifier(index=index, embedder=embedder)
        ),
    }
    slow: dict[str, Callable[[], object]] = {}
    for name, request in requests.items():
        for kind, classifier in knn.items():
            slow[f"{kind} | {name}"] = partial(classifier.classify, request)
        slow[f"hashing embedder | {name}"] = partial(embedder.embed, [request.prompt])
    samples.update(paired(slow, calls=200, rounds=max(3, args.rounds // 3)))
    print(f"{'classifier':<34} {'prompt':>8}  µs per classification (median of rounds)")
    for name, values in samples.items():
        kind, prompt = name.split(" | ")
        print(f"{kind:<34} {prompt:>8}  {statistics.median(values):10.1f}")


if __name__ == "__main__":
    main()
