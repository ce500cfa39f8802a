"""The learned classifier's µs per classification: pure Python (as shipped), a numpy variant, the heuristic.

    python -m benchmarks.learned [--rounds 15]

Median over rounds of 2,000 classifications each, on the 200, 2,000 and 20,000-character prompts of
``benchmarks.classifier`` (mixed prose, code and figures), variants interleaved. The numpy variant does
the same arithmetic with arrays (dense weights as a vector, word weights gathered by index): it shows
what a numpy run-time dependency would buy. numpy is needed only for that variant.
"""

from __future__ import annotations

import argparse
import math
import statistics
from functools import partial
from typing import Any

from frugal.classifiers.heuristic import HeuristicClassifier
from frugal.classifiers.learned import DENSE_FEATURES, LearnedClassifier, LearnedModel, features
from frugal.request import RoutingRequest

from ._timing import paired
from .classifier import SIZES, prompt_of


class NumpyLearned:
    """The shipped model's arithmetic with numpy arrays (features extracted the same way)."""

    def __init__(self, model: LearnedModel) -> None:
        import numpy

        self.np = numpy
        self.bias = model.bias
        self.dense = numpy.array([model.dense.get(name, 0.0) for name in DENSE_FEATURES])
        words = sorted(model.words)
        self.index = {word.encode(): i for i, word in enumerate(words)}
        self.vocabulary = frozenset(self.index)
        self.words = numpy.array([model.words[w] for w in words])

    def score(self, request: RoutingRequest) -> float:
        np: Any = self.np
        dense, words = features(request)
        x = np.fromiter((dense.get(name, 0.0) for name in DENSE_FEATURES), float, len(DENSE_FEATURES))
        found = np.fromiter(map(self.index.__getitem__, self.vocabulary.intersection(words)), np.intp)
        logit = self.bias + float(x @ self.dense) + float(self.words[found].sum())
        return 1.0 / (1.0 + math.exp(-logit))


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--rounds", type=int, default=15, help="timing rounds (the median is reported)")
    args = parser.parse_args()
    learned = LearnedClassifier()
    variants: dict[str, Any] = {}
    requests = {size: RoutingRequest.from_prompt(prompt_of(size)) for size in SIZES}
    for size, request in requests.items():
        variants[f"learned {size}"] = partial(learned.classify, request)
        variants[f"heuristic {size}"] = partial(HeuristicClassifier().classify, request)
        try:
            variants[f"numpy {size}"] = partial(NumpyLearned(learned.model).score, request)
        except ImportError:
            pass
    samples = paired(variants, calls=2_000, rounds=args.rounds)
    for name in variants:
        kind, chars = name.split()
        print(f"{kind:<10} {int(chars):>6,}-char prompt: {statistics.median(samples[name]):6.1f} µs")


if __name__ == "__main__":
    main()
