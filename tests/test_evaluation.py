"""Offline evaluation end to end: data files, routing with the production router, calibration, the CLI."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from frugal import cli
from frugal.catalog import Catalog
from frugal.classifiers.base import Classification
from frugal.evaluation.calibrate import calibrate, policy_with_thresholds
from frugal.evaluation.data import load_rows, models_in
from frugal.evaluation.evaluate import evaluate, prepare
from frugal.evaluation.setup import compile_for_evaluation, models_policy, parse_price
from frugal.exceptions import ConfigError, DataError
from frugal.policy import ClassifierSpec, parse_policy
from frugal.request import RoutingRequest

from .conftest import POLICIES

FIXTURE = Path(__file__).parent / "data" / "eval.jsonl"
MODELS = "tiny,mid,big"
JSON_KEYS = (
    "rows",
    "strongest.model",
    "strongest.quality",
    "strongest.cost_usd",
    "at_target.threshold",
    "at_target.quality",
    "at_target.cost_usd",
    "at_target.savings",
    "zero_router.savings",
    "oracle.quality",
    "oracle.cost_usd",
    "apgr",
)


def write_rows(path: Path, rows: list[Any]) -> Path:
    path.write_text(
        "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows), encoding="utf-8"
    )
    return path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def dig(data: dict[str, Any], dotted: str) -> Any:
    for key in dotted.split("."):
        data = data[key]
    return data


# -- data files ------------------------------------------------------------------------------------


def test_rows_load_with_prompt_or_messages(tmp_path: Path) -> None:
    """A prompt or messages becomes the RoutingRequest the client would build; ids default to file:line."""
    path = write_rows(
        tmp_path / "d.jsonl",
        [
            {"id": "a", "prompt": "hi", "quality": {"m": 1}},
            "",
            {
                "messages": [{"role": "system", "content": "be brief"}, {"role": "user", "content": "hello"}],
                "quality": {"m": 0.5, "n": 0},
                "cost_usd": {"m": 0.001},
            },
        ],
    )
    rows = load_rows([path])
    assert [r.id for r in rows] == ["a", f"{path}:3"]
    assert rows[0].request == RoutingRequest.from_prompt("hi")
    assert (rows[1].request.prompt, rows[1].request.system, rows[1].request.operation) == (
        "hello",
        "be brief",
        "chat",
    )
    assert rows[1].cost_usd == {"m": 0.001}
    assert models_in(rows) == ["m", "n"]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("not json", r"d.jsonl:2: not valid JSON"),
        ("[1, 2]", r"d.jsonl:2: expected a JSON object, got a list"),
        ('{"quality": {"m": 1}}', r"d.jsonl:2: expected a 'prompt' string or a 'messages' list"),
        ('{"prompt": 3, "quality": {"m": 1}}', r"d.jsonl:2: prompt: expected a string, got int"),
        ('{"prompt": "x"}', r"d.jsonl:2: quality: missing"),
        ('{"prompt": "x", "quality": {}}', r"d.jsonl:2: quality: expected at least one model"),
        (
            '{"prompt": "x", "quality": {"m": 1.5}}',
            r"d.jsonl:2: quality.m: expected between 0 and 1, got 1.5",
        ),
        ('{"prompt": "x", "quality": {"m": "yes"}}', r"quality.m: expected a number, got a string"),
        ('{"prompt": "x", "quality": {"m": true}}', r"quality.m: expected a number, got a boolean"),
        (
            '{"prompt": "x", "quality": {"m": 1}, "cost_usd": {"m": -1}}',
            r"cost_usd.m: expected a finite number >= 0",
        ),
        (
            '{"prompt": "x", "quality": {"m": 1}, "cost_usd": {"m": NaN}}',
            r"cost_usd.m: expected a finite number",
        ),
        (
            '{"prompt": "x", "quality": {"m": 1}, "cost_usd": {"m": Infinity}}',
            r"cost_usd.m: expected a finite",
        ),
        ('{"prompt": "x", "messages": [], "quality": {"m": 1}}', r"either 'prompt' or 'messages', not both"),
        ('{"messages": [{"role": "system", "content": "s"}], "quality": {"m": 1}}', r"messages: no 'user'"),
        ('{"messages": ["hi"], "quality": {"m": 1}}', r"messages: expected a list of chat messages"),
        (
            '{"id": "first", "prompt": "y", "quality": {"m": 1}}',
            r"d.jsonl:2: id 'first' is used twice \(first at",
        ),
    ],
)
def test_bad_rows_name_file_line_and_key(tmp_path: Path, line: str, message: str) -> None:
    """Every malformed row is a DataError with file:line and what was expected, never the prompt text."""
    path = write_rows(
        tmp_path / "d.jsonl", [{"id": "first", "prompt": "secret words", "quality": {"m": 1}}, line]
    )
    with pytest.raises(DataError, match=message) as caught:
        load_rows([path])
    assert "secret" not in str(caught.value)


def test_unreadable_and_empty_files(tmp_path: Path) -> None:
    """A missing file, a non-UTF-8 file and a file without rows are DataErrors naming the file."""
    with pytest.raises(DataError, match=r"nope.jsonl: cannot read the data file"):
        load_rows([tmp_path / "nope.jsonl"])
    (tmp_path / "bin.jsonl").write_bytes(b"\xff\xfe\x00")
    with pytest.raises(DataError, match=r"bin.jsonl: not UTF-8 text"):
        load_rows([tmp_path / "bin.jsonl"])
    with pytest.raises(DataError, match=r"empty.jsonl: no rows"):
        load_rows([write_rows(tmp_path / "empty.jsonl", ["", "  "])])


# -- routing with the production router -------------------------------------------------------------


def test_models_policy_routes_rows_like_the_router(tmp_path: Path) -> None:
    """Each row's tier outcome is what Router.decide picks for a score in that tier's band."""
    router, route = compile_for_evaluation(models_policy(["tiny", "mid", "big"], ClassifierSpec()))
    rows = load_rows([FIXTURE])
    prepared = prepare(rows, router, route)
    assert prepared.tiers == ("tiny", "mid", "big")
    heuristic = route.classifier
    for i, row in enumerate(rows):
        score = heuristic.classify(row.request).score
        assert prepared.outcomes.scores[i] == score
        decision = router.decide(row.request, Classification(score), route)
        tier = prepared.tiers.index(decision.tier)
        assert prepared.outcomes.quality[tier][i] == row.quality[decision.model]
        assert prepared.outcomes.cost[tier][i] == row.cost_usd[decision.model]


def test_policy_file_tiers_pick_the_cheapest_model_of_a_tier(tmp_path: Path) -> None:
    """With a policy file, a tier of several models sends a row to its cheapest by the router's estimate."""
    policy = tmp_path / "p.yaml"
    policy.write_text(
        "tiers:\n  - name: small\n    models: [gpt-4.1, gpt-4o-mini]\n"
        "  - name: large\n    models: [gpt-4.1]\n"
        "thresholds: [0.5]\n",
        encoding="utf-8",
    )
    rows = write_rows(
        tmp_path / "d.jsonl",
        [
            {"id": str(i), "prompt": "word " * (i * 50 + 1), "quality": {"gpt-4o-mini": i % 2, "gpt-4.1": 1}}
            for i in range(6)
        ],
    )
    router, route = compile_for_evaluation(policy)
    prepared = prepare(load_rows([rows]), router, route)
    assert prepared.models == ("gpt-4.1", "gpt-4o-mini")
    assert prepared.outcomes.quality[0] == tuple(float(i % 2) for i in range(6))  # gpt-4o-mini serves "small"
    # No cost_usd: the router's own estimate (tokens / 4, the tier's 400 expected output tokens).
    catalog = Catalog.build(["gpt-4o-mini", "gpt-4.1"])
    for i, row in enumerate(prepared.rows):
        tokens = row.request.estimated_input_tokens
        assert prepared.outcomes.cost[0][i] == pytest.approx(catalog.estimate("gpt-4o-mini", tokens, 400))
        assert prepared.outcomes.cost[1][i] == pytest.approx(catalog.estimate("gpt-4.1", tokens, 400))
    assert (prepared.recorded_costs, prepared.estimated_costs) == (0, 12)
    report = evaluate(prepared).to_dict()
    assert report["configured"]["threshold"] == [0.5]


def test_rows_missing_a_models_quality_are_skipped_and_counted(tmp_path: Path) -> None:
    """A row lacking the quality of a model the evaluation may choose is left out of every figure, counted."""
    path = write_rows(
        tmp_path / "d.jsonl",
        [
            {"prompt": "a", "quality": {"x": 1, "y": 1}, "cost_usd": {"x": 1, "y": 2}},
            {"prompt": "b", "quality": {"x": 0}, "cost_usd": {"x": 1, "y": 2}},
            {"prompt": "c", "quality": {"x": 0, "y": 1}, "cost_usd": {"x": 1, "y": 2}},
        ],
    )
    router, route = compile_for_evaluation(models_policy(["x", "y"], ClassifierSpec()))
    report = evaluate(prepare(load_rows([path]), router, route)).to_dict()
    assert (report["rows"], report["skipped"]) == (2, {"missing_quality": 1})
    assert report["strongest"] == {"model": "y", "quality": 1.0, "cost_usd": 4.0, "savings": 0.0}
    only = write_rows(tmp_path / "none.jsonl", [{"prompt": "b", "quality": {"x": 0}}])
    with pytest.raises(DataError, match="no row can be evaluated: 1 lack the quality"):
        prepare(load_rows([only]), router, route)


def test_an_unknown_price_is_an_error_never_zero(tmp_path: Path) -> None:
    """Rows without cost_usd for a model frugal cannot price are refused, naming it; --price fixes it."""
    path = write_rows(tmp_path / "d.jsonl", [{"prompt": "hi", "quality": {"local-a": 1, "local-b": 0}}])
    router, route = compile_for_evaluation(models_policy(["local-a", "local-b"], ClassifierSpec()))
    with pytest.raises(
        DataError, match=r"no known price for local-a \(1 rows\), local-b \(1 rows\).*never taken as 0"
    ):
        prepare(load_rows([path]), router, route)
    prices = dict(parse_price(p) for p in ("local-a=0.1/0.2", "local-b=1/2"))
    router, route = compile_for_evaluation(
        models_policy(["local-a", "local-b"], ClassifierSpec()), prices=prices
    )
    prepared = prepare(load_rows([path]), router, route)
    assert prepared.cost[0] == pytest.approx((1 * 0.1e-6 + 400 * 0.2e-6, 1 * 1e-6 + 400 * 2e-6))


@pytest.mark.parametrize("text", ["x", "m=1", "m=1/x", "=1/2", "m=-1/2", "m=1/inf"])
def test_bad_prices_are_refused(text: str) -> None:
    """--price takes MODEL=INPUT/OUTPUT with finite numbers >= 0."""
    with pytest.raises(ConfigError, match="expected MODEL=INPUT/OUTPUT"):
        parse_price(text)


def test_models_policy_needs_two_distinct_models() -> None:
    """--models names at least two models, each once."""
    with pytest.raises(ConfigError, match="at least two models"):
        models_policy(["only"], ClassifierSpec())
    with pytest.raises(ConfigError, match="repeated: a"):
        models_policy(["a", "b", "a"], ClassifierSpec())


def test_scores_file_replaces_the_classifier(tmp_path: Path) -> None:
    """Precomputed scores are used as given; a row without one is an error naming it."""
    rows = load_rows([FIXTURE])
    router, route = compile_for_evaluation(models_policy(["tiny", "big"], ClassifierSpec()))
    scores = {row.id: 1.0 if row.id.startswith("hard") else 0.0 for row in rows}
    prepared = prepare(rows, router, route, scores=scores)
    assert prepared.classifier == "scores file"
    assert prepared.outcomes.scores == tuple(scores[r.id] for r in rows)
    del scores["easy.0"]
    with pytest.raises(DataError, match=r"eval.jsonl:1: no score for row id 'easy.0'"):
        prepare(rows, router, route, scores=scores)


def test_evaluation_report_on_the_fixture() -> None:
    """The report's figures agree with each other: oracle >= router, savings from the strongest's cost."""
    router, route = compile_for_evaluation(models_policy(MODELS.split(","), ClassifierSpec()))
    report = evaluate(prepare(load_rows([FIXTURE]), router, route), 0.95)
    data = report.to_dict()
    strong = data["strongest"]
    assert strong["model"] == "big"
    at = data["at_target"]
    assert at["reached"]
    assert at["quality"] >= 0.95 * strong["quality"]
    assert at["savings"] == pytest.approx(1 - at["cost_usd"] / strong["cost_usd"])
    assert data["oracle"]["quality"] >= max(m["quality"] for m in data["models"])
    assert all(point["quality"] <= data["oracle"]["quality"] + 1e-12 for point in data["curve"])
    assert sum(at["tier_share"].values()) == pytest.approx(1.0)
    assert [h["model"] for h in data["zero_router"]["hull"]][-1] == "big"
    # On this fixture the hard prompts carry the heuristic's cues: it must beat the random mix.
    assert at["savings"] > data["zero_router"]["savings"]
    assert data["apgr"] > data["zero_router"]["apgr"]


# -- calibration -------------------------------------------------------------------------------------


def test_calibration_reports_in_and_out_of_sample() -> None:
    """In sample the target is met by construction; out of sample, fold thresholds come from other folds."""
    router, route = compile_for_evaluation(models_policy(["tiny", "big"], ClassifierSpec()))
    prepared = prepare(load_rows([FIXTURE]), router, route)
    result = calibrate(prepared, 0.9, folds=3, seed=1)
    data = result.to_dict()
    assert data["in_sample"]["reached"]
    assert data["threshold"] == list(evaluate(prepared, 0.9).at_target.thresholds)  # type: ignore[union-attr]
    assert len(data["folds"]) == 3
    assert sum(f["rows"] for f in data["folds"]) == len(prepared.rows)
    pooled = sum(f["quality"] * f["rows"] for f in data["folds"]) / len(prepared.rows)
    assert data["out_of_sample"]["quality"] == pytest.approx(pooled)
    assert data["out_of_sample"]["cost_usd"] == pytest.approx(sum(f["cost_usd"] for f in data["folds"]))
    assert calibrate(prepared, 0.9, folds=3, seed=1) == result  # seeded
    with pytest.raises(ValueError, match="folds must lie between 2"):
        calibrate(prepared, 0.9, folds=1)


def test_thresholds_are_written_into_the_policy_text() -> None:
    """Only the thresholds value changes: comments and everything else stay as written."""
    text = (
        "# my policy\ntiers:\n  - {name: a, models: [gpt-4o-mini]}\n  - {name: b, models: [gpt-4.1]}\n"
        "thresholds: [0.5]  # tuned\n"
    )
    updated = policy_with_thresholds(text, (0.25,))
    assert updated == text.replace("[0.5]", "[0.25]")
    block = text.replace("thresholds: [0.5]  # tuned\n", "thresholds:\n  - 0.5\nname: x\n")
    assert parse_policy(policy_with_thresholds(block, (0.3,)))[0].thresholds == [0.3]
    assert parse_policy(policy_with_thresholds(block, (0.3,)))[0].name == "x"
    bare = text.replace("thresholds: [0.5]  # tuned\n", "")
    assert parse_policy(policy_with_thresholds(bare, (0.125,)))[0].thresholds == [0.125]


# -- the CLI -----------------------------------------------------------------------------------------


def test_cli_eval_json_has_the_documented_keys(capsys: pytest.CaptureFixture[str]) -> None:
    """`frugal eval --models ... --json` prints every documented key."""
    code, out, _ = run(capsys, "eval", str(FIXTURE), "--models", MODELS, "--json")
    assert code == 0
    data = json.loads(out)
    for key in JSON_KEYS:
        dig(data, key)
    assert data["rows"] == 30
    assert isinstance(data["at_target"]["threshold"], list)
    assert len(data["at_target"]["threshold"]) == 2
    assert data["costs"] == {"recorded": 90, "estimated": 0}


def test_cli_eval_models_use_the_builtin_policys_classifier(capsys: pytest.CaptureFixture[str]) -> None:
    """--models without --classifier evaluates the built-in default policy's classifier, not the heuristic."""
    from frugal.evaluation.setup import builtin_classifier

    code, out, _ = run(capsys, "eval", str(FIXTURE), "--models", "tiny,big", "--json")
    assert code == 0
    assert json.loads(out)["classifier"] == builtin_classifier().name == "learned"


def test_cli_eval_policy_thresholds_are_on_the_classifiers_scale(capsys: pytest.CaptureFixture[str]) -> None:
    """With --models, the "policy thresholds" row uses the classifier's own thresholds, not even spacing."""
    args = ["--models", MODELS, "--classifier", "heuristic", "--json"]
    code, out, _ = run(capsys, "eval", str(FIXTURE), *args)
    assert code == 0
    assert json.loads(out)["configured"]["threshold"] == [0.35, 0.65]


class OddScale:
    """A classifier suggesting thresholds no policy accepts."""

    name = "odd"

    def classify(self, request: RoutingRequest) -> Classification:
        return Classification(0.5, (), self.name)

    def suggested_thresholds(self, tiers: int) -> tuple[float, ...]:
        return (0.7, 0.2)


def test_cli_eval_refuses_a_classifiers_bad_suggested_thresholds(capsys: pytest.CaptureFixture[str]) -> None:
    """A classifier whose suggested thresholds are not increasing is one clear line, not a traceback."""
    spec = f"{__name__}:OddScale"
    code, _, err = run(capsys, "eval", str(FIXTURE), "--models", MODELS, "--classifier", spec)
    assert code == 1
    assert "suggests thresholds [0.7, 0.2] for 3 tiers: expected 2 strictly increasing" in err


def test_cli_eval_text_and_plots(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """The text report names every figure; --plot writes a self-contained HTML page or a PNG."""
    page = tmp_path / "curve.html"
    code, out, _ = run(capsys, "eval", str(FIXTURE), "--models", "tiny,big", "--plot", str(page))
    assert code == 0
    for label in (
        "big (strongest)",
        "zero router at target",
        "oracle",
        "router at target",
        "APGR",
        "thresholds",
    ):
        assert label in out
    html = page.read_text(encoding="utf-8")
    assert "<svg" in html
    assert "<polyline" in html
    assert "oracle" in html
    assert "<script" not in html
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    png = tmp_path / "curve.png"
    assert run(capsys, "eval", str(FIXTURE), "--models", "tiny,big", "--plot", str(png))[0] == 0
    assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    code, _, err = run(
        capsys, "eval", str(FIXTURE), "--models", "tiny,big", "--plot", str(tmp_path / "x.svg")
    )
    assert (code, "expected a .html or .png file name" in err) == (1, True)


def test_cli_png_without_matplotlib_says_how_to_get_it(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without matplotlib, --plot FILE.png is a clear error naming the extra to install."""
    import builtins

    real_import = builtins.__import__

    def no_matplotlib(name: str, *args: Any, **kwargs: Any) -> Any:
        if name.startswith("matplotlib"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_matplotlib)
    code, _, err = run(
        capsys, "eval", str(FIXTURE), "--models", "tiny,big", "--plot", str(tmp_path / "p.png")
    )
    assert code == 1
    assert "needs matplotlib: pip install 'frugal-router[plot]'" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--models", "tiny,big", "--target", "1.5"], "--target must lie in (0, 1]"),
        (["--models", "tiny,big", "--target", "0"], "--target must lie in (0, 1]"),
        (["--models", "tiny,big", "--output-tokens", "0"], "--output-tokens must be > 0"),
        (["--models", "tiny"], "at least two models"),
        (["--models", "tiny,big", "--classifier", "nope"], "unknown classifier 'nope'"),
        (
            ["--models", "tiny,big", "--classifier", "heuristic", "--classifier-options", '{"bias": "x"}'],
            "option 'bias'",
        ),
        (["--models", "tiny,nobody"], "30 lack the quality of one of tiny, nobody"),
        (["--policy", str(POLICIES / "missing.yaml")], "cannot read the policy"),
        (["--models", "tiny,big", "--price", "bad"], "expected MODEL=INPUT/OUTPUT"),
    ],
)
def test_cli_eval_bad_options_are_one_clear_line(
    capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    """Bad options, classifiers, prices and policies exit 1 with the reason on stderr."""
    code, out, err = run(capsys, "eval", str(FIXTURE), *args)
    assert (code, out) == (1, "")
    assert message in err
    assert err.startswith("frugal eval: ")


def test_cli_eval_with_a_policy_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """--policy evaluates the file's tiers, thresholds and classifier; data-only models are declared in it."""
    policy = tmp_path / "p.yaml"
    policy.write_text(
        "providers: {local: {kind: openai, base_url: 'http://127.0.0.1:1/v1'}}\n"
        "models: {tiny: {provider: local}, big: {provider: local}}\n"
        "tiers:\n  - {name: small, models: [tiny]}\n  - {name: large, models: [big]}\nthresholds: [0.5]\n",
        encoding="utf-8",
    )
    code, out, _ = run(capsys, "eval", str(FIXTURE), "--policy", str(policy), "--json")
    assert code == 0
    data = json.loads(out)
    assert [t["name"] for t in data["tiers"]] == ["small", "large"]
    assert data["configured"]["threshold"] == [0.5]


def test_cli_calibrate_writes_a_policy_that_validates(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """`frugal calibrate --out` writes the chosen thresholds into the policy; it still loads and compiles."""
    policy = tmp_path / "p.yaml"
    policy.write_text(
        "# evaluation policy\nproviders: {local: {kind: openai}}\n"
        "models: {tiny: {provider: local, prices: {input: 0.1, output: 0.1}}, "
        "big: {provider: local, prices: {input: 10, output: 10}}}\n"
        "tiers:\n  - {name: small, models: [tiny]}\n  - {name: large, models: [big]}\n"
        "thresholds: [0.5]  # to tune\n",
        encoding="utf-8",
    )
    out_policy = tmp_path / "tuned.yaml"
    code, out, _ = run(
        capsys,
        "calibrate",
        str(FIXTURE),
        "--policy",
        str(policy),
        "--folds",
        "3",
        "--out",
        str(out_policy),
        "--json",
    )
    assert code == 0
    data = json.loads(out)
    assert set(data) >= {"threshold", "in_sample", "out_of_sample", "folds", "strongest", "target"}
    tuned = out_policy.read_text(encoding="utf-8")
    assert tuned.startswith("# evaluation policy")
    assert "# to tune" in tuned
    assert parse_policy(tuned)[0].thresholds == data["threshold"]
    assert run(capsys, "validate", str(out_policy))[0] == 0
    code, out, _ = run(capsys, "calibrate", str(FIXTURE), "--policy", str(policy), "--folds", "3")
    assert code == 0
    assert "out of sample (3-fold)" in out
    assert "in sample" in out
    code, _, err = run(capsys, "calibrate", str(FIXTURE), "--policy", str(policy), "--classifier", "learned")
    assert code == 1
    assert "the policy's own classifier is calibrated" in err


def test_cli_calibrate_with_models_writes_tiers_and_thresholds(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """With --models the written policy has one tier per model, the classifier and the thresholds."""
    out_policy = tmp_path / "tuned.yaml"
    args = [
        "calibrate",
        str(FIXTURE),
        "--models",
        MODELS,
        "--classifier",
        "learned",
        "--out",
        str(out_policy),
    ]
    assert run(capsys, *args)[0] == 0
    policy = parse_policy(out_policy.read_text(encoding="utf-8"))[0]
    assert [t.models for t in policy.tiers] == [["tiny"], ["mid"], ["big"]]
    assert policy.classifier.name == "learned"
    assert len(policy.thresholds) == 2


def test_cli_train_then_eval_with_the_trained_model(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """`frugal train` writes a model (with provenance) for `eval --classifier learned`, and --scores."""
    model, scores = tmp_path / "model.json", tmp_path / "scores.jsonl"
    code, out, _ = run(
        capsys,
        "train",
        str(FIXTURE),
        "--out",
        str(model),
        "--min-df",
        "2",
        "--folds",
        "3",
        "--scores",
        str(scores),
        "--json",
    )
    assert code == 0
    summary = json.loads(out)
    assert summary["rows"] == 30
    assert summary["models"] == {"eval.jsonl": ["tiny", "mid", "big"]}  # weakest to strongest
    assert summary["cv"] == "k-fold"
    assert [s["source"] for s in summary["sources"]] == ["fixture/easy", "fixture/medium", "fixture/hard"]
    training = json.loads(model.read_text(encoding="utf-8"))["training"]
    assert training["command"] == "frugal train eval.jsonl --out model.json --min-df 2"
    assert training["data"][0]["file"] == "eval.jsonl"
    assert len(training["data"][0]["sha256"]) == 64
    lines = [json.loads(line) for line in scores.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == 30
    assert all(0 <= item["score"] <= 1 for item in lines)
    options = json.dumps({"model": str(model)})
    code, out, _ = run(
        capsys,
        "eval",
        str(FIXTURE),
        "--models",
        "tiny,big",
        "--classifier",
        "learned",
        "--classifier-options",
        options,
        "--json",
    )
    assert code == 0
    assert json.loads(out)["classifier"] == "learned"
    code, out, _ = run(
        capsys, "eval", str(FIXTURE), "--models", "tiny,big", "--scores", str(scores), "--json"
    )
    assert code == 0
    assert json.loads(out)["classifier"] == "scores file"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "give --out MODEL.json, or --cv sources|K"),
        (["--scores", "s.jsonl"], "--scores needs --cv"),
        (["--cv", "3", "--folds", "3"], "give --cv or --folds, not both"),
        (
            [
                "--cv",
                "sources",
                "--exclude-source",
                "fixture/easy",
                "--exclude-source",
                "fixture/medium",
                "--exclude-source",
                "fixture/hard",
            ],
            "every row is of an excluded source",
        ),
        (["--out", "m.json", "--strong", "nobody"], "the strong model 'nobody' has no quality"),
        (["--out", "m.json", "--l2-words", "0"], "the L2 penalties must be > 0"),
        (["--folds", "1", "--scores", "s.jsonl"], "--folds must be >= 2"),
        (["--cv", "1"], "expected 'sources' (leave one source out) or a number of folds >= 2"),
    ],
)
def test_cli_train_bad_options(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    args: list[str],
    message: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Bad training options exit 1 with the reason."""
    monkeypatch.chdir(tmp_path)
    code, _, err = run(capsys, "train", str(FIXTURE), *args)
    assert code == 1
    assert message in err


def test_cli_scores_file_errors(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """A malformed scores file names its file:line."""
    bad = write_rows(tmp_path / "s.jsonl", [{"id": "easy.0", "score": 0.5}, {"id": "easy.1"}])
    code, _, err = run(capsys, "eval", str(FIXTURE), "--models", "tiny,big", "--scores", str(bad))
    assert code == 1
    assert "s.jsonl:2: expected" in err
    high = write_rows(tmp_path / "h.jsonl", [{"id": "easy.0", "score": 2}])
    assert (
        "score must lie in [0, 1]"
        in run(capsys, "eval", str(FIXTURE), "--models", "tiny,big", "--scores", str(high))[2]
    )


def test_progress_updates_a_terminal_in_place(monkeypatch: pytest.MonkeyPatch) -> None:
    """On a terminal the progress line is rewritten once per percent and ends at 100 % with a newline."""
    import io

    from frugal.evaluation.progress import progress_printer

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    show = progress_printer("frugal eval")
    assert show is not None
    for done in range(1, 401):
        show(done, 400)
    text = terminal.getvalue()
    assert text.endswith("\rfrugal eval: 400/400 rows (100%)\n")
    assert text.count("\r") == 101  # one update per percent (0 to 100), not one per row


def test_progress_off_a_terminal_is_a_line_per_ten_percent(monkeypatch: pytest.MonkeyPatch) -> None:
    """A log (stderr not a terminal) gets a line per 10 %; --quiet gets nothing at all."""
    import io

    from frugal.evaluation.progress import progress_printer

    log = io.StringIO()
    monkeypatch.setattr(sys, "stderr", log)
    assert progress_printer("x", quiet=True) is None
    show = progress_printer("frugal train")
    assert show is not None
    for done in range(1, 1001):
        show(done, 1000)
    lines = log.getvalue().splitlines()
    assert lines[0] == "frugal train: 1/1,000 rows (0%)"
    assert lines[1] == "frugal train: 100/1,000 rows (10%)"
    assert lines[-1] == "frugal train: 1,000/1,000 rows (100%)"
    assert len(lines) == 11
    assert "\r" not in log.getvalue()


def test_train_command_defaults_are_the_training_defaults() -> None:
    """`frugal train`'s option defaults are TrainOptions' defaults (the provenance lists only changes)."""
    from frugal.evaluation.train import TrainOptions

    args = cli._parser().parse_args(["train", "x.jsonl", "--out", "m.json"])
    defaults = TrainOptions()
    for key in ("strong", "prior", "l2_dense", "l2_words", "min_df", "max_words"):
        assert getattr(args, key) == getattr(defaults, key), key
    assert args.no_words is not defaults.words
    assert args.no_signs is not defaults.signs


def test_cli_train_records_lifted_signs(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """`frugal train --no-signs` fits without sign constraints and says so in the model's provenance."""
    model = tmp_path / "model.json"
    code, _, _ = run(capsys, "train", str(FIXTURE), "--out", str(model), "--no-signs", "--no-words")
    assert code == 0
    training = json.loads(model.read_text(encoding="utf-8"))["training"]
    assert training["options"]["signs"] is False
    assert training["command"] == "frugal train eval.jsonl --out model.json --no-words --no-signs"


def test_cli_calibrate_with_models_writes_a_policy_that_validates_and_routes(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Models only the data knows are declared under models: with the evaluation's provider and their
    --price, so the written policy validates and routes as written (issue 18); a known name is left to
    the catalog."""
    data = tmp_path / "rows.jsonl"
    data.write_text(FIXTURE.read_text(encoding="utf-8").replace('"big"', '"gpt-4.1"'), encoding="utf-8")
    out_policy = tmp_path / "tuned.yaml"
    args = ["calibrate", str(data), "--models", "tiny,mid,gpt-4.1", "--classifier", "heuristic"]
    assert run(capsys, *args, "--price", "tiny=0.1/0.2", "--out", str(out_policy), "--quiet")[0] == 0
    text = out_policy.read_text(encoding="utf-8")
    policy = parse_policy(text)[0]
    assert set(policy.models) == {"tiny", "mid"}
    assert policy.models["tiny"].provider == policy.models["mid"].provider == "eval"
    assert policy.models["tiny"].prices is not None
    assert (policy.models["tiny"].prices.input, policy.models["tiny"].prices.output) == (0.1, 0.2)
    assert policy.models["mid"].prices is None
    assert "no --price given" in text
    assert policy.providers["eval"].kind == "openai"
    code, out, err = run(capsys, "validate", str(out_policy))
    assert code == 0, err
    assert "3 tiers" in out
    code, out, err = run(capsys, "route", "--policy", str(out_policy), "hi")
    assert code == 0, err
    assert "tiny (eval)" in out
