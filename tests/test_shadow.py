"""Labels from the deployment's own traffic: shadow comparisons off the caller's path, cascade outcomes,
``client.feedback()``, and the label stores (memory, SQLite, Redis)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import frugal
from frugal.exceptions import ConfigError
from frugal.feedback import Label, open_labels
from frugal.feedback.compare import compare, method_for, normalize
from frugal.routing.cascade import Answer, ToolCallView
from frugal.testing import Fault, Reply, Usage, VendorStub

from .conftest import POLICIES, vendor_options
from .redis_server import RedisServer

QUESTION = [{"role": "user", "content": "What is the capital of France? Answer in one word."}]
USAGE = Usage(input_tokens=100, output_tokens=10)
POLICY = """
classifier: {{name: 'tests.helpers:MetadataScore'}}
tiers:
  - {{name: small, models: [gpt-4o-mini]}}
  - {{name: large, models: [gpt-4.1]}}
thresholds: [0.5]
ledger: memory://
shadow: {shadow}
feedback: {feedback}
"""


def _client(
    stub: VendorStub,
    tmp_path: Path,
    shadow: str = "{sample: 1.0, compare: normalized}",
    feedback: str = "{}",
    cls: Any = frugal.Client,
    **extra: Any,
) -> Any:
    path = tmp_path / "p.yaml"
    path.write_text(POLICY.format(shadow=shadow, feedback=feedback), encoding="utf-8")
    return cls(**vendor_options(stub, policy=path, **extra))


def _ask(c: frugal.Client, **params: Any) -> Any:
    with frugal.with_context(score=0.1, team="search"):
        return c.chat.completions.create(model="auto", messages=QUESTION, **params)


def test_a_routed_call_is_compared_with_its_baseline_off_the_callers_path(
    stub: VendorStub, tmp_path: Path, provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    """The caller gets the cheap model's answer while the baseline (slow here) is still answering; then
    the two are compared and the label kept: verdict, models, hashed features, no text. The shadow's cost
    is its own ledger record and span, never the call's."""
    stub.reply("gpt-4o-mini", Reply(text="Paris.", usage=USAGE))
    stub.reply("gpt-4.1", Reply(text="paris", usage=USAGE, delay=2.0))
    c = _client(stub, tmp_path, tracer_provider=provider)
    answer = _ask(c)
    assert answer.model == "gpt-4o-mini"
    assert c.labels.labels() == [], "the caller did not wait for the shadow"
    assert c.flush_shadows(timeout=30)
    (label,) = c.labels.labels()
    assert (label.source, label.good, label.method) == ("shadow", 1.0, "normalized")
    assert (label.model, label.reference_model, label.tier, label.route) == (
        "gpt-4o-mini",
        "gpt-4.1",
        "small",
        "default",
    )
    assert (label.call_id, label.team, label.score) == (answer.id, "search", 0.1)
    assert label.features["dense"]
    assert all(isinstance(w, int) for w in label.features["words"])
    assert label.prompt is None
    assert label.answer is None
    assert label.reference_answer is None
    assert "capital" not in repr(label.to_dict()), "no text kept without feedback.store_content"

    call, shadow = sorted(c.ledger.records(), key=lambda r: r.shadow_of or "")
    assert (call.model, call.shadow_of, call.response_id) == ("gpt-4o-mini", None, answer.id)
    assert (shadow.model, shadow.shadow_of) == ("gpt-4.1", answer.id)
    assert call.cost_usd == pytest.approx((100 * 0.15 + 10 * 0.6) / 1e6), "the call pays only itself"
    assert label.cost_usd == pytest.approx(shadow.cost_usd)
    names = {s.name: s for s in exporter.get_finished_spans()}
    assert names["frugal shadow chat"].attributes["frugal.shadow.of"] == answer.id
    assert "frugal.shadow.of" not in names["frugal chat"].attributes
    c.close()


def test_a_failing_shadow_never_reaches_the_caller(
    stub: VendorStub, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A shadow whose baseline fails is logged and leaves no label; the caller's call is untouched."""
    stub.reply("gpt-4o-mini", Reply(text="Paris.", usage=USAGE))
    stub.queue("gpt-4.1", Fault.status(500), Fault.status(500), Fault.status(500))
    c = _client(stub, tmp_path)
    with caplog.at_level(logging.WARNING, logger="frugal"):
        assert _ask(c).choices[0].message.content == "Paris."
        assert c.flush_shadows(timeout=30)
    assert c.labels.labels() == []
    assert "a shadow call failed (InternalServerError)" in caplog.text
    c.close()


def test_sampling_stops_when_the_shadow_budget_is_spent(stub: VendorStub, tmp_path: Path) -> None:
    """shadow.limit_usd caps what shadows spend a day: the shadow that would cross it is not sent, and no
    call is shadowed after it; the caller's calls go on."""
    stub.reply(None, Reply(text="Paris.", usage=Usage(input_tokens=1000, output_tokens=100)))
    # gpt-4.1: 1000 x $2 + 100 x $8 per Mtok = $0.0028 a shadow, reserved at its estimate first (~15
    # tokens in, 400 out: $0.0032): two fit under $0.007, a third would not.
    c = _client(stub, tmp_path, shadow="{sample: 1.0, compare: exact, limit_usd: 0.007}")
    for _ in range(5):
        _ask(c)
        c.flush_shadows(timeout=30)
    sent = [r.model for r in stub.requests]
    assert sent.count("gpt-4o-mini") == 5
    assert sent.count("gpt-4.1") == 2
    assert len(c.labels.labels()) == 2
    assert c._setup.shadowing is not None
    assert c._setup.shadowing.paused
    c.close()


def test_content_is_kept_only_when_the_policy_opts_in(stub: VendorStub, tmp_path: Path) -> None:
    stub.reply("gpt-4o-mini", Reply(text="Paris.", usage=USAGE))
    stub.reply("gpt-4.1", Reply(text="Lyon", usage=USAGE))
    c = _client(stub, tmp_path, feedback="{store_content: true}")
    _ask(c)
    c.flush_shadows(timeout=30)
    (label,) = c.labels.labels()
    assert label.good == 0.0
    assert (label.answer, label.reference_answer) == ("Paris.", "Lyon")
    assert label.prompt is not None
    assert "capital of France" in label.prompt
    c.close()


def test_a_judge_compares_free_text_and_its_cost_is_the_shadows(stub: VendorStub, tmp_path: Path) -> None:
    """compare: judge asks the judge model to rate the routed answer against the baseline's."""
    stub.reply("gpt-4o-mini", Reply(text="It is Paris, the capital.", usage=USAGE))
    stub.reply("gpt-4.1", Reply(text="Paris.", usage=USAGE))
    stub.reply("claude-haiku-4-5", Reply(text="8", usage=Usage(input_tokens=300, output_tokens=1)))
    shadow = "{sample: 1.0, compare: judge, judge: {model: claude-haiku-4-5, min_score: 0.7}}"
    c = _client(stub, tmp_path, shadow=shadow)
    _ask(c)
    c.flush_shadows(timeout=30)
    (label,) = c.labels.labels()
    assert (label.method, label.good, label.detail) == ("judge", 1.0, "rated 0.8")
    judge_request = stub.requests[-1]
    assert judge_request.model == "claude-haiku-4-5"
    text = str(judge_request.body)
    assert "Reference answer:\\nParis." in text
    assert "Candidate answer:\\nIt is Paris" in text
    shadow_cost = sum(r.cost_usd or 0 for r in c.ledger.records() if r.shadow_of)
    assert label.cost_usd == pytest.approx(shadow_cost)
    assert len([r for r in c.ledger.records() if r.shadow_of]) == 2, "baseline and judge, both shadow"
    c.close()


def test_calls_not_routed_below_their_baseline_and_streams_are_not_shadowed(
    stub: VendorStub, tmp_path: Path
) -> None:
    stub.reply(None, Reply(text="Paris.", usage=USAGE))
    c = _client(stub, tmp_path)
    with frugal.with_context(score=0.9):
        c.chat.completions.create(model="auto", messages=QUESTION)  # the baseline itself
    list(_ask(c, stream=True))
    c.flush_shadows(timeout=30)
    assert [r.model for r in stub.requests] == ["gpt-4.1", "gpt-4o-mini"]
    assert c.labels.labels() == []
    c.close()


async def test_the_async_client_shadows_in_a_task(stub: VendorStub, tmp_path: Path) -> None:
    stub.reply("gpt-4o-mini", Reply(text="Paris.", usage=USAGE))
    stub.reply("gpt-4.1", Reply(text="Paris.", usage=USAGE, delay=1.0))
    async with _client(stub, tmp_path, cls=frugal.AsyncClient) as c:
        with frugal.with_context(score=0.1, team="search"):
            answer = await c.chat.completions.create(model="auto", messages=QUESTION)
        assert c.labels.labels() == []
        assert await c.flush_shadows(timeout=30)
        (label,) = c.labels.labels()
        assert (label.good, label.call_id, label.team) == (1.0, answer.id, "search")


# -- comparisons -------------------------------------------------------------------------------------


def _answer(text: str = "", *calls: tuple[str, Any]) -> Answer:
    return Answer(text, "stop", False, tuple(ToolCallView(n, a, True) for n, a in calls))


def test_comparisons() -> None:
    assert normalize("  Paris!\n") == normalize("paris") == "paris"
    assert compare("exact", _answer("Paris"), _answer("paris")).good == 0.0
    assert compare("normalized", _answer("Paris."), _answer("paris")).good == 1.0
    assert (
        compare("json", _answer('{"a": 1, "b": [2]}'), _answer('```json\n{"b":[2],"a":1}\n```')).good == 1.0
    )
    assert compare("json", _answer("{"), _answer("{}")).detail == "not JSON"
    same = compare("tools", _answer("", ("f", {"x": 1})), _answer("", ("f", {"x": 1})))
    assert same.good == 1.0
    assert (
        compare("tools", _answer("", ("f", {"x": 1})), _answer("", ("g", {"x": 1}))).detail
        == "different tools"
    )
    assert compare("tools", _answer("", ("f", {"x": 1})), _answer("", ("f", {"x": 2}))).detail == (
        "different arguments"
    )
    tools = _answer("", ("f", {}))
    assert method_for("auto", {}, tools, _answer("x"), judge=True) == "tools"
    assert (
        method_for("auto", {"response_format": {"type": "json_object"}}, _answer(), _answer(), False)
        == "json"
    )
    assert method_for("auto", {}, _answer("a"), _answer("b"), judge=True) == "judge"
    assert method_for("auto", {}, _answer("a"), _answer("b"), judge=False) == "normalized"


# -- cascade outcomes and explicit feedback -----------------------------------------------------------


def test_cascade_outcomes_are_labels(stub: VendorStub) -> None:
    """An answer that fails its checks is labelled not good enough; the one accepted, good."""
    stub.reply("small-text", Reply(text="The capital", stop_reason="length", usage=USAGE))
    stub.reply("medium-a", Reply(text="Paris.", usage=USAGE))
    c = frugal.Client(**vendor_options(stub, policy=POLICIES / "cascade.yaml", ledger="memory://"))  # type: ignore[arg-type]
    answer = c.chat.completions.create(model="auto", messages=QUESTION)
    failed, accepted = c.labels.labels()
    assert (failed.source, failed.model, failed.good, failed.method) == (
        "cascade",
        "small-text",
        0.0,
        "escalated",
    )
    assert failed.detail == "finish_reason: cut short (length)"
    assert (accepted.model, accepted.good, accepted.method, accepted.tier) == (
        "medium-a",
        1.0,
        "accepted",
        "medium",
    )
    assert failed.call_id == accepted.call_id == answer.id
    c.close()


def test_a_cascade_call_is_shadowed_unless_it_climbed_to_the_baseline(
    stub: VendorStub, tmp_path: Path
) -> None:
    """A cascade's call kept at the cheap tier is compared with the baseline; one that escalated to the
    baseline model itself is not (there is nothing to compare)."""
    path = tmp_path / "cascade.yaml"
    path.write_text(
        POLICY.format(shadow="{sample: 1.0, compare: normalized}", feedback="{}")
        + "strategy: cascade\ncascade: {checks: [finish_reason]}\n",
        encoding="utf-8",
    )
    stub.reply("gpt-4.1", Reply(text="paris", usage=USAGE))
    stub.queue(
        "gpt-4o-mini",
        Reply(text="Paris.", usage=USAGE),
        Reply(text="The capital", stop_reason="length", usage=USAGE),
    )
    c = frugal.Client(**vendor_options(stub, policy=path))  # type: ignore[arg-type]
    kept, climbed = _ask(c), _ask(c)
    assert (kept.model, climbed.model) == ("gpt-4o-mini", "gpt-4.1")
    assert c.flush_shadows(timeout=30)
    (shadow,) = [x for x in c.labels.labels() if x.source == "shadow"]
    assert (shadow.call_id, shadow.good, shadow.tier, shadow.reference_model) == (
        kept.id,
        1.0,
        "small",
        "gpt-4.1",
    )
    assert [r.shadow_of for r in c.ledger.records() if r.shadow_of is not None] == [kept.id]
    c.close()


def test_feedback_labels_a_recent_call_by_its_answer_or_its_id(stub: VendorStub, tmp_path: Path) -> None:
    stub.reply(None, Reply(text="Paris.", usage=USAGE))
    c = _client(stub, tmp_path, shadow="{sample: 0.0}")
    answer = _ask(c)
    label = c.feedback(answer, good=False)
    assert (label.source, label.good, label.method, label.call_id) == ("feedback", 0.0, "user", answer.id)
    assert (label.model, label.tier, label.route, label.team) == ("gpt-4o-mini", "small", "default", "search")
    assert label.features["dense"]
    assert frugal.call_id(answer) == answer.id
    graded = c.feedback(answer.id, score=0.25)
    assert graded.good == 0.25
    assert graded.model == "gpt-4o-mini"
    unknown = c.feedback("chatcmpl-from-elsewhere", good=True)
    assert (unknown.model, unknown.features) == (None, {})
    assert [x.good for x in c.labels.labels()] == [0.0, 0.25, 1.0]
    with pytest.raises(ValueError, match="one of them"):
        c.feedback(answer)
    with pytest.raises(ValueError, match="between 0 and 1"):
        c.feedback(answer, score=2)
    with pytest.raises(TypeError, match="without an id"):
        c.feedback(object(), good=True)
    c.close()


async def test_async_feedback(stub: VendorStub, tmp_path: Path) -> None:
    stub.reply(None, Reply(text="Paris.", usage=USAGE))
    async with _client(stub, tmp_path, shadow="{sample: 0.0}", cls=frugal.AsyncClient) as c:
        with frugal.with_context(score=0.1):
            answer = await c.chat.completions.create(model="auto", messages=QUESTION)
        label = await c.feedback(answer, good=True)
        assert (label.model, label.good) == ("gpt-4o-mini", 1.0)


# -- stores ------------------------------------------------------------------------------------------


def _label(i: int, time: float) -> Label:
    return Label(id=f"l{i}", time=time, source="feedback", good=1.0, method="user", features={"words": [i]})


@pytest.mark.parametrize("kind", ["memory", "sqlite", "redis"])
def test_label_stores_keep_labels_once_in_time_order(kind: str, tmp_path: Path, request: Any) -> None:
    if kind == "redis":
        url = request.getfixturevalue("redis_server").url
    else:
        url = f"sqlite:///{tmp_path / 'ledger.db'}" if kind == "sqlite" else "memory://"
    store = open_labels(url)
    store.add(_label(2, 20.0))
    store.add(_label(1, 10.0))
    store.add(_label(1, 10.0))
    assert [x.id for x in store.labels()] == ["l1", "l2"]
    assert [x.id for x in store.labels(since=15.0)] == ["l2"]
    assert [x.id for x in store.labels(until=15.0)] == ["l1"]
    assert store.labels()[0] == _label(1, 10.0)
    store.close()


def test_the_label_store_sits_beside_the_ledger(
    stub: VendorStub, tmp_path: Path, redis_server: RedisServer
) -> None:
    """Without feedback.store, labels go to the ledger's store: the same SQLite file, the same Redis."""
    stub.reply(None, Reply(text="Paris.", usage=USAGE))
    db = tmp_path / "ledger.db"
    for url in (f"sqlite:///{db}", redis_server.url):
        c = _client(stub, tmp_path, shadow="{sample: 0.0}", ledger=url)
        assert c.labels.url == url
        c.feedback(_ask(c), good=True)
        c.close()
        assert len(open_labels(url).labels()) == 1
    with pytest.raises(ConfigError, match="expected memory://"):
        open_labels("postgres://x")
