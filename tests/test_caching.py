"""Provider prompt caching: breakpoints for Claude and cache keys for OpenAI (policy ``prompt_cache:``), what
they save measured on spans and in the ledger, and the break-even that stops marking prefixes that are not
reused."""

from __future__ import annotations

import warnings
from typing import Any

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import frugal
from frugal.providers.caching import CacheSettings, PromptCache, anthropic_minimum, break_even
from frugal.testing import Reply, Usage, VendorStub

from .conftest import vendor_options

SYSTEM = (
    "You are the support assistant of Example Corp. Follow the handbook below. " + "Handbook rule. " * 450
)
TOOLS: Any = [
    {
        "name": "lookup",
        "description": "Look up an order.",
        "input_schema": {"type": "object", "properties": {}},
    },
    {
        "name": "refund",
        "description": "Refund an order.",
        "input_schema": {"type": "object", "properties": {}},
    },
]
SONNET = "claude-sonnet-4-5"
HISTORY: Any = [
    {"role": "user", "content": "Where is order 12?"},
    {"role": "assistant", "content": "It shipped yesterday."},
    {"role": "user", "content": "And order 13?"},
]


def _client(stub: VendorStub, tmp_path: Any, cache: str, **extra: Any) -> frugal.Client:
    policy = tmp_path / "p.yaml"
    policy.write_text(
        "requested_model: honor\ntiers:\n  - name: all\n    models: [claude-sonnet-4-5, gpt-4o-mini]\n"
        f"prompt_cache: {cache}\nledger: memory://\n",
        encoding="utf-8",
    )
    return frugal.Client(**vendor_options(stub, policy=policy, **extra))  # type: ignore[arg-type]


def _markers(body: Any) -> list[str]:
    """Where a request carries cache_control: tools[i], system[i], messages[i].content[j]."""
    found = [f"tools[{i}]" for i, t in enumerate(body.get("tools") or []) if "cache_control" in t]
    system = body.get("system")
    if isinstance(system, list):
        found += [f"system[{i}]" for i, b in enumerate(system) if "cache_control" in b]
    for i, message in enumerate(body["messages"]):
        if isinstance(message["content"], list):
            found += [
                f"messages[{i}].content[{j}]"
                for j, b in enumerate(message["content"])
                if "cache_control" in b
            ]
    return found


def test_claude_requests_get_breakpoints_on_their_stable_prefix(stub: VendorStub, tmp_path: Any) -> None:
    """With ``prompt_cache: {anthropic: true}`` a long prefix is marked at the last tool, the system prompt
    and the last turn before the final question; a short one, or one the caller marked, is left alone; by
    default nothing is marked."""
    on = _client(stub, tmp_path, "{anthropic: true}")
    on.messages.create(model="claude-sonnet-4-5", max_tokens=50, system=SYSTEM, tools=TOOLS, messages=HISTORY)
    on.messages.create(model="claude-sonnet-4-5", max_tokens=50, system="Be brief.", messages=HISTORY)
    own = [{"type": "text", "text": SYSTEM, "cache_control": {"type": "ephemeral"}}]
    on.messages.create(model="claude-sonnet-4-5", max_tokens=50, system=own, messages=HISTORY)
    off = _client(stub, tmp_path, "{}")
    off.messages.create(
        model="claude-sonnet-4-5", max_tokens=50, system=SYSTEM, tools=TOOLS, messages=HISTORY
    )
    bodies = [r.body for r in stub.requests]
    assert _markers(bodies[0]) == ["tools[1]", "system[0]", "messages[1].content[0]"]
    assert bodies[0]["messages"][2] == HISTORY[2], "the final question is not part of the prefix"
    assert _markers(bodies[1]) == [], "too short to cache"
    assert _markers(bodies[2]) == ["system[0]"], "the caller's own breakpoint, nothing added"
    assert _markers(bodies[3]) == [], "off unless the policy turns it on"


def test_an_openai_shaped_call_served_by_claude_is_marked_after_translation(
    stub: VendorStub, tmp_path: Any
) -> None:
    """The breakpoints go on the request Claude receives, whatever shape the caller used; a one-hour TTL
    is asked for when the policy says so."""
    c = _client(stub, tmp_path, "{anthropic: true, ttl: 1h}")
    messages = [{"role": "system", "content": SYSTEM}, *HISTORY]
    c.chat.completions.create(model="claude-sonnet-4-5", messages=messages)
    body = stub.requests[0].body
    assert _markers(body) == ["system[0]", "messages[1].content[0]"]
    assert body["system"][0]["cache_control"] == {"type": "ephemeral", "ttl": "1h"}


def test_openai_requests_get_a_prompt_cache_key(stub: VendorStub, tmp_path: Any) -> None:
    """With ``prompt_cache: {openai: true}`` a long prefix gets a ``prompt_cache_key`` from its hash (the
    same prefix, the same key); the caller's own key stands."""
    c = _client(stub, tmp_path, "{openai: true}")
    messages = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": "hi"}]
    c.chat.completions.create(model="gpt-4o-mini", messages=messages)
    c.chat.completions.create(
        model="gpt-4o-mini", messages=[*messages[:1], {"role": "user", "content": "yo"}]
    )
    c.chat.completions.create(model="gpt-4o-mini", messages=messages, prompt_cache_key="mine")
    c.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "short"}])
    later = [*messages, {"role": "assistant", "content": "Hello."}, {"role": "user", "content": "Order 12?"}]
    c.chat.completions.create(model="gpt-4o-mini", messages=later)
    other = [{"role": "system", "content": SYSTEM + " Another team."}, {"role": "user", "content": "hi"}]
    c.chat.completions.create(model="gpt-4o-mini", messages=other)
    keys = [(r.body or {}).get("prompt_cache_key") for r in stub.requests]
    assert keys[0] is not None
    assert keys[0].startswith("frugal-")
    assert keys[1] == keys[0], "the same prefix, the same key"
    assert keys[2:4] == ["mine", None]
    assert keys[4] == keys[0], "a later turn keeps its conversation's key: the key names the stable head"
    assert keys[5] not in (None, keys[0]), "another system prompt, another key"


def test_what_caching_saved_is_on_the_span_and_in_the_ledger(
    stub: VendorStub, tmp_path: Any, provider: Any, exporter: InMemorySpanExporter
) -> None:
    """Cache reads are priced at their discount and the difference is recorded (caching on or off: it is a
    measurement): ``frugal.cache.savings.usd`` on the call span, ``cache_savings_usd`` in the ledger."""
    usage = Usage(input_tokens=2000, output_tokens=20, cache_read_tokens=1800)
    stub.reply(None, Reply(usage=usage))
    c = _client(stub, tmp_path, "{}", tracer_provider=provider)
    c.messages.create(model="claude-sonnet-4-5", max_tokens=50, system=SYSTEM, messages=HISTORY)
    assert c.ledger is not None
    [record] = c.ledger.records()
    info = c._setup.router.place("claude-sonnet-4-5").info
    rates = info.rates[0]
    assert record.cache_savings_usd == pytest.approx(1800 * (rates.input - rates.cache_read))
    [call] = [s for s in exporter.get_finished_spans() if s.name.startswith("frugal ")]
    assert call.attributes["frugal.cache.savings.usd"] == record.cache_savings_usd


def test_a_prefix_reused_less_than_the_break_even_stops_being_marked() -> None:
    """A prefix sent again within the TTL is a hit; after a few sends, one whose reuse is below the break-even
    (~22 %) is no longer marked, and one reused often is."""
    now = [0.0]
    cache = PromptCache(CacheSettings(anthropic=True), clock=lambda: now[0])
    kwargs = {"system": SYSTEM, "messages": HISTORY}

    def marked() -> bool:
        return bool(_markers({"messages": cache.anthropic(dict(kwargs), "claude-sonnet-4-5")["messages"]}))

    seen = []
    for _ in range(6):  # every send 10 minutes after the last: never a hit within 5 minutes
        seen.append(marked())
        now[0] += 600
    assert seen == [True, True, True, False, False, False]
    warm = PromptCache(CacheSettings(anthropic=True), clock=lambda: now[0])
    kwargs["system"] = SYSTEM + " Other handbook."
    hot = []
    for _ in range(6):  # a minute apart: hits
        hot.append(
            bool(_markers({"messages": warm.anthropic(dict(kwargs), "claude-sonnet-4-5")["messages"]}))
        )
        now[0] += 60
    assert hot == [True] * 6


def test_the_break_even_depends_on_the_cache_lifetime() -> None:
    """A 5-minute write costs 0.25x more, a 1-hour write 1x more, a hit saves 0.9x: a prefix whose sends
    are 40 % hits pays for the 5-minute cache (break-even ~22 %) and not for the 1-hour one (~53 %)."""
    assert break_even("5m") == pytest.approx(0.25 / 1.15)
    assert break_even("1h") == pytest.approx(1.0 / 1.9)
    kwargs = {"system": SYSTEM, "messages": HISTORY}
    for ttl, expected in (("5m", True), ("1h", False)):
        now = [0.0]
        cache = PromptCache(CacheSettings(anthropic=True, ttl=ttl), clock=lambda now=now: now[0])
        seen = []
        for gap in [7200, 60, 7200, 60, 7200, 7200, 60, 7200, 60, 7200]:  # 4 hits in 10 sends
            seen.append(bool(_markers({"messages": cache.anthropic(dict(kwargs), SONNET)["messages"]})))
            now[0] += gap
        assert seen[-1] is expected, ttl


def test_anthropic_minimums_follow_the_vendors_table() -> None:
    assert [anthropic_minimum(m) for m in ("claude-haiku-4-5", "claude-opus-4-5", "claude-opus-4-6")] == [
        4096
    ] * 3
    assert (
        anthropic_minimum("claude-3-5-haiku-20241022") == anthropic_minimum("claude-3-haiku-20240307") == 2048
    )
    assert anthropic_minimum("claude-sonnet-4-5") == anthropic_minimum("claude-opus-4-1") == 1024


def test_a_system_prompt_whose_start_keeps_changing_is_reported_once() -> None:
    """A timestamp at the top of a long system prompt defeats the cache: one warning says so."""
    cache = PromptCache(CacheSettings())
    requests = [{"system": f"Now: 12:0{minute}. " + SYSTEM, "messages": HISTORY} for minute in range(3)]
    cache.anthropic(requests[0], SONNET)
    with pytest.warns(frugal.FrugalWarning, match="start of a system prompt changes"):
        cache.anthropic(requests[1], SONNET)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cache.anthropic(requests[2], SONNET)  # once only
