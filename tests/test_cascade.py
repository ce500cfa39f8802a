"""Cascade routes through the real client and the stub: escalation, checks, judge, ceilings, spans, ledger."""

from __future__ import annotations

import inspect
import json
from pathlib import Path
from typing import Any

import anthropic
import openai
import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

import frugal
from frugal.exceptions import ConfigError, FrugalWarning
from frugal.testing import Reply, ToolCall, Usage, VendorStub

from .calls import settle
from .conftest import POLICIES, vendor_options

CASCADE = POLICIES / "cascade.yaml"
HELLO = [{"role": "user", "content": "What is the capital of France?"}]
CUT = Reply(text="The capital", stop_reason="length", usage=Usage(input_tokens=100, output_tokens=50))
GOOD = Reply(text="Paris.", usage=Usage(input_tokens=100, output_tokens=20))


@pytest.fixture(params=["sync", "async"])
async def cascading(request: pytest.FixtureRequest, stub: VendorStub, provider: TracerProvider) -> Any:
    """A sync or async client with the cascade test policy, a memory ledger and real SDK spans."""
    options = vendor_options(stub, policy=CASCADE, tracer_provider=provider, ledger="memory://")
    del options["max_retries"]  # the policy's retries (1, no backoff) apply
    if request.param == "sync":
        with frugal.Client(**options) as c:  # type: ignore[arg-type]
            yield c
    else:
        async with frugal.AsyncClient(**options) as c:  # type: ignore[arg-type]
            yield c


def call_span(exporter: InMemorySpanExporter) -> Any:
    (span,) = [s for s in exporter.get_finished_spans() if s.kind == SpanKind.INTERNAL]
    return span


def attempt_spans(exporter: InMemorySpanExporter) -> list[Any]:
    return sorted(
        (s for s in exporter.get_finished_spans() if s.kind == SpanKind.CLIENT), key=lambda s: s.start_time
    )


async def test_a_good_cheap_answer_stops_the_cascade(cascading: Any, stub: VendorStub) -> None:
    """The cheapest tier answers first, whatever the classifier says; a passing answer is returned at once."""
    stub.reply("small-text", GOOD)
    with cascading.with_context(score=0.95):  # the classifier alone would pick `large`
        result = await settle(cascading.chat.completions.create(model="auto", messages=HELLO))
    assert result.model == "small-text"
    assert [r.model for r in stub.requests] == ["small-text"]
    (record,) = cascading.ledger.records()
    assert (record.tier, record.escalations, record.attempts) == ("small", 0, 1)


async def test_a_failing_answer_escalates_and_every_attempt_is_paid(
    cascading: Any, stub: VendorStub, exporter: InMemorySpanExporter
) -> None:
    """A cut-off answer escalates one tier; spans and the ledger show the step, the cost counts both."""
    stub.reply("small-text", CUT)
    stub.reply("medium-a", GOOD)
    result = await settle(cascading.chat.completions.create(model="auto", messages=HELLO))
    assert (result.model, result.choices[0].message.content) == ("medium-a", "Paris.")
    assert [r.model for r in stub.requests] == ["small-text", "medium-a"]

    span = call_span(exporter)
    (event,) = [e for e in span.events if e.name == "frugal.cascade.escalated"]
    assert event.attributes["frugal.cascade.from_model"] == "small-text"
    assert event.attributes["frugal.cascade.reason"] == "finish_reason: cut short (length)"
    assert event.attributes["frugal.route.tier"] == "medium"
    assert span.attributes["frugal.cascade.escalations"] == 1
    assert (span.attributes["frugal.route.model"], span.attributes["frugal.route.tier"]) == (
        "medium-a",
        "medium",
    )
    first, second = attempt_spans(exporter)
    assert "frugal.cascade.step" not in first.attributes
    assert second.attributes["frugal.cascade.step"] == 1
    attempt_costs = first.attributes["frugal.cost.usd"] + second.attributes["frugal.cost.usd"]
    # small-text: 100 in x $0.1 + 50 out x $0.4 per Mtok; medium-a: 100 x $1 + 20 x $4.
    assert attempt_costs == pytest.approx((100 * 0.1 + 50 * 0.4 + 100 * 1.0 + 20 * 4.0) / 1e6)
    assert span.attributes["frugal.cost.usd"] == pytest.approx(attempt_costs)

    (record,) = cascading.ledger.records()
    assert (record.model, record.tier, record.escalations, record.attempts) == ("medium-a", "medium", 1, 2)
    assert record.cost_usd == span.attributes["frugal.cost.usd"]


async def test_when_every_tier_fails_the_last_answer_stands(cascading: Any, stub: VendorStub) -> None:
    """The cascade climbs to the strongest tier; its answer is returned even if it fails the checks."""
    stub.reply(None, CUT)
    result = await settle(cascading.chat.completions.create(model="auto", messages=HELLO))
    assert result.model == "large-a"
    assert result.choices[0].finish_reason == "length"
    assert [r.model for r in stub.requests] == ["small-text", "medium-a", "large-a"]
    (record,) = cascading.ledger.records()
    assert record.escalations == 2


async def test_savings_are_measured_against_the_routed_baseline(cascading: Any, stub: VendorStub) -> None:
    """Each step is decided within its tier, but the call's baseline is the routed one (the strongest
    tier's model): a cascade that stops low saves, one that climbs pays for every step."""
    stub.reply("small-text", GOOD)
    await settle(cascading.chat.completions.create(model="auto", messages=HELLO))
    stub.reply("small-text", CUT)
    stub.reply("medium-a", GOOD)
    await settle(cascading.chat.completions.create(model="auto", messages=HELLO))
    stopped, climbed = cascading.ledger.records()
    # large-a ($5/$20 per Mtok) on each call's tokens: 100 in, 20 out; then 100 + 100 in, 50 + 20 out.
    assert stopped.baseline_cost_usd == pytest.approx((100 * 5.0 + 20 * 20.0) / 1e6)
    assert stopped.savings_usd == pytest.approx(stopped.baseline_cost_usd - stopped.cost_usd)
    assert stopped.savings_usd > 0
    assert climbed.baseline_cost_usd == pytest.approx((200 * 5.0 + 70 * 20.0) / 1e6)


async def test_reservation_covers_every_step(cascading: Any, stub: VendorStub) -> None:
    """A budget reserves what all the steps could cost together, so escalations cannot overshoot it."""
    stub.reply(None, GOOD)
    await settle(cascading.chat.completions.create(model="auto", messages=HELLO, max_tokens=100))
    (record,) = cascading.ledger.records()
    # 30 characters -> 8 input tokens, 100 output tokens (max_tokens) on each step, at the policy's prices:
    # small-text $0.1/$0.4, medium-a $1/$4, large-a $5/$20 per million tokens.
    steps = [8 * 0.1 + 100 * 0.4, 8 * 1.0 + 100 * 4.0, 8 * 5.0 + 100 * 20.0]
    assert record.estimated_cost_usd == pytest.approx(sum(steps) / 1e6)


async def test_a_ceiling_ends_the_cascade(cascading: Any, stub: VendorStub) -> None:
    """A concrete requested model is a ceiling for the cascade too: no step goes above it."""
    stub.reply(None, CUT)
    await settle(cascading.chat.completions.create(model="medium-a", messages=HELLO))
    assert [r.model for r in stub.requests] == ["small-text", "medium-a"]


async def test_a_rule_cap_ends_the_cascade(cascading: Any, stub: VendorStub) -> None:
    """A rule's max_tier caps escalation: autocomplete calls never reach the large tier."""
    stub.reply(None, CUT)
    with cascading.with_context(feature="autocomplete-v2"):
        await settle(cascading.chat.completions.create(model="auto", messages=HELLO))
    assert [r.model for r in stub.requests] == ["small-text", "medium-a"]


async def test_vendor_errors_on_a_step_escalate(cascading: Any, stub: VendorStub) -> None:
    """When a step's whole chain fails with retryable errors, the cascade moves up instead of failing."""
    stub.fail("small-text", 503, times=2, retry_after=0)
    stub.fail("small-vision", 503, times=2, retry_after=0)
    stub.reply("medium-a", GOOD)
    result = await settle(cascading.chat.completions.create(model="auto", messages=HELLO))
    assert result.model == "medium-a"
    assert [r.model for r in stub.requests] == ["small-text"] * 2 + ["small-vision"] * 2 + ["medium-a"]
    (record,) = cascading.ledger.records()
    assert (record.escalations, record.outcome) == (1, "ok")


async def test_a_fatal_error_is_raised_unchanged(cascading: Any, stub: VendorStub) -> None:
    """A 400 is not escalated: the vendor's own exception reaches the caller."""
    stub.fail("small-text", 400)
    with pytest.raises(openai.BadRequestError):
        await settle(cascading.chat.completions.create(model="auto", messages=HELLO))
    assert [r.model for r in stub.requests] == ["small-text"]


async def test_the_last_error_is_raised_when_every_tier_fails(cascading: Any, stub: VendorStub) -> None:
    """Errors on every tier: the last vendor exception is raised, its type unchanged."""
    stub.fail(None, 429, times=20, retry_after=0)
    with pytest.raises(openai.RateLimitError):
        await settle(cascading.chat.completions.create(model="auto", messages=HELLO))
    assert {r.model for r in stub.requests} == {"small-text", "small-vision", "medium-a", "large-a"}
    (record,) = cascading.ledger.records()
    assert (record.outcome, record.error_type, record.escalations) == ("error", "RateLimitError", 2)


async def test_invalid_structured_output_escalates(cascading: Any, stub: VendorStub) -> None:
    """An answer that breaks the requested JSON schema escalates; a conforming one is returned."""
    stub.reply("small-text", Reply(text='{"city": 3}'))
    stub.reply("medium-a", Reply(text='{"city": "Paris"}'))
    schema = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
    result = await settle(
        cascading.chat.completions.create(
            model="auto",
            messages=HELLO,
            response_format={"type": "json_schema", "json_schema": {"name": "city", "schema": schema}},
        )
    )
    assert json.loads(result.choices[0].message.content) == {"city": "Paris"}
    assert [r.model for r in stub.requests] == [
        "small-vision",
        "medium-a",
    ]  # small-text lacks structured output


async def test_invalid_tool_arguments_escalate(cascading: Any, stub: VendorStub) -> None:
    """A tool call whose arguments break the tool's schema escalates."""
    tools = [
        {
            "type": "function",
            "function": {
                "name": "weather",
                "parameters": {
                    "type": "object",
                    "properties": {"city": {"type": "string"}},
                    "required": ["city"],
                },
            },
        }
    ]
    stub.reply("small-vision", Reply(text=None, tool_calls=[ToolCall("weather", {"town": "Paris"})]))
    stub.reply("medium-a", Reply(text=None, tool_calls=[ToolCall("weather", {"city": "Paris"})]))
    result = await settle(cascading.chat.completions.create(model="auto", messages=HELLO, tools=tools))
    assert json.loads(result.choices[0].message.tool_calls[0].function.arguments) == {"city": "Paris"}
    assert [r.model for r in stub.requests] == ["small-vision", "medium-a"]


async def test_an_anthropic_shaped_call_cascades_across_vendors(cascading: Any, stub: VendorStub) -> None:
    """messages.create on an OpenAI model: the translated answer's max_tokens stop reason escalates."""
    stub.reply("small-text", CUT)
    stub.reply("medium-a", GOOD)
    result = await settle(cascading.messages.create(model="auto", max_tokens=100, messages=HELLO))
    assert type(result) is anthropic.types.Message
    assert result.content[0].text == "Paris."
    assert [r.model for r in stub.requests] == ["small-text", "medium-a"]


async def test_user_check_escalates_and_a_raising_check_accepts(cascading: Any, stub: VendorStub) -> None:
    """The policy's own check escalates hedged answers; a check that raises accepts, warning once."""
    stub.reply("small-text", Reply(text="maybe Paris"))
    stub.reply("medium-a", GOOD)
    result = await settle(cascading.chat.completions.create(model="checked", messages=HELLO))
    assert result.model == "medium-a"
    stub.reset()
    stub.reply("small-text", Reply(text="crash"))
    with pytest.warns(FrugalWarning, match="answer check raised RuntimeError"):
        result = await settle(cascading.chat.completions.create(model="checked", messages=HELLO))
    assert result.model == "small-text"


async def test_judge_rates_answers_and_its_cost_is_counted(
    cascading: Any, stub: VendorStub, exporter: InMemorySpanExporter
) -> None:
    """A low rating escalates, a high one accepts; the judge's calls are attempts, paid and marked."""
    stub.reply("small-text", GOOD)
    stub.reply("medium-a", GOOD)
    stub.queue("small-anthropic", Reply(text="3", usage=Usage(input_tokens=60, output_tokens=1)))
    stub.queue("small-anthropic", Reply(text="9", usage=Usage(input_tokens=60, output_tokens=1)))
    result = await settle(cascading.chat.completions.create(model="judged", messages=HELLO))
    assert result.model == "medium-a"
    assert [(r.vendor, r.model) for r in stub.requests] == [
        ("openai", "small-text"),
        ("anthropic", "small-anthropic"),
        ("openai", "medium-a"),
        ("anthropic", "small-anthropic"),
    ]
    judge_request = stub.requests[1].body
    assert "What is the capital of France?" in judge_request["messages"][0]["content"]
    assert "Paris." in judge_request["messages"][0]["content"]
    attempts = attempt_spans(exporter)
    assert [a.attributes["gen_ai.request.model"] for a in attempts] == [
        "small-text",
        "small-anthropic",
        "medium-a",
        "small-anthropic",
    ]
    span = call_span(exporter)
    (event,) = [e for e in span.events if e.name == "frugal.cascade.escalated"]
    assert event.attributes["frugal.cascade.reason"] == "judge: rated 0.3 < 0.6"
    assert span.attributes["frugal.attempts"] == 4
    assert span.attributes["frugal.cost.usd"] == pytest.approx(
        sum(a.attributes["frugal.cost.usd"] for a in attempts)
    )


async def test_a_failing_judge_accepts_the_answer(cascading: Any, stub: VendorStub) -> None:
    """A judge that cannot be reached does not fail the call: the answer is accepted, with a warning."""
    stub.reply("small-text", GOOD)
    stub.fail("small-anthropic", 500, times=10, retry_after=0)
    with pytest.warns(FrugalWarning, match="judge call failed"):
        result = await settle(cascading.chat.completions.create(model="judged", messages=HELLO))
    assert result.model == "small-text"


async def test_start_at_the_classifier_tier_with_max_steps(cascading: Any, stub: VendorStub) -> None:
    """start: classifier begins where the classifier points; max_steps bounds the climb."""
    stub.reply(None, CUT)
    with cascading.with_context(score=0.5):
        await settle(cascading.chat.completions.create(model="from-classifier", messages=HELLO))
    assert [r.model for r in stub.requests] == ["medium-a", "large-a"]
    stub.reset()
    stub.reply(None, CUT)
    with cascading.with_context(score=0.1):
        await settle(cascading.chat.completions.create(model="from-classifier", messages=HELLO))
    assert [r.model for r in stub.requests] == ["small-text", "medium-a"]  # two steps at most


async def test_plain_routes_and_streams_do_not_cascade(cascading: Any, stub: VendorStub) -> None:
    """A route without the strategy is routed as usual; a stream is never cascaded (it is already shown)."""
    stub.reply(None, CUT)
    with cascading.with_context(score=0.1):
        await settle(cascading.chat.completions.create(model="plain", messages=HELLO))
    assert [r.model for r in stub.requests] == ["small-text"]
    stub.reset()
    stub.reply(None, CUT)
    with cascading.with_context(score=0.1):
        stream = await settle(cascading.chat.completions.create(model="auto", messages=HELLO, stream=True))
        if inspect.isasyncgen(stream) or hasattr(stream, "__aiter__"):
            chunks = [chunk async for chunk in stream]
        else:
            chunks = list(stream)
    assert chunks
    assert [r.model for r in stub.requests] == ["small-text"]


def test_route_dry_run_shows_the_first_step(stub: VendorStub) -> None:
    """client.route() on a cascade route is the classifier's decision (a dry run calls nothing)."""
    client = frugal.Client(**vendor_options(stub, policy=CASCADE))  # type: ignore[arg-type]
    with client, client.with_context(score=0.9):
        assert client.route(model="auto", messages=HELLO).tier == "large"
    assert stub.requests == []


@pytest.mark.parametrize(
    ("snippet", "expected"),
    [
        (
            "strategy: route\ncascade: {start: cheapest}\n",
            "cascade settings are only used with strategy: cascade",
        ),
        ("strategy: cascade\ncascade: {check: 'nowhere_pkg:check'}\n", "cannot import module 'nowhere_pkg'"),
        ("strategy: cascade\ncascade: {check: 'json:__name__'}\n", "is not callable"),
        (
            "strategy: cascade\ncascade: {judge: {model: gpt-5-nan}}\n",
            "unknown judge model 'gpt-5-nan'.*did you mean 'gpt-5-nano'",
        ),
        ("strategy: cascade\ncascade: {checks: [emtpy]}\n", "Input should be 'finish_reason'"),
    ],
)
def test_bad_cascade_settings_fail_at_build_time(
    tmp_path: Path, stub: VendorStub, snippet: str, expected: str
) -> None:
    """Cascade mistakes are ConfigErrors naming the policy file and line, raised when the client is built."""
    policy = tmp_path / "policy.yaml"
    policy.write_text("tiers:\n  - name: small\n    models: [gpt-5-nano]\n" + snippet, encoding="utf-8")
    with pytest.raises(ConfigError, match=expected) as caught:
        frugal.Client(**vendor_options(stub, policy=policy))  # type: ignore[arg-type]
    assert str(policy) in str(caught.value)
