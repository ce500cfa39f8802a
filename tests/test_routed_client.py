"""Routing in the client: model='auto', routes, ceilings, context, retries and fallback, through the stub."""

from __future__ import annotations

from typing import Any

import anthropic
import openai
import pytest

import frugal
from frugal.testing import Fault, Reply, VendorStub

from .calls import drain, settle
from .conftest import POLICIES, vendor_options
from .sdk_versions import dropped_stream_error

ROUTING = POLICIES / "routing.yaml"
HELLO = [{"role": "user", "content": "hello"}]


@pytest.fixture(params=["sync", "async"])
async def routed(request: pytest.FixtureRequest, stub: VendorStub) -> Any:
    """A sync or async client with the routing test policy (scores come from context metadata)."""
    options = vendor_options(stub, policy=ROUTING)
    del options["max_retries"]  # the policy's retries (1, no backoff) apply
    if request.param == "sync":
        with frugal.Client(**options) as c:  # type: ignore[arg-type]
            yield c
    else:
        async with frugal.AsyncClient(**options) as c:  # type: ignore[arg-type]
            yield c


@pytest.mark.parametrize(("score", "model"), [(0.1, "small-text"), (0.5, "medium-a"), (0.9, "large-a")])
async def test_auto_routes_by_score(routed: Any, stub: VendorStub, score: float, model: str) -> None:
    """model='auto' sends the call to the tier's cheapest model; the answer says which model served it."""
    with routed.with_context(score=score):
        result = await settle(routed.chat.completions.create(model="auto", messages=HELLO))
    assert result.model == model
    assert [r.model for r in stub.requests] == [model]


async def test_ceiling_routes_simple_prompts_down(routed: Any, stub: VendorStub) -> None:
    """A premium model named by the caller is a ceiling: a simple prompt goes to a cheap model."""
    with routed.with_context(score=0.1):
        result = await settle(routed.messages.create(model="large-anthropic", max_tokens=50, messages=HELLO))
    assert type(result) is anthropic.types.Message
    assert stub.requests[0].model == "small-text"
    assert stub.requests[0].vendor == "openai"


async def test_route_name_and_dry_run(routed: Any, stub: VendorStub) -> None:
    """A route name is a model name; client.route() decides without sending anything."""
    with routed.with_context(score=0.99):
        decision = routed.route(model="cheap", messages=HELLO)
        assert (decision.route, decision.tier, decision.model) == ("cheap", "medium", "medium-a")
        await settle(routed.chat.completions.create(model="cheap", messages=HELLO))
    assert [r.model for r in stub.requests] == ["medium-a"]


async def test_retry_same_model_then_succeed(routed: Any, stub: VendorStub) -> None:
    """A 429 with retry-after is retried on the same model; SDK retries do not multiply the attempts."""
    stub.fail("small-text", 429, times=1, retry_after=0)
    with routed.with_context(score=0.1):
        result = await settle(routed.chat.completions.create(model="auto", messages=HELLO))
    assert result.model == "small-text"
    assert [r.model for r in stub.requests] == ["small-text", "small-text"]


async def test_fallback_to_next_candidate_then_other_vendor(routed: Any, stub: VendorStub) -> None:
    """Retries spent -> next candidate, then the other vendor (translated); the answer stays OpenAI-shaped."""
    stub.fail("small-text", 503, times=2, retry_after=0)
    stub.fail("small-vision", 500, times=2, retry_after=0)
    with routed.with_context(score=0.1):
        result = await settle(routed.chat.completions.create(model="auto", messages=HELLO))
    assert type(result) is openai.types.chat.ChatCompletion
    assert result.model == "small-anthropic"
    assert [r.model for r in stub.requests] == ["small-text"] * 2 + ["small-vision"] * 2 + ["small-anthropic"]


async def test_model_not_found_moves_on_at_once(routed: Any, stub: VendorStub) -> None:
    """A 404 (model not found) is not retried: the next candidate serves the call."""
    stub.fail("small-text", 404)
    with routed.with_context(score=0.1):
        await settle(routed.chat.completions.create(model="auto", messages=HELLO))
    assert [r.model for r in stub.requests] == ["small-text", "small-vision"]


@pytest.mark.parametrize("status", [400, 401, 403, 422])
async def test_client_errors_are_never_retried(routed: Any, stub: VendorStub, status: int) -> None:
    """400/401/403/422 raise the vendor exception at once: no retry, no fallback."""
    stub.fail("small-text", status)
    with routed.with_context(score=0.1), pytest.raises(openai.APIStatusError) as info:
        await settle(routed.chat.completions.create(model="auto", messages=HELLO))
    assert info.value.status_code == status
    assert len(stub.requests) == 1


async def test_final_failure_raises_the_last_vendor_exception(routed: Any, stub: VendorStub) -> None:
    """When every candidate fails, the last vendor's exception is raised unchanged."""
    for model in ("small-text", "small-vision"):
        stub.fail(model, 503, times=2, retry_after=0)
    stub.fail("small-anthropic", 529, times=2, retry_after=0)
    with routed.with_context(score=0.1), pytest.raises(anthropic.OverloadedError) as info:
        await settle(routed.chat.completions.create(model="auto", messages=HELLO))
    assert isinstance(info.value, openai.InternalServerError)  # catchable as the caller's SDK class too
    assert len(stub.requests) == 6


async def test_long_retry_after_moves_to_next_candidate(routed: Any, stub: VendorStub) -> None:
    """A retry-after longer than the policy's max backoff is not waited for: the next model serves now."""
    stub.fail("small-text", 429, retry_after=120)
    with routed.with_context(score=0.1):
        await settle(routed.chat.completions.create(model="auto", messages=HELLO))
    assert [r.model for r in stub.requests] == ["small-text", "small-vision"]


async def test_stream_falls_back_before_the_first_chunk(routed: Any, stub: VendorStub) -> None:
    """A stream whose request fails falls back; the caller gets the next model's stream."""
    stub.fail("small-text", 503, times=2, retry_after=0)
    stub.reply("small-vision", Reply(text="from the fallback"))
    with routed.with_context(score=0.1):
        stream = await settle(routed.chat.completions.create(model="auto", messages=HELLO, stream=True))
    chunks = [c async for c in stream] if isinstance(stream, openai.AsyncStream) else list(stream)
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "from the fallback"


async def test_stream_error_before_the_first_chunk_falls_back(routed: Any, stub: VendorStub) -> None:
    """An error event that arrives before any chunk reached the caller is retried like a failed request."""
    stub.queue("small-text", Fault.stream_error(after_events=0))
    stub.reply(None, Reply(text="recovered"))
    with routed.with_context(score=0.1):
        stream = await settle(routed.chat.completions.create(model="auto", messages=HELLO, stream=True))
    chunks = [c async for c in stream] if isinstance(stream, openai.AsyncStream) else list(stream)
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "recovered"
    assert [r.model for r in stub.requests] == ["small-text", "small-text"]


async def test_anthropic_overloaded_first_event_is_retried(stub: VendorStub) -> None:
    """Anthropic's overloaded_error as the first stream event is retried before the caller sees anything."""
    stub.queue("claude-haiku-4-5", Fault.stream_error(after_events=0))
    client = frugal.AsyncClient(**{**vendor_options(stub), "max_retries": 1})  # type: ignore[arg-type]
    stream = await client.messages.create(model="claude-haiku-4-5", max_tokens=9, messages=HELLO, stream=True)  # type: ignore[arg-type]
    events = [e async for e in stream]
    assert events[-1].type == "message_stop"
    assert len(stub.requests) == 2


async def test_mid_stream_error_after_the_first_chunk_reaches_the_caller(
    routed: Any, stub: VendorStub
) -> None:
    """Once a chunk reached the caller there is no fallback: the error is raised from the iteration."""
    stub.queue("small-text", Fault.stream_error(after_events=2))
    with routed.with_context(score=0.1):
        stream = await settle(routed.chat.completions.create(model="auto", messages=HELLO, stream=True))
    with pytest.raises(openai.APIError):
        _ = [c async for c in stream] if isinstance(stream, openai.AsyncStream) else list(stream)
    assert len(stub.requests) == 1


# (shape of call, the routing that serves it natively, the model the stub sees)
DROP_CASES = [
    pytest.param("chat", {"score": 0.1}, "small-text", id="openai-chat"),
    pytest.param("messages", {"user": "vip-1"}, "large-anthropic", id="anthropic-messages"),
]


def start_stream(routed: Any, shape: str) -> Any:
    if shape == "chat":
        return routed.chat.completions.create(model="auto", messages=HELLO, stream=True)
    return routed.messages.create(model="auto", max_tokens=50, messages=HELLO, stream=True)


@pytest.mark.parametrize(("shape", "context", "model"), DROP_CASES)
async def test_a_stream_dropped_before_its_first_chunk_is_retried(
    routed: Any, stub: VendorStub, shape: str, context: dict[str, Any], model: str
) -> None:
    """A connection dropped before any chunk reached the caller is retried on the same model, whatever the
    installed SDK raises for it (its APIConnectionError, or httpx2's RemoteProtocolError in older ones)."""
    stub.queue(model, Fault.truncated_stream(after_events=0))
    stub.reply(model, Reply(text="after the drop"))
    with routed.with_context(**context):
        items = await drain(await settle(start_stream(routed, shape)))
    text = "".join(
        (c.choices[0].delta.content or "")
        if shape == "chat"
        else getattr(getattr(c, "delta", None), "text", "")
        for c in items
        if shape != "chat" or c.choices
    )
    assert text == "after the drop"
    assert [r.model for r in stub.requests] == [model, model]


@pytest.mark.parametrize(("shape", "context", "model"), DROP_CASES)
async def test_a_stream_dropped_after_a_chunk_reached_the_caller_is_not_retried(
    routed: Any, stub: VendorStub, shape: str, context: dict[str, Any], model: str
) -> None:
    """Once the caller has a chunk, a dropped connection is raised from its loop: no retry, one request."""
    sdk = openai if shape == "chat" else anthropic
    stub.queue(model, Fault.truncated_stream(after_events=2))
    with routed.with_context(**context):
        stream = await settle(start_stream(routed, shape))
    with pytest.raises(dropped_stream_error(sdk)):
        await drain(stream)
    assert [r.model for r in stub.requests] == [model]


async def test_messages_stream_helper_falls_back(routed: Any, stub: VendorStub) -> None:
    """messages.stream(...) gets retries and fallback too (it runs on messages.create(stream=True))."""
    stub.fail("small-text", 503, times=2, retry_after=0)
    stub.reply("small-vision", Reply(text="via the helper"))
    with routed.with_context(score=0.1):
        manager = routed.messages.stream(model="auto", max_tokens=50, messages=HELLO)
        if isinstance(routed, frugal.AsyncClient):
            async with manager as stream:
                text = "".join([t async for t in stream.text_stream])
        else:
            with manager as stream:
                text = "".join(stream.text_stream)
    assert text == "via the helper"
    assert [r.model for r in stub.requests] == ["small-text", "small-text", "small-vision"]


async def test_generator_arguments_survive_routing(routed: Any, stub: VendorStub) -> None:
    """messages given as a generator (the SDKs accept any iterable) are read by routing and still sent."""
    messages = ({"role": "user", "content": text} for text in ["one", "two"])
    with routed.with_context(score=0.1):
        await settle(routed.chat.completions.create(model="auto", messages=messages))
    body = stub.requests[0].body
    assert body is not None
    assert [m["content"] for m in body["messages"]] == ["one", "two"]


async def test_connection_reset_is_retried(routed: Any, stub: VendorStub) -> None:
    """A connection reset counts as transient: retried on the same model."""
    stub.queue("small-text", Fault.reset())
    with routed.with_context(score=0.1):
        result = await settle(routed.chat.completions.create(model="auto", messages=HELLO))
    assert result.model == "small-text"
    assert len(stub.requests) == 2


def test_with_context_is_task_local() -> None:
    """with_context is contextvars-based: concurrent asyncio tasks see their own metadata."""
    import asyncio

    from frugal._context import current_context, with_context

    async def worker(team: str) -> str:
        with with_context(team=team):
            await asyncio.sleep(0)
            return current_context()["team"]

    async def main() -> list[str]:
        return list(await asyncio.gather(*(worker(f"t{i}") for i in range(20))))

    assert asyncio.run(main()) == [f"t{i}" for i in range(20)]
    assert "team" not in current_context()


def test_policy_providers_enabled_and_key_env(
    stub: VendorStub, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Policy providers: a disabled vendor is never chosen; a custom one takes its key from api_key_env."""
    text = ROUTING.read_text() + (
        "providers:\n"
        "  anthropic: {enabled: false}\n"
        f"  local: {{kind: openai, base_url: '{stub.openai_base_url}', api_key_env: LOCAL_LLM_KEY}}\n"
    )
    text = text.replace("  small-text:\n    provider: openai", "  small-text:\n    provider: local")
    policy = tmp_path / "providers.yaml"
    policy.write_text(text)
    monkeypatch.setenv("LOCAL_LLM_KEY", "local-secret")
    client = frugal.Client(policy=policy, openai={"api_key": "sk-test", "base_url": stub.openai_base_url})
    with client.with_context(score=0.1):
        decision = client.route(messages=HELLO)
        client.chat.completions.create(model="auto", messages=HELLO)  # type: ignore[arg-type]
    assert all(c.provider != "anthropic" for c in decision.chain)
    assert decision.model == "small-text"
    assert decision.provider == "local"
    assert stub.requests[0].headers["authorization"] == "Bearer local-secret"


def test_provider_with_an_unset_key_is_reported_at_build(stub: VendorStub, tmp_path: Any) -> None:
    """A provider whose api_key_env is unset is unusable: building the client says so, with its line."""
    text = ROUTING.read_text() + (
        "providers:\n"
        f"  local: {{kind: openai, base_url: '{stub.openai_base_url}', api_key_env: UNSET_KEY_VAR}}\n"
    )
    text = text.replace("  small-text:\n    provider: openai", "  small-text:\n    provider: local")
    policy = tmp_path / "nokey.yaml"
    policy.write_text(text)
    line = text.splitlines().index(next(x for x in text.splitlines() if "UNSET_KEY_VAR" in x)) + 1
    with pytest.raises(frugal.ConfigError) as caught:
        frugal.Client(**vendor_options(stub, policy=policy))  # type: ignore[arg-type]
    message = str(caught.value)
    assert f"nokey.yaml:{line}:" in message
    assert "providers.local.api_key_env" in message
    assert "$UNSET_KEY_VAR" in message
    assert "api_key: none" in message
    text = text.replace("api_key_env: UNSET_KEY_VAR", "api_key: none")
    policy.write_text(text)
    client = frugal.Client(**vendor_options(stub, policy=policy))  # type: ignore[arg-type]
    with client.with_context(score=0.1):
        client.chat.completions.create(model="auto", messages=HELLO)  # type: ignore[arg-type]
    assert [r.model for r in stub.requests] == ["small-text"], "a keyless provider is routed to"
    assert stub.requests[0].headers.get("authorization") == "Bearer none"


def test_client_max_retries_overrides_the_policy(stub: VendorStub) -> None:
    """Client(max_retries=N) sets frugal's retries per model (the SDKs' own stay off)."""
    client = frugal.Client(**vendor_options(stub, policy=ROUTING, max_retries=3))  # type: ignore[arg-type]
    stub.fail("small-text", 503, times=3, retry_after=0)
    with client.with_context(score=0.1):
        result = client.chat.completions.create(model="auto", messages=HELLO)  # type: ignore[arg-type]
    assert result.model == "small-text"
    assert [r.model for r in stub.requests] == ["small-text"] * 4


# -- vendor choice and errors that say what to do ------------------------------------------------------


def _default_client(stub: VendorStub, **extra: Any) -> frugal.Client:
    """A client with the built-in default policy (or ``policy=`` given), against the stub."""
    options = vendor_options(stub, **extra)
    if "policy" not in extra:
        del options["policy"]
    return frugal.Client(**options)  # type: ignore[arg-type]


@pytest.mark.parametrize(("vendors", "expected"), [("caller", {"anthropic"}), ("any", {"openai"})])
def test_a_call_naming_a_model_stays_on_its_vendor_unless_the_policy_says_any(
    stub: VendorStub, tmp_path: Any, vendors: str, expected: set[str]
) -> None:
    """By default a call naming a concrete model is served by that model's vendor (routed down within it);
    ``vendors: any`` lets the cheapest adequate model of either vendor serve it."""
    policy = tmp_path / "p.yaml"
    policy.write_text(f"extends: default\nvendors: {vendors}\n", encoding="utf-8")
    with _default_client(stub, policy=policy) as c:
        c.messages.create(model="claude-opus-4-5", max_tokens=50, messages=HELLO)  # type: ignore[arg-type]
        c.chat.completions.create(model="claude-opus-4-5", messages=HELLO)  # type: ignore[arg-type]
    assert {r.vendor for r in stub.requests} == expected
    assert all(r.model != "claude-opus-4-5" for r in stub.requests), "routed down all the same"


def test_a_model_of_a_vendor_without_a_key_is_not_served_by_the_other(stub: VendorStub) -> None:
    """With only an Anthropic key, ``model="gpt-4o"`` is not silently served by Claude: the openai SDK says
    its key is missing, as docs/client.md promises."""
    with (
        frugal.Client(anthropic={"api_key": "k", "base_url": stub.anthropic_base_url}) as c,
        pytest.raises(openai.OpenAIError, match="api_key"),
    ):
        c.chat.completions.create(model="gpt-4o", messages=HELLO)  # type: ignore[arg-type]
    assert stub.requests == []


def test_a_likely_typo_warns_at_the_callers_line_or_is_refused(stub: VendorStub, tmp_path: Any) -> None:
    """A name that fits a vendor's naming but is unknown gets a did-you-mean warning pointing at the
    caller's own line; under ``strict_models: true`` it is refused before anything is sent."""
    with _default_client(stub) as c, pytest.warns(frugal.UnpricedModelWarning) as caught:
        c.chat.completions.create(model="gpt-4o-mni", messages=HELLO)  # type: ignore[arg-type]
    (warning,) = caught
    assert "did you mean 'gpt-4o-mini'" in str(warning.message)
    assert warning.filename == __file__
    strict = tmp_path / "strict.yaml"
    strict.write_text("extends: default\nstrict_models: true\n", encoding="utf-8")
    with _default_client(stub, policy=strict) as c, pytest.raises(frugal.UnknownModelError) as refused:
        c.chat.completions.create(model="gpt-4o-mnii", messages=HELLO)  # type: ignore[arg-type]
    assert "gpt-4o-mini" in refused.value.suggestions
    assert [r.model for r in stub.requests] == ["gpt-4o-mni"]


def test_no_credentials_is_one_short_error_and_a_dry_run_needs_none() -> None:
    """With no key at all, ``model="auto"`` raises one short RoutingError naming the variables to set;
    ``client.route()`` still decides, assuming every provider configured, and says so."""
    c = frugal.Client()
    with pytest.raises(frugal.RoutingError) as error:
        c.chat.completions.create(model="auto", messages=HELLO)  # type: ignore[arg-type]
    message = str(error.value)
    assert "OPENAI_API_KEY" in message
    assert "ANTHROPIC_API_KEY" in message
    assert len(message) < 200
    decision = c.route(messages=HELLO)
    assert decision.model
    assert decision.reasons[-1] == "dry run: assumed anthropic, openai configured"
