"""Ledger overhead per call: reserve + settle + record, in memory, SQLite and Redis on loopback, vs none.

Run: ``python -m benchmarks.ledger [--calls 200] [--rounds 15] [--vendor-wait MS]``

Every variant is the same frugal call (honour policy, so routing is not measured here) on an in-memory
HTTP transport, so the difference to the "no ledger" variant is the ledger's whole cost on the call path:
the per-call account (usage read from the answer, cost, baseline), the budget match, the atomic
reservation, the settlement with its record. Each ledger variant has one global budget far from its
limit (so every call reserves and settles). Variants are interleaved round by round (``paired``); the
figure is the median of per-round differences. A second no-ledger client runs beside them as an A/A
control: its difference to the first is the noise floor of the whole-call figures in that run. Redis
is a ``redis-server`` started here on 127.0.0.1 at a free port (skipped when it is not installed);
SQLite is a file in a temporary directory. ``--vendor-wait MS`` makes the in-memory vendor take that
long to answer (the thread sleeps, as it would wait on a socket): the ledger's work then runs after an
idle wait, as in a real call, instead of back to back with the SDK's.

Also measured: the store's own two operations alone (one ``reserve`` and one ``settle`` with its record,
called directly), and the same ledger steps without any vendor call: ``_begin``, the attempt handed an
already parsed SDK answer (its usage read and priced), then ``finish``. Redis
runs twice: settled by the background writer (the default; its settlements are flushed before the
records are counted) and ``settle: inline``.
"""

from __future__ import annotations

import argparse
import shutil
import socket
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from typing import Any

import httpx2
import openai
from openai.types.chat import ChatCompletion

import frugal
from benchmarks._timing import median_difference, paired
from benchmarks.overhead import _CHAT, GPT, MESSAGES
from frugal.budgets.ledger import Check, Hold, LedgerRecord
from frugal.policy import BudgetSpec, LedgerSpec, Policy, Tier
from frugal.providers.calls import CHAT

_USAGE = {
    "prompt_tokens": 12,
    "completion_tokens": 5,
    "total_tokens": 17,
    "prompt_tokens_details": {"cached_tokens": 4, "audio_tokens": 0},
    "completion_tokens_details": {"reasoning_tokens": 2, "audio_tokens": 0},
}
_AGAIN = "no ledger, again"
NO_BUDGETS = Policy(name="honor", tiers=[Tier(name="all", models=[GPT])], requested_model="honor")
BUDGETED = NO_BUDGETS.model_copy(update={"budgets": [BudgetSpec(limit_usd=1e9, window="day")]})


def _handler(request: httpx2.Request) -> httpx2.Response:
    return httpx2.Response(200, json=_CHAT)


def _waiting(seconds: float) -> Callable[[httpx2.Request], httpx2.Response]:
    """A vendor that takes ``seconds`` to answer (the caller's thread sleeps, as it waits on a socket)."""

    def handler(request: httpx2.Request) -> httpx2.Response:
        time.sleep(seconds)
        return _handler(request)

    return handler


def _client(policy: Policy, ledger: str | None, wait: float = 0.0) -> frugal.Client:
    http = httpx2.Client(transport=httpx2.MockTransport(_waiting(wait) if wait else _handler))
    sdk = openai.OpenAI(api_key="k", base_url="http://stub/v1", max_retries=0, http_client=http)
    return frugal.Client(policy=policy, openai=sdk, anthropic={"api_key": "k"}, ledger=ledger)


def _redis(directory: str) -> tuple[subprocess.Popen[bytes], str] | None:
    executable = shutil.which("redis-server")
    if executable is None:
        return None
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [executable, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", directory],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    for _ in range(500):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return server, f"redis://127.0.0.1:{port}/0"
        except OSError:
            time.sleep(0.01)
    server.kill()
    return None


def measure(calls: int, rounds: int, wait: float = 0.0) -> dict[str, Any]:
    """Median µs per call of each variant and each ledger's paired overhead over no ledger.

    ``wait``: seconds the vendor takes to answer, in the whole-call variants only.
    """
    with tempfile.TemporaryDirectory() as directory:
        redis = _redis(directory)
        clients: dict[str, frugal.Client] = {
            "no ledger": _client(NO_BUDGETS, None, wait),
            _AGAIN: _client(NO_BUDGETS, None, wait),  # A/A control: the noise floor of whole-call figures
            "memory": _client(BUDGETED, "memory://", wait),
            "sqlite": _client(BUDGETED, f"sqlite:///{directory}/ledger.db", wait),
        }
        if redis is not None:
            clients["redis"] = _client(BUDGETED, redis[1], wait)  # settled in the background (default)
            inline = BUDGETED.model_copy(update={"ledger": LedgerSpec(url=redis[1], settle="inline")})
            clients["redis inline"] = _client(inline, redis[1], wait)

        def variant(client: frugal.Client) -> Callable[[], object]:
            return lambda: client.chat.completions.create(model=GPT, messages=MESSAGES)

        # What the SDK hands back, parsed once; its usage has the details real answers carry
        # (shared/reference/vendor-wire-formats.md), all read by the accounting.
        answer = ChatCompletion.model_validate({**_CHAT, "usage": _USAGE})

        def steps(client: frugal.Client) -> Callable[[], object]:
            params = {"model": GPT, "messages": MESSAGES}

            def run() -> None:
                candidates, telemetry, _ = client._begin(CHAT, dict(params))
                _, sent, attempt, hide = client._start_attempt(CHAT, candidates[0], params, telemetry)
                client._deliver(answer, sent, attempt, telemetry, hide)
                telemetry.finish()

            return run

        def store(name: str, client: frugal.Client) -> Callable[[], object]:
            ledger = client.ledger
            assert ledger is not None
            check = Check(("bench|*|d",), "bench|*|d", 10**18, True, 3600)
            hold = Hold((("bench|*|d", 3600),), 1000)
            ids = iter(range(10**9))

            def run() -> None:
                ledger.reserve([check], 1000)
                record = LedgerRecord(id=f"bench-{name}-{next(ids)}", time=time.time(), operation="chat")
                ledger.settle(hold, 900, record)

            return run

        try:
            samples = paired({name: variant(c) for name, c in clients.items()}, calls, rounds)
            # The A/A control is timed on whole calls only.
            timed = {name: c for name, c in clients.items() if name != _AGAIN}
            step_samples = paired({name: steps(c) for name, c in timed.items()}, calls, rounds)
            store_samples = paired(
                {name: store(name, c) for name, c in timed.items() if name != "no ledger"}, calls, rounds
            )
            for c in clients.values():
                c.flush_ledger()  # background settlements: in the ledger before it is counted
            records = {name: len(c.ledger.records()) for name, c in clients.items() if c.ledger is not None}
        finally:
            if redis is not None:
                redis[0].kill()
                redis[0].wait()
    assert all(count > calls * rounds for count in records.values()), records
    return {
        "per_call_us": {name: statistics.median(values) for name, values in samples.items()},
        "overhead_us": {name: median_difference(samples, name, "no ledger") for name in records},
        "again_us": median_difference(samples, _AGAIN, "no ledger"),
        "steps_overhead_us": {
            name: median_difference(step_samples, name, "no ledger")
            for name in clients
            if name not in ("no ledger", _AGAIN)
        },
        "store_us": {name: statistics.median(values) for name, values in store_samples.items()},
        "null_steps_us": statistics.median(step_samples["no ledger"]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument(
        "--vendor-wait", type=float, default=0.0, metavar="MS", help="ms the vendor takes to answer"
    )
    args = parser.parse_args()
    result = measure(args.calls, args.rounds, args.vendor_wait / 1000)
    base = result["per_call_us"]["no ledger"]
    null = result["null_steps_us"]
    waited = f", the vendor answering in {args.vendor_wait:g} ms" if args.vendor_wait else ""
    print(f"no ledger: {base:.0f} µs per call (in-process transport{waited}); its own steps {null:.1f} µs")
    for name, overhead in result["overhead_us"].items():
        steps = result["steps_overhead_us"][name]
        print(
            f"{name:>12} ledger: {overhead:+.1f} µs per call (x{(base + overhead) / base:.2f} the no-ledger "
            f"call; paired median); without the vendor call {steps:+.1f} µs (x{(null + steps) / null:.1f} "
            f"the no-ledger steps); the store's reserve + settle alone {result['store_us'][name]:.1f} µs"
        )
    print(
        f"A/A: a second no-ledger client {result['again_us']:+.1f} µs per call (the noise floor of the "
        "whole-call figures); the no-ledger steps are the load gauge: a busy machine shows there first"
    )
    if "redis" not in result["overhead_us"]:
        print("  redis: skipped (redis-server not installed)")


if __name__ == "__main__":
    main()
