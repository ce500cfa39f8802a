"""Runaway caps: budgets that count calls (per session, per minute), the loop detector, and output
governance (the output limit and reasoning effort a route or tier sends when the caller set none)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import frugal
import frugal.testing
from frugal.budgets.report import Period, build_report
from frugal.testing import Reply, Usage, VendorStub

from .budget_helpers import Clock, client, policy
from .calls import settle

NOON = datetime(2026, 11, 30, 12, 0, 30, tzinfo=timezone.utc).timestamp()
USAGE = Usage(input_tokens=100, output_tokens=20)


def ask(c: Any, text: str = "hello", **extra: Any) -> Any:
    return c.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": text}], **extra
    )


@pytest.fixture(params=["sync", "async"])
def cls(request: pytest.FixtureRequest) -> Any:
    return frugal.Client if request.param == "sync" else frugal.AsyncClient


async def test_a_session_call_budget_blocks_the_call_past_its_count(stub: VendorStub, cls: Any) -> None:
    """``limit_calls`` per session and minute: the third call of a session in a minute is refused
    (nothing sent, recorded as blocked); another session, or the next minute, may call again."""
    stub.reply(None, Reply(usage=USAGE))
    clock = Clock(NOON)
    budgets = "  - {scope: session, limit_calls: 2, window: minute, action: block}\n"
    c = client(stub, policy(budgets), cls=cls, clock=clock)
    with frugal.with_context(session="run-1"):
        await settle(ask(c))
        await settle(ask(c, "again"))
        with pytest.raises(frugal.BudgetExceeded, match=r"session 'run-1': 2 of 2 calls made") as refused:
            await settle(ask(c, "and again"))
    assert (refused.value.limit_calls, refused.value.calls, refused.value.limit_usd) == (2, 2, None)
    with frugal.with_context(session="run-2"):
        await settle(ask(c))
    clock.now += 60
    with frugal.with_context(session="run-1"):
        await settle(ask(c))
    assert len(stub.requests) == 4
    assert [r.outcome for r in c.ledger.records()] == ["ok", "ok", "blocked", "ok", "ok"]
    counters = c.ledger.counters("session=*/minute/calls|")
    assert sorted(counters.values()) == [1, 1, 2], "calls counted, never settled to dollars"


def test_a_call_budget_and_a_dollar_budget_count_side_by_side(stub: VendorStub) -> None:
    """A dollar budget is settled to the actual cost; a call budget beside it counts one per call."""
    stub.reply(None, Reply(usage=USAGE))
    budgets = (
        "  - {scope: team, limit_usd: 10, window: day}\n"
        "  - {scope: team, limit_calls: 100, window: hour, action: warn}\n"
    )
    c = client(stub, policy(budgets), clock=Clock(NOON))
    with frugal.with_context(team="search"):
        for _ in range(3):
            ask(c)
    counters = c.ledger.counters()
    calls = {k: v for k, v in counters.items() if "/calls|" in k}
    dollars = {k: v for k, v in counters.items() if "/calls|" not in k}
    assert list(calls.values()) == [3]
    assert sum(dollars.values()) == round(3 * sum(r.cost_usd for r in c.ledger.records()[:1]) * 1e9)


def test_a_runaway_loop_warns_then_blocks_when_told_to(stub: VendorStub, tmp_path: Any) -> None:
    """The same request again and again in one session: with ``action: warn`` a BudgetWarning at the
    caller's line and a span event from the loop on; with ``block`` the call is refused before it is sent
    and recorded as blocked. A different request, or another session, is not a loop."""
    stub.reply(None, Reply(usage=USAGE))
    warn = client(stub, policy(extra="loops: {max_repeats: 3, window_seconds: 60}\n"), clock=Clock(NOON))
    with frugal.with_context(session="agent-7"):
        ask(warn)
        ask(warn)
        with pytest.warns(
            frugal.BudgetWarning, match="the same request 3 times in 60 s in session 'agent-7'"
        ) as w:
            ask(warn)
        ask(warn, "something else")
    assert w[0].filename == __file__
    block_policy = policy(
        extra="loops: {max_repeats: 3, window_seconds: 60, action: block}\nledger: memory://\n"
    )
    block = client(stub, block_policy, clock=Clock(NOON))
    sent = len(stub.requests)
    with frugal.with_context(session="agent-8"):
        ask(block)
        ask(block)
        with pytest.raises(frugal.BudgetExceeded, match="runaway loop, refused"):
            ask(block)
    with frugal.with_context(session="agent-9"):
        ask(block)
    assert len(stub.requests) == sent + 3
    assert [r.outcome for r in block.ledger.records()] == ["ok", "ok", "blocked", "ok"]


def test_a_loop_is_an_event_on_the_call_span(
    stub: VendorStub, exporter: InMemorySpanExporter, provider: Any
) -> None:
    """The call that completes a loop carries a ``frugal.loop.detected`` event."""
    stub.reply(None, Reply(usage=USAGE))
    c = client(stub, policy(extra="loops: {max_repeats: 2}\n"), tracer_provider=provider)
    with frugal.with_context(session="s"):
        ask(c)
        with pytest.warns(frugal.BudgetWarning):
            ask(c)
    calls = [s for s in exporter.get_finished_spans() if s.name.startswith("frugal ")]
    assert [[e.name for e in s.events] for s in calls] == [[], ["frugal.loop.detected"]]


# -- output governance ---------------------------------------------------------------------------------

GOVERNED = """
name: governed
tiers:
  - name: small
    models: [gpt-4o-mini]
    max_output_tokens: 256
  - name: reasoning
    models: [o4-mini]
    reasoning_effort: low
thresholds: [0.5]
classifier: {name: tests.helpers:MetadataScore}
routes:
  terse:
    tiers: [small]
    max_output_tokens: 64
"""


def test_tiers_and_routes_set_output_limits_and_effort_only_where_the_caller_set_none(
    stub: VendorStub, tmp_path: Any
) -> None:
    """A tier's ``max_output_tokens`` (a route's wins) is sent as ``max_completion_tokens`` when the call
    has no limit of its own; a reasoning tier's ``reasoning_effort`` likewise; what the caller set stands;
    the answers cut by a limit are counted in the ledger."""
    stub.reply(None, Reply(usage=USAGE, stop_reason="length"))
    path = tmp_path / "governed.yaml"
    path.write_text(GOVERNED + "ledger: memory://\n", encoding="utf-8")
    c = frugal.Client(
        policy=path,
        openai={"api_key": "k", "base_url": stub.openai_base_url},
        anthropic={"api_key": "k", "base_url": stub.anthropic_base_url},
    )
    messages = [{"role": "user", "content": "hi"}]
    with frugal.with_context(score=0.1):
        c.chat.completions.create(model="auto", messages=messages)
        c.chat.completions.create(model="auto", messages=messages, max_tokens=1000)
        c.chat.completions.create(model="terse", messages=messages)
        c.responses.create(model="auto", input="hi")
    with frugal.with_context(score=0.9):
        c.chat.completions.create(model="auto", messages=messages)
        c.chat.completions.create(model="auto", messages=messages, reasoning_effort="high")
    bodies = [r.body or {} for r in stub.requests]
    assert [b.get("max_completion_tokens") for b in bodies[:3]] == [256, None, 64]
    assert bodies[1]["max_tokens"] == 1000, "the caller's own limit stands"
    assert bodies[3]["max_output_tokens"] == 256
    assert [b.get("reasoning_effort") for b in bodies[4:]] == ["low", "high"]
    assert "reasoning_effort" not in bodies[0], "not for a model that does not reason"
    report = build_report(c.ledger.records(), Period(0.0, 4e9))
    assert report["totals"]["cut_short"] == 6, "every answer ended by its output limit is counted"


# -- the flex tier for background work ---------------------------------------------------------------

FLEX = """
name: flex
requested_model: honor
tiers:
  - name: all
    models: [gpt-5-nano, gpt-4o-mini]
routes:
  nightly: {tiers: [all], background: true}
ledger: memory://
"""


def _flex_client(stub: VendorStub, tmp_path: Any) -> frugal.Client:
    path = tmp_path / "flex.yaml"
    path.write_text(FLEX, encoding="utf-8")
    return frugal.Client(
        policy=path,
        openai={"api_key": "k", "base_url": stub.openai_base_url},
        anthropic={"api_key": "k", "base_url": stub.anthropic_base_url},
        max_retries=0,
    )


def test_background_work_goes_to_the_flex_tier_at_flex_prices(stub: VendorStub, tmp_path: Any) -> None:
    """``with_context(priority="background")`` sends OpenAI calls whose model has a flex price with
    ``service_tier: flex`` and a long timeout, priced at the flex rate; a model without one, foreground
    work, and a caller's own tier are left alone."""
    stub.reply(None, Reply(usage=USAGE))
    c = _flex_client(stub, tmp_path)
    with frugal.with_context(priority="background"):
        c.chat.completions.create(model="gpt-5-nano", messages=HELLO)
        c.chat.completions.create(model="gpt-4o-mini", messages=HELLO)
        c.chat.completions.create(model="gpt-5-nano", messages=HELLO, service_tier="default")
    c.chat.completions.create(model="gpt-5-nano", messages=HELLO)
    bodies = [r.body or {} for r in stub.requests]
    assert [b.get("service_tier") for b in bodies] == ["flex", None, "default", None]
    timeouts = [r.headers.get("x-stainless-read-timeout") for r in stub.requests]
    assert timeouts[0] in ("900", "900.0"), "flex answers can be slow: the flex timeout is what the SDK waits"
    assert timeouts[3] not in ("900", "900.0"), "foreground work keeps the client's own timeout"
    records = c.ledger.records()
    assert [r.service_tier for r in records] == ["flex", "default", "default", "default"]
    info = c._setup.router.place("gpt-5-nano").info
    flex, standard = info.flex_rates[0], info.rates[0]
    assert records[0].cost_usd == pytest.approx(100 * flex.input + 20 * flex.output)
    assert records[3].cost_usd == pytest.approx(100 * standard.input + 20 * standard.output)
    assert records[0].cost_usd < records[3].cost_usd


def test_a_route_marked_background_uses_flex_and_falls_back_to_standard_on_429(
    stub: VendorStub, tmp_path: Any
) -> None:
    """A route with ``background: true`` sends flex; a 429 from the flex tier (capacity) is sent again at
    once on the standard tier, so the call still answers."""
    stub.queue("gpt-5-nano", frugal.testing.Fault.status(429))
    stub.reply(None, Reply(usage=USAGE))
    c = _flex_client(stub, tmp_path)
    answer = c.chat.completions.create(model="nightly", messages=HELLO)
    assert answer.model == "gpt-5-nano"
    assert [(r.body or {}).get("service_tier") for r in stub.requests] == ["flex", None]
    [record] = c.ledger.records()
    assert (record.attempts, record.service_tier) == (2, "default")


HELLO: Any = [{"role": "user", "content": "hello"}]
