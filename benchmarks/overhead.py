"""Per-call overhead of frugal over the raw vendor SDKs, `import frugal` time, and memory.

Run: ``python benchmarks/overhead.py [--calls 300] [--rounds 15] [--json]``

Everything runs against the loopback vendor stub (frugal.testing) in one process, interleaved: each round
times a batch of calls through the raw ``openai.OpenAI`` client, then through ``frugal.Client`` (same-vendor
pass-through), then the same for ``anthropic.Anthropic``, in a shuffled order, so machine noise hits all
variants alike. Reported: the median over rounds of the mean µs per call, and frugal minus raw.
Import time and peak memory are measured in fresh subprocesses.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import anthropic
import openai

import frugal
from benchmarks._timing import median_difference, paired
from frugal.policy import Policy, Tier
from frugal.testing import StubEndpoints, stub_process

GPT = "gpt-4o-mini"
CLAUDE = "claude-haiku-4-5"
MESSAGES: Any = [{"role": "user", "content": "Say hello"}]


#: The pass-through stage: the model named is the model called (routing is measured in routing.py).
HONOR = Policy(name="honor", tiers=[Tier(name="all", models=[GPT, CLAUDE])], requested_model="honor")


def _variants(stub: StubEndpoints) -> dict[str, Callable[[], object]]:
    raw_oa = openai.OpenAI(api_key="sk-bench", base_url=stub.openai_base_url, max_retries=0)
    raw_an = anthropic.Anthropic(api_key="sk-ant-bench", base_url=stub.anthropic_base_url, max_retries=0)
    fr = frugal.Client(
        policy=HONOR,
        openai={"api_key": "sk-bench", "base_url": stub.openai_base_url},
        anthropic={"api_key": "sk-ant-bench", "base_url": stub.anthropic_base_url},
        max_retries=0,
    )
    return {
        "openai raw": lambda: raw_oa.chat.completions.create(model=GPT, messages=MESSAGES),
        "openai via frugal": lambda: fr.chat.completions.create(model=GPT, messages=MESSAGES),
        "anthropic raw": lambda: raw_an.messages.create(model=CLAUDE, max_tokens=64, messages=MESSAGES),
        "anthropic via frugal": lambda: fr.messages.create(model=CLAUDE, max_tokens=64, messages=MESSAGES),
        "openai-shaped via frugal, served by claude": lambda: fr.chat.completions.create(
            model=CLAUDE, messages=MESSAGES
        ),
    }


def measure_calls(calls: int, rounds: int) -> dict[str, Any]:
    """Median µs per call of each variant, and frugal's paired overhead per vendor."""
    with stub_process() as stub:
        samples = paired(_variants(stub), calls, rounds)
    return {
        "per_call_us": {name: statistics.median(values) for name, values in samples.items()},
        "openai_overhead_us": median_difference(samples, "openai via frugal", "openai raw"),
        "anthropic_overhead_us": median_difference(samples, "anthropic via frugal", "anthropic raw"),
    }


_CHAT = {
    "id": "chatcmpl-b",
    "object": "chat.completion",
    "created": 1700000000,
    "model": GPT,
    "choices": [
        {
            "index": 0,
            "finish_reason": "stop",
            "logprobs": None,
            "message": {"role": "assistant", "content": "Hello.", "refusal": None, "annotations": []},
        }
    ],
    "usage": {"prompt_tokens": 12, "completion_tokens": 5, "total_tokens": 17},
}
_MESSAGE = {
    "id": "msg_b",
    "type": "message",
    "role": "assistant",
    "model": CLAUDE,
    "content": [{"type": "text", "text": "Hello."}],
    "stop_reason": "end_turn",
    "stop_sequence": None,
    "usage": {"input_tokens": 12, "output_tokens": 5},
}


def measure_in_process(calls: int, rounds: int) -> dict[str, float]:
    """frugal's own work per call: raw SDK vs frugal over the same in-memory transport (no sockets)."""
    import httpx2

    def handler(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(200, json=_MESSAGE if request.url.path.endswith("/messages") else _CHAT)

    def oa() -> openai.OpenAI:
        transport = httpx2.MockTransport(handler)
        return openai.OpenAI(
            api_key="k",
            base_url="http://stub/v1",
            max_retries=0,
            http_client=httpx2.Client(transport=transport),
        )

    def an() -> anthropic.Anthropic:
        transport = httpx2.MockTransport(handler)
        return anthropic.Anthropic(
            api_key="k", base_url="http://stub", max_retries=0, http_client=httpx2.Client(transport=transport)
        )

    raw_oa, raw_an = oa(), an()
    fr = frugal.Client(policy=HONOR, openai=oa(), anthropic=an())
    variants: dict[str, Callable[[], object]] = {
        "openai raw": lambda: raw_oa.chat.completions.create(model=GPT, messages=MESSAGES),
        "openai via frugal": lambda: fr.chat.completions.create(model=GPT, messages=MESSAGES),
        "anthropic raw": lambda: raw_an.messages.create(model=CLAUDE, max_tokens=64, messages=MESSAGES),
        "anthropic via frugal": lambda: fr.messages.create(model=CLAUDE, max_tokens=64, messages=MESSAGES),
    }
    samples = paired(variants, calls, rounds)
    return {
        "openai_overhead_us": median_difference(samples, "openai via frugal", "openai raw"),
        "anthropic_overhead_us": median_difference(samples, "anthropic via frugal", "anthropic raw"),
        "openai_raw_us": statistics.median(samples["openai raw"]),
        "anthropic_raw_us": statistics.median(samples["anthropic raw"]),
    }


def _subprocess_float(code: str) -> float:
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    return float(out.strip().splitlines()[-1])


def measure_import(repeats: int = 7) -> float:
    """Median ms of `import frugal` in a fresh interpreter."""
    code = "import time; t = time.perf_counter(); import frugal; print((time.perf_counter() - t) * 1e3)"
    return statistics.median(_subprocess_float(code) for _ in range(repeats))


_MEMORY = """
import resource, sys
import anthropic, openai, frugal
from frugal.policy import Policy, Tier
HI = [{"role": "user", "content": "hi"}]
url = sys.argv[2]
o_args = {"api_key": "k", "base_url": url + "/v1", "max_retries": 0}
a_args = {"api_key": "k", "base_url": url, "max_retries": 0}
if sys.argv[1] == "raw":
    oa, an = openai.OpenAI(**o_args), anthropic.Anthropic(**a_args)
else:
    tiers = [Tier(name="all", models=["gpt-4o-mini", "claude-haiku-4-5"])]
    honor = Policy(tiers=tiers, requested_model="honor")
    oa = an = frugal.Client(policy=honor, openai=o_args, anthropic=a_args)
for _ in range(300):
    oa.chat.completions.create(model="gpt-4o-mini", messages=HI)
    an.messages.create(model="claude-haiku-4-5", max_tokens=9, messages=HI)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""


def measure_memory() -> dict[str, float]:
    """Peak RSS (MB) of a process making 600 calls, raw SDKs vs frugal (the stub in another process)."""

    def peak(variant: str, url: str) -> float:
        out = subprocess.run(
            [sys.executable, "-c", _MEMORY, variant, url], check=True, capture_output=True, text=True
        ).stdout
        return float(out.split()[-1])

    with stub_process() as stub:
        raw = statistics.median(peak("raw", stub.url) for _ in range(3))
        via = statistics.median(peak("frugal", stub.url) for _ in range(3))
    return {"raw_mb": raw, "frugal_mb": via, "added_mb": via - raw}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=50, help="calls per variant per round")
    parser.add_argument("--rounds", type=int, default=41)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    result = {
        **measure_calls(args.calls, args.rounds),
        "import_frugal_ms": measure_import(),
        "memory": measure_memory(),
        "in_process": measure_in_process(200, args.rounds),
    }
    per_call = result["per_call_us"]
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"per call, median of {args.rounds} rounds x {args.calls} calls (µs):")
    for name, value in per_call.items():
        print(f"  {name:<45} {value:8.1f}")
    for vendor in ("openai", "anthropic"):
        overhead = result[f"{vendor}_overhead_us"]
        print(f"  frugal overhead, {vendor:<9}: {overhead:+7.1f} µs per call (median of paired rounds)")
    own = result["in_process"]
    print("frugal's own work per call, same in-memory transport for both (no sockets, no stub):")
    print(f"  openai    {own['openai_overhead_us']:+6.1f} µs over {own['openai_raw_us']:.0f} µs raw")
    print(f"  anthropic {own['anthropic_overhead_us']:+6.1f} µs over {own['anthropic_raw_us']:.0f} µs raw")
    print(f"import frugal: {result['import_frugal_ms']:.1f} ms")
    memory = result["memory"]
    print(
        f"peak RSS, 600 calls: raw SDKs {memory['raw_mb']:.1f} MB, frugal {memory['frugal_mb']:.1f} MB,"
        f" added {memory['added_mb']:+.1f} MB"
    )


if __name__ == "__main__":
    main()
