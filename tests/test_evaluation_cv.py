"""Cross-validated evaluation (--cv): folds, bootstrap figures, leave-one-source-out refits, the CLI."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from frugal import cli
from frugal.evaluation.bootstrap import figures, interval, resample_weights
from frugal.evaluation.data import load_rows
from frugal.evaluation.evaluate import Prepared, prepare
from frugal.evaluation.folds import folds_for, k_folds, parse_cv, source_folds
from frugal.evaluation.setup import compile_for_evaluation, models_policy
from frugal.exceptions import ConfigError
from frugal.policy import ClassifierSpec

FIXTURE = Path(__file__).parent / "data" / "eval.jsonl"
SOURCES = ("alpha", "bravo", "gamma")


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def planted_sources(tmp_path: Path, rows_per_source: int = 40) -> Path:
    """Three sources; in each, the cheap model fails exactly on prompts holding the source's own word.

    Easy prompts hold a word of the same length seen nowhere else, so that nothing but the source's word
    (not length, not a word shared by easy prompts) tells hard from easy.
    """
    lines = []
    for s, source in enumerate(SOURCES):
        for i in range(rows_per_source):
            hard = i % 2 == 0
            filler = "q" + "".join(chr(97 + (n % 26)) for n in (s, i // 26, i % 26, 7))
            prompt = f"{source if hard else filler} item about {'cats' if i % 3 else 'dogs'} today"
            quality = {"cheap": 0.0 if hard else 1.0, "other": 0.0 if hard else 1.0, "strong": 1.0}
            cost = {"cheap": 0.001, "other": 0.002, "strong": 0.01}
            lines.append(
                json.dumps(
                    {
                        "id": f"{source}.{i}",
                        "source": source,
                        "prompt": prompt,
                        "quality": quality,
                        "cost_usd": cost,
                    }
                )
            )
    path = tmp_path / "planted.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def word_model(tmp_path: Path) -> Path:
    """A learned model file whose recipe uses words (so a refit can learn each source's own word)."""
    model = {
        "format": "frugal-learned-classifier",
        "version": 1,
        "bias": 0.0,
        "dense": {},
        "training": {"options": {"words": True, "min_df": 2, "l2_words": 0.001, "signs": True}},
    }
    path = tmp_path / "words.json"
    path.write_text(json.dumps(model), encoding="utf-8")
    return path


def routed(path: Path, models: tuple[str, str] = ("tiny", "big")) -> Prepared:
    rows = load_rows([path])
    router, route = compile_for_evaluation(models_policy(list(models), ClassifierSpec()))
    return prepare(rows, router, route)


# -- folds -----------------------------------------------------------------------------------------


def test_source_folds_follow_the_rows_sources(tmp_path: Path) -> None:
    """--cv sources makes one fold per source, in the order first seen; each row lands in its source's."""
    rows = load_rows([planted_sources(tmp_path, 4)])
    folds = source_folds(rows)
    assert folds.names == ("alpha", "bravo", "gamma")
    assert [folds.names[f] for f in folds.of_row] == [row.source for row in rows]
    assert not folds.in_domain
    assert "leave one source out (3 sources" in folds.label


def test_k_folds_are_in_domain_balanced_and_seeded(tmp_path: Path) -> None:
    """--cv K deals shuffled rows into K folds of near-equal size, the same for the same seed."""
    rows = load_rows([planted_sources(tmp_path, 10)])
    folds = k_folds(rows, 4, seed=1)
    sizes = [folds.of_row.count(f) for f in range(4)]
    assert max(sizes) - min(sizes) <= 1
    assert folds == k_folds(rows, 4, seed=1) != k_folds(rows, 4, seed=2)
    assert folds.in_domain
    assert "in-domain" in folds.label


def test_bad_cv_values_and_sourceless_rows_are_config_errors(tmp_path: Path) -> None:
    """--cv takes 'sources' or a fold count; leaving sources out needs two sources, each row named."""
    assert parse_cv("sources") == "sources"
    assert parse_cv("5") == 5
    for bad in ("1", "source", "x"):
        with pytest.raises(ConfigError, match="expected 'sources'"):
            parse_cv(bad)
    rows = load_rows([FIXTURE])
    unnamed = [r for r in rows if r.source == "fixture/easy"] + [_unnamed(rows[0])]
    with pytest.raises(ConfigError, match=r"eval.jsonl:\d+: --cv sources needs a 'source' on every row"):
        source_folds(unnamed)
    with pytest.raises(ConfigError, match="two sources or more; found only 'fixture/easy'"):
        source_folds([r for r in load_rows([FIXTURE]) if r.source == "fixture/easy"])
    with pytest.raises(ConfigError, match="between 2 and the number of rows"):
        folds_for(load_rows([FIXTURE]), 31)


def _unnamed(row: Any) -> Any:
    from dataclasses import replace

    return replace(row, source="")


# -- bootstrap figures -----------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from([0.1, 0.3, 0.3, 0.5, 0.9]), min_size=30, max_size=30), st.integers(0, 9))
def test_weighted_two_tier_figures_equal_evaluating_the_drawn_rows(scores: list[float], seed: int) -> None:
    """The fast two-tier walk with resample weights gives what evaluating the resampled rows gives."""
    prepared = routed(FIXTURE)
    o = prepared.outcomes
    from dataclasses import replace

    from frugal.evaluation.sweep import Outcomes

    prepared = replace(prepared, outcomes=Outcomes(tuple(scores), o.quality, o.cost))
    weights = resample_weights(30, random.Random(seed))
    drawn = [i for i, w in enumerate(weights) for _ in range(w)]
    fast, slow = figures(prepared, 0.95, weights), figures(prepared.subset(drawn), 0.95)
    for name in ("apgr", "savings", "random_mix"):
        assert getattr(fast, name) == pytest.approx(getattr(slow, name)), name
    unit = figures(prepared, 0.95, [1] * 30)
    assert unit.savings == pytest.approx(figures(prepared, 0.95).savings)
    assert unit.apgr == pytest.approx(figures(prepared, 0.95).apgr)


def test_percentile_interval_by_hand() -> None:
    """The 90 % interval of 0..100 is [5, 95]; fewer than two values give none."""
    found = interval([float(v) for v in range(101)])
    assert found is not None
    assert (found.low, found.high) == (pytest.approx(5.0), pytest.approx(95.0))
    assert interval([1.0]) is None


# -- leave one source out --------------------------------------------------------------------------


def cv_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    code, out, err = run(capsys, "eval", *args, "--json", "--quiet")
    assert code == 0, err
    return json.loads(out)


def test_leaving_a_source_out_hides_its_signal_where_k_fold_leaks_it(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A word that marks hard prompts in one source only is learnt in-domain (k-fold), not across sources."""
    data, model = planted_sources(tmp_path), word_model(tmp_path)
    base = [str(data), "--models", "cheap,strong", "--classifier", "learned", "--bootstrap", "20"]
    base += ["--classifier-options", json.dumps({"model": str(model)})]
    across = cv_json(capsys, *base, "--cv", "sources")
    within = cv_json(capsys, *base, "--cv", "5")
    assert (across["cv"], across["in_domain"]) == ("sources", False)
    assert (within["cv"], within["in_domain"]) == ("k-fold", True)
    for report in (across, within):
        assert [s["source"] for s in report["sources"]] == ["alpha", "bravo", "gamma"]
        assert report["classifiers"][0]["refitted"] is True
    apgr_across = [s["apgr"] for s in across["classifiers"][0]["sources"]]
    apgr_within = [s["apgr"] for s in within["classifiers"][0]["sources"]]
    # Half the rows are hard: sending exactly those up recovers the gap at x = 0.5, an APGR of 0.75.
    assert all(a == pytest.approx(0.75) for a in apgr_within), apgr_within
    assert all(a < 0.6 for a in apgr_across), apgr_across


def test_cv_compares_classifiers_on_the_same_resamples(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """--compare adds classifiers; an untrained one is scored as it is; every figure has its interval."""
    data = planted_sources(tmp_path)
    report = cv_json(
        capsys,
        str(data),
        "--models",
        "cheap,strong",
        "--classifier",
        "heuristic",
        "--cv",
        "sources",
        "--compare",
        "heuristic",
        "--compare",
        'heuristic={"bias": 3}',
        "--bootstrap",
        "30",
    )
    first, same, shifted = report["classifiers"]
    assert first["classifier"] == same["classifier"] == "heuristic"
    assert shifted["classifier"] == "heuristic (bias=3)"
    assert first["refitted"] is False
    assert first["sources"] == same["sources"]  # same scores, same resamples, same figures
    for source in first["sources"]:
        for key in ("apgr_interval", "savings_interval", "gain_interval"):
            low, high = source[key]
            assert low <= high
    pooled = first["pooled"]
    assert pooled["apgr"] == pytest.approx(sum(s["apgr"] for s in first["sources"]) / 3)
    assert report["bootstrap"] == 30


def test_cv_text_report_names_protocol_sources_and_summary(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """The text report says how rows were held out, lists the sources, each classifier's table, a summary."""
    data = planted_sources(tmp_path)
    code, out, _ = run(
        capsys,
        "eval",
        str(data),
        "--models",
        "cheap,strong",
        "--classifier",
        "heuristic",
        "--cv",
        "3",
        "--bootstrap",
        "10",
        "--quiet",
    )
    assert code == 0
    assert "3-fold cross-validation (in-domain" in out
    assert "IN-DOMAIN" in out
    assert "heuristic (as it is: not a trained classifier)" in out
    assert "mean of 3 sources" in out
    assert "sources where savings beat the random mix" in out


def test_several_model_sets_evaluate_each_row_with_the_first_set_it_has(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Repeated --models route each row with the first set whose models it names; others train only."""
    data = planted_sources(tmp_path, 10)
    rows = [json.loads(line) for line in data.read_text(encoding="utf-8").splitlines()]
    for row in rows:
        if row["source"] == "gamma":  # gamma names other models
            row["quality"] = {"small": row["quality"]["cheap"], "large": 1.0}
            row["cost_usd"] = {"small": 0.001, "large": 0.01}
    data.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    report = cv_json(
        capsys,
        str(data),
        "--models",
        "cheap,strong",
        "--models",
        "small,large",
        "--classifier",
        "heuristic",
        "--cv",
        "sources",
        "--bootstrap",
        "5",
    )
    tiers = {s["source"]: s["tiers"] for s in report["sources"]}
    assert tiers == {
        "alpha": [["cheap"], ["strong"]],
        "bravo": [["cheap"], ["strong"]],
        "gamma": [["small"], ["large"]],
    }
    assert report["unmatched_rows"] == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--models", "tiny,big", "--compare", "heuristic"], "--compare needs --cv"),
        (["--models", "tiny,big", "--models", "mid,big"], "several model sets need --cv"),
        (["--models", "tiny,big", "--cv", "x"], "--cv 'x': expected 'sources'"),
        (
            ["--models", "tiny,big", "--cv", "sources", "--compare", "heuristic={bad"],
            "options are not valid JSON",
        ),
        (["--models", "tiny,big", "--cv", "sources", "--bootstrap", "-1"], "--bootstrap must be >= 0"),
    ],
)
def test_cv_bad_options_are_one_clear_line(
    capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    """Misused --cv, --compare and --models exit 1 with one line naming the problem."""
    code, out, err = run(capsys, "eval", str(FIXTURE), *args, "--classifier", "heuristic")
    assert (code, out) == (1, "")
    assert message in err
    assert err.startswith("frugal eval: ")


# -- calibrate across sources ----------------------------------------------------------------------


class Oracle:
    """Scores a planted prompt by whether it holds its source's word: a perfect classifier."""

    name = "oracle"

    def classify(self, request: Any) -> Any:
        from frugal.classifiers.base import Classification

        hard = request.prompt.split()[0] in SOURCES
        return Classification(0.9 if hard else 0.1, (), self.name)


def test_calibrate_across_sources_applies_thresholds_chosen_on_the_others(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Each source gets thresholds chosen on the other sources; a perfect score reaches the target on all."""
    data, out = planted_sources(tmp_path), tmp_path / "tuned.yaml"
    code, stdout, err = run(
        capsys,
        "calibrate",
        str(data),
        "--models",
        "cheap,strong",
        "--classifier",
        f"{__name__}:Oracle",
        "--cv",
        "sources",
        "--out",
        str(out),
        "--json",
        "--quiet",
    )
    assert code == 0, err
    result = json.loads(stdout)
    assert [s["source"] for s in result["sources"]] == list(SOURCES)
    for source in result["sources"]:
        assert 0.1 < source["threshold"][0] <= 0.9
        assert source["reached"]
        assert source["share_of_strongest"] == pytest.approx(1.0)
        assert source["savings"] == pytest.approx(0.45)  # half the rows at a tenth of the strong price
    assert result["reached_on"] == 3
    assert f"thresholds: {result['threshold']}" in out.read_text(encoding="utf-8").replace(", ", ",")


def test_pooled_sources_weigh_by_rows_not_by_their_prices(tmp_path: Path) -> None:
    """Pooling rescales each source's costs to one call of its strongest model per row."""
    from frugal.evaluation.calibrate_sources import pool

    cheap_file = planted_sources(tmp_path, 10)
    dear = tmp_path / "dear.jsonl"
    rows = [json.loads(line) for line in cheap_file.read_text(encoding="utf-8").splitlines()]
    for row in rows:
        row["cost_usd"] = {m: c * 1000 for m, c in row["cost_usd"].items()}
        row["id"] += ".dear"
    dear.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    parts = [routed(cheap_file, ("cheap", "strong")), routed(dear, ("cheap", "strong"))]
    outcomes, goal = pool(parts, 0.9)
    assert sum(outcomes.cost[1]) == pytest.approx(60.0)  # 60 rows, each one strong call
    assert sum(outcomes.cost[0]) == pytest.approx(6.0)
    assert goal == pytest.approx(0.9)


def test_calibrate_cv_takes_only_sources(capsys: pytest.CaptureFixture[str]) -> None:
    """calibrate --cv K is refused with a pointer to --folds K (in-domain)."""
    code, _, err = run(capsys, "calibrate", str(FIXTURE), "--models", "tiny,big", "--cv", "3")
    assert code == 1
    assert "calibrate --cv takes 'sources'; for in-domain k-fold use --folds K" in err


def test_sources_with_almost_no_gap_are_left_out_of_the_pooled_apgr(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A source whose strongest model barely beats its cheapest has no APGR in the mean (only its own)."""
    data = planted_sources(tmp_path)
    rows = [json.loads(line) for line in data.read_text(encoding="utf-8").splitlines()]
    for row in rows:
        if row["source"] == "gamma" and row["id"] != "gamma.0":
            row["quality"]["cheap"] = 1.0  # gamma: the cheap model fails once in 40 rows
    data.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    report = cv_json(
        capsys,
        str(data),
        "--models",
        "cheap,strong",
        "--classifier",
        "heuristic",
        "--cv",
        "sources",
        "--bootstrap",
        "5",
    )
    gaps = {s["source"]: (s["gap"], s["apgr_in_mean"]) for s in report["sources"]}
    assert gaps == {"alpha": (0.5, True), "bravo": (0.5, True), "gamma": (pytest.approx(1 / 40), False)}
    result = report["classifiers"][0]
    kept = [s["apgr"] for s in result["sources"] if s["source"] != "gamma"]
    assert result["pooled"]["apgr"] == pytest.approx(sum(kept) / 2)
