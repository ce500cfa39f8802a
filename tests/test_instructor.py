"""instructor on frugal's ``as_openai()`` views, sync and async, served by OpenAI and, translated, by Claude.

``instructor.from_openai`` patches the view's ``chat.completions.create`` (default mode: TOOLS, the response
model as a forced function tool) and tells an async client by ``inspect.iscoroutinefunction`` on it. Real
SDKs over real HTTP to the loopback stub; every request instructor makes, re-asks included, has its ledger
record and its span. Skipped when ``instructor`` is not installed: it pins ``jiter<0.15``, which holds
``openai`` at 3.3 or below, so CI installs it in the oldest-SDK virtualenv only (``.ci/run``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import field_validator

import frugal
from frugal.testing import Reply, ToolCall, Usage, VendorStub

from . import library_calls
from .calls import settle
from .conftest import vendor_options
from .library_calls import MODELS, assert_recorded, only_model_policy

instructor = pytest.importorskip("instructor", reason="instructor is not installed (pip install instructor)")


class City(library_calls.City):
    """A city whose name must be capitalised (an answer that is not makes instructor ask again)."""

    @field_validator("name")
    @classmethod
    def capitalised(cls, name: str) -> str:
        if not name[:1].isupper():
            raise ValueError("the name must start with a capital letter")
        return name


@pytest.fixture(params=["sync", "async"])
async def client(
    request: pytest.FixtureRequest, vendor: str, stub: VendorStub, tmp_path: Path, provider: Any
) -> AsyncIterator[Any]:
    """A sync or async frugal client with a memory ledger, whose policy's only model is ``vendor``'s."""
    policy = only_model_policy(tmp_path, MODELS[vendor])
    options = vendor_options(stub, policy=policy, ledger="memory://", tracer_provider=provider)
    if request.param == "sync":
        with frugal.Client(**options) as c:  # type: ignore[arg-type]
            yield c
    else:
        async with frugal.AsyncClient(**options) as c:  # type: ignore[arg-type]
            yield c


def patched(client: Any) -> Any:
    """instructor's client on the frugal client's ``as_openai()`` view; async for an async client."""
    patched = instructor.from_openai(client.as_openai())
    expected = instructor.AsyncInstructor if isinstance(client, frugal.AsyncClient) else instructor.Instructor
    assert isinstance(patched, expected)
    return patched


def city_call(arguments: dict[str, Any], usage: Usage) -> Reply:
    """The model's answer in TOOLS mode: a call of the ``City`` function."""
    return Reply(text=None, tool_calls=[ToolCall("City", arguments)], usage=usage)


async def test_response_model(vendor: str, client: Any, stub: VendorStub, exporter: Any) -> None:
    """``response_model=City`` is sent as a forced ``City`` tool (on Claude, a translated tool with
    ``tool_choice`` of that tool) and the model's call comes back as the validated ``City``."""
    model = MODELS[vendor]
    stub.queue(model, city_call({"name": "Paris", "country": "France"}, Usage(70, 11)))

    city = await settle(
        patched(client).chat.completions.create(
            model="auto",
            response_model=City,
            messages=[{"role": "user", "content": "The capital of France?"}],
        )
    )

    assert isinstance(city, City)
    assert (city.name, city.country) == ("Paris", "France")
    [request] = stub.requests
    assert (request.vendor, request.model) == (vendor, model)
    body = request.body or {}
    if vendor == "openai":
        assert [t["function"]["name"] for t in body["tools"]] == ["City"]
        assert body["tool_choice"] == {"type": "function", "function": {"name": "City"}}
    else:
        assert [t["name"] for t in body["tools"]] == ["City"]
        assert sorted(body["tools"][0]["input_schema"]["properties"]) == ["country", "name"]
        assert body["tool_choice"] == {"type": "tool", "name": "City"}
    assert_recorded(client, exporter, [(model, "chat", 70, 11)])


async def test_invalid_answer_is_asked_again(
    vendor: str, client: Any, stub: VendorStub, exporter: Any
) -> None:
    """A first answer that fails validation makes instructor ask again with the error; the second answer
    is returned. Two requests, two records, two spans."""
    model = MODELS[vendor]
    stub.queue(
        model,
        city_call({"name": "paris", "country": "France"}, Usage(70, 11)),
        city_call({"name": "Paris", "country": "France"}, Usage(150, 11)),
    )

    city = await settle(
        patched(client).chat.completions.create(
            model="auto",
            response_model=City,
            max_retries=2,
            messages=[{"role": "user", "content": "The capital of France?"}],
        )
    )

    assert isinstance(city, City)
    assert (city.name, city.country) == ("Paris", "France")
    assert [(r.vendor, r.model) for r in stub.requests] == [(vendor, model)] * 2
    assert "capital letter" in str((stub.requests[1].body or {})["messages"])
    assert_recorded(client, exporter, [(model, "chat", 70, 11), (model, "chat", 150, 11)])
