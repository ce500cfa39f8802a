"""Adaptation (--cv sources --adapt SHARE): each source's model also trains on a share of its own rows."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from frugal.evaluation.data import load_rows
from frugal.evaluation.folds import adapt_folds, k_folds, source_folds
from frugal.evaluation.trainers import refit_scores
from frugal.exceptions import ConfigError

from .test_evaluation_cv import cv_json, planted_sources, run, word_model


def test_adaptation_rows_are_a_seeded_share_trained_on_and_never_scored(tmp_path: Path) -> None:
    """Each source gives round(share x rows) rows to its own model's training side; the rest are judged."""
    rows = load_rows([planted_sources(tmp_path, 10)])
    folds = adapt_folds(source_folds(rows), 0.2, seed=3)
    assert folds == adapt_folds(source_folds(rows), 0.2, seed=3) != adapt_folds(source_folds(rows), 0.2, 4)
    for fold in range(3):
        own = [i for i, f in enumerate(folds.of_row) if f == fold]
        adapted = folds.adaptation_rows(fold)
        assert len(adapted) == 2
        assert sorted(adapted + folds.rows_of(fold)) == own
        assert set(folds.training_rows(fold)) == (set(range(30)) - set(own)) | set(adapted)
    assert "a random 20% of its own rows; judged on its other 80%" in folds.label


class Recorder:
    """A trainer that records what each fold's model was trained on, and scores nothing."""

    def __init__(self) -> None:
        self.fits: list[tuple[list[int], list[int]]] = []

    def fit(self, indices: Any, adapt: Any = ()) -> Any:
        self.fits.append((list(indices), list(adapt)))
        return None

    def score(self, classifier: Any, index: int) -> float:
        return 0.5


def test_refits_train_on_the_fold_s_adaptation_rows_and_score_only_the_others(tmp_path: Path) -> None:
    """refit_scores hands each fold's adaptation rows to the trainer and scores only the judged rows."""
    rows = load_rows([planted_sources(tmp_path, 10)])
    folds = adapt_folds(source_folds(rows), 0.3, seed=0)
    trainer = Recorder()
    scores = refit_scores(trainer, rows, folds)
    assert set(scores) == {rows[i].id for i in range(30) if not folds.adapted(i)}
    for fold, (trained, adapt) in enumerate(trainer.fits):
        assert adapt == folds.adaptation_rows(fold)
        assert set(adapt) <= set(trained)


def test_a_planted_word_is_learnt_from_the_adaptation_rows_and_not_by_the_prior(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A word marking hard prompts in one source only: adapting on half the source learns it (a perfect
    ranking of the judged half, APGR 1 - hard share / 2); the prior alone, on the same rows, does not."""
    data, model = planted_sources(tmp_path), word_model(tmp_path)
    report = cv_json(
        capsys,
        str(data),
        "--models",
        "cheap,strong",
        "--classifier",
        "learned",
        "--classifier-options",
        json.dumps({"model": str(model)}),
        "--cv",
        "sources",
        "--adapt",
        "0.5",
        "--bootstrap",
        "10",
    )
    assert [s["rows"] for s in report["sources"]] == [20, 20, 20]  # the adaptation half is not judged
    adapted, prior = report["classifiers"]
    assert adapted["classifier"] == "learned (model=" + str(model) + "), adapted (50%)"
    assert prior["classifier"] == "learned (model=" + str(model) + "), prior alone"
    rows = load_rows([data])
    adapted_rows = adapt_folds(source_folds(rows), 0.5, seed=0)
    for fold, source in enumerate(adapted["sources"]):
        judged = adapted_rows.rows_of(fold)
        hard = sum(rows[i].quality["cheap"] == 0.0 for i in judged) / len(judged)
        assert source["apgr"] == pytest.approx(1 - hard / 2), source
        assert prior["sources"][fold]["apgr"] < 0.6, prior["sources"]
    assert "adapted (3 sources" in report["protocol"]


def test_a_source_the_recipe_leaves_out_is_still_adapted_on(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A recipe that never trains on a source (a non-commercial one) still adapts on its rows when it is
    the source judged: the figure is an evaluation, nothing made from it ships."""
    data, model = planted_sources(tmp_path), word_model(tmp_path)
    document = json.loads(model.read_text(encoding="utf-8"))
    document["training"]["options"]["exclude_sources"] = ["alpha"]
    model.write_text(json.dumps(document), encoding="utf-8")
    report = cv_json(
        capsys,
        str(data),
        "--models",
        "cheap,strong",
        "--classifier",
        "learned",
        "--classifier-options",
        json.dumps({"model": str(model)}),
        "--cv",
        "sources",
        "--adapt",
        "0.5",
        "--bootstrap",
        "0",
    )
    alpha = report["classifiers"][0]["sources"][0]
    assert alpha["source"] == "alpha"
    assert alpha["apgr"] > 0.7


def test_an_untrained_classifier_is_judged_once_on_the_judged_rows(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """The heuristic is not trained: no adapted or prior variant, just its figures on the same rows."""
    report = cv_json(
        capsys,
        str(planted_sources(tmp_path)),
        "--models",
        "cheap,strong",
        "--classifier",
        "heuristic",
        "--cv",
        "sources",
        "--adapt",
        "0.25",
        "--bootstrap",
        "0",
    )
    assert [c["classifier"] for c in report["classifiers"]] == ["heuristic"]
    assert [s["rows"] for s in report["sources"]] == [30, 30, 30]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--adapt", "0.2"], "--adapt needs --cv sources"),
        (["--cv", "3", "--adapt", "0.2"], "--adapt needs --cv sources"),
        (["--cv", "sources", "--adapt", "1"], "--adapt 1.0: expected a share of each source's rows"),
        (["--cv", "sources", "--adapt", "0"], "expected a share"),
    ],
)
def test_bad_adapt_options_are_one_clear_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, args: list[str], message: str
) -> None:
    """--adapt without --cv sources, or a share outside (0, 1), exits 1 with one line."""
    data = planted_sources(tmp_path, 4)
    code, out, err = run(
        capsys, "eval", str(data), "--models", "cheap,strong", "--classifier", "heuristic", *args
    )
    assert (code, out) == (1, "")
    assert message in err
    assert err.count("\n") == 1


def test_adapting_k_folds_is_refused(tmp_path: Path) -> None:
    """k-fold folds are already in-domain: adapting them is a ConfigError."""
    rows = load_rows([planted_sources(tmp_path, 4)])
    with pytest.raises(ConfigError, match="--adapt needs --cv sources"):
        adapt_folds(k_folds(rows, 3), 0.2)


def test_the_text_report_says_how_each_model_was_trained(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """The adapted classifier's table says it trained on a share of the judged source; the prior's not."""
    data, model = planted_sources(tmp_path), word_model(tmp_path)
    code, out, _ = run(
        capsys,
        "eval",
        str(data),
        "--models",
        "cheap,strong",
        "--classifier",
        "learned",
        "--classifier-options",
        json.dumps({"model": str(model)}),
        "--cv",
        "sources",
        "--adapt",
        "0.5",
        "--bootstrap",
        "0",
        "--quiet",
    )
    assert code == 0
    assert "adapted (50%) (refitted on the other sources and a random 50% of the judged one)" in out
    assert "prior alone (refitted without each source)" in out
