"""Routing costs: the decision alone, and a routed call vs the raw SDK against the loopback stub.

Run: ``python benchmarks/routing.py [--rounds 15] [--json]``

- decision: ``RoutingRequest`` + heuristic classification + ``Router.decide`` for the built-in default
  policy, on a 2,000-character chat request (µs per decision, median of rounds);
- routed call: ``frugal.Client`` with the default policy, ``model="auto"``, vs a raw ``openai.OpenAI`` call
  of the model the router picks, interleaved in one run against the same stub (µs per call).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from collections.abc import Callable
from typing import Any

import openai

import frugal
from frugal._dispatch import decide
from frugal.providers.calls import CHAT
from frugal.testing import VendorStub

PROMPT_2K = (
    "Our support team keeps receiving tickets about delayed refunds. Summarise the situation below for a "
    "manager in three bullet points and suggest one next step.\n\n"
    + "Customer wrote that the refund for order 1182 has not arrived after ten business days. "
    * 22
)[:2000]
MESSAGES: Any = [
    {"role": "system", "content": "You are a concise assistant."},
    {"role": "user", "content": PROMPT_2K},
]


def _median_us(fn: Callable[[], object], calls: int, rounds: int) -> float:
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        samples.append((time.perf_counter() - start) / calls * 1e6)
    return statistics.median(samples)


def measure_decision(rounds: int) -> float:
    client = frugal.Client(openai={"api_key": "k"}, anthropic={"api_key": "k"})
    router = client._router
    params = {"model": "auto", "messages": MESSAGES}
    for _ in range(200):
        decide(router, CHAT, params)
    return _median_us(lambda: decide(router, CHAT, params), 2000, rounds)


def measure_calls(calls: int, rounds: int) -> dict[str, Any]:
    samples: dict[str, list[float]] = {}
    with VendorStub() as stub:
        routed = frugal.Client(
            openai={"api_key": "k", "base_url": stub.openai_base_url},
            anthropic={"api_key": "k", "base_url": stub.anthropic_base_url},
        )
        chosen = routed.route(messages=MESSAGES).model
        raw = openai.OpenAI(api_key="k", base_url=stub.openai_base_url, max_retries=0)
        variants: dict[str, Callable[[], object]] = {
            "raw openai SDK": lambda: raw.chat.completions.create(model=chosen, messages=MESSAGES),
            "frugal, model='auto'": lambda: routed.chat.completions.create(model="auto", messages=MESSAGES),
        }
        for fn in variants.values():
            for _ in range(30):
                fn()
        order = list(variants)
        for _ in range(rounds):
            random.shuffle(order)
            for name in order:
                fn = variants[name]
                start = time.perf_counter()
                for _ in range(calls):
                    fn()
                samples.setdefault(name, []).append((time.perf_counter() - start) / calls * 1e6)
    medians = {name: statistics.median(values) for name, values in samples.items()}
    return {
        "model": chosen,
        "per_call_us": medians,
        "routed_overhead_us": medians["frugal, model='auto'"] - medians["raw openai SDK"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = {"decision_us": measure_decision(args.rounds), **measure_calls(args.calls, args.rounds)}
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"decision (request + heuristic + router), 2k-char chat: {result['decision_us']:.1f} µs")
    print(f"routed call vs raw SDK (router chose {result['model']}), median of {args.rounds} rounds:")
    for name, value in result["per_call_us"].items():
        print(f"  {name:<24} {value:8.1f} µs")
    print(f"  routing overhead: {result['routed_overhead_us']:+.1f} µs per call")


if __name__ == "__main__":
    main()
