"""pydantic-ai agents on ``AsyncClient.as_openai()``, served by OpenAI and, translated, by Claude.

``OpenAIChatModel`` and ``OpenAIResponsesModel`` take an ``AsyncOpenAI`` through
``OpenAIProvider(openai_client=...)``; frugal's view is one. A structured ``output_type`` is a tool call
(pydantic-ai's default output mode). Real SDKs over real HTTP to the loopback stub; every request the agent
makes has its ledger record and its span. Skipped when ``pydantic-ai-slim[openai]`` is not installed (it is
in the dev extra, not a dependency of frugal).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

import frugal
from frugal.testing import Reply, ToolCall, Usage, VendorStub

from .conftest import vendor_options
from .library_calls import MODELS, City, assert_recorded, only_model_policy

pydantic_ai = pytest.importorskip("pydantic_ai", reason="pydantic-ai-slim[openai] is not installed")
openai_models = pytest.importorskip("pydantic_ai.models.openai")
openai_providers = pytest.importorskip("pydantic_ai.providers.openai")


@pytest.fixture
async def aclient(
    vendor: str, stub: VendorStub, tmp_path: Path, provider: Any
) -> AsyncIterator[frugal.AsyncClient]:
    """An async frugal client with a memory ledger, whose policy's only model is ``vendor``'s."""
    policy = only_model_policy(tmp_path, MODELS[vendor])
    options = vendor_options(stub, policy=policy, ledger="memory://", tracer_provider=provider)
    async with frugal.AsyncClient(**options) as client:  # type: ignore[arg-type]
        yield client


def chat_model(aclient: frugal.AsyncClient) -> Any:
    """pydantic-ai's chat-completions model on the client's ``as_openai()`` view."""
    provider = openai_providers.OpenAIProvider(openai_client=aclient.as_openai())
    return openai_models.OpenAIChatModel("auto", provider=provider)


async def test_agent_text(vendor: str, aclient: frugal.AsyncClient, stub: VendorStub, exporter: Any) -> None:
    """An agent's run reaches the policy's model (on Claude, translated) with its instructions and the
    prompt, returns the model's text, and is recorded and traced once."""
    model = MODELS[vendor]
    stub.queue(model, Reply(text="Paris.", usage=Usage(40, 3)))
    agent = pydantic_ai.Agent(chat_model(aclient), instructions="Answer briefly.")

    result = await agent.run("Capital of France?")

    assert result.output == "Paris."
    [request] = stub.requests
    assert (request.vendor, request.model) == (vendor, model)
    body = request.body or {}
    if vendor == "openai":
        assert body["messages"][0] == {"role": "system", "content": "Answer briefly."}
        assert body["messages"][1]["role"] == "user"
        assert "Capital of France?" in str(body["messages"][1]["content"])
    else:
        assert "Answer briefly." in str(body["system"])
        assert [m["role"] for m in body["messages"]] == ["user"]
        assert "Capital of France?" in str(body["messages"][0]["content"])
    assert_recorded(aclient, exporter, [(model, "chat", 40, 3)])


async def test_structured_output(
    vendor: str, aclient: frugal.AsyncClient, stub: VendorStub, exporter: Any
) -> None:
    """``output_type=City`` is a tool the model must call; the model's tool call (on Claude, a translated
    ``tool_use``) becomes the validated ``City``."""
    model = MODELS[vendor]
    stub.queue(
        model,
        Reply(
            text=None,
            tool_calls=[ToolCall("final_result", {"name": "Paris", "country": "France"})],
            usage=Usage(90, 15),
        ),
    )
    agent = pydantic_ai.Agent(chat_model(aclient), output_type=City)

    result = await agent.run("Name the capital of France.")

    assert result.output == City(name="Paris", country="France")
    [request] = stub.requests
    assert (request.vendor, request.model) == (vendor, model)
    body = request.body or {}
    if vendor == "openai":
        [tool] = body["tools"]
        assert tool["function"]["name"] == "final_result"
        assert sorted(tool["function"]["parameters"]["properties"]) == ["country", "name"]
    else:
        [tool] = body["tools"]
        assert tool["name"] == "final_result"
        assert sorted(tool["input_schema"]["properties"]) == ["country", "name"]
    assert_recorded(aclient, exporter, [(model, "chat", 90, 15)])


async def test_tool_loop_on_the_responses_model(
    vendor: str, aclient: frugal.AsyncClient, stub: VendorStub, exporter: Any
) -> None:
    """``OpenAIResponsesModel`` runs a tool loop: the agent calls its tool on the model's function call,
    sends the result back with the call's id, and returns the model's final text; two requests, two
    records, two spans."""
    model = MODELS[vendor]
    stub.queue(
        model,
        Reply(text=None, tool_calls=[ToolCall("get_weather", {"city": "Paris"})], usage=Usage(80, 12)),
        Reply(text="It is sunny in Paris.", usage=Usage(120, 8)),
    )
    provider = openai_providers.OpenAIProvider(openai_client=aclient.as_openai())
    agent = pydantic_ai.Agent(openai_models.OpenAIResponsesModel("auto", provider=provider))
    cities: list[str] = []

    @agent.tool_plain
    def get_weather(city: str) -> str:
        """The weather now in a city."""
        cities.append(city)
        return f"sunny in {city}"

    result = await agent.run("What is the weather in Paris?")

    assert cities == ["Paris"]
    assert result.output == "It is sunny in Paris."
    assert [(r.vendor, r.model) for r in stub.requests] == [(vendor, model)] * 2
    second = stub.requests[1].body or {}
    if vendor == "openai":
        assert stub.requests[0].path.endswith("/responses")
        [output] = [item for item in second["input"] if item.get("type") == "function_call_output"]
        assert output["output"] == "sunny in Paris"
    else:
        [result_block] = [
            block
            for message in second["messages"]
            if isinstance(message["content"], list)
            for block in message["content"]
            if block["type"] == "tool_result"
        ]
        assert "sunny in Paris" in str(result_block["content"])
    assert_recorded(aclient, exporter, [(model, "responses", 80, 12), (model, "responses", 120, 8)])
