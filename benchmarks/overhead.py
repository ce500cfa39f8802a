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
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import anthropic
import openai
from frugal.testing import VendorStub

import frugal

GPT = "gpt-4o-mini"
CLAUDE = "claude-haiku-4-5"
MESSAGES: Any = [{"role": "user", "content": "Say hello"}]


def _variants(stub: VendorStub) -> dict[str, Callable[[], object]]:
    raw_oa = openai.OpenAI(api_key="sk-bench", base_url=stub.openai_base_url, max_retries=0)
    raw_an = anthropic.Anthropic(api_key="sk-ant-bench", base_url=stub.anthropic_base_url, max_retries=0)
    fr = frugal.Client(
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


def measure_calls(calls: int, rounds: int) -> dict[str, float]:
    """Median (over rounds) of the mean µs per call, per variant."""
    samples: dict[str, list[float]] = {}
    with VendorStub() as stub:
        variants = _variants(stub)
        for fn in variants.values():  # warm up connections, imports and caches
            for _ in range(20):
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
    return {name: statistics.median(values) for name, values in samples.items()}


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
from frugal.testing import VendorStub
HI = [{"role": "user", "content": "hi"}]
with VendorStub() as stub:
    o_args = {"api_key": "k", "base_url": stub.openai_base_url, "max_retries": 0}
    a_args = {"api_key": "k", "base_url": stub.anthropic_base_url, "max_retries": 0}
    if sys.argv[1] == "raw":
        oa, an = openai.OpenAI(**o_args), anthropic.Anthropic(**a_args)
    else:
        oa = an = frugal.Client(openai=o_args, anthropic=a_args)
    for _ in range(300):
        oa.chat.completions.create(model="gpt-4o-mini", messages=HI)
        an.messages.create(model="claude-haiku-4-5", max_tokens=9, messages=HI)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""


def measure_memory() -> dict[str, float]:
    """Peak RSS (MB) of a process making 600 calls with the raw SDKs vs with frugal."""
    raw = statistics.median(
        float(
            subprocess.run(
                [sys.executable, "-c", _MEMORY, "raw"], check=True, capture_output=True, text=True
            ).stdout.split()[-1]
        )
        for _ in range(3)
    )
    via = statistics.median(
        float(
            subprocess.run(
                [sys.executable, "-c", _MEMORY, "frugal"], check=True, capture_output=True, text=True
            ).stdout.split()[-1]
        )
        for _ in range(3)
    )
    return {"raw_mb": raw, "frugal_mb": via, "added_mb": via - raw}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=200, help="calls per variant per round")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    per_call = measure_calls(args.calls, args.rounds)
    result = {
        "per_call_us": per_call,
        "openai_overhead_us": per_call["openai via frugal"] - per_call["openai raw"],
        "anthropic_overhead_us": per_call["anthropic via frugal"] - per_call["anthropic raw"],
        "import_frugal_ms": measure_import(),
        "memory": measure_memory(),
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"per call, median of {args.rounds} rounds x {args.calls} calls (µs):")
    for name, value in per_call.items():
        print(f"  {name:<45} {value:8.1f}")
    for vendor in ("openai", "anthropic"):
        raw = per_call[f"{vendor} raw"]
        via = per_call[f"{vendor} via frugal"]
        print(f"  frugal overhead, {vendor:<9}: {via - raw:+7.1f} µs  (ratio {via / raw:.3f})")
    print(f"import frugal: {result['import_frugal_ms']:.1f} ms")
    memory = result["memory"]
    print(
        f"peak RSS, 600 calls: raw SDKs {memory['raw_mb']:.1f} MB, frugal {memory['frugal_mb']:.1f} MB,"
        f" added {memory['added_mb']:+.1f} MB"
    )


if __name__ == "__main__":
    main()
