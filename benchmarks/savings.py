"""What frugal's levers save on realistic traffic: dollars per 1,000 conversations, against the raw SDK.

Run: ``python benchmarks/savings.py [--json] [--plot docs/savings.png] [--seed N] [--quick]``. No key, no
network, no data set: the traffic is generated here (seeded), every call goes over HTTP to the loopback
vendor stub with its prompt-cache simulation on (``VendorStub(prompt_cache=...)``), which bills each answer
as the vendor would: input counted from the request (a quarter of its characters), cache reads and writes
by the vendor's rules (Claude: only at ``cache_control`` breakpoints; OpenAI: automatic from 1,024 tokens),
output from the answer's own length cut at the request's output limit. Time between turns and between
conversations passes on a simulated clock, read by the stub's caches and by frugal.

Workloads, each served once through Claude (the Messages API) and once through OpenAI (chat completions):

- **agent**: a ~20,000-token system prompt and eight tool definitions, 10–30 turns of tool calls and tool
  results (growing history), seconds between turns;
- **RAG**: a shared ~2,500-token instruction prompt, five retrieved chunks out of 300 (popular ones come
  back often), one question (easy or hard), one answer;
- **chat**: a short system prompt, 3–12 user turns, 70 % easy and 30 % hard, a user who sometimes leaves
  for more than five minutes.

Configurations, each on top of the previous one: the raw SDK calling the premium model the caller names
(claude-sonnet-4-5, gpt-4.1); frugal routing (the heuristic classifier, a small tier of claude-haiku-4-5 /
gpt-4.1-mini under it); + prompt caching (``prompt_cache: {anthropic: true, openai: true}``); + cache-aware
routing (``routing: true``, when this frugal has it); + output governance (``max_output_tokens`` per
tier). frugal's dollars are its own ledger's (``cost_usd``); the raw SDK's are its answers' usage priced
by the same function (``frugal.catalog.price``). Quality is not measured: the stub answers anything.

The runs are spread over ``--jobs`` processes (default 2); the figures do not depend on it. About 45 s on
two shared cores (OpenAI's SDK spends ~0.6 ms per message of history preparing each request, and an agent
conversation resends dozens of them each turn).
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import textwrap
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import anthropic
import openai

import frugal
from frugal.catalog import Catalog, TokenUsage, price
from frugal.policy import Policy, PromptCacheSpec
from frugal.testing import PromptCacheSimulation, Reply, ToolCall, VendorStub, deny_network

PREMIUM = {"claude": "claude-sonnet-4-5", "openai": "gpt-4.1"}
SMALL = {"claude": "claude-haiku-4-5", "openai": "gpt-4.1-mini"}
# The heuristic classifier, and a threshold between the easy and the hard chat turns of this traffic (their
# scores: easy 0.10-0.43, hard 0.52-0.90, from 1 to 23 messages deep, with or without max_tokens 4096):
# routing's accuracy is not what this benchmark measures.
CLASSIFIER, THRESHOLD = "heuristic", 0.48
OUTPUT_LIMITS = {"small": 800, "large": 2000}  # max_output_tokens of the governance configuration
CLAUDE_MAX_TOKENS = 4096  # what the Claude caller sends (Messages requires one)
CONVERSATIONS = {"agent": 8, "rag": 150, "chat": 40}
START = 1_800_000_000.0  # the simulated clock's epoch seconds

RAW, ROUTED, CACHED, AWARE, GOVERNED = "raw SDK", "routing", "+ caching", "+ cache-aware", "+ output limits"
CONFIGS = (RAW, ROUTED, CACHED, AWARE, GOVERNED)
WORKLOADS = ("agent", "rag", "chat")
VENDORS = ("claude", "openai")

# -- text -------------------------------------------------------------------------------------------------

_VOCABULARY = (
    "the customer order account refund invoice shipment policy agent must should never always check "
    "confirm before after within days business rule exception manager escalate record note tool result "
    "request reply answer question system support ticket priority status update address payment card "
    "delivery warehouse carrier tracking number date time region store product price discount tax total "
    "report summary error retry limit owner team review approve reject pending closed open follow "
    "clearly briefly politely exactly only when unless if and or but with for from into about each every "
    "this that"
)
_WORDS = tuple(_VOCABULARY.split())


def prose(rng: random.Random, tokens: int) -> str:
    """Sentences of plausible words, exactly ``4 * tokens`` characters: ``tokens`` tokens by the stub."""
    words: list[str] = []
    length = 0
    while length < tokens * 4:
        sentence = " ".join(rng.choice(_WORDS) for _ in range(rng.randint(6, 18)))
        words.append(sentence.capitalize() + ".")
        length += len(words[-1]) + 1
    return " ".join(words)[: tokens * 4]


def lognormal(rng: random.Random, median: float, sigma: float, low: int, high: int) -> int:
    """A length with a long tail: lognormal around ``median``, clipped to ``[low, high]``."""
    return max(low, min(high, round(median * math.exp(rng.gauss(0, sigma)))))


EASY = (
    "Thanks!",
    "What is the capital of Australia?",
    "Translate 'good morning' into French.",
    "Can you make that shorter?",
    "ok",
    "What time zone is Lisbon in?",
    "Summarise this in one sentence: the meeting moved to Thursday because the venue was booked.",
)
HARD = (
    "Prove that the sum of the first n odd numbers is n squared, then generalise the argument to the sum "
    "of the first n cubes and explain each step.",
    "Design a rate limiter for a multi-region API: compare token bucket and sliding window log, discuss "
    "clock skew, failure modes and how you would test it.",
    "Derive the closed form of the expected number of coin flips until two heads in a row, and prove it "
    "by induction.",
    "Compare optimistic and pessimistic locking for an inventory service under heavy contention; design "
    "the schema, the retry policy and the failure handling, and justify each trade-off.",
)


# -- traffic ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Turn:
    """One call of a conversation: what the caller adds, what the model answers, then a pause.

    Attributes:
        user: the user's new text (None: the tool results of the previous answer's calls).
        reply: what the stub answers (its length is the output, unless the request's limit cuts it).
        tool_results: the text of each tool result the caller sends after this answer's tool calls.
        pause: simulated seconds until the next call.
    """

    user: str | None
    reply: Reply
    tool_results: tuple[str, ...] = ()
    pause: float = 0.0


@dataclass(frozen=True)
class Workload:
    """A workload's shared prompt and its conversations (the same for every configuration)."""

    name: str
    system: str
    tools: tuple[tuple[str, str], ...]  # (name, description)
    conversations: tuple[tuple[Turn, ...], ...]
    gaps: tuple[float, ...]  # simulated seconds before each conversation


def agent(rng: random.Random, count: int) -> Workload:
    """An agent loop: a ~20k-token system prompt, 8 tools, 10–30 turns of tool calls and results."""
    system = prose(rng, 20_000)
    tools = tuple((f"tool_{i}", prose(rng, rng.randint(150, 300))) for i in range(8))
    conversations = []
    for _ in range(count):
        length = rng.randint(10, 30)
        turns = []
        for index in range(length):
            task = prose(rng, rng.randint(80, 400)) if index == 0 else None
            if index == length - 1:
                turns.append(Turn(task, Reply(text=prose(rng, lognormal(rng, 500, 0.6, 80, 3000)))))
                break
            thought = prose(rng, lognormal(rng, 60, 0.7, 5, 600))
            call = ToolCall(rng.choice(tools)[0], {"query": prose(rng, rng.randint(8, 40))})
            result = prose(rng, lognormal(rng, 600, 0.9, 50, 6000))
            pause = 1 + rng.expovariate(1 / 6)  # the model's time and the tool's
            turns.append(Turn(task, Reply(text=thought, tool_calls=[call]), (result,), pause))
        conversations.append(tuple(turns))
    gaps = tuple(rng.expovariate(1 / 45) for _ in range(count))
    return Workload("agent", system, tools, tuple(conversations), gaps)


def rag(rng: random.Random, count: int) -> Workload:
    """Retrieval-augmented answers: shared instructions, 5 of 300 chunks (Zipf popularity), one question."""
    system = prose(rng, 2500)
    chunks = [prose(rng, rng.randint(250, 500)) for _ in range(300)]
    weights = [1 / (rank + 1) ** 1.1 for rank in range(len(chunks))]
    conversations = []
    for _ in range(count):
        picked: list[int] = []
        while len(picked) < 5:
            index = rng.choices(range(len(chunks)), weights)[0]
            if index not in picked:
                picked.append(index)
        context = "\n\n".join(f"[{n + 1}] {chunks[i]}" for n, i in enumerate(picked))
        question = rng.choice(HARD) if rng.random() < 0.4 else rng.choice(EASY[1:])
        reply = Reply(text=prose(rng, lognormal(rng, 250, 0.6, 20, 4000)))
        conversations.append((Turn(f"Context:\n\n{context}\n\nQuestion: {question}", reply),))
    gaps = tuple(rng.expovariate(1 / 20) for _ in range(count))
    return Workload("rag", system, (), tuple(conversations), gaps)


def chat(rng: random.Random, count: int) -> Workload:
    """A chat: a short system prompt, 3–12 turns, 70 % easy and 30 % hard, pauses that may exceed 5 min."""
    system = prose(rng, 600)
    conversations = []
    for _ in range(count):
        turns = []
        for _ in range(rng.randint(3, 12)):
            hard = rng.random() < 0.3
            question = rng.choice(HARD if hard else EASY)
            length = lognormal(rng, 700, 0.7, 100, 6000) if hard else lognormal(rng, 80, 0.6, 5, 1500)
            pause = lognormal(rng, 40, 1.2, 3, 3600)
            turns.append(Turn(question, Reply(text=prose(rng, length)), (), pause))
        conversations.append(tuple(turns))
    gaps = tuple(rng.expovariate(1 / 60) for _ in range(count))
    return Workload("chat", system, (), tuple(conversations), gaps)


GENERATORS: dict[str, Callable[[random.Random, int], Workload]] = {"agent": agent, "rag": rag, "chat": chat}


# -- the two vendors' calls -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """What one call cost and how it went."""

    model: str
    usage: TokenUsage
    cut: bool  # stopped at the output limit


class ClaudeCaller:
    """The Messages API: system and tools apart, tool results as user blocks, ``max_tokens`` always."""

    def create(self, client: Any, model: str, workload: Workload, messages: list[Any]) -> Any:
        """``messages.create``."""
        tools = [
            {"name": name, "description": text, "input_schema": {"type": "object", "properties": {}}}
            for name, text in workload.tools
        ]
        extra = {"tools": tools} if tools else {}
        return client.messages.create(
            model=model, max_tokens=CLAUDE_MAX_TOKENS, system=workload.system, messages=messages, **extra
        )

    def assistant(self, response: Any) -> Any:
        """The content blocks, as sent back."""
        return {"role": "assistant", "content": [b.model_dump(exclude_none=True) for b in response.content]}

    def tool_ids(self, response: Any) -> list[str]:
        """``tool_use`` ids."""
        return [block.id for block in response.content if block.type == "tool_use"]

    def tool_results(self, ids: Sequence[str], texts: Sequence[str]) -> list[Any]:
        """One user message of ``tool_result`` blocks."""
        blocks = [
            {"type": "tool_result", "tool_use_id": i, "content": texts[n % len(texts)]}
            for n, i in enumerate(ids)
        ]
        return [{"role": "user", "content": blocks}]

    def answer(self, response: Any) -> Answer:
        """Usage and stop reason."""
        usage = TokenUsage.from_anthropic(response.usage)
        return Answer(response.model, usage, response.stop_reason == "max_tokens")


class OpenAICaller:
    """Chat completions: the system prompt as the first message, tool results as ``tool`` messages."""

    def create(self, client: Any, model: str, workload: Workload, messages: list[Any]) -> Any:
        """``chat.completions.create`` (no output limit: the caller sets none)."""
        tools = [
            {"type": "function", "function": {"name": name, "description": text, "parameters": {}}}
            for name, text in workload.tools
        ]
        extra = {"tools": tools} if tools else {}
        system = {"role": "system", "content": workload.system}
        return client.chat.completions.create(model=model, messages=[system, *messages], **extra)

    def assistant(self, response: Any) -> Any:
        """The message, as sent back."""
        message = response.choices[0].message
        out: dict[str, Any] = {"role": "assistant", "content": message.content}
        if message.tool_calls:
            out["tool_calls"] = [call.model_dump(exclude_none=True) for call in message.tool_calls]
        return out

    def tool_ids(self, response: Any) -> list[str]:
        """``tool_calls`` ids."""
        return [call.id for call in response.choices[0].message.tool_calls or ()]

    def tool_results(self, ids: Sequence[str], texts: Sequence[str]) -> list[Any]:
        """One ``tool`` message per call."""
        return [
            {"role": "tool", "tool_call_id": i, "content": texts[n % len(texts)]} for n, i in enumerate(ids)
        ]

    def answer(self, response: Any) -> Answer:
        """Usage and finish reason."""
        usage = TokenUsage.from_openai_chat(response.usage)
        return Answer(response.model, usage, response.choices[0].finish_reason == "length")


Caller = ClaudeCaller | OpenAICaller
CALLERS: dict[str, Caller] = {"claude": ClaudeCaller(), "openai": OpenAICaller()}


# -- the simulated clock, the configurations --------------------------------------------------------------


class SimClock:
    """Simulated epoch seconds, moved by hand: the stub's caches, frugal's ledger and caches read it."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        """Let ``seconds`` pass."""
        self.now += seconds


def cache_aware_routing_built() -> bool:
    """Whether this frugal has ``prompt_cache.routing`` (cache-aware routing)."""
    return "routing" in PromptCacheSpec.model_fields


def policies() -> dict[str, Policy]:
    """The frugal configurations, each on top of the previous one (cache-aware routing when built)."""
    tiers: list[dict[str, Any]] = [
        {"name": "small", "models": [SMALL["openai"], SMALL["claude"]]},
        {"name": "large", "models": [PREMIUM["openai"], PREMIUM["claude"]]},
    ]
    base: dict[str, Any] = {
        "name": "savings",
        "classifier": {"name": CLASSIFIER},
        "tiers": tiers,
        "thresholds": [THRESHOLD],
        "default_tier": "large",
        "requested_model": "ceiling",
    }
    caching: dict[str, Any] = {"anthropic": True, "openai": True}
    out = {ROUTED: base, CACHED: {**base, "prompt_cache": caching}}
    if cache_aware_routing_built():
        caching = {**caching, "routing": True}
        out[AWARE] = {**base, "prompt_cache": caching}
    limited = [{**tier, "max_output_tokens": OUTPUT_LIMITS[tier["name"]]} for tier in tiers]
    out[GOVERNED] = {**base, "tiers": limited, "prompt_cache": caching}
    return {name: Policy.model_validate(data) for name, data in out.items()}


def frugal_client(policy: Policy, stub: VendorStub, clock: SimClock) -> frugal.Client:
    """A frugal client on the stub, its ledger in memory, on the simulated clock."""
    client = frugal.Client(
        policy=policy,
        openai={"api_key": "sk-bench", "base_url": stub.openai_base_url},
        anthropic={"api_key": "sk-ant-bench", "base_url": stub.anthropic_base_url},
        max_retries=0,
        ledger="memory://",
        clock=clock,
    )
    return client


# -- one run: a workload through one vendor in one configuration ------------------------------------------


@dataclass
class Run:
    """A run's figures."""

    conversations: int = 0
    dollars: float = 0.0
    answers: list[Answer] = field(default_factory=list)

    def per_thousand(self) -> float:
        """Dollars per 1,000 conversations."""
        return self.dollars * 1000 / self.conversations

    def figures(self) -> dict[str, float]:
        """Per 1,000 conversations, shares of input read from cache, of calls on the small model, cut."""
        calls = len(self.answers)
        inputs = sum(a.usage.input_tokens for a in self.answers)
        return {
            "usd_per_1000_conversations": self.per_thousand(),
            "calls_per_conversation": calls / self.conversations,
            "input_tokens_per_call": inputs / calls,
            "cache_read_share": sum(a.usage.cache_read_tokens for a in self.answers) / inputs,
            "cache_write_share": sum(
                a.usage.cache_write_tokens + a.usage.cache_write_1h_tokens for a in self.answers
            )
            / inputs,
            "small_model_share": sum(a.model in SMALL.values() for a in self.answers) / calls,
            "cut_share": sum(a.cut for a in self.answers) / calls,
        }


def converse(
    caller: Caller,
    client: Any,
    model: str,
    workload: Workload,
    turns: Sequence[Turn],
    stub: VendorStub,
    clock: SimClock,
) -> Iterator[Answer]:
    """One conversation, turn by turn: the history grows with each answer and each tool result."""
    messages: list[Any] = []
    ids: list[str] = []
    results: Sequence[str] = ()
    for turn in turns:
        if turn.user is not None:
            messages.append({"role": "user", "content": turn.user})
        elif ids:
            messages += caller.tool_results(ids, results)
        else:
            messages.append({"role": "user", "content": "Continue."})  # an answer cut before its tool call
        stub.queue(None, turn.reply)
        response = caller.create(client, model, workload, messages)
        messages.append(caller.assistant(response))
        ids, results = caller.tool_ids(response), turn.tool_results
        yield caller.answer(response)
        clock.advance(turn.pause)


def run(
    workload: Workload, vendor: str, client: Any, stub: VendorStub, clock: SimClock, catalog: Catalog
) -> Run:
    """Every conversation of ``workload`` through ``client``; dollars from frugal's ledger, or priced."""
    stub.reset()  # empty caches
    clock.advance(86_400)  # nothing frugal remembers is warm any more
    started = clock()
    result = Run(conversations=len(workload.conversations))
    for gap, turns in zip(workload.gaps, workload.conversations, strict=True):
        clock.advance(gap)
        result.answers += converse(CALLERS[vendor], client, PREMIUM[vendor], workload, turns, stub, clock)
    priced = 0.0
    for answer in result.answers:
        info = catalog.get(answer.model)
        cost = price(info, answer.usage) if info is not None else None
        assert cost is not None, f"no price for {answer.model}"
        priced += cost
    if isinstance(client, frugal.Client):
        costs = [record.cost_usd for record in client.ledger.records(since=started)]  # type: ignore[union-attr]
        assert len(costs) == len(result.answers), "one record per call"
        assert None not in costs, "every call priced"
        result.dollars = sum(c for c in costs if c is not None)
        assert math.isclose(result.dollars, priced, rel_tol=1e-9), "the ledger and the price agree"
    else:
        result.dollars = priced
    return result


# -- all runs, the report ---------------------------------------------------------------------------------


def measure_pair(seed: int, scale: float, name: str, vendor: str) -> dict[str, dict[str, float] | None]:
    """One workload through one vendor in every configuration, on a stub and clock of its own."""
    workload = generate(seed, scale, name)
    catalog = Catalog.build([*PREMIUM.values(), *SMALL.values()])
    clock = SimClock()
    row: dict[str, dict[str, float] | None] = dict.fromkeys(CONFIGS)
    with deny_network() as guard, VendorStub(prompt_cache=PromptCacheSimulation(clock)) as stub:
        row[RAW] = run(workload, vendor, raw_client(vendor, stub), stub, clock, catalog).figures()
        for config, policy in policies().items():
            with frugal_client(policy, stub, clock) as client:
                row[config] = run(workload, vendor, client, stub, clock, catalog).figures()
    assert not guard.violations, f"something tried to leave loopback: {guard.violations}"
    return row


def generate(seed: int, scale: float, name: str) -> Workload:
    """A workload's traffic: the same for a seed, whichever process makes it."""
    return GENERATORS[name](random.Random(f"{seed}/{name}"), max(2, round(CONVERSATIONS[name] * scale)))


def raw_client(vendor: str, stub: VendorStub) -> Any:
    """The vendor's own SDK on the stub."""
    if vendor == "claude":
        return anthropic.Anthropic(api_key="sk-ant-bench", base_url=stub.anthropic_base_url, max_retries=0)
    return openai.OpenAI(api_key="sk-bench", base_url=stub.openai_base_url, max_retries=0)


def measure(seed: int, scale: float = 1.0, jobs: int = 2) -> dict[str, Any]:
    """Every workload through both vendors in every configuration, the pairs spread over ``jobs`` processes
    (each run is independent: its own stub, caches and clock)."""
    pairs = [(name, vendor) for name in WORKLOADS for vendor in VENDORS]
    # The longest first (OpenAI's SDK spends ~0.6 ms per message of history preparing a request), so that the
    # processes finish together.
    longest = sorted(pairs, key=lambda pair: (pair[0] != "agent", pair[0] != "chat", pair[1] != "openai"))
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        futures = {pair: pool.submit(measure_pair, seed, scale, *pair) for pair in longest}
        figures = {
            f"{name} · {'Claude' if vendor == 'claude' else 'OpenAI'}": futures[name, vendor].result()
            for name, vendor in pairs
        }
    return {
        "seed": seed,
        "conversations": {name: max(2, round(CONVERSATIONS[name] * scale)) for name in WORKLOADS},
        "cache_aware_routing_built": cache_aware_routing_built(),
        "models": {"premium": PREMIUM, "small": SMALL},
        "classifier": f"{CLASSIFIER} classifier (threshold {THRESHOLD})",
        "output_limits": OUTPUT_LIMITS,
        "figures": figures,
    }


def ratios(result: dict[str, Any]) -> dict[str, dict[str, float | None]]:
    """Each configuration's dollars as a share of the raw SDK's, by workload."""
    out: dict[str, dict[str, float | None]] = {}
    for workload, row in result["figures"].items():
        raw = row[RAW]["usd_per_1000_conversations"]
        out[workload] = {
            config: None if figures is None else figures["usd_per_1000_conversations"] / raw
            for config, figures in row.items()
        }
    return out


def _table(title: str, result: dict[str, Any], cell: Callable[[str, str], str]) -> None:
    width = max(len(name) for name in result["figures"])
    print(f"\n{title}")
    print(f"{'':<{width}}  " + "  ".join(f"{config:>15}" for config in CONFIGS))
    for workload in result["figures"]:
        print(f"{workload:<{width}}  " + "  ".join(f"{cell(workload, c):>15}" for c in CONFIGS))


def print_report(result: dict[str, Any]) -> None:
    """The dollars and ratios, what the caches and the router did, and what this does not measure."""
    counts = ", ".join(f"{n} {w}" for w, n in result["conversations"].items())
    print(f"python benchmarks/savings.py --seed {result['seed']}: {counts} conversations per configuration")
    shares = ratios(result)
    figures = result["figures"]

    def get(workload: str, config: str, key: str) -> float | None:
        row = figures[workload][config]
        return None if row is None else float(row[key])

    def dollars(workload: str, config: str) -> str:
        value, ratio = get(workload, config, "usd_per_1000_conversations"), shares[workload][config]
        return "not built" if value is None or ratio is None else f"${value:,.0f} {ratio:4.2f}"

    def percent(key: str) -> Callable[[str, str], str]:
        def cell(workload: str, config: str) -> str:
            value = get(workload, config, key)
            return "—" if value is None else f"{value:.0%}"

        return cell

    _table("dollars per 1,000 conversations, and as a share of the raw SDK's", result, dollars)
    _table("input tokens read from the prompt cache", result, percent("cache_read_share"))
    _table("input tokens written to the prompt cache", result, percent("cache_write_share"))
    _table("calls served by the small model", result, percent("small_model_share"))
    _table("answers cut at the output limit", result, percent("cut_share"))
    premium, small = result["models"]["premium"], result["models"]["small"]
    aware = (
        "" if result["cache_aware_routing_built"] else " (not built in this frugal: its column is skipped)"
    )
    notes = [
        f"raw SDK: the vendor's SDK calling {premium['claude']} / {premium['openai']} as the caller wrote.",
        f"routing: frugal, the {result['classifier']}, a small tier ({small['claude']}, "
        f"{small['openai']}) under the premium models the caller names (a ceiling).",
        "+ caching: prompt_cache anthropic and openai on.",
        f"+ cache-aware: prompt_cache.routing on{aware}.",
        f"+ output limits: the tiers' max_output_tokens {result['output_limits']}, sent only where the "
        f"caller set no limit (the Claude caller always sends max_tokens {CLAUDE_MAX_TOKENS}).",
        "Each column adds to the one before it. Dollars: frugal's ledger; the raw SDK's usage, priced alike.",
        "Quality is NOT measured: the stub answers anything, so routing to the small model and cutting "
        "answers short cost nothing here. Measure what they cost on your own traffic (frugal eval, "
        "docs/evaluation.md) before you count these savings.",
    ]
    print()
    for note in notes:
        print(textwrap.fill(note, width=110, subsequent_indent="  "))


def plot(result: dict[str, Any], path: str) -> None:
    """Grouped bars: each configuration's dollars as a share of the raw SDK's, per workload."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:  # pragma: no cover - matplotlib is in the dev and plot extras
        sys.exit('--plot needs matplotlib: pip install -e ".[plot]"')
    shares = ratios(result)
    workloads = list(shares)
    configs = [c for c in CONFIGS if any(shares[w][c] is not None for w in workloads)]
    width = 0.8 / len(configs)
    figure, axes = plt.subplots(figsize=(10, 4.2), dpi=120)
    for index, config in enumerate(configs):
        xs = [w + (index - (len(configs) - 1) / 2) * width for w in range(len(workloads))]
        values = [shares[w][config] or 0.0 for w in workloads]
        bars = axes.bar(xs, values, width, label=config)
        axes.bar_label(bars, labels=[f"{v:.2f}" for v in values], fontsize=6, padding=1)
    axes.axhline(1.0, color="grey", linewidth=0.8, linestyle="--")
    axes.set_xticks(range(len(workloads)), workloads)
    axes.set_ylabel("dollars / raw SDK's dollars")
    axes.set_title(
        "frugal's levers on simulated traffic (vendor-cache simulation; quality not measured)", fontsize=10
    )
    axes.legend(fontsize=8, ncols=len(configs), loc="upper center", bbox_to_anchor=(0.5, -0.1))
    highest = max(v for w in workloads for v in shares[w].values() if v is not None)
    axes.set_ylim(0, max(1.15, highest * 1.08))
    figure.tight_layout()
    figure.savefig(path)


def main(argv: Sequence[str] | None = None) -> None:
    """``python benchmarks/savings.py [--json] [--plot FILE.png] [--seed N] [--quick]``."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--seed", type=int, default=7, help="the traffic's seed (default: 7)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--plot", metavar="FILE.png", help="also draw the ratios as grouped bars")
    parser.add_argument("--quick", action="store_true", help="a tenth of the conversations: a smoke run")
    parser.add_argument("--jobs", type=int, default=2, help="processes to spread the runs over (default: 2)")
    args = parser.parse_args(argv)
    result = measure(args.seed, 0.1 if args.quick else 1.0, args.jobs)
    result["ratios"] = ratios(result)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print_report(result)
    if args.plot:
        plot(result, args.plot)


if __name__ == "__main__":
    main()
