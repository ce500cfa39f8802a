"""Paired, interleaved timing: robust medians on a shared, noisy machine."""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable, Mapping


def paired(variants: Mapping[str, Callable[[], object]], calls: int, rounds: int) -> dict[str, list[float]]:
    """µs per call of each variant, one sample per round; variants run back to back in a shuffled order.

    Each round times every variant on a batch of ``calls`` calls, so a slow moment of the machine hits all
    variants of that round alike; compare variants by the median of their per-round differences.
    """
    for fn in variants.values():  # warm up connections, imports and caches
        for _ in range(30):
            fn()
    samples: dict[str, list[float]] = {name: [] for name in variants}
    order = list(variants)
    for _ in range(rounds):
        random.shuffle(order)
        for name in order:
            fn = variants[name]
            start = time.perf_counter()
            for _ in range(calls):
                fn()
            samples[name].append((time.perf_counter() - start) / calls * 1e6)
    return samples


def median_difference(samples: Mapping[str, list[float]], variant: str, baseline: str) -> float:
    """Median over rounds of (variant - baseline), µs per call."""
    return statistics.median(a - b for a, b in zip(samples[variant], samples[baseline], strict=True))
