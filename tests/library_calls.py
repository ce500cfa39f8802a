"""What the tests of client libraries (LangChain, pydantic-ai, instructor) share (their ``vendor`` fixture
is in conftest.py): the model each vendor serves, the structured answer they ask for, and what they check
after each library call: one ledger record and one call span per request the library made, priced."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from pydantic import BaseModel

#: The model each vendor serves in these tests (both priced by the catalog).
MODELS = {"openai": "gpt-4o-mini", "anthropic": "claude-haiku-4-5"}


class City(BaseModel):
    """A city and its country."""

    name: str
    country: str


def only_model_policy(directory: Path, model: str) -> Path:
    """A policy whose only model is ``model``: every call the library makes goes to it (translated when
    the model is the other vendor's)."""
    path = directory / "only.yaml"
    path.write_text(f"name: only\ntiers:\n  - name: only\n    models: [{model}]\n", encoding="utf-8")
    return path


def assert_recorded(
    client: Any, exporter: InMemorySpanExporter, calls: list[tuple[str, str, int, int]]
) -> None:
    """``calls``, one (model, operation, input tokens, output tokens) per request the library made, in
    order, each has its ledger record and its call span (``frugal OPERATION``, the model, the cost)."""
    records = client.ledger.records()
    assert [(r.model, r.operation, r.input_tokens, r.output_tokens) for r in records] == calls
    assert all(r.cost_usd and r.cost_usd > 0 for r in records), [r.cost_usd for r in records]
    spans = sorted(
        (s for s in exporter.get_finished_spans() if s.kind == SpanKind.INTERNAL),
        key=lambda s: s.start_time or 0,
    )
    assert [(s.name, (s.attributes or {}).get("frugal.route.model")) for s in spans] == [
        (f"frugal {operation}", model) for model, operation, _, _ in calls
    ]
    assert [(s.attributes or {}).get("frugal.cost.usd") for s in spans] == [r.cost_usd for r in records]
