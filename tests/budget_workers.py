"""What each process of the concurrency test runs (importable by ``multiprocessing`` spawn children)."""

from __future__ import annotations

from typing import Any

import frugal
from frugal.budgets.ledger import from_nano, open_ledger
from frugal.exceptions import BudgetExceeded
from frugal.policy import parse_policy

POLICY = """
name: concurrency
tiers:
  - name: large
    models: [gpt-4.1]
requested_model: honor
budgets:
  - {name: fleet, limit_usd: 1.0, window: day, action: block}
"""
PROMPT = [{"role": "user", "content": "Summarise the quarterly report please. " * 100}]
#: Every process calls at the same fixed moment (noon UTC), so all of them share one day window even
#: when the test runs across midnight (``committed`` below sums the counters of every window).
NOON = 1_796_126_400.0  # 2026-12-01T12:00:00Z


def run(ledger_url: str, openai_url: str, anthropic_url: str, calls: int) -> dict[str, Any]:
    """``calls`` calls through a real client with a real OpenTelemetry SDK; what the spans said."""
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    client = frugal.Client(
        policy=parse_policy(POLICY, "concurrency.yaml")[0],
        openai={"api_key": "sk-test", "base_url": openai_url},
        anthropic={"api_key": "sk-ant-test", "base_url": anthropic_url},
        max_retries=0,
        ledger=ledger_url,
        tracer_provider=provider,
        clock=lambda: NOON,
    )
    observer = open_ledger(ledger_url)
    blocked = 0
    estimates: list[float] = []
    committed: list[float] = []  # settled spend plus in-flight reservations, seen after each call
    for _ in range(calls):
        try:
            client.chat.completions.create(model="gpt-4.1", messages=PROMPT)
        except BudgetExceeded as exc:
            blocked += 1
            estimates.append(exc.estimated_cost_usd or 0.0)
        committed.append(from_nano(sum(observer.counters("fleet|").values())))
    spans = [s for s in exporter.get_finished_spans() if s.name == "frugal chat"]
    client.close()
    observer.close()
    return {
        "span_costs": [(s.attributes or {})["frugal.cost.usd"] for s in spans],
        "trace_ids": [format(s.context.trace_id, "032x") for s in spans],
        "blocked": blocked,
        "max_estimate": max(estimates, default=0.0),
        "max_committed": max(committed),
    }
