"""Routing costs: the decision alone, and a routed call vs the raw SDK against the loopback stub.

Run: ``python -m benchmarks.routing [--rounds 41] [--classifier learned|heuristic|both] [--json]``

- decision: the request view (``RoutingRequest.from_call``), the classification and ``Router.decide``,
  each alone and together (``_dispatch.decide``), for the built-in default policy on a 2,000-character
  chat request (µs per call, hot loop, median of paired interleaved rounds);
- routed call: ``frugal.Client`` with that policy, ``model="auto"``, vs a raw ``openai.OpenAI`` call of the
  model the router picks, interleaved in one run against the same stub (µs per call).

The default policy's classifier is ``learned``; ``heuristic`` is the same policy with the heuristic
classifier and its thresholds (the classifier issue 3's speed targets were set for).
"""

from __future__ import annotations

import argparse
import json
import statistics
from collections.abc import Callable
from typing import Any

import openai

import frugal
from benchmarks._timing import median_difference, paired
from frugal._context import call_metadata
from frugal._dispatch import decide
from frugal._request import RoutingRequest
from frugal.policy import ClassifierSpec, Policy, load_policy
from frugal.providers.calls import CHAT
from frugal.testing import stub_process

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


def policy_with(classifier: str) -> Policy:
    """The built-in default policy, with the ``heuristic`` classifier and thresholds when asked."""
    policy, _ = load_policy(None)
    if classifier == "heuristic":
        return policy.model_copy(
            update={"classifier": ClassifierSpec(name="heuristic"), "thresholds": [0.35, 0.65]}
        )
    return policy


def measure_decision(rounds: int, policy: Policy) -> dict[str, float]:
    """µs per step of the decision, hot loop: each step alone, and the whole (paired, interleaved rounds)."""
    client = frugal.Client(policy=policy, openai={"api_key": "k"}, anthropic={"api_key": "k"})
    router = client._router
    params = {"model": "auto", "messages": MESSAGES}
    route, _ = router.route_for("auto")
    request = RoutingRequest.from_call("chat", params, call_metadata("chat", params))
    classification = route.classifier.classify(request)
    samples = paired(
        {
            "request view (RoutingRequest.from_call)": lambda: RoutingRequest.from_call(
                "chat", params, call_metadata("chat", params)
            ),
            f"{route.classifier.name} classifier": lambda: route.classifier.classify(request),
            "router (Router.decide)": lambda: router.decide(request, classification, route),
            "whole decision (_dispatch.decide)": lambda: decide(router, CHAT, params),
        },
        calls=2000,
        rounds=rounds,
    )
    return {name: statistics.median(values) for name, values in samples.items()}


def measure_calls(calls: int, rounds: int, policy: Policy) -> dict[str, Any]:
    with stub_process() as stub:
        routed = frugal.Client(
            policy=policy,
            openai={"api_key": "k", "base_url": stub.openai_base_url},
            anthropic={"api_key": "k", "base_url": stub.anthropic_base_url},
        )
        chosen = routed.route(messages=MESSAGES).model
        raw = openai.OpenAI(api_key="k", base_url=stub.openai_base_url, max_retries=0)
        variants: dict[str, Callable[[], object]] = {
            "raw openai SDK": lambda: raw.chat.completions.create(model=chosen, messages=MESSAGES),
            "frugal, model='auto'": lambda: routed.chat.completions.create(model="auto", messages=MESSAGES),
        }
        samples = paired(variants, calls, rounds)
    return {
        "model": chosen,
        "per_call_us": {name: statistics.median(values) for name, values in samples.items()},
        "routed_overhead_us": median_difference(samples, "frugal, model='auto'", "raw openai SDK"),
    }


def measure_in_process(calls: int, rounds: int, policy: Policy) -> dict[str, Any]:
    """Routing's own cost: raw SDK vs frugal over the same in-memory transport (no sockets, no stub)."""
    import httpx2

    from benchmarks.overhead import _CHAT

    def handler(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(200, json=_CHAT)

    def client() -> openai.OpenAI:
        http = httpx2.Client(transport=httpx2.MockTransport(handler))
        return openai.OpenAI(api_key="k", base_url="http://stub/v1", max_retries=0, http_client=http)

    routed = frugal.Client(policy=policy, openai=client(), anthropic={"api_key": "k"})
    chosen = routed.route(messages=MESSAGES).model
    raw = client()
    samples = paired(
        {
            "raw": lambda: raw.chat.completions.create(model=chosen, messages=MESSAGES),
            "routed": lambda: routed.chat.completions.create(model="auto", messages=MESSAGES),
        },
        calls,
        rounds,
    )
    return {
        "routed_overhead_us": median_difference(samples, "routed", "raw"),
        "raw_us": statistics.median(samples["raw"]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--calls", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=41)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--classifier", choices=["learned", "heuristic", "both"], default="both")
    args = parser.parse_args()
    names = ["learned", "heuristic"] if args.classifier == "both" else [args.classifier]
    results = {}
    for name in names:
        policy = policy_with(name)
        results[name] = {
            "decision_us": measure_decision(args.rounds, policy),
            **measure_calls(args.calls, args.rounds, policy),
            "in_process": measure_in_process(200, args.rounds, policy),
        }
    if args.json:
        print(json.dumps(results, indent=2))
        return
    for name, result in results.items():
        print(f"== default policy, {name} classifier")
        print("decision steps, 2k-char chat (hot loop, median of paired rounds):")
        for step, value in result["decision_us"].items():
            print(f"  {step:<40} {value:6.1f} µs")
        print(f"routed call vs raw SDK (router chose {result['model']}), median of {args.rounds} rounds:")
        for variant, value in result["per_call_us"].items():
            print(f"  {variant:<24} {value:8.1f} µs")
        print(
            f"  routing overhead: {result['routed_overhead_us']:+.1f} µs per call (median of paired rounds)"
        )
        own = result["in_process"]
        print(
            f"routing's own work, same in-memory transport (no sockets): {own['routed_overhead_us']:+.1f} µs "
            f"over {own['raw_us']:.0f} µs raw"
        )


if __name__ == "__main__":
    main()
