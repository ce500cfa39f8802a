"""frugal's cost levers against the stub's prompt-cache simulation, and the savings benchmark that compares
them with the raw SDK (``benchmarks/savings.py``)."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import anthropic
from benchmarks import savings

import frugal
from frugal.testing import PromptCacheSimulation, Reply, ToolCall, VendorStub

SYSTEM = "You are the operations agent. " + "Follow the runbook step by step. " * 300  # ~2,500 tokens
TOOLS: Any = [
    {"name": "lookup", "description": "Look up an order.", "input_schema": {"type": "object"}},
]


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def agent_loop(client: Any, stub: VendorStub, turns: int) -> list[Any]:
    """A Claude agent loop of ``turns`` tool calls; each answer's usage."""
    messages: list[Any] = [{"role": "user", "content": "Refund order 12 if it was never delivered."}]
    usages = []
    for turn in range(turns):
        stub.queue(None, Reply(text=f"Checking step {turn}.", tool_calls=[ToolCall("lookup", {"n": turn})]))
        answer = client.messages.create(
            model="claude-sonnet-4-5", max_tokens=1024, system=SYSTEM, tools=TOOLS, messages=messages
        )
        usages.append(answer.usage)
        blocks = [block.model_dump(exclude_none=True) for block in answer.content]
        calls = [block["id"] for block in blocks if block["type"] == "tool_use"]
        result = [
            {"type": "tool_result", "tool_use_id": i, "content": "status: shipped " * 40} for i in calls
        ]
        messages += [{"role": "assistant", "content": blocks}, {"role": "user", "content": result}]
    return usages


def test_frugal_prompt_caching_makes_a_claude_agent_loop_read_its_prefix(tmp_path: Path) -> None:
    """Over a stub billing as Anthropic does, the raw SDK's agent loop never reads the cache; with
    ``prompt_cache: {anthropic: true}`` every turn after the first reads the prefix the turn before wrote,
    and pays the full price for the final tool result only."""
    policy = tmp_path / "p.yaml"
    policy.write_text(
        "requested_model: honor\ntiers: [{name: all, models: [claude-sonnet-4-5]}]\n"
        "prompt_cache: {anthropic: true}\n",
        encoding="utf-8",
    )
    with VendorStub(prompt_cache=PromptCacheSimulation(Clock())) as stub:
        raw = anthropic.Anthropic(api_key="sk-ant-test", base_url=stub.anthropic_base_url, max_retries=0)
        assert [u.cache_read_input_tokens for u in agent_loop(raw, stub, 4)] == [0] * 4
        stub.reset()
        client = frugal.Client(
            policy=policy,
            anthropic={"api_key": "sk-ant-test", "base_url": stub.anthropic_base_url},
            max_retries=0,
        )
        usages = agent_loop(client, stub, 4)
    assert usages[0].cache_read_input_tokens == 0
    assert usages[0].cache_creation_input_tokens > 2400
    for before, after in itertools.pairwise(usages):
        written_before = before.cache_read_input_tokens + before.cache_creation_input_tokens
        assert after.cache_read_input_tokens == written_before, "each turn reads what the last one cached"
        assert after.input_tokens == 160, "only the final tool result (640 characters) is uncached"


def test_the_savings_benchmark_prices_every_configuration_from_frugals_ledger() -> None:
    """One workload through one vendor in every configuration: the raw SDK's dollars are the reference, the
    ledger's dollars equal the usage priced (the benchmark asserts it), routing sends easy chat turns to the
    small model and Claude's prompt cache is read only once frugal marks breakpoints."""
    row = savings.measure_pair(7, 0.05, "chat", "claude")
    assert row[savings.RAW] is not None
    assert row[savings.ROUTED] is not None
    assert row[savings.CACHED] is not None
    assert row[savings.RAW]["small_model_share"] == 0
    assert row[savings.ROUTED]["small_model_share"] > 0
    assert row[savings.ROUTED]["cache_read_share"] == 0
    assert row[savings.CACHED]["cache_read_share"] > 0
    aware = row[savings.AWARE]
    assert (aware is not None) == savings.cache_aware_routing_built()
