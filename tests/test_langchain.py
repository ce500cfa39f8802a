"""LangChain's ``ChatOpenAI`` on frugal's ``as_openai()`` views, served by OpenAI and, translated, by Claude.

``ChatOpenAI`` sends every chat call through the openai SDK's ``with_raw_response`` (``create``, and
``parse`` for ``with_structured_output``), so these calls prove that frugal routes raw-response and
``parse`` calls, across vendors too. Real SDKs over real HTTP to the loopback stub; every request the
library makes has its ledger record and its span. Skipped when ``langchain-openai`` is not installed (it
is in the dev extra, not a dependency of frugal).
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

langchain_openai = pytest.importorskip("langchain_openai", reason="langchain-openai is not installed")


@pytest.fixture
async def clients(
    vendor: str, stub: VendorStub, tmp_path: Path, provider: Any
) -> AsyncIterator[tuple[frugal.Client, frugal.AsyncClient]]:
    """A sync and an async frugal client sharing one memory ledger, whose policy's only model is
    ``vendor``'s."""
    policy = only_model_policy(tmp_path, MODELS[vendor])
    options = vendor_options(stub, policy=policy, ledger="memory://", tracer_provider=provider)
    with frugal.Client(**options) as client:  # type: ignore[arg-type]
        async with frugal.AsyncClient(**{**options, "ledger": client.ledger}) as aclient:  # type: ignore[arg-type]
            yield client, aclient


def chat_model(clients: tuple[frugal.Client, frugal.AsyncClient]) -> Any:
    """``ChatOpenAI`` on the two clients' views, as docs/recipes/langchain_recipe.py builds it."""
    client, aclient = clients
    view, async_view = client.as_openai(), aclient.as_openai()
    return langchain_openai.ChatOpenAI(
        model="auto",
        root_client=view,
        client=view.chat.completions,
        root_async_client=async_view,
        async_client=async_view.chat.completions,
        api_key="unused",
    )


async def test_invoke_and_ainvoke(
    vendor: str, clients: tuple[frugal.Client, frugal.AsyncClient], stub: VendorStub, exporter: Any
) -> None:
    """``invoke`` and ``ainvoke`` reach the policy's model (on Claude, translated) with the caller's
    messages, return its text, and each is recorded and traced once."""
    model = MODELS[vendor]
    stub.queue(
        model,
        Reply(text="Paris.", usage=Usage(30, 3)),
        Reply(text="Madrid.", usage=Usage(31, 4)),
    )
    llm = chat_model(clients)

    first = llm.invoke([("system", "Answer briefly."), ("user", "Capital of France?")])
    second = await llm.ainvoke("Capital of Spain?")

    assert (first.content, second.content) == ("Paris.", "Madrid.")
    assert first.response_metadata["model_name"] == model
    assert [(r.vendor, r.model) for r in stub.requests] == [(vendor, model)] * 2
    bodies = [r.body or {} for r in stub.requests]
    if vendor == "openai":
        assert bodies[0]["messages"] == [
            {"role": "system", "content": "Answer briefly."},
            {"role": "user", "content": "Capital of France?"},
        ]
        assert bodies[1]["messages"] == [{"role": "user", "content": "Capital of Spain?"}]
    else:
        assert bodies[0]["system"] == "Answer briefly."
        assert [m["role"] for m in bodies[0]["messages"]] == ["user"]
        assert "Capital of Spain?" in str(bodies[1]["messages"])
    assert_recorded(clients[0], exporter, [(model, "chat", 30, 3), (model, "chat", 31, 4)])


async def test_structured_output(
    vendor: str, clients: tuple[frugal.Client, frugal.AsyncClient], stub: VendorStub, exporter: Any
) -> None:
    """``with_structured_output(City)`` (``chat.completions.with_raw_response.parse`` with a JSON schema)
    returns the pydantic object, sync and async; on Claude the schema goes as ``output_config``."""
    model = MODELS[vendor]
    stub.queue(
        model,
        Reply(text='{"name": "Paris", "country": "France"}', usage=Usage(60, 9)),
        Reply(text='{"name": "Madrid", "country": "Spain"}', usage=Usage(61, 9)),
    )
    structured = chat_model(clients).with_structured_output(City)

    paris = structured.invoke("Name the capital of France.")
    madrid = await structured.ainvoke("Name the capital of Spain.")

    assert (paris, madrid) == (City(name="Paris", country="France"), City(name="Madrid", country="Spain"))
    assert [(r.vendor, r.model) for r in stub.requests] == [(vendor, model)] * 2
    for request in stub.requests:
        body = request.body or {}
        if vendor == "openai":
            assert body["response_format"]["type"] == "json_schema"
            assert body["response_format"]["json_schema"]["name"] == "City"
        else:
            assert body["output_config"]["format"]["type"] == "json_schema"
            assert sorted(body["output_config"]["format"]["schema"]["properties"]) == ["country", "name"]
    assert_recorded(clients[0], exporter, [(model, "chat", 60, 9), (model, "chat", 61, 9)])


def test_tool_call(
    vendor: str, clients: tuple[frugal.Client, frugal.AsyncClient], stub: VendorStub, exporter: Any
) -> None:
    """``bind_tools`` sends the tool's schema, and the model's tool call comes back as LangChain's
    ``tool_calls`` with its arguments."""
    model = MODELS[vendor]
    stub.queue(
        model, Reply(text=None, tool_calls=[ToolCall("get_weather", {"city": "Paris"})], usage=Usage(70, 12))
    )

    def get_weather(city: str) -> str:
        """The weather now in a city."""
        return f"sunny in {city}"

    message = chat_model(clients).bind_tools([get_weather]).invoke("Weather in Paris?")

    [call] = message.tool_calls
    assert (call["name"], call["args"]) == ("get_weather", {"city": "Paris"})
    [request] = stub.requests
    assert (request.vendor, request.model) == (vendor, model)
    body = request.body or {}
    if vendor == "openai":
        assert [t["function"]["name"] for t in body["tools"]] == ["get_weather"]
    else:
        assert [t["name"] for t in body["tools"]] == ["get_weather"]
        assert body["tools"][0]["input_schema"]["properties"] == {"city": {"type": "string"}}
    assert_recorded(clients[0], exporter, [(model, "chat", 70, 12)])
