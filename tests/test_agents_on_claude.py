"""The OpenAI Agents SDK's Responses model running a tool loop served by Claude through frugal.

An ``agents.Agent`` with one ``function_tool`` uses ``OpenAIResponsesModel`` on ``AsyncClient.as_openai()``;
the policy's only model is a Claude model, so every ``responses.create`` the agent makes is translated to
Anthropic messages and back. Real SDKs, real HTTP, the loopback stub. Skipped when ``openai-agents`` is
not installed (it is not a dependency of frugal).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import frugal
from frugal.testing import Reply, ToolCall, Usage, VendorStub

from .conftest import vendor_options

agents = pytest.importorskip("agents", reason="openai-agents is not installed (pip install openai-agents)")

CLAUDE = "claude-haiku-4-5"


@pytest.fixture
def claude_only(tmp_path: Path) -> Path:
    """A policy whose only model is a Claude model."""
    path = tmp_path / "claude-only.yaml"
    path.write_text(f"name: claude-only\ntiers:\n  - name: only\n    models: [{CLAUDE}]\n")
    return path


async def test_agent_tool_loop_served_by_claude(
    stub: VendorStub, claude_only: Path, provider: Any, exporter: Any
) -> None:
    """The agent calls its tool on Claude's function call, gets Claude's final text, and frugal records and
    traces each model call."""
    agents.set_tracing_disabled(True)  # the Agents SDK's own traces would be exported to OpenAI
    stub.queue(
        CLAUDE,
        Reply(text=None, tool_calls=[ToolCall("get_weather", {"city": "Paris"})], usage=Usage(80, 12)),
        Reply(text="It is sunny in Paris.", usage=Usage(120, 8)),
    )
    calls: list[str] = []

    @agents.function_tool
    def get_weather(city: str) -> str:
        """The weather now in a city."""
        calls.append(city)
        return f"sunny in {city}"

    options = vendor_options(stub, policy=claude_only, ledger="memory://", tracer_provider=provider)
    async with frugal.AsyncClient(**options) as client:  # type: ignore[arg-type]
        model = agents.OpenAIResponsesModel(model="auto", openai_client=client.as_openai())
        agent = agents.Agent(name="weather", instructions="Use the tool.", tools=[get_weather], model=model)
        result = await agents.Runner.run(agent, "What is the weather in Paris?")
        assert client.ledger is not None
        records = client.ledger.records()

    assert calls == ["Paris"]
    assert result.final_output == "It is sunny in Paris."
    sent = stub.requests
    assert [(r.vendor, r.model) for r in sent] == [("anthropic", CLAUDE)] * 2
    assert sent[0].body is not None
    assert sent[1].body is not None
    assert sent[0].body["system"] == "Use the tool."
    assert [tool["name"] for tool in sent[0].body["tools"]] == ["get_weather"]
    [tool_use] = [b for b in sent[1].body["messages"][1]["content"] if b["type"] == "tool_use"]
    [tool_result] = sent[1].body["messages"][2]["content"]
    assert tool_use["input"] == {"city": "Paris"}
    assert tool_result["tool_use_id"] == tool_use["id"]
    assert tool_result["content"] == "sunny in Paris"

    assert [(r.model, r.operation, r.input_tokens, r.output_tokens) for r in records] == [
        (CLAUDE, "responses", 80, 12),
        (CLAUDE, "responses", 120, 8),
    ]
    finished = exporter.get_finished_spans()
    call_spans = [s for s in finished if s.name == "frugal responses"]
    assert len(call_spans) == 2
    attempts = [
        s
        for s in finished
        if s.parent is not None and s.parent.span_id in {c.context.span_id for c in call_spans}
    ]
    assert [dict(s.attributes or {})["gen_ai.usage.input_tokens"] for s in attempts] == [80, 120]
