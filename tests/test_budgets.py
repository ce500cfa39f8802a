"""Budgets through the real client against the stub: block, downgrade, warn, thresholds, windows,
hashed users, streams, async, unpriced models, and what the ledger records."""

from __future__ import annotations

import gc
import logging
import math
from datetime import datetime, timezone
from typing import Any

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import frugal
from frugal._context import hash_user
from frugal._tokens import count_input_tokens
from frugal.budgets import budget_status
from frugal.budgets.admission import LOG_EVERY
from frugal.exceptions import BudgetExceeded, ConfigError, FrugalWarning
from frugal.request import RoutingRequest
from frugal.testing import Reply, Usage, VendorStub

from .budget_helpers import PROMPT, TIERS, Clock, client, policy
from .helpers import count_words

USAGE = Usage(input_tokens=900, output_tokens=300)  # gpt-4.1: $0.0042; the estimate is ~$0.00515
DAY = "  - {scope: team, limit_usd: 0.01, window: day, action: block}\n"
MONDAY_NOON = datetime(2026, 11, 30, 12, 0, tzinfo=timezone.utc).timestamp()


def call(c: frugal.Client, model: str = "gpt-4.1", **extra: Any) -> Any:
    return c.chat.completions.create(**{"model": model, "messages": PROMPT, **extra})


def call_spans(exporter: InMemorySpanExporter) -> list[Any]:
    return [s for s in exporter.get_finished_spans() if s.name.startswith("frugal ")]


# -- the policy ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("budgets", "where", "message"),
    [
        ("  - {scope: team, limit_usd: 1, action: downgrade}\n", "budgets.yaml:10:5", "needs downgrade_to"),
        ("  - {scope: team, limit_usd: 0}\n", "budgets.yaml:10:30", "greater than 0"),
        ("  - {scope: team, limit_usd: 1, window: year}\n", "budgets.yaml:10:41", "'hour', 'day'"),
        ("  - {scope: team, limit_usd: 1, thresholds: [80]}\n", "budgets.yaml:10:45", "fractions"),
        ("  - {scope: team, limit: 1}\n", "budgets.yaml:10:19", "budgets.0.limit: unknown key"),
        ("  - {scope: team}\n", "budgets.yaml:10:5", "one limit: limit_usd .* or limit_calls"),
        ("  - {limit_usd: 1, limit_calls: 5}\n", "budgets.yaml:10:5", "one limit"),
        ("  - {limit_calls: 0}\n", "budgets.yaml:10:19", "limit_calls: expected an integer greater than 0"),
        ("  - {limit_usd: 1}\n  - {limit_usd: 2}\n", "budgets.yaml:10:3", "must be unique"),
    ],
)
def test_bad_budgets_name_file_line_and_column(budgets: str, where: str, message: str) -> None:
    """A bad budget is a ConfigError with file:line:column and what was expected."""
    with pytest.raises(ConfigError, match=message) as caught:
        policy(budgets)
    assert str(caught.value).startswith(where), str(caught.value)


def test_bad_ledger_and_downgrade_target_are_located(tmp_path: Any) -> None:
    """An unknown ledger scheme and a downgrade_to that is neither tier nor model point at their line."""
    with pytest.raises(ConfigError, match=r"^budgets.yaml:9:9: ledger.url: .*memory://, sqlite://"):
        policy(extra="ledger: postgres://x\n")
    with pytest.raises(ConfigError, match=r"^budgets.yaml:9:9: ledger.url: .*only \?max_records=N"):
        policy(extra="ledger: memory://?max=3\n")
    file = tmp_path / "budgets.yaml"
    file.write_text(
        TIERS.format(mode="honor") + "budgets:\n  - {limit_usd: 1, action: downgrade, downgrade_to: tiny}\n"
    )
    with pytest.raises(
        ConfigError, match=r"budgets.yaml:10:53: budgets.0.downgrade_to: 'tiny' is neither a tier"
    ):
        frugal.Client(policy=file, openai={"api_key": "k"}, anthropic={"api_key": "k"})


# -- block ----------------------------------------------------------------------------------------------


def test_block_raises_before_any_vendor_request(stub: VendorStub) -> None:
    """At the limit, BudgetExceeded (scope, value, limit, spent, reset time) is raised and nothing is sent."""
    stub.reply("gpt-4.1", Reply(usage=USAGE))
    clock = Clock(MONDAY_NOON)
    c = client(stub, policy(DAY), clock=clock)
    with c.with_context(team="search"):
        call(c)
        call(c)
        with pytest.raises(BudgetExceeded) as caught:
            call(c)
    assert len(stub.requests) == 2, "the blocked call sent nothing"
    error = caught.value
    assert (error.budget, error.scope, error.value) == ("team=*/day", "team", "search")
    assert error.limit_usd == 0.01
    assert error.spent_usd == pytest.approx(2 * 0.0042)
    assert error.estimated_cost_usd is not None
    assert error.estimated_cost_usd > 0.005
    assert error.reset_at == datetime(2026, 12, 1, tzinfo=timezone.utc)
    assert isinstance(error, frugal.FrugalError)
    assert c.ledger is not None
    outcomes = [r.outcome for r in c.ledger.records()]
    assert outcomes == ["ok", "ok", "blocked"]


def test_each_scope_value_has_its_own_limit_and_unmatched_calls_are_free(stub: VendorStub) -> None:
    """Each matching team has its own limit; calls with no team, or a team the glob excludes, are free."""
    stub.reply("gpt-4.1", Reply(usage=USAGE))
    c = client(stub, policy("  - {scope: team, match: 's*', limit_usd: 0.006}\n"))
    for team in ("search", "sales"):
        with c.with_context(team=team):
            call(c)
            with pytest.raises(BudgetExceeded):
                call(c)
    for _ in range(3):
        call(c)  # no team
        with c.with_context(team="ads"):
            call(c)
    assert len(stub.requests) == 8


def test_metadata_scope_from_the_call_arguments(stub: VendorStub) -> None:
    """Any metadata key is a scope, read from the call's own metadata too."""
    stub.reply("gpt-4.1", Reply(usage=USAGE))
    c = client(stub, policy("  - {scope: tenant, limit_usd: 0.006}\n"))
    call(c, metadata={"tenant": "acme"})
    with pytest.raises(BudgetExceeded, match="tenant 'acme'"):
        call(c, metadata={"tenant": "acme"})
    call(c, metadata={"tenant": "globex"})


def test_global_and_route_scopes(stub: VendorStub) -> None:
    """A global budget counts every call; a route budget counts the calls its route decided."""
    stub.reply(None, Reply(usage=USAGE))
    routes = "routes:\n  cheap:\n    tiers: [small]\n"
    budgets = "  - {limit_usd: 0.011}\n  - {scope: route, match: cheap, limit_usd: 0.0001}\n"
    c = client(stub, policy(budgets, extra=routes))
    with pytest.raises(BudgetExceeded, match="route 'cheap'"):
        call(c, model="cheap")
    call(c)
    call(c)
    with pytest.raises(BudgetExceeded, match="for global"):
        call(c)


# -- downgrade and warn ------------------------------------------------------------------------------


def test_downgrade_caps_the_tier_at_the_limit(
    stub: VendorStub, exporter: InMemorySpanExporter, provider: Any
) -> None:
    """Past a downgrade budget's limit, the call is decided again with the cap: a cheaper model serves it."""
    stub.reply(None, Reply(usage=USAGE))
    budgets = "  - {scope: feature, limit_usd: 0.006, action: downgrade, downgrade_to: small}\n"
    chosen = policy(budgets, mode="ceiling", extra="classifier: {name: 'tests.helpers:MetadataScore'}\n")
    c = client(stub, chosen, tracer_provider=provider)
    with c.with_context(feature="chat", score=0.9):
        first = call(c)
        second = call(c)
        third = call(c)
    assert [first.model, second.model, third.model] == ["gpt-4.1", "gpt-4o-mini", "gpt-4o-mini"]
    assert c.ledger is not None
    records = c.ledger.records()
    assert [r.downgraded for r in records] == [None, "feature=*/day", "feature=*/day"]
    assert [r.tier for r in records] == ["large", "small", "small"]
    assert records[1].savings_usd == records[1].baseline_cost_usd - records[1].cost_usd  # type: ignore[operator]
    assert records[1].baseline_cost_usd == records[0].cost_usd, "savings against the uncapped baseline"
    [event] = [e for e in call_spans(exporter)[1].events if e.name == "frugal.budget.downgraded"]
    assert (event.attributes or {})["frugal.route.model"] == "gpt-4o-mini"


def test_downgrade_to_a_model_in_an_honour_policy(stub: VendorStub) -> None:
    """downgrade_to may name a model: an honoured call is pinned to it past the limit."""
    stub.reply(None, Reply(usage=USAGE))
    budgets = "  - {limit_usd: 0.006, action: downgrade, downgrade_to: gpt-4o-mini}\n"
    c = client(stub, policy(budgets))
    assert [call(c).model for _ in range(3)] == ["gpt-4.1", "gpt-4o-mini", "gpt-4o-mini"]


def test_warn_serves_over_the_limit_and_says_so(
    stub: VendorStub, exporter: InMemorySpanExporter, provider: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """A warn budget never blocks: over the limit it warns once per window, marks every span, and logs one
    line a minute (with the count of the calls it did not log), not one per call."""
    stub.reply("gpt-4.1", Reply(usage=USAGE))
    clock = Clock(MONDAY_NOON)
    budgets = "  - {scope: user, limit_usd: 0.006, action: warn}\n"
    c = client(stub, policy(budgets), tracer_provider=provider, clock=clock)
    with c.with_context(user="ann"), caplog.at_level(logging.WARNING, "frugal.budgets"):
        call(c)
        with pytest.warns(FrugalWarning, match="over the limit; action warn"):
            call(c)
        call(c)
        call(c)
        clock.now += LOG_EVERY
        call(c)
    assert len(stub.requests) == 5
    lines = [m for m in caplog.messages if "over the limit" in m]
    assert len(lines) == 2, lines
    assert "more since" not in lines[0]
    assert lines[1].endswith("(2 more since the last line)")
    over = [e for s in call_spans(exporter) for e in s.events if e.name == "frugal.budget.over_limit"]
    assert len(over) == 4, "every call over the limit marks its span"


def test_soft_thresholds_are_span_events_and_log_lines(
    stub: VendorStub, exporter: InMemorySpanExporter, provider: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """Each threshold is reported once, by the call whose reservation crossed it."""
    stub.reply("gpt-4.1", Reply(usage=USAGE))
    budgets = "  - {scope: team, limit_usd: 0.02, thresholds: [0.25, 0.5]}\n"
    c = client(stub, policy(budgets), tracer_provider=provider)
    with c.with_context(team="search"), caplog.at_level(logging.WARNING, "frugal.budgets"):
        for _ in range(3):
            call(c)
    events = [
        [(e.name, (e.attributes or {}).get("frugal.budget.threshold")) for e in s.events]
        for s in call_spans(exporter)
    ]
    # Spend before each call: $0, $0.0042, $0.0084; each reservation adds the $0.00515 estimate. The second
    # crosses 25% again (the first call gave back its over-reservation): reported once per window.
    assert events == [[("frugal.budget.threshold", 0.25)], [], [("frugal.budget.threshold", 0.5)]]
    assert [m for m in caplog.messages if "reached" in m] == [
        "frugal budget 'team=*/day' for team 'search': 25% of $0.020000 reached ($0.005150)",
        "frugal budget 'team=*/day' for team 'search': 50% of $0.020000 reached ($0.013550)",
    ]


# -- windows -----------------------------------------------------------------------------------------


def test_calendar_window_rolls_over_at_midnight_utc(stub: VendorStub) -> None:
    """Blocked late on one day, the same calls go through just after midnight (injected clock)."""
    stub.reply("gpt-4.1", Reply(usage=USAGE))
    clock = Clock(datetime(2026, 11, 30, 23, 59, tzinfo=timezone.utc).timestamp())
    c = client(stub, policy(DAY), clock=clock)
    with c.with_context(team="search"):
        call(c)
        call(c)
        with pytest.raises(BudgetExceeded):
            call(c)
        clock.now += 60
        call(c)
        call(c)
        with pytest.raises(BudgetExceeded) as caught:
            call(c)
    assert caught.value.reset_at == datetime(2026, 12, 2, tzinfo=timezone.utc)
    assert c.ledger is not None
    days = [datetime.fromtimestamp(r.time, timezone.utc).day for r in c.ledger.records()]
    assert days == [30, 30, 30, 1, 1, 1], "each record carries the clock of its call"


def test_rolling_window_lets_spend_roll_off_bucket_by_bucket(stub: VendorStub) -> None:
    """A rolling hour counts the last 60 one-minute buckets: a call an hour later finds room again."""
    stub.reply("gpt-4.1", Reply(usage=USAGE))
    clock = Clock(MONDAY_NOON)
    c = client(stub, policy("  - {limit_usd: 0.01, window: hour, rolling: true}\n"), clock=clock)
    call(c)
    clock.now += 30 * 60
    call(c)
    with pytest.raises(BudgetExceeded) as caught:
        call(c)
    assert caught.value.reset_at.timestamp() == MONDAY_NOON + 31 * 60, "the next bucket boundary"
    clock.now += 30 * 60 - 1  # the first call's minute is still in the window
    with pytest.raises(BudgetExceeded):
        call(c)
    clock.now += 60  # now it has rolled off
    call(c)


def test_week_and_month_windows_reset_on_their_calendar(stub: VendorStub) -> None:
    """A week resets on Monday 00:00 UTC, a month on the 1st."""
    stub.reply("gpt-4.1", Reply(usage=USAGE))
    budgets = "  - {limit_usd: 0.001, window: week}\n  - {limit_usd: 0.001, window: month, name: m}\n"
    clock = Clock(datetime(2026, 12, 3, tzinfo=timezone.utc).timestamp())
    c = client(stub, policy(budgets), clock=clock)
    with pytest.raises(BudgetExceeded) as caught:
        call(c)
    assert caught.value.reset_at == datetime(2026, 12, 7, tzinfo=timezone.utc)
    c2 = client(stub, policy("  - {limit_usd: 0.001, window: month}\n"), clock=clock)
    with pytest.raises(BudgetExceeded) as caught:
        call(c2)
    assert caught.value.reset_at == datetime(2027, 1, 1, tzinfo=timezone.utc)


# -- what the ledger records --------------------------------------------------------------------------


def test_record_fields_no_text_and_hashed_users(stub: VendorStub, provider: Any, exporter: Any) -> None:
    """A record has who, models, tokens, cost, baseline, savings, outcome, latency, trace id; never text;
    users hashed when the policy says so (in the record, the counters and the error)."""
    stub.reply(
        None,
        Reply(text="the SECRET answer", usage=Usage(900, 300, cache_read_tokens=100, reasoning_tokens=50)),
    )
    chosen = policy("  - {scope: user, limit_usd: 0.006}\n", mode="ceiling", extra="hash_user_ids: true\n")
    c = client(stub, chosen, tracer_provider=provider)
    secret = [{"role": "user", "content": "the SECRET prompt " * 200}]
    with c.with_context(user="ann@example.com", team="search", feature="summary"):
        c.chat.completions.create(model="gpt-4.1", messages=secret)
        with pytest.raises(BudgetExceeded) as caught:
            c.chat.completions.create(model="gpt-4.1", messages=secret)
    assert caught.value.value == hash_user("ann@example.com")
    assert c.ledger is not None
    first = c.ledger.records()[0]
    span = call_spans(exporter)[0]
    attributes = span.attributes or {}
    assert first.user == hash_user("ann@example.com")
    assert (first.team, first.feature, first.route, first.operation) == (
        "search",
        "summary",
        "default",
        "chat",
    )
    assert (first.requested_model, first.model, first.provider) == ("gpt-4.1", "gpt-4.1", "openai")
    assert (first.input_tokens, first.output_tokens, first.cache_read_tokens, first.reasoning_tokens) == (
        900,
        300,
        100,
        50,
    )
    assert first.cost_usd == attributes["frugal.cost.usd"]
    assert first.baseline_cost_usd == attributes["frugal.cost.baseline_usd"]
    assert first.savings_usd == attributes["frugal.savings.usd"] == 0.0
    assert first.trace_id == format(span.context.trace_id, "032x")
    assert first.latency_s > 0
    assert first.attempts == 1
    assert first.outcome == "ok"
    dumped = repr([r.to_dict() for r in c.ledger.records()]) + repr(c.ledger.counters())
    assert "SECRET" not in dumped
    assert "ann@" not in dumped


def test_premium_model_asked_for_a_simple_prompt_is_marked(stub: VendorStub) -> None:
    """A call whose requested model's tier is above the tier routing chose is marked routed_down."""
    stub.reply(None, Reply(usage=Usage(20, 10)))
    c = client(stub, policy(mode="ceiling", extra="ledger: memory://\n"))
    c.chat.completions.create(model="gpt-4.1", messages=[{"role": "user", "content": "hi"}])
    c.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
    assert c.ledger is not None
    records = c.ledger.records()
    assert [(r.requested_tier, r.tier, r.routed_down) for r in records] == [
        ("large", "small", True),
        ("small", "small", False),
    ]
    assert records[0].savings_usd is not None
    assert records[0].savings_usd > 0


def test_failed_call_settles_its_reservation(stub: VendorStub) -> None:
    """A call that fails releases its reservation: the record says error and the spend is what was used."""
    from frugal.testing import Fault

    stub.reply("gpt-4.1", Reply(usage=USAGE))
    stub.queue("gpt-4.1", Fault.status(400))
    c = client(stub, policy(DAY), clock=Clock(MONDAY_NOON))  # one day window, whenever the test runs
    with c.with_context(team="search"):
        with pytest.raises(Exception, match="400"):
            call(c)
        call(c)
        call(c)
    assert c.ledger is not None
    assert [r.outcome for r in c.ledger.records()] == ["error", "ok", "ok"]
    assert next(r.error_type for r in c.ledger.records()) == "BadRequestError"
    budgets = c._setup.budgets
    assert budgets is not None
    [status] = budget_status(budgets.budgets, c.ledger, budgets.clock())
    assert status.spent_usd == pytest.approx(2 * 0.0042)


def test_unpriced_model_reserves_nothing_or_blocks(
    stub: VendorStub, caplog: pytest.LogCaptureFixture
) -> None:
    """A model with no known price reserves $0 with a warning (cost None, never 0), or is blocked if asked."""
    stub.reply(None, Reply(usage=USAGE))
    extra = "models:\n  house-model: {provider: openai, prices: {input: 1}}\n"
    c = client(stub, policy("  - {limit_usd: 0.001}\n", extra=extra))
    with caplog.at_level(logging.WARNING, "frugal.budgets"):
        with pytest.warns(FrugalWarning, match="no price known"):
            call(c, model="house-model")
        call(c, model="house-model")
    assert any("house-model has no known price" in m for m in caplog.messages)
    assert c.ledger is not None
    assert [r.cost_usd for r in c.ledger.records()] == [None, None]
    strict = client(stub, policy("  - {limit_usd: 0.001, unpriced: block}\n", extra=extra))
    with pytest.raises(BudgetExceeded, match="the price of house-model is unknown"):
        call(strict, model="house-model")  # (the warning was shown once for this process already)
    assert len(stub.requests) == 2


@pytest.mark.parametrize("exported", [False, True])
def test_a_settled_call_keeps_nothing_of_its_telemetry_alive(
    stub: VendorStub, exporter: InMemorySpanExporter, provider: Any, exported: bool
) -> None:
    """Once a call is settled, nothing of it but its record is kept: no plan, account, span observer or
    settlement stays alive, and none made a reference cycle (all are freed with the garbage collector
    off)."""
    from frugal._plan import CallPlan
    from frugal.accounting import CallAccount
    from frugal.budgets.settlement import Settlement
    from frugal.telemetry import CallSpans

    options = {"tracer_provider": provider} if exported else {}
    c = client(stub, policy(extra="ledger: memory://\n"), **options)
    call(c)  # warm up
    gc.collect()
    gc.disable()
    try:
        for _ in range(5):
            call(c)
        kinds = (CallPlan, CallAccount, CallSpans, Settlement)
        alive = [type(o).__name__ for o in gc.get_objects() if isinstance(o, kinds)]
    finally:
        gc.enable()
    assert alive == []
    assert c.ledger is not None
    records = c.ledger.records()
    assert len(records) == 6
    spans = call_spans(exporter)
    assert [r.trace_id for r in records] == (
        [format(s.context.trace_id, "032x") for s in spans] if exported else [None] * 6
    )


def test_embeddings_are_estimated_and_recorded(stub: VendorStub) -> None:
    """An unrouted embeddings call is estimated from its input and recorded."""
    c = client(stub, policy(extra="ledger: memory://\n"))
    c.embeddings.create(model="text-embedding-3-small", input=["hello world", "again"])
    assert c.ledger is not None
    [record] = c.ledger.records()
    assert record.operation == "embeddings"
    assert record.estimated_cost_usd is not None
    assert record.estimated_cost_usd > 0


@pytest.mark.parametrize(
    ("extra", "content", "tools"),
    [
        ("", "日本語で四半期報告書を要約してください。" * 40, None),  # 3 bytes a character
        (
            "",
            "Summarise the report. " * 40,
            [{"type": "function", "function": {"name": "f", "parameters": {}}}],
        ),
        ("token_counter: tests.helpers:count_words\n", "Summarise the report. " * 40, None),
    ],
    ids=["non-ascii", "tools", "token-counter"],
)
def test_unrouted_estimate_counts_tokens_as_the_router_does(
    stub: VendorStub, extra: str, content: str, tools: Any
) -> None:
    """The reservation of an honoured call uses the request view's token count: UTF-8 bytes, tool
    definitions and the policy's token counter, as a routed call's estimate does."""
    c = client(stub, policy(DAY, extra=extra))
    messages = [{"role": "user", "content": content}]
    with c.with_context(team="search"):
        call(c, messages=messages, **({"tools": tools} if tools else {}))
    assert c.ledger is not None
    [record] = c.ledger.records()
    params: dict[str, Any] = {"model": "gpt-4.1", "messages": messages, **({"tools": tools} if tools else {})}
    request = RoutingRequest.from_call("chat", params, {})
    if extra:
        request = count_input_tokens(request, count_words, "tests.helpers:count_words")
        assert request.estimated_input_tokens == 3 * 40  # "Summarise the report." is 3 words
    router = c._setup.router
    expected = router.catalog.estimate(router.place("gpt-4.1").info, request.estimated_input_tokens, 400)
    assert record.estimated_cost_usd == pytest.approx(expected, rel=1e-9)


# -- streams and async ---------------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["end", "close", "abandon"])
def test_stream_records_once_when_it_ends(stub: VendorStub, provider: Any, exporter: Any, how: str) -> None:
    """A stream's record is written when it ends, is closed or is abandoned, with the span's cost."""
    stub.reply("gpt-4.1", Reply(text="one two three four", usage=USAGE))
    c = client(stub, policy(DAY), tracer_provider=provider)
    assert c.ledger is not None
    with c.with_context(team="search"):
        stream = call(c, stream=True)
        assert c.ledger.records() == []
        if how == "end":
            list(stream)
        elif how == "close":
            next(iter(stream))
            stream.close()
        else:
            next(iter(stream))
            del stream
            gc.collect()
    [record] = c.ledger.records()
    [span] = call_spans(exporter)
    assert record.outcome == {"end": "ok", "close": "abandoned", "abandon": "abandoned"}[how]
    assert record.cost_usd == (span.attributes or {}).get("frugal.cost.usd")
    if how == "end":
        assert record.cost_usd == pytest.approx(0.0042)


def test_stream_without_sdk_still_records_its_usage(stub: VendorStub) -> None:
    """With no OpenTelemetry SDK a stream is still observed for the ledger (usage chunk asked for, hidden)."""
    stub.reply("gpt-4.1", Reply(text="hello", usage=USAGE))
    c = client(stub, policy(DAY))
    with c.with_context(team="search"):
        chunks = list(call(c, stream=True))
    assert all(chunk.choices for chunk in chunks), "the usage chunk frugal asked for stays hidden"
    assert c.ledger is not None
    assert c.ledger.records()[0].cost_usd == pytest.approx(0.0042)


async def test_async_client_blocks_and_records_like_the_sync_one(stub: VendorStub, tmp_path: Any) -> None:
    """The async client (SQLite ledger, awaited in a worker thread) reserves, blocks and records the same."""
    stub.reply("gpt-4.1", Reply(usage=USAGE))
    ledger = f"sqlite:///{tmp_path}/l.db"
    async with client(stub, policy(DAY), frugal.AsyncClient, ledger=ledger, clock=Clock(MONDAY_NOON)) as c:
        with c.with_context(team="search"):
            await c.chat.completions.create(model="gpt-4.1", messages=PROMPT)
            stream = await c.chat.completions.create(model="gpt-4.1", messages=PROMPT, stream=True)
            async for _ in stream:
                pass
            with pytest.raises(BudgetExceeded):
                await c.chat.completions.create(model="gpt-4.1", messages=PROMPT)
        assert [r.outcome for r in c.ledger.records()] == ["ok", "ok", "blocked"]
        assert math.fsum(r.cost_usd or 0 for r in c.ledger.records()) == pytest.approx(0.0084)
    assert len(stub.requests) == 2


# -- choosing the ledger ---------------------------------------------------------------------------------


def test_no_budgets_no_ledger(stub: VendorStub) -> None:
    """Without budgets or a ledger setting nothing is recorded (and no per-call accounting happens)."""
    c = client(stub, policy())
    assert c.ledger is None
    from frugal.accounting import CallAccount

    assert c._setup.budgets is None
    assert c._setup.telemetry.observe(CallAccount("chat")) is None, "no span, no metric: nothing observes"


def test_ledger_from_the_environment_wins(
    stub: VendorStub, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """$FRUGAL_LEDGER names the ledger even when the policy names another; Client(ledger=) wins over both."""
    monkeypatch.setenv("FRUGAL_LEDGER", f"sqlite:///{tmp_path}/env.db")
    c = client(stub, policy(DAY, extra="ledger: memory://\n"))
    assert c.ledger is not None
    assert c.ledger.url.endswith("env.db")
    explicit = client(stub, policy(DAY), ledger="memory://")
    assert explicit.ledger is not None
    assert explicit.ledger.url == "memory://"


# -- the router's cap (pure) ------------------------------------------------------------------------


def test_router_cap_and_pin_from_outside_the_rules() -> None:
    """Router.decide(max_tier=, pin=) caps the tier like a rule's max_tier and pins like a rule's pin."""
    from frugal._plan import call_request
    from frugal.providers.calls import CHAT
    from frugal.routing import Routing

    from .test_routing import router

    r = router()
    params = {"model": "auto", "messages": [{"role": "user", "content": "hello"}]}
    with frugal.with_context(score=0.9):
        routing = Routing.of(r, call_request(r, CHAT, params), lambda kind: True)
        assert routing.decide().tier == "large"
        capped = routing.decide(max_tier=0)
        pinned = routing.decide(pin=r.place("medium-b"))
    assert (capped.tier, capped.model) == ("small", "small-text")
    assert capped.baseline_model == "small-text", "the router's cap bounds its baseline too"
    assert [c.model for c in pinned.chain] == ["medium-b"]
