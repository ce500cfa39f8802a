"""What frugal costs a user against what they would use instead: the raw SDK, and LiteLLM.

Run: ``python -m benchmarks.overhead [--quick] [--json]``. LiteLLM's rows need the benchmark's own extra
(``pip install -e ".[bench]"``); without it they are skipped.

Every call goes to the loopback vendor stub served in its own process (``frugal.testing.stub_process``:
the stub does not share this process's GIL), with the same model, messages and answer for every variant
and the SDKs' retries off. Each figure is a ratio of figures taken side by side in one run:

- **per call, sync**: the raw ``openai.OpenAI`` call; frugal passing it through (a policy that honours
  the model named); frugal routing it (``model="auto"``: the built-in policy's classifier and thresholds
  over OpenAI tiers whose cheapest model is the one the raw call names, so that every variant calls the
  same model); the same traced (an OpenTelemetry SDK ``TracerProvider`` and ``BatchSpanProcessor``, the
  spans dropped by the exporter); the same with a budget on a ``memory://`` ledger ("frugal full");
  LiteLLM's ``completion``; and a second raw client, an A/A control whose difference to the first is
  the run's noise. Variants run in small batches, interleaved in a new shuffled order each round; an
  overhead is the median over rounds of the per-round difference to the raw call.
- **throughput, async**: calls per second with 50 calls in flight, raw ``openai.AsyncOpenAI`` vs
  ``frugal.AsyncClient`` (pass-through and full) and LiteLLM's ``acompletion``, interleaved rounds; a
  ratio is the median of the per-round ratios.
- **cold start**: fresh interpreters, interleaved: from the launch to the first answer, raw ``openai``
  vs ``import frugal`` + ``frugal.Client()`` (the built-in policy, ``model="auto"``) vs LiteLLM; then
  ``import frugal`` alone, ``frugal.Client()`` alone, and each process's peak RSS.
- **ledger memory**: the bytes a ``memory://`` ledger keeps per call over 5,000 calls (``tracemalloc`` in
  a fresh process, against the same client without a budget), before and after its records are first
  read, and the size that implies at the ledger's default record cap (read from the package).

LiteLLM reads its model-price map from its own package and its telemetry is off; the whole run is under
``frugal.testing.deny_network``, so nothing leaves loopback.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import importlib.util
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

# Before anything imports LiteLLM: it fetches its model-price map from the internet at import otherwise.
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
os.environ.setdefault("LITELLM_TELEMETRY", "False")

import openai
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult

import frugal
from frugal.policy import BudgetSpec, Policy, Tier, load_policy
from frugal.testing import StubEndpoints, deny_network, stub_process

MODEL = "gpt-4o-mini"
MESSAGES: Any = [
    {
        "role": "user",
        "content": "Summarise in one sentence: the refund for order 1182 has not arrived after ten business "
        "days, and the customer asks whether it went to the card they closed last month.",
    }
]
OPENAI_KEY = "sk-bench"
ANTHROPIC_KEY = "sk-ant-bench"
IN_FLIGHT = 50

RAW = "raw openai SDK"
AGAIN = "raw openai SDK, again (A/A)"
PASS = "frugal pass-through"
ROUTED = "frugal routed"
TRACED = "frugal routed + traced"
FULL = "frugal full (routed + traced + memory budget)"
LITELLM = "LiteLLM"


# -- the variants ------------------------------------------------------------------------------------------


class DropSpans(SpanExporter):
    """An exporter that drops what it is given: spans are built, batched and handed over, never shipped."""

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        """Drop ``spans``."""
        del spans
        return SpanExportResult.SUCCESS


@dataclass(frozen=True)
class Setup:
    """One frugal configuration: its policy, the model the caller names, tracing, and the ledger."""

    policy: Policy
    model: str
    traced: bool = False
    ledger: str | None = None

    def tracer_provider(self) -> TracerProvider | None:
        """A real SDK tracer provider batching to :class:`DropSpans` when traced, else None (the API's)."""
        if not self.traced:
            return None
        provider = TracerProvider()
        provider.add_span_processor(BatchSpanProcessor(DropSpans()))
        return provider

    def client(self, stub: StubEndpoints, provider: TracerProvider | None) -> frugal.Client:
        """A ``frugal.Client`` of this configuration on ``stub``."""
        return frugal.Client(
            policy=self.policy,
            openai={"api_key": OPENAI_KEY, "base_url": stub.openai_base_url},
            anthropic={"api_key": ANTHROPIC_KEY, "base_url": stub.anthropic_base_url},
            max_retries=0,
            tracer_provider=provider,
            ledger=self.ledger,
        )

    def async_client(self, stub: StubEndpoints) -> frugal.AsyncClient:
        """A ``frugal.AsyncClient`` of this configuration on ``stub``."""
        return frugal.AsyncClient(
            policy=self.policy,
            openai={"api_key": OPENAI_KEY, "base_url": stub.openai_base_url},
            anthropic={"api_key": ANTHROPIC_KEY, "base_url": stub.anthropic_base_url},
            max_retries=0,
            tracer_provider=self.tracer_provider(),
            ledger=self.ledger,
        )


def setups() -> dict[str, Setup]:
    """The frugal variants, by name."""
    honor = Policy(name="honor", tiers=[Tier(name="all", models=[MODEL])], requested_model="honor")
    # The built-in policy's classifier and thresholds, over OpenAI tiers that start at MODEL: its own tiers
    # would pick a model LiteLLM's price map may not know, or cross vendors.
    default, _ = load_policy(None)
    models = [MODEL, "gpt-4o", "gpt-4.1"]
    tiers = [Tier(name=tier.name, models=[m]) for tier, m in zip(default.tiers, models, strict=True)]
    routed = default.model_copy(update={"tiers": tiers})
    # One global daily budget far from its limit: every call reserves and settles.
    budgeted = routed.model_copy(update={"budgets": [BudgetSpec(limit_usd=1e9, window="day")]})
    return {
        PASS: Setup(honor, MODEL),
        ROUTED: Setup(routed, "auto"),
        TRACED: Setup(routed, "auto", traced=True),
        FULL: Setup(budgeted, "auto", traced=True, ledger="memory://"),
    }


def has_litellm() -> bool:
    """Whether LiteLLM is installed (``pip install -e ".[bench]"``)."""
    return importlib.util.find_spec("litellm") is not None


def _litellm() -> Any:
    """LiteLLM with its telemetry off (its import takes seconds: only when its rows run)."""
    import litellm

    litellm.telemetry = False
    return litellm


def _litellm_arguments(stub: StubEndpoints) -> dict[str, Any]:
    return {
        "model": f"openai/{MODEL}",
        "api_base": stub.openai_base_url,
        "api_key": OPENAI_KEY,
        "messages": MESSAGES,
        "max_retries": 0,
    }


def _chat(client: frugal.Client | openai.OpenAI, model: str) -> Callable[[], object]:
    return lambda: client.chat.completions.create(model=model, messages=MESSAGES)


def _achat(client: frugal.AsyncClient | openai.AsyncOpenAI, model: str) -> Callable[[], Awaitable[object]]:
    return lambda: client.chat.completions.create(model=model, messages=MESSAGES)


def _quartiles(values: Sequence[float]) -> tuple[float, float]:
    if len(values) < 2:
        return (values[0], values[0])
    low, _, high = statistics.quantiles(values, n=4)
    return (low, high)


# -- sync: per call ---------------------------------------------------------------------------------------


def sync_variants(stub: StubEndpoints, litellm: bool) -> dict[str, Callable[[], object]]:
    """One call of each sync variant: the same model, messages and answer."""
    raw = openai.OpenAI(api_key=OPENAI_KEY, base_url=stub.openai_base_url, max_retries=0)
    again = openai.OpenAI(api_key=OPENAI_KEY, base_url=stub.openai_base_url, max_retries=0)
    variants = {RAW: _chat(raw, MODEL), AGAIN: _chat(again, MODEL)}
    for name, setup in setups().items():
        client = setup.client(stub, setup.tracer_provider())
        if setup.model == "auto":
            chosen = client.route(messages=MESSAGES).model
            assert chosen == MODEL, f"{name}: routed to {chosen}, not {MODEL}"
        variants[name] = _chat(client, setup.model)
    if litellm:
        completion, arguments = _litellm().completion, _litellm_arguments(stub)
        variants[LITELLM] = lambda: completion(**arguments)
    return variants


def interleaved(
    variants: Mapping[str, Callable[[], object]], batch: int, rounds: int, warm_up: int = 20
) -> dict[str, list[float]]:
    """µs per call of each variant, one sample per round, the variants in a new shuffled order each round.

    A slow moment of the shared machine then hits the variants of one round alike. A short pause after
    each batch lets background work (span export, LiteLLM's logging threads) end outside the next batch.
    """
    for call in variants.values():  # connections, imports, caches
        for _ in range(warm_up):
            call()
    samples: dict[str, list[float]] = {name: [] for name in variants}
    order = list(variants)
    for _ in range(rounds):
        random.shuffle(order)
        for name in order:
            call = variants[name]
            start = time.perf_counter()
            for _ in range(batch):
                call()
            samples[name].append((time.perf_counter() - start) / batch * 1e6)
            time.sleep(0.01)
    return samples


def measure_sync(
    stub: StubEndpoints, batch: int, rounds: int, litellm: bool, warm_up: int = 20
) -> dict[str, Any]:
    """Each variant's µs per call, its overhead over the raw call and its multiple of it (medians)."""
    samples = interleaved(sync_variants(stub, litellm), batch, rounds, warm_up)
    raw = samples[RAW]
    result: dict[str, Any] = {}
    for name, values in samples.items():
        differences = [v - r for v, r in zip(values, raw, strict=True)]
        result[name] = {
            "us_per_call": statistics.median(values),
            "overhead_us": statistics.median(differences),
            "overhead_quartiles_us": _quartiles(differences),
            "times_raw": statistics.median(v / r for v, r in zip(values, raw, strict=True)),
        }
    return result


# -- async: throughput with calls in flight ---------------------------------------------------------------


async def throughput(call: Callable[[], Awaitable[object]], calls: int, in_flight: int) -> float:
    """Calls per second of ``calls`` calls made by ``in_flight`` workers (so that many are in flight)."""

    async def worker(count: int) -> None:
        for _ in range(count):
            await call()

    shares = [calls // in_flight + (i < calls % in_flight) for i in range(in_flight)]
    start = time.perf_counter()
    await asyncio.gather(*(worker(n) for n in shares))
    return calls / (time.perf_counter() - start)


async def _async_samples(
    stub: StubEndpoints, batch: int, rounds: int, litellm: bool
) -> dict[str, list[float]]:
    raw = openai.AsyncOpenAI(api_key=OPENAI_KEY, base_url=stub.openai_base_url, max_retries=0)
    variants = {RAW: _achat(raw, MODEL)}
    configurations = setups()
    for name in (PASS, FULL):
        setup = configurations[name]
        variants[name] = _achat(setup.async_client(stub), setup.model)
    if litellm:
        acompletion, arguments = _litellm().acompletion, _litellm_arguments(stub)
        variants[LITELLM] = lambda: acompletion(**arguments)
    for call in variants.values():  # opens the connections
        await throughput(call, 2 * IN_FLIGHT, IN_FLIGHT)
    samples: dict[str, list[float]] = {name: [] for name in variants}
    order = list(variants)
    for _ in range(rounds):
        random.shuffle(order)
        for name in order:
            samples[name].append(await throughput(variants[name], batch, IN_FLIGHT))
            await asyncio.sleep(0.02)  # background tasks (LiteLLM's logging) end outside the next batch
    return samples


def measure_async(stub: StubEndpoints, batch: int, rounds: int, litellm: bool) -> dict[str, Any]:
    """Each variant's calls per second at :data:`IN_FLIGHT` in flight, and its share of raw's (medians)."""
    samples = asyncio.run(_async_samples(stub, batch, rounds, litellm))
    result: dict[str, Any] = {}
    for name, values in samples.items():
        ratios = [v / r for v, r in zip(values, samples[RAW], strict=True)]
        result[name] = {
            "calls_per_s": statistics.median(values),
            "of_raw": statistics.median(ratios),
            "of_raw_quartiles": _quartiles(ratios),
        }
    return result


# -- cold start: fresh interpreters -----------------------------------------------------------------------

_CHILD = """
import json, resource, sys, time
started = time.perf_counter()
kind, model, messages = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
if kind == "import frugal":
    import frugal
elif kind == "frugal.Client()":
    import frugal
    started = time.perf_counter()
    frugal.Client()
elif kind == "raw openai":
    import openai
    openai.OpenAI(max_retries=0).chat.completions.create(model=model, messages=messages)
elif kind == "frugal":
    import frugal
    frugal.Client().chat.completions.create(model="auto", messages=messages)
elif kind == "LiteLLM":
    import litellm
    litellm.telemetry = False
    litellm.completion(model="openai/" + model, messages=messages, max_retries=0)
elapsed = time.perf_counter() - started
try:  # this process's own peak: Linux carries ru_maxrss over from the parent across exec
    with open("/proc/self/status") as status:
        peak = next(int(line.split()[1]) / 1024 for line in status if line.startswith("VmHWM:"))
except OSError:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / (2**20 if sys.platform == "darwin" else 1024)
print(json.dumps({"ms": elapsed * 1e3, "rss_mb": peak}), flush=True)
"""

#: The fresh processes that answer a call (timed from their launch); the others time one step.
ANSWERING = ("raw openai", "frugal", "LiteLLM")


def _child_environment(stub: StubEndpoints) -> dict[str, str]:
    """A fresh process finds the stub and its keys where users put theirs: in the environment."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FRUGAL_", "OTEL_"))}
    env.update(
        OPENAI_API_KEY=OPENAI_KEY,
        OPENAI_BASE_URL=stub.openai_base_url,
        OPENAI_API_BASE=stub.openai_base_url,  # LiteLLM's name for it
        ANTHROPIC_API_KEY=ANTHROPIC_KEY,
        ANTHROPIC_BASE_URL=stub.anthropic_base_url,
    )
    return env


def fresh_process(kind: str, env: Mapping[str, str], cwd: str) -> dict[str, float]:
    """One fresh interpreter of ``kind``: its ``ms`` and its peak RSS (``rss_mb``).

    An answering process is timed here, from its launch to the line it prints after its answer: the
    interpreter's own start counts, as it does for a user (it is the same for every kind), its exit does
    not. Its own figure from its first line on is kept as ``in_script_ms``.
    """
    with tempfile.TemporaryFile("w+") as errors:
        launched = time.perf_counter()
        child = subprocess.Popen(
            [sys.executable, "-c", _CHILD, kind, MODEL, json.dumps(MESSAGES)],
            env=env,
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
        )
        assert child.stdout is not None
        line = child.stdout.readline()
        answered = time.perf_counter()
        child.stdout.read()
        if child.wait():
            errors.seek(0)
            raise RuntimeError(f"fresh process {kind!r} failed:\n{errors.read()}")
    figures: dict[str, float] = json.loads(line)
    if kind in ANSWERING:
        figures["in_script_ms"] = figures["ms"]
        figures["ms"] = (answered - launched) * 1e3
    return figures


def measure_cold_start(stub: StubEndpoints, runs: int, litellm: bool, warm_up: bool = True) -> dict[str, Any]:
    """Median ms and peak RSS of each kind of fresh process, ``runs`` of each, interleaved.

    ``warm_up``: one untimed process of each kind first (bytecode compiled, files in the page cache).
    """
    kinds = ["raw openai", "frugal", "import frugal", "frugal.Client()"] + (["LiteLLM"] if litellm else [])
    env = _child_environment(stub)
    samples: dict[str, list[dict[str, float]]] = {kind: [] for kind in kinds}
    with tempfile.TemporaryDirectory() as cwd:  # no ./frugal.yaml there: the built-in policy
        for kind in kinds if warm_up else []:
            fresh_process(kind, env, cwd)
        for _ in range(runs):
            random.shuffle(kinds)
            for kind in kinds:
                samples[kind].append(fresh_process(kind, env, cwd))
    result: dict[str, Any] = {}
    for kind, figures in samples.items():
        result[kind] = {key: statistics.median(run[key] for run in figures) for key in figures[0]}
        result[kind]["ms_range"] = (min(run["ms"] for run in figures), max(run["ms"] for run in figures))
        if kind in ANSWERING:
            ratios = [run["ms"] / raw["ms"] for run, raw in zip(figures, samples["raw openai"], strict=True)]
            result[kind]["times_raw"] = statistics.median(ratios)
            result[kind]["times_raw_range"] = (min(ratios), max(ratios))
    return result


# -- ledger memory: bytes kept per call -------------------------------------------------------------------


def _kept_per_call(stub: StubEndpoints, setup: Setup, calls: int) -> dict[str, float]:
    """Bytes a client keeps per call over ``calls`` calls, and once its ledger's records have been read."""
    import gc
    import tracemalloc

    provider = setup.tracer_provider()
    client = setup.client(stub, provider)
    call = _chat(client, setup.model)
    for _ in range(50):  # connections, caches, the window's counters
        call()

    def allocated() -> int:
        if provider is not None:
            provider.force_flush()  # spans waiting in the batch processor's queue are not kept
        gc.collect()
        return tracemalloc.get_traced_memory()[0]

    tracemalloc.start()
    before = allocated()
    for _ in range(calls):
        call()
    kept = {"bytes_per_call": (allocated() - before) / calls}
    if client.ledger is not None:
        kept["records"] = len(client.ledger.records())  # builds each call's record, once
        kept["bytes_per_call_read"] = (allocated() - before) / calls
    tracemalloc.stop()
    return kept


def ledger_memory_child(url: str, calls: int) -> None:
    """In a fresh process: what a ``memory://`` ledger keeps per call, printed as JSON.

    Two clients of the same routed and traced configuration, one with a budget on a ``memory://``
    ledger; the difference per call between the two is the ledger's.
    """
    import inspect

    from frugal.budgets import MemoryLedger

    stub = StubEndpoints(url)
    without = _kept_per_call(stub, setups()[TRACED], calls)
    with_ledger = _kept_per_call(stub, setups()[FULL], calls)
    cap = inspect.signature(MemoryLedger).parameters["max_records"].default
    print(json.dumps({"without_ledger": without, "with_ledger": with_ledger, "default_max_records": cap}))


def measure_ledger_memory(stub: StubEndpoints, calls: int) -> dict[str, Any]:
    """Bytes the ``memory://`` ledger keeps per record, and the size that implies at its default cap."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    code = f"from benchmarks.overhead import ledger_memory_child; ledger_memory_child({stub.url!r}, {calls})"
    out = subprocess.run([sys.executable, "-c", code], cwd=root, check=True, capture_output=True, text=True)
    figures: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    base = figures["without_ledger"]["bytes_per_call"]
    ledger = figures["with_ledger"]
    per_record = {"unread": ledger["bytes_per_call"] - base, "read": ledger["bytes_per_call_read"] - base}
    return {
        **figures,
        "bytes_per_record": per_record,
        "at_default_cap_mb": max(per_record.values()) * figures["default_max_records"] / 1e6,
    }


# -- the report -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One line of the table: a figure of this run, and its target when it has one."""

    figure: str
    shown: str
    target: str = ""
    met: bool | None = None


def rows(result: Mapping[str, Any]) -> list[Row]:
    """The table: each ratio of this run, with its target and whether it was met."""
    sync, asyn, cold, memory = result["sync"], result["async"], result["cold_start"], result["ledger_memory"]
    out: list[Row] = []
    if LITELLM in sync:
        full, litellm = sync[FULL]["overhead_us"], sync[LITELLM]["overhead_us"]
        share = full / litellm
        out.append(
            Row(
                "sync: frugal full's overhead / LiteLLM's",
                f"{share:.3f} = 1/{1 / share:.1f} ({full:+.0f} / {litellm:+.0f} µs)",
                "≤ 1/15 = 0.067",
                0 < share <= 1 / 15,
            )
        )
    for name in (AGAIN, PASS, ROUTED, TRACED, FULL, LITELLM):
        if name in sync:
            figure = sync[name]
            shown = f"×{figure['times_raw']:.2f} ({figure['overhead_us']:+.0f} µs)"
            out.append(Row(f"sync: {name} / raw", shown))
    for name in (PASS, FULL, LITELLM):
        if name in asyn:
            figure = asyn[name]
            low, high = figure["of_raw_quartiles"]
            met = figure["of_raw"] >= 0.95 if name != LITELLM else None
            out.append(
                Row(
                    f"async, {IN_FLIGHT} in flight: {name} throughput / raw",
                    f"{figure['of_raw']:.1%} [{low:.0%}, {high:.0%}]",
                    "≥ 95 %" if met is not None else "",
                    met,
                )
            )
    for kind in ("frugal", "LiteLLM"):
        if kind in cold:
            figure = cold[kind]
            low, high = figure["times_raw_range"]
            met = figure["times_raw"] <= 1.15 if kind == "frugal" else None
            out.append(
                Row(
                    f"cold start to first answer: {kind} / raw openai",
                    f"×{figure['times_raw']:.2f} [×{low:.2f}, ×{high:.2f}]",
                    "≤ ×1.15" if met is not None else "",
                    met,
                )
            )
    imported = cold["import frugal"]["ms"]
    out.append(Row("import frugal, fresh interpreter", f"{imported:.0f} ms", "≤ 80 ms", imported <= 80))
    out.append(Row("frugal.Client() after the import", f"{cold['frugal.Client()']['ms']:.0f} ms"))
    unread, read = memory["bytes_per_record"]["unread"], memory["bytes_per_record"]["read"]
    out.append(
        Row(
            "memory:// ledger, bytes per record (unread / read)",
            f"{unread:.0f} / {read:.0f} B",
            "≤ 300 B",
            max(unread, read) <= 300,
        )
    )
    at_cap = memory["at_default_cap_mb"]
    cap = f"memory:// ledger at its default cap ({memory['default_max_records']:,} records)"
    out.append(Row(cap, f"{at_cap:.0f} MB", "≤ 50 MB", at_cap <= 50))
    rss = ", ".join(f"{kind} {cold[kind]['rss_mb']:.0f}" for kind in ANSWERING if kind in cold)
    out.append(Row("peak RSS after the first answer, MB", rss))
    return out


def print_report(result: Mapping[str, Any]) -> None:
    """The table of ratios, then the figures they come from."""
    about = result["about"]
    print(f"python -m benchmarks.overhead: {about['date']}, {about['machine']}")
    print(f"  {about['versions']}")
    print(f"  {about['plan']}")
    table = rows(result)
    width = max(len(row.figure) for row in table)
    shown = max(len(row.shown) for row in table)
    print(f"\n{'figure':<{width}}  {'this run':<{shown}}  {'target':<15} met")
    for row in table:
        met = "" if row.met is None else ("met" if row.met else "MISSED")
        print(f"{row.figure:<{width}}  {row.shown:<{shown}}  {row.target:<15} {met}")
    print("\nper call, sync: median µs; overhead over raw: median of per-round differences [quartiles]")
    for name, figure in result["sync"].items():
        low, high = figure["overhead_quartiles_us"]
        overhead = f"{figure['overhead_us']:+7.0f} [{low:+.0f}, {high:+.0f}]"
        print(f"  {name:<48} {figure['us_per_call']:8.0f} µs  {overhead}")
    print(f"throughput, async, {IN_FLIGHT} in flight: median calls/s")
    for name, figure in result["async"].items():
        print(f"  {name:<48} {figure['calls_per_s']:8.0f}")
    print("fresh interpreters: median ms (launch to first answer, or the step alone) [range]; peak RSS")
    for kind, figure in result["cold_start"].items():
        low, high = figure["ms_range"]
        print(f"  {kind:<48} {figure['ms']:8.0f} ms [{low:.0f}, {high:.0f}]  {figure['rss_mb']:4.0f} MB")
    if not result["litellm"]:
        print('LiteLLM is not installed: its rows are skipped (pip install -e ".[bench]").')


@dataclass(frozen=True)
class Plan:
    """How much of each measurement a run makes."""

    batch: int  # sync calls per variant per round: small, so that a slow moment hits neighbours alike
    rounds: int
    async_batch: int  # async calls per variant per round, IN_FLIGHT at a time
    async_rounds: int
    runs: int  # fresh interpreters of each kind
    memory_calls: int

    def describe(self) -> str:
        """One line for the report's header."""
        return (
            f"sync: {self.rounds} rounds × {self.batch} calls per variant; async: {self.async_rounds} rounds "
            f"× {self.async_batch} calls; {self.runs} fresh interpreters of each kind; "
            f"{self.memory_calls} calls for memory"
        )


# memory_calls: the ledger's fixed costs (its objects, array over-allocation) spread over 1,000 calls add
# ~35 bytes a record (313 B at 1,000 calls, 276 B at 5,000, 280 B at 20,000 on 2026-12-04); 5,000 is
# near what a kept record costs at the cap.
THOROUGH = Plan(batch=5, rounds=200, async_batch=100, async_rounds=50, runs=7, memory_calls=5000)
QUICK = Plan(batch=2, rounds=5, async_batch=100, async_rounds=2, runs=1, memory_calls=100)


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m benchmarks.overhead [--quick] [--json]``."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="a smoke run: few rounds, figures too noisy to judge"
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    plan = QUICK if args.quick else THOROUGH
    litellm = has_litellm()
    with deny_network() as guard, stub_process() as stub:
        result: dict[str, Any] = {
            "litellm": litellm,
            "sync": measure_sync(stub, plan.batch, plan.rounds, litellm),
            "async": measure_async(stub, plan.async_batch, plan.async_rounds, litellm),
            "cold_start": measure_cold_start(stub, plan.runs, litellm, warm_up=not args.quick),
            "ledger_memory": measure_ledger_memory(stub, plan.memory_calls),
        }
    assert not guard.violations, f"something tried to leave loopback: {guard.violations}"
    result["about"] = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the end",
        "versions": _versions(litellm),
        "plan": plan.describe(),
    }
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print_report(result)


def _versions(litellm: bool) -> str:
    from importlib.metadata import version

    names = ["openai", "anthropic", "opentelemetry-sdk"] + (["litellm"] if litellm else [])
    packages = ", ".join(f"{name} {version(name)}" for name in names)
    return f"CPython {platform.python_version()}, frugal {frugal.__version__}, {packages}"


if __name__ == "__main__":
    main()
