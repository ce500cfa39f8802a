"""The learned classifier: the shipped model, its file format and errors, features, and training."""

from __future__ import annotations

import builtins
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from frugal._compile import compile_policy
from frugal._request import RoutingRequest
from frugal.classifiers import available_classifiers, load_classifier
from frugal.classifiers.learned import DENSE_FEATURES, LearnedClassifier, LearnedModel, features, load_model
from frugal.evaluation.data import load_rows
from frugal.evaluation.train import TrainOptions, fit, labels, out_of_fold_scores
from frugal.exceptions import ConfigError
from frugal.policy import parse_policy

FIXTURE = Path(__file__).parent / "data" / "eval.jsonl"
KINDS = {"openai": "openai", "anthropic": "anthropic"}
EASY = [
    "hi",
    "What is the capital of France?",
    "thanks, that's perfect",
    "Translate 'good morning' to Spanish",
]
HARD = [
    "Design a distributed rate limiter. Explain the trade-offs step by step, then implement it in Rust.",
    "Prove that there are infinitely many primes of the form 4k+3, then derive a bound on their density.",
]


def score(classifier: LearnedClassifier, prompt: str, **fields: Any) -> float:
    return classifier.classify(RoutingRequest.from_prompt(prompt, **fields)).score


def test_learned_is_registered_and_ships_a_model() -> None:
    """`learned` is a registered built-in and builds with the model shipped inside the package."""
    assert "learned" in available_classifiers()
    classifier = load_classifier("learned")
    assert isinstance(classifier, LearnedClassifier)
    assert classifier.model.training["data"][0]["file"] == "routerbench-train.jsonl"
    assert set(classifier.model.dense) == set(DENSE_FEATURES)


def test_shipped_model_scores_greetings_below_proofs_and_design() -> None:
    """Greetings and lookups score below multi-step proofs and design questions."""
    classifier = LearnedClassifier()
    assert max(score(classifier, p) for p in EASY) < min(score(classifier, p) for p in HARD)


def test_request_shape_raises_the_score() -> None:
    """Tools, depth, structured output and images raise the score, with the heuristic's fixed weights."""
    classifier = LearnedClassifier()
    base = score(classifier, "Help me with this task")
    for fields in ({"tools": 2}, {"turns": 12}, {"structured_output": True}, {"images": 1}):
        assert score(classifier, "Help me with this task", **fields) > base, fields


def test_classification_is_deterministic_and_never_quotes_the_prompt() -> None:
    """Same request, same verdict; the reasons name feature families, never a word of the prompt."""
    classifier = LearnedClassifier()
    prompt = "Zanzibarquux: compute the integral of x^2 and prove the bound, then write a Python function."
    request = RoutingRequest.from_prompt(prompt)
    first = classifier.classify(request)
    assert first == LearnedClassifier().classify(request)
    assert first.classifier == "learned"
    assert 1 <= len(first.reasons) <= 3
    words = {w.strip(".,:").lower() for w in prompt.split()} - {"the", "and", "of", "a", "then"}
    for reason in first.reasons:
        assert not words & set(reason.lower().replace("(", " ").split()), reason


def test_few_shot_template_lines_are_not_features() -> None:
    """A few-shot prompt is read as its final question without the lines it shares with the examples."""
    shots = "".join(
        f"Question {i}: what is {i} + {i}?\nReply with a number only.\nAnswer:\n{2 * i}\n\n" for i in range(4)
    )
    prompt = shots + "Why do leaves fall in autumn?\nReply with a number only.\nAnswer:"
    dense, words = features(RoutingRequest.from_prompt(prompt))
    assert set(words) == {b"why", b"do", b"leaves", b"fall", b"in", b"autumn"}
    assert dense == features(RoutingRequest.from_prompt("Why do leaves fall in autumn?"))[0]


def test_inference_needs_no_numpy() -> None:
    """Building and running the learned classifier imports neither numpy nor anything heavy."""
    code = (
        "import sys; from frugal.classifiers.learned import LearnedClassifier; from frugal._request import "
        "RoutingRequest; LearnedClassifier().classify(RoutingRequest.from_prompt('hi')); "
        "print('numpy' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    assert out.strip() == "False"


# -- model files -------------------------------------------------------------------------------------


def policy_with(model: Path) -> str:
    return (
        "tiers:\n  - {name: a, models: [gpt-4o-mini]}\n  - {name: b, models: [gpt-4.1]}\n"
        f"classifier:\n  name: learned\n  options: {{model: {json.dumps(str(model))}}}\n"
    )


def compile_text(text: str) -> object:
    policy, located = parse_policy(text, "p.yaml")
    return compile_policy(policy, located, providers=KINDS, models={}, available_providers=frozenset(KINDS))


GOOD = {"format": "frugal-learned-classifier", "version": 1, "bias": -1.0, "dense": {"length": 1.0}}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", r"not a learned-classifier model: invalid JSON"),
        (json.dumps({"bias": 1}), r'not a learned-classifier model \(no "format"'),
        (json.dumps({**GOOD, "version": 9}), r"model format version 9 is not supported"),
        (json.dumps({**GOOD, "dense": {"lenght": 1.0}}), r"unknown dense feature 'lenght' \(known: length"),
        (json.dumps({**GOOD, "shape": {"tool": 1.0}}), r"unknown shape feature 'tool'"),
        (
            json.dumps({**GOOD, "bias": "high"}),
            r"invalid learned-classifier model: bias: Input should be a valid number",
        ),
        (json.dumps(GOOD).replace("-1.0", "NaN"), r"bias: Input should be a finite number"),
        (json.dumps({**GOOD, "extra": 1}), r"extra: Extra inputs are not permitted"),
    ],
)
def test_bad_model_files_fail_when_the_policy_loads(tmp_path: Path, content: str, message: str) -> None:
    """A bad model file is a ConfigError at policy load naming the policy line, the file and the problem."""
    model = tmp_path / "model.json"
    model.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError, match=message) as caught:
        compile_text(policy_with(model))
    assert str(caught.value).startswith("p.yaml:5:9: classifier.name: classifier 'learned': ")
    assert str(model) in str(caught.value)


def test_missing_model_file_and_bad_options(tmp_path: Path) -> None:
    """A missing file, an unknown option or a non-string path are ConfigErrors at load."""
    with pytest.raises(ConfigError, match=r"nope.json: cannot read the learned classifier's model file"):
        compile_text(policy_with(tmp_path / "nope.json"))
    with pytest.raises(ConfigError, match=r"unknown option 'modle'"):
        load_classifier("learned", {"modle": "x"})
    with pytest.raises(ConfigError, match=r"option 'model'"):
        load_classifier("learned", {"model": 3})


def test_model_files_round_trip(tmp_path: Path) -> None:
    """save() then load_model() gives the same model, and the same scores."""
    model = LearnedModel(
        bias=-0.5, dense={"length": 1.0, "math": 0.5}, words={"prove": 0.7}, shape={"tools": 0.8}
    )
    path = tmp_path / "m.json"
    model.save(path)
    loaded = load_model(path)
    assert loaded.to_dict() == model.to_dict()
    prompt = "Prove this with math: 1 + 1 = 2"
    assert score(LearnedClassifier(model=loaded), prompt) == score(LearnedClassifier(model=model), prompt)
    assert score(LearnedClassifier(model=model), "prove it") > score(
        LearnedClassifier(model=model), "show it"
    )


# -- training ----------------------------------------------------------------------------------------


def planted(tmp_path: Path) -> Path:
    """Rows where the strong model alone succeeds exactly when the prompt mentions 'quux'."""
    rows = []
    for i in range(60):
        hard = i % 3 == 0
        prompt = f"{'quux ' if hard else ''}item number {i} about {'cats' if i % 2 else 'dogs'} and more"
        quality = {"cheap": 0.0 if hard else 1.0, "other": 0.0 if hard else float(i % 2), "strong": 1.0}
        rows.append(json.dumps({"id": str(i), "prompt": prompt, "quality": quality}))
    path = tmp_path / "planted.jsonl"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_labels_follow_the_strong_model_of_each_file(tmp_path: Path) -> None:
    """The label is q_strong x (1 - mean of the others), the strong model being the file's most accurate."""
    rows = load_rows([planted(tmp_path)])
    found = labels(rows)
    assert set(found.strong.values()) == {"strong"}
    assert found.values[0] == 1.0  # the hard row: strong succeeds, both others fail
    assert found.values[1] == pytest.approx(0.0)  # cheap and other succeed
    assert found.values[2] == pytest.approx(0.5)  # cheap succeeds, other fails


def test_training_finds_a_planted_signal_and_is_deterministic(tmp_path: Path) -> None:
    """A word marking the rows only the strong model solves gets a positive weight; same data, same model."""
    rows = load_rows([planted(tmp_path)])
    options = TrainOptions(min_df=2)
    model = fit(rows, options)
    assert model.words["quux"] > 0.1
    assert model.to_dict() == fit(rows, options).to_dict()
    classifier = LearnedClassifier(model=model)
    assert score(classifier, "quux item number 99") > score(classifier, "item number 99")
    assert not fit(rows, TrainOptions(words=False)).words
    scores = out_of_fold_scores(rows, options, folds=3)
    assert scores == out_of_fold_scores(rows, options, folds=3)
    hard = [scores[r.id] for r in rows if r.request.prompt.startswith("quux")]
    easy = [scores[r.id] for r in rows if not r.request.prompt.startswith("quux")]
    assert min(hard) > max(easy)  # out of fold, too: the signal generalises across folds


def test_train_options_are_validated() -> None:
    """Nonsensical training options are ConfigErrors."""
    for bad in ({"l2_dense": 0}, {"min_df": 0}, {"max_words": -1}, {"prior": "uniform"}):
        with pytest.raises(ConfigError):
            TrainOptions(**bad)  # type: ignore[arg-type]


def test_train_without_numpy_says_how_to_get_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without numpy, training is a clear error naming the extra to install."""
    real_import = builtins.__import__

    def no_numpy(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "numpy" or name.startswith("numpy."):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_numpy)
    with pytest.raises(ConfigError, match=r"frugal train needs numpy: pip install 'frugal-router\[train\]'"):
        fit(load_rows([FIXTURE]))
