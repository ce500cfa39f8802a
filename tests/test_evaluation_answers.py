"""frugal train --answers: fitting the learned answer check on recorded answers, and its honest figures."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

from frugal import cli
from frugal.request import RoutingRequest
from frugal.routing.answer_model import load_answer_model
from frugal.routing.cascade import recorded_answer

from .answer_rows import SOURCES, answer_rows


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def train_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    code, out, err = run(capsys, "train", "--answers", *args, "--json", "--quiet")
    assert code == 0, err
    return json.loads(out)


def test_a_trained_check_rates_confident_answers_above_doubtful_ones(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """The model file written loads; it rates a plain answer with a number above a hedged, a refused and
    a cut one; it records its provenance, never a prompt or an answer."""
    data, out = answer_rows(tmp_path / "a.jsonl"), tmp_path / "check.json"
    summary = train_json(capsys, str(data), "--cheap", "cheap", "--out", str(out))
    assert (summary["answers"], summary["rows_used"]) == (180, 180)
    model = load_answer_model(out)
    request = RoutingRequest.from_prompt("Ann has 6 apples and finds one more. How many apples now?")
    good = model.probability(request, recorded_answer("7 apples. The answer is 7."))
    for doubtful, finish in (
        ("I think it might be around 7, but I'm not sure; perhaps more.", "stop"),
        ("I'm sorry, but I can't help with that.", "stop"),
        ("Let me work through this carefully. First we take the apples and then", "length"),
    ):
        assert good > 0.7 > model.probability(request, recorded_answer(doubtful, finish)), doubtful
    assert model.training["cheap"] == "cheap"
    assert model.training["command"] == "frugal train --answers a.jsonl --cheap cheap --out check.json"
    assert "Ann" not in out.read_text(encoding="utf-8")


def test_training_is_deterministic(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """The same rows and options give the same weights."""
    data = answer_rows(tmp_path / "a.jsonl", 30)
    first, second = tmp_path / "1.json", tmp_path / "2.json"
    train_json(capsys, str(data), "--cheap", "cheap", "--out", str(first))
    train_json(capsys, str(data), "--cheap", "cheap", "--out", str(second))
    assert load_answer_model(first).weights == load_answer_model(second).weights


def test_left_out_sources_are_ranked_and_escalation_catches_more_than_it_sends(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """--cv sources: each source's answers scored by a model trained on the others rank well, and at
    min_probability 0.5 the check catches more of the inadequate answers than the share it escalates."""
    report = train_json(capsys, str(answer_rows(tmp_path / "a.jsonl")), "--cheap", "cheap", "--cv", "sources")
    assert report["cv"] == "sources"
    assert [s["source"] for s in report["sources"]] == list(SOURCES)
    for source in report["sources"]:
        assert source["auc"] > 0.85, source
        middle = next(t for t in source["tradeoff"] if t["min_probability"] == 0.5)
        assert middle["inadequate_caught"] > middle["escalated"], source


def test_answers_that_say_nothing_rank_at_chance(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """With each row's quality shuffled away from its answer, the out-of-source AUC is near 0.5: the
    figure is not the fit's own rows."""
    data = answer_rows(tmp_path / "a.jsonl", 80)
    rows = [json.loads(line) for line in data.read_text(encoding="utf-8").splitlines()]
    qualities = [row["quality"] for row in rows]
    random.Random(5).shuffle(qualities)
    for row, quality in zip(rows, qualities, strict=True):
        row["quality"] = quality
    data.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    report = train_json(capsys, str(data), "--cheap", "cheap", "--cv", "sources")
    mean_auc = sum(s["auc"] for s in report["sources"]) / len(report["sources"])
    assert 0.35 < mean_auc < 0.65


def test_the_text_report_states_the_trade_off_against_random_escalation(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """The --cv table says what random escalation would catch, next to each source's figures."""
    code, out, _ = run(
        capsys,
        "train",
        "--answers",
        str(answer_rows(tmp_path / "a.jsonl", 30)),
        "--cheap",
        "cheap",
        "--cv",
        "sources",
        "--quiet",
    )
    assert code == 0
    assert "random escalation catches as many as it escalates" in out
    assert "mean of 3 sources" in out
    assert "answers    90 of cheap" in out


def test_a_trained_check_earns_its_keep_in_the_replay(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A check trained on some rows, replayed on others: above random escalation at the same rates, and
    at the target cheaper than random escalation (both intervals above zero)."""
    train, judged = answer_rows(tmp_path / "t.jsonl", seed=1), answer_rows(tmp_path / "j.jsonl", seed=2)
    check = tmp_path / "check.json"
    train_json(capsys, str(train), "--cheap", "cheap", "--out", str(check))
    code, out, err = run(
        capsys,
        "eval",
        str(judged),
        "--models",
        "cheap,strong",
        "--strategy",
        "cascade",
        "--cascade",
        json.dumps({"checks": ["finish_reason"], "answer_model": {"path": str(check)}}),
        "--target",
        "0.9",
        "--bootstrap",
        "50",
        "--json",
        "--quiet",
    )
    assert code == 0, err
    report = json.loads(out)
    assert report["quality_gain_interval"][0] > 0
    assert report["target_gain_interval"][0] > 0
    assert report["apgr"] > report["random_escalation_apgr"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--out", "x.json"], "--answers needs --cheap MODEL"),
        (["--cheap", "cheap"], "give --out CHECK.json, or --cv sources|K, or both"),
        (["--cheap", "cheap", "--out", "x.json", "--scores", "s.jsonl"], "--scores needs --cv"),
        (["--cheap", "nobody", "--out", "x.json"], "no row has both a recorded answer (responses.nobody)"),
        (["--cheap", "cheap", "--out", "x.json", "--adequate", "0"], "--adequate must lie in (0, 1]"),
    ],
)
def test_bad_answer_training_options_are_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, args: list[str], message: str
) -> None:
    """Misused --answers options exit 1 with one line naming the problem."""
    code, out, err = run(capsys, "train", "--answers", str(answer_rows(tmp_path / "a.jsonl", 5)), *args)
    assert (code, out) == (1, "")
    assert message in err
    assert err.count("\n") == 1
