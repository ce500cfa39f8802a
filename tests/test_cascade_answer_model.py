"""The learned answer check: its features, its model file, the policy key, online through the client."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import frugal
from frugal.exceptions import ConfigError
from frugal.policy import parse_policy
from frugal.request import RoutingRequest
from frugal.routing.answer_model import FEATURES, AnswerModel, answer_features, load_answer_model
from frugal.routing.cascade import recorded_answer
from frugal.testing import Reply, VendorStub

from .calls import settle
from .conftest import POLICIES, vendor_options

HOW_MANY = RoutingRequest.from_prompt("How many apples does Ann have if she had 3 and found 4?")


def features(text: str, finish: str = "stop", request: RoutingRequest = HOW_MANY) -> dict[str, float]:
    return answer_features(request, recorded_answer(text, finish))


@pytest.mark.parametrize(
    ("text", "finish", "feature"),
    [
        ("I think it might be 7, but I'm not sure.", "stop", "hedging"),
        ("Ann starts with three apples and then", "length", "truncated"),
        ("I'm sorry, but I can't help with that.", "stop", "refusal"),
        ("I'm sorry, but I can't help with that.", "stop", "apology"),
        ("She has some apples now.", "stop", "number_missing"),
        ("Could you clarify which Ann you mean?", "stop", "asks_back"),
        ("Wait, actually, let me redo this: 7.", "stop", "self_correction"),
        ("So the answer is 7.", "stop", "final_answer"),
        ("apples " * 40, "stop", "repetition"),
        ("", "stop", "empty"),
        ("安有七个苹果。", "stop", "script_mismatch"),
    ],
)
def test_an_answer_s_cues_are_read(text: str, finish: str, feature: str) -> None:
    """Each cue of a doubtful (or confident) answer sets its feature; a plain answer does not."""
    assert features(text, finish)[feature] > 0
    assert features("Ann has 7 apples.")[feature] == 0


def test_what_the_prompt_asks_for_is_checked_in_the_answer() -> None:
    """JSON asked for and not given, options offered and none named, code asked for without a block."""
    wants_json = RoutingRequest.from_prompt("Return the city as JSON.")
    assert features("Paris", request=wants_json)["json_invalid"] == 1
    assert features('```json\n{"city": "Paris"}\n```', request=wants_json)["json_invalid"] == 0
    choice = RoutingRequest.from_prompt("Which is a fruit?\nA) apple\nB) chair\nC) road")
    assert features("The apple, of course.", request=choice)["choice_missing"] == 1
    assert features("A", request=choice)["choice_missing"] == 0
    code = RoutingRequest.from_prompt("Write a python function that reverses a list.")
    assert features("Just reverse it.", request=code)["code_without_fence"] == 1
    assert features("```python\ndef f(x):\n    return x[::-1]\n```", request=code)["code_without_fence"] == 0
    assert features("x")["prompt_how_many"] > 0  # the prompt's own features are read too


@settings(max_examples=80, deadline=None)
@given(st.text(max_size=400), st.text(max_size=400), st.sampled_from(["stop", "length", "refusal", None]))
def test_every_feature_is_finite_and_bounded(prompt: str, text: str, finish: str | None) -> None:
    """Whatever the prompt and answer, every feature is a finite number in [-1, 1] and all are present."""
    found = answer_features(RoutingRequest.from_prompt(prompt), recorded_answer(text, finish))
    assert set(found) == set(FEATURES)
    assert all(math.isfinite(v) and -1.0 <= v <= 1.0 for v in found.values())


def hedge_model(path: Path) -> Path:
    """A hand-made model: confident unless the answer hedges (P 0.95 plain, 0.05 hedged)."""
    model = AnswerModel(math.log(19), {"hedging": -3 * math.log(19)}, {"cheap": "small-text"})
    model.save(path)
    return path


def test_the_model_file_round_trips_and_gives_probabilities(tmp_path: Path) -> None:
    """A saved model loads to the same weights; its probability is the logistic of its logit."""
    loaded = load_answer_model(hedge_model(tmp_path / "m.json"))
    assert loaded.training == {"cheap": "small-text"}
    assert loaded.probability(HOW_MANY, recorded_answer("Ann has 7 apples.")) == pytest.approx(0.95)
    hedged = recorded_answer("I think maybe 7, probably, not sure.")  # four hedges: the feature at its cap
    assert loaded.probability(HOW_MANY, hedged) == pytest.approx(1 / (1 + 19**2))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{", "not an answer-check model: invalid JSON"),
        ('{"format": "frugal-learned-classifier"}', 'no "format": "frugal-answer-check"'),
        ('{"format": "frugal-answer-check", "version": 9}', "format version 9 is not supported"),
        (
            '{"format": "frugal-answer-check", "version": 1, "bias": "x", "weights": {}}',
            "bias: expected a finite",
        ),
        (
            '{"format": "frugal-answer-check", "version": 1, "bias": 0, "weights": {"hedgin": 1}}',
            "unknown feature 'hedgin'",
        ),
    ],
)
def test_a_bad_model_file_is_one_line_naming_it(tmp_path: Path, content: str, message: str) -> None:
    """A model file that is not JSON, not an answer check, or names an unknown feature: a ConfigError."""
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError, match=message) as caught:
        load_answer_model(path)
    assert str(caught.value).startswith(f"{path}: ")
    assert "\n" not in str(caught.value)


def test_the_policy_names_an_answer_model_and_bounds_its_probability() -> None:
    """answer_model: {path, min_probability} is a cascade setting; min_probability lies in [0, 1]."""
    text = "tiers: [{name: a, models: [m]}]\nstrategy: cascade\ncascade: {answer_model: {path: c.json}}\n"
    policy, _ = parse_policy(text, "p.yaml")
    assert policy.cascade is not None
    assert policy.cascade.answer_model is not None
    assert (policy.cascade.answer_model.path, policy.cascade.answer_model.min_probability) == ("c.json", 0.5)
    with pytest.raises(ConfigError, match=r"p\.yaml:3:\d+: cascade\.answer_model\.min_probability"):
        parse_policy(text.replace("c.json}", "c.json, min_probability: 1.5}"), "p.yaml")


def answered_policy(tmp_path: Path, model: Path | str) -> Path:
    """The cascade test policy with a route whose cascade checks answers with the answer model."""
    text = (POLICIES / "cascade.yaml").read_text(encoding="utf-8")
    route = (
        "  answered:\n    strategy: cascade\n    cascade:\n      checks: [empty]\n"
        f"      answer_model: {{path: '{model}'}}\n"
    )
    text = text.replace("routes:\n", "routes:\n" + route, 1)
    path = tmp_path / "policy.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_missing_model_file_fails_at_build_time_at_its_line(tmp_path: Path, stub: VendorStub) -> None:
    """An unreadable answer_model path is a ConfigError at its policy line when the client is built."""
    policy = answered_policy(tmp_path, tmp_path / "nowhere.json")
    with pytest.raises(
        ConfigError, match=r"routes\.answered\.cascade\.answer_model\.path: .*nowhere\.json: cannot read"
    ):
        frugal.Client(**vendor_options(stub, policy=policy))  # type: ignore[arg-type]


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_a_doubtful_answer_escalates_online(tmp_path: Path, stub: VendorStub, mode: str) -> None:
    """Through the client: a hedged cheap answer is rated below min_probability and escalated, with the
    answer model's reason; a confident one is returned at once."""
    policy = answered_policy(tmp_path, hedge_model(tmp_path / "m.json"))
    options: Any = vendor_options(stub, policy=policy, ledger="memory://")
    client: Any = frugal.Client(**options) if mode == "sync" else frugal.AsyncClient(**options)
    messages = [{"role": "user", "content": "How many apples?"}]
    stub.reply("small-text", Reply(text="I think maybe 7, probably; not sure."))
    stub.reply("medium-a", Reply(text="7."))
    result = await settle(client.chat.completions.create(model="answered", messages=messages))
    assert result.model == "medium-a"
    assert [r.model for r in stub.requests] == ["small-text", "medium-a"]
    stub.reset()
    stub.reply("small-text", Reply(text="Ann has 7 apples."))
    result = await settle(client.chat.completions.create(model="answered", messages=messages))
    assert result.model == "small-text"
    records = client.ledger.records()
    assert [r.escalations for r in records] == [1, 0]
    if mode == "sync":
        client.close()
    else:
        await client.close()


def test_the_reason_names_the_probability_never_the_answer(tmp_path: Path) -> None:
    """The escalation reason says P(adequate) and the setting, never a word of the answer."""
    from frugal.routing.cascade import AnswerChecker

    checker = AnswerChecker(
        [], answer_model=load_answer_model(hedge_model(tmp_path / "m.json")), min_probability=0.5
    )
    reason = checker.answer_model_failure(0.05)
    assert reason == "answer_model: P(adequate) 0.05 < 0.50"
    assert checker.answer_model_failure(0.5) is None
    assert json.dumps(reason)  # plain text
