"""Cascades replayed offline (frugal eval --strategy cascade): recorded answers, arithmetic, baselines."""

from __future__ import annotations

import itertools
import json
import random
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from frugal import cli
from frugal.evaluation.cascade_replay import (
    CascadeRows,
    Step,
    curve,
    random_escalation,
    replay,
)
from frugal.evaluation.cascade_report import cascade_figures
from frugal.evaluation.data import load_rows
from frugal.evaluation.evaluate import prepare
from frugal.evaluation.setup import compile_for_evaluation, models_policy
from frugal.exceptions import DataError
from frugal.policy import ClassifierSpec
from frugal.routing.cascade import BUILTIN_CHECKS, AnswerChecker, read_answer, recorded_answer

from .answer_rows import answer_rows

SECRET = "zebra-quartz-7731"  # an answer's text: never printed


def write(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def hand_rows(tmp_path: Path) -> Path:
    """The worked example of docs/evaluation.md: A costs $1 a row, B $10; A's answers on rows 2 and 3 are
    cut short and refused, so the checks escalate them; rows 1 and 4 are accepted (A is right on both)."""
    answers = [
        ("Paris.", "stop", 1.0),
        ("The capital of Spain is", "length", 0.0),
        ("I'm sorry, but I can't help with that.", "stop", 0.0),
        ("Lyon.", "stop", 1.0),
    ]
    rows = [
        {
            "id": f"r{i}",
            "prompt": f"question {i}",
            "quality": {"A": q, "B": 1.0},
            "cost_usd": {"A": 1.0, "B": 10.0},
            "responses": {"A": text},
            "finish_reasons": {"A": finish},
        }
        for i, (text, finish, q) in enumerate(answers, 1)
    ]
    return write(tmp_path / "hand.jsonl", rows)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def cascade_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    code, out, err = run(capsys, "eval", *args, "--strategy", "cascade", "--json", "--quiet")
    assert code == 0, err
    return json.loads(out)


# -- rows and recorded answers ---------------------------------------------------------------------


def test_rows_carry_recorded_answers_and_finish_reasons(tmp_path: Path) -> None:
    """responses and finish_reasons are read per model; rows without them have none."""
    (row,) = load_rows([hand_rows(tmp_path)])[1:2]
    assert row.responses == {"A": "The capital of Spain is"}
    assert row.finish_reasons == {"A": "length"}
    plain = write(tmp_path / "plain.jsonl", [{"prompt": "p", "quality": {"A": 1}}])
    assert load_rows([plain])[0].responses == {}


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"responses": SECRET}, "x.jsonl:1: responses: expected {model: answer text}, got a string"),
        ({"responses": {"A": 3}}, "x.jsonl:1: responses.A: expected a string (answer text), got int"),
        (
            {"responses": {"A": [SECRET]}},
            "x.jsonl:1: responses.A: expected a string (answer text), got a list",
        ),
        (
            {"finish_reasons": {"A": None}},
            "x.jsonl:1: finish_reasons.A: expected a string (finish reason), got null",
        ),
    ],
)
def test_a_bad_answer_value_is_one_line_naming_file_line_and_key(
    tmp_path: Path, extra: dict[str, Any], message: str
) -> None:
    """A malformed responses / finish_reasons value names file:line and the key, never the text."""
    path = write(tmp_path / "x.jsonl", [{"prompt": "p", "quality": {"A": 1}, **extra}])
    with pytest.raises(DataError) as caught:
        load_rows([path])
    assert str(caught.value) == str(path.parent / message)
    assert SECRET not in str(caught.value)


def chat(text: str, finish: str = "stop") -> Any:
    from openai.types.chat import ChatCompletion

    return ChatCompletion.model_validate(
        {
            "id": "c",
            "object": "chat.completion",
            "created": 0,
            "model": "m",
            "choices": [
                {"index": 0, "finish_reason": finish, "message": {"role": "assistant", "content": text}}
            ],
        }
    )


@pytest.mark.parametrize(
    ("text", "finish"),
    [
        ("Paris.", "stop"),
        ("The cap", "length"),
        ("", "stop"),
        ("I'm sorry, but I can't help with that.", "stop"),
    ],
)
def test_recorded_answers_meet_the_checks_as_live_ones_do(text: str, finish: str) -> None:
    """An answer recorded as text gets the built-in checks' verdict of the same live ChatCompletion."""
    checker = AnswerChecker(BUILTIN_CHECKS)
    live = checker.failure("chat", {}, chat(text, finish))
    assert checker.builtin_failure(recorded_answer(text, finish), "chat", {}) == live
    assert recorded_answer(text, finish) == read_answer(chat(text, finish))


def test_a_refusal_stop_reason_is_a_refusal() -> None:
    """Anthropic's refusal stop reason, recorded, fails the refusal check as a live one does."""
    assert AnswerChecker(["refusal"]).builtin_failure(recorded_answer("x", "refusal"), "chat", {}) == (
        "refusal: the model refused"
    )


# -- the worked example ----------------------------------------------------------------------------


def test_the_worked_example_by_hand(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """Rows 2 and 3 escalate: $24 for quality 1 (40 % saved); random escalation of half the rows scores
    0.75 for the same $24; at the 0.95 target random escalation pays $40 and the random mix $36.40."""
    data = cascade_json(capsys, str(hand_rows(tmp_path)), "--models", "A,B", "--bootstrap", "0")
    cascade = data["cascade"]
    assert (cascade["quality"], cascade["cost_usd"], cascade["savings"]) == (1.0, 24.0, pytest.approx(0.4))
    assert cascade["reached"] is True
    assert cascade["escalations"] == [{"step": 1, "rows": 4, "escalated": 2, "rate": 0.5}]
    assert data["random_escalation"] == {"quality": 0.75, "cost_usd": 24.0, "savings": pytest.approx(0.4)}
    assert data["quality_gain"] == pytest.approx(0.25)
    assert data["perfect_check"]["cost_usd"] == 24.0
    assert data["oracle"]["cost_usd"] == 22.0
    assert data["zero_router"]["cost_usd"] == pytest.approx(36.4)
    assert data["random_escalation_at_target"]["cost_usd"] == pytest.approx(40.0)
    assert data["apgr"] == pytest.approx(0.5 * 20 / 36 + (1 - 20 / 36))
    assert data["random_escalation_apgr"] == pytest.approx(0.45)
    assert data["cascade_settings"]["checks"] == list(BUILTIN_CHECKS)


def test_the_text_report_names_baselines_target_and_never_an_answer(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """The text report shows the cascade beside random escalation, the random mix and the oracle, says
    whether the target is met, and never prints a recorded answer."""
    rows = [json.loads(line) for line in hand_rows(tmp_path).read_text(encoding="utf-8").splitlines()]
    rows[0]["responses"]["A"] = SECRET
    code, out, err = run(
        capsys,
        "eval",
        str(write(tmp_path / "s.jsonl", rows)),
        "--models",
        "A,B",
        "--strategy",
        "cascade",
        "--bootstrap",
        "50",
        "--quiet",
    )
    assert code == 0, err
    for label in ("random mix at target", "oracle", "perfect check", "random escalation, same rates"):
        assert label in out
    assert "escalated              step 1 (A): 50.0% of 4 rows" in out
    assert "target                 met by the cascade as configured (1.000)" in out
    assert "vs random escalation   quality +0.250 [" in out
    assert SECRET not in out + err


# -- arithmetic ------------------------------------------------------------------------------------


@st.composite
def cascades(draw: st.DrawFn) -> CascadeRows:
    """Rows of 1 to 3 steps with random costs, qualities, verdicts and answer-model probabilities."""
    rows = []
    for _ in range(draw(st.integers(1, 12))):
        depth = draw(st.integers(1, 3))
        steps = []
        for k in range(depth):
            last = k == depth - 1
            steps.append(
                Step(
                    f"m{k}",
                    draw(st.sampled_from([0.5, 1.0, 4.0])) * (k + 1),
                    draw(st.sampled_from([0.0, 0.5, 1.0])),
                    None if last or draw(st.booleans()) else "empty: no text",
                    None if last else draw(st.sampled_from([0.1, 0.4, 0.4, 0.7, 0.95])),
                )
            )
        rows.append(tuple(steps))
    return CascadeRows(prepared=None, steps=tuple(rows))  # type: ignore[arg-type]


@settings(max_examples=150, deadline=None)
@given(cascades())
def test_the_sweep_gives_what_replaying_each_setting_gives(rows: CascadeRows) -> None:
    """Every point of the answer model's sweep is the cascade replayed at that min_probability, and cost
    rises along the sweep."""
    points = curve(rows)
    for setting, point in points:
        replayed = replay(rows, setting).point
        assert point.cost == pytest.approx(replayed.cost)
        assert point.quality == pytest.approx(replayed.quality)
    assert all(a[1].cost <= b[1].cost + 1e-9 for a, b in itertools.pairwise(points))
    assert [s for s, _ in points] == sorted({s for s, _ in points})


@settings(max_examples=100, deadline=None)
@given(cascades(), st.lists(st.floats(0, 1), min_size=3, max_size=3))
def test_random_escalation_is_the_expectation_over_every_coin(rows: CascadeRows, rates: list[float]) -> None:
    """The closed form equals the average over every way the coins can fall, weighted by its chance."""
    cost = quality = 0.0
    for steps in rows.steps:
        for coins in itertools.product([False, True], repeat=len(steps) - 1):
            chance = 1.0
            for k, up in enumerate(coins):
                chance *= rates[k] if up else 1.0 - rates[k]
            stop = next((k for k, up in enumerate(coins) if not up), len(steps) - 1)
            cost += chance * sum(step.cost for step in steps[: stop + 1])
            quality += chance * steps[stop].quality
    found = random_escalation(rows, rates)
    assert found.cost == pytest.approx(cost)
    assert found.quality == pytest.approx(quality / len(rows.steps))


def test_bootstrap_weights_equal_repeating_the_rows(tmp_path: Path) -> None:
    """Figures on rows weighted by a resample are the figures on the rows repeated that many times."""
    from frugal.evaluation.cascade_replay import replay_rows
    from frugal.routing.cascade import CascadePlan

    rows = load_rows([answer_rows(tmp_path / "a.jsonl", 10)])
    router, route = compile_for_evaluation(models_policy(["cheap", "strong"], ClassifierSpec()))
    prepared = prepare(rows, router, route, scores=dict.fromkeys((r.id for r in rows), 0.0))
    replayed = replay_rows(prepared, CascadePlan(AnswerChecker(BUILTIN_CHECKS)))
    rng = random.Random(3)
    weights = [rng.randrange(3) for _ in replayed.steps]
    repeated = CascadeRows(
        replayed.prepared.subset([i for i, w in enumerate(weights) for _ in range(w)]),
        tuple(s for s, w in zip(replayed.steps, weights, strict=True) for _ in range(w)),
    )
    assert cascade_figures(replayed, 0.5, 0.9, weights) == pytest.approx(cascade_figures(repeated, 0.5, 0.9))


# -- which steps, which checks ---------------------------------------------------------------------


def three_tier_rows(tmp_path: Path, drop: str | None = None) -> Path:
    rows = []
    for i in range(6):
        responses = {"a": "" if i % 2 else "fine", "b": "" if i % 3 == 0 else "fine", "c": "fine"}
        if drop is not None and i == 2:
            del responses[drop]
        rows.append(
            {
                "id": f"t{i}",
                "prompt": "q",
                "quality": {"a": 0.0, "b": 0.5, "c": 1.0},
                "cost_usd": {"a": 1.0, "b": 2.0, "c": 4.0},
                "responses": responses,
            }
        )
    return write(tmp_path / "three.jsonl", rows)


def test_three_tiers_climb_step_by_step_and_max_steps_stops_them(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Empty answers climb a -> b -> c; max_steps 2 stops at b; each step's escalations are counted."""
    data = str(three_tier_rows(tmp_path))
    full = cascade_json(
        capsys, data, "--models", "a,b,c", "--bootstrap", "0", "--cascade", '{"checks": ["empty"]}'
    )
    # a's answer is empty on rows 1, 3, 5; of those, b's is empty on row 3.
    assert full["cascade"]["escalations"] == [
        {"step": 1, "rows": 6, "escalated": 3, "rate": 0.5},
        {"step": 2, "rows": 3, "escalated": 1, "rate": pytest.approx(1 / 3)},
    ]
    assert full["cascade"]["cost_usd"] == 6 * 1 + 3 * 2 + 1 * 4
    short = cascade_json(
        capsys,
        data,
        "--models",
        "a,b,c",
        "--bootstrap",
        "0",
        "--cascade",
        '{"checks": ["empty"], "max_steps": 2}',
    )
    assert short["cascade"]["escalations"] == [{"step": 1, "rows": 6, "escalated": 3, "rate": 0.5}]
    assert short["cascade"]["cost_usd"] == 6 * 1 + 3 * 2


def test_a_row_without_an_answer_to_check_is_skipped_and_counted(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A row lacking the recorded answer of a step it must check is left out (missing_response); the last
    step's answer is never needed."""
    data = cascade_json(
        capsys, str(three_tier_rows(tmp_path, drop="a")), "--models", "a,b,c", "--bootstrap", "0"
    )
    assert (data["rows"], data["skipped"]) == (5, {"missing_response": 1})
    kept = cascade_json(
        capsys, str(three_tier_rows(tmp_path, drop="c")), "--models", "a,b,c", "--bootstrap", "0"
    )
    assert kept["rows"] == 6


def test_rows_without_any_answer_are_one_line_naming_the_first(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Data with no recorded answers (the shared files) exits 1 naming the first row and the key."""
    path = write(
        tmp_path / "bare.jsonl", [{"prompt": "p", "quality": {"A": 1, "B": 1}, "cost_usd": {"A": 1, "B": 2}}]
    )
    code, out, err = run(capsys, "eval", str(path), "--models", "A,B", "--strategy", "cascade", "--quiet")
    assert (code, out) == (1, "")
    assert err.startswith(f"frugal eval: {path}:1: responses.A: missing, and so in every row")
    assert err.count("\n") == 1


def policy_file(tmp_path: Path, cascade: str) -> Path:
    path = tmp_path / "policy.yaml"
    path.write_text(
        "tiers:\n  - {name: low, models: [A]}\n  - {name: high, models: [B]}\nstrategy: cascade\n"
        f"cascade: {cascade}\n"
        "models:\n  A: {provider: openai, prices: {input: 1, output: 1}}\n"
        "  B: {provider: openai, prices: {input: 10, output: 10}}\n",
        encoding="utf-8",
    )
    return path


def test_a_policy_s_own_check_replays_and_its_judge_is_said_not_to(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """--policy replays its cascade: a check of its own reads a ChatCompletion of the recorded answer; a
    judge cannot be replayed, and the report says so (its verdicts count as passes)."""
    rows = [json.loads(line) for line in hand_rows(tmp_path).read_text(encoding="utf-8").splitlines()]
    rows[0]["responses"]["A"] = "maybe Paris"
    data = write(tmp_path / "m.jsonl", rows)
    policy = policy_file(tmp_path, "{checks: [], check: 'tests.helpers:no_maybe', judge: {model: A}}")
    report = cascade_json(capsys, str(data), "--policy", str(policy), "--bootstrap", "0")
    assert report["cascade"]["escalations"][0]["escalated"] == 1  # only the hedged answer
    assert report["cascade_settings"]["check"] == "tests.helpers:no_maybe"
    assert (report["cascade_settings"]["judge"], report["cascade_settings"]["judge_replayed"]) == ("A", False)
    code, out, _ = run(capsys, "eval", str(data), "--policy", str(policy), "--strategy", "cascade", "--quiet")
    assert code == 0
    assert "not replayed           judge A: it would call a model; its verdicts count as passes" in out


def test_start_classifier_begins_at_the_row_s_tier(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """start: classifier begins at the tier the row's score picks (scores file): a row scored high starts
    at the strongest tier and pays only it."""
    scores = tmp_path / "scores.jsonl"
    scores.write_text(
        "".join(json.dumps({"id": f"r{i}", "score": 0.9 if i == 2 else 0.1}) + "\n" for i in range(1, 5))
    )
    report = cascade_json(
        capsys,
        str(hand_rows(tmp_path)),
        "--models",
        "A,B",
        "--scores",
        str(scores),
        "--bootstrap",
        "0",
        "--cascade",
        '{"start": "classifier"}',
    )
    # Row 2 starts at B ($10); rows 1 and 4 are accepted at A ($1 each); row 3 is refused at A ($11).
    assert report["cascade"]["cost_usd"] == 10 + 1 + 1 + 11
    assert report["cascade"]["escalations"] == [
        {"step": 1, "rows": 3, "escalated": 1, "rate": pytest.approx(1 / 3)}
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--strategy", "cascade", "--cv", "sources"], "--cv is not used with --strategy cascade"),
        (["--cascade", "{}"], "--cascade needs --strategy cascade"),
        (["--strategy", "cascade", "--cascade", "{bad"], "--cascade: not valid JSON"),
        (
            ["--strategy", "cascade", "--cascade", '{"chekcs": []}'],
            "--cascade: chekcs: Extra inputs are not permitted",
        ),
        (
            ["--strategy", "cascade", "--cascade", '{"answer_model": {"path": "nowhere.json"}}'],
            "--cascade: cascade.answer_model.path: nowhere.json: cannot read the answer check's model file",
        ),
    ],
)
def test_bad_cascade_options_are_one_clear_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, args: list[str], message: str
) -> None:
    """Misused --strategy / --cascade options exit 1 with one line naming the problem."""
    code, out, err = run(capsys, "eval", str(hand_rows(tmp_path)), "--models", "A,B", *args)
    assert (code, out) == (1, "")
    assert message in err
    assert err.count("\n") == 1


def test_the_documented_example_is_reproduced(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """tests/data/answers.jsonl is the generator's output, and the replay docs/evaluation.md shows from it
    gives the figures printed there."""
    fixture = Path(__file__).parent / "data" / "answers.jsonl"
    fresh = answer_rows(tmp_path / "answers.jsonl", 100, seed=2)
    assert fixture.read_text(encoding="utf-8") == fresh.read_text(encoding="utf-8")
    report = cascade_json(capsys, str(fixture), "--models", "cheap,strong", "--bootstrap", "0")
    cascade = report["cascade"]
    assert (round(cascade["quality"], 3), round(cascade["savings"], 3)) == (0.673, 0.573)
    assert round(report["quality_gain"], 3) == 0.109
