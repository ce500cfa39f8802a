"""The learned classifier: the shipped model, its file format and errors, features, and training."""

from __future__ import annotations

import builtins
import json
import math
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from frugal.classifiers import available_classifiers, load_classifier
from frugal.classifiers.learned import (
    DENSE_FEATURES,
    LearnedClassifier,
    LearnedModel,
    LearnedOptions,
    features,
    load_model,
)
from frugal.evaluation.data import load_rows
from frugal.evaluation.folds import k_folds
from frugal.evaluation.labels import labels
from frugal.evaluation.optimise import minimise_in_box
from frugal.evaluation.train import SIGNS, TrainOptions, fit, out_of_fold_scores
from frugal.exceptions import ConfigError
from frugal.policy import parse_policy
from frugal.request import RoutingRequest
from frugal.routing.compile import compile_policy

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
    """Depth, structured output and images raise the score, with the heuristic's fixed weights; tools do
    not (a capability the router filters on)."""
    classifier = LearnedClassifier()
    base = score(classifier, "Help me with this task")
    assert score(classifier, "Help me with this task", tools=2, tool_history=True) == base
    for fields in ({"turns": 12}, {"structured_output": True}, {"images": 1}):
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


def test_reasoning_demand_features_by_hand() -> None:
    """Connectives, clauses, sentences and the question's kind are counted as documented (hand-computed)."""
    prompt = (
        "Why didn't the train stop, although it was late? If it was late, it must be slower than the bus, "
        "but not by much."
    )
    dense, words = features(RoutingRequest.from_prompt(prompt))
    assert len(words) == 25  # "didn't" folds to "didn" and "t"
    assert dense["negation"] == pytest.approx(2 / 3)  # "not" and the "t" of "didn't"
    assert dense["contrast"] == 1.0  # "although", "but" (capped at 2)
    assert dense["comparison"] == pytest.approx(1 / 3)  # "than"
    assert dense["condition"] == 0.5  # "if"
    assert dense["clauses"] == 0.5  # 3 commas of 6
    assert dense["sentences"] == 0.25  # "late? If", and the final "."
    assert dense["sentence_length"] == pytest.approx(25 / 2 / 40)
    assert dense["why"] == dense["wh_start"] == 1.0
    assert dense["function_words"] == pytest.approx(17 / 25)
    for absent in ("causal", "how_many", "imperative", "lookup", "which", "what"):
        assert absent not in dense, absent
    asks = "Write a function. Who wrote it, and how many lines; which one is more than what?"
    dense, _ = features(RoutingRequest.from_prompt(asks))
    for kind in ("how_many", "imperative", "lookup", "which", "what"):
        assert dense[kind] == 1.0, kind
    assert dense["comparison"] == pytest.approx(2 / 3)  # "more", "than"
    assert dense["function_words"] == pytest.approx(10 / 16)  # the single letter "a" is not a word
    assert dense["sentence_length"] == pytest.approx(16 / 2 / 40)


def test_layout_markers_are_not_features() -> None:
    """A question mark or multiple-choice options change nothing: they mark a data set, not difficulty."""
    asked, told = "Which one is the metal: copper or wood?", "Which one is the metal: copper or wood."
    assert features(RoutingRequest.from_prompt(asked)) == features(RoutingRequest.from_prompt(told))
    assert "options" not in DENSE_FEATURES
    assert "question" not in DENSE_FEATURES


def test_inference_needs_no_numpy() -> None:
    """Building and running the learned classifier imports neither numpy nor anything heavy."""
    code = (
        "import sys; from frugal.classifiers.learned import LearnedClassifier; from frugal.request import "
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
        (json.dumps({**GOOD, "dense": {"options": 1.0}}), r"unknown dense feature 'options'"),
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


def test_shipped_model_round_trips_and_reads_only_known_features(tmp_path: Path) -> None:
    """The shipped model saved and loaded again scores the same; its dense weights cover DENSE_FEATURES."""
    shipped = load_model()
    assert list(shipped.dense) == list(DENSE_FEATURES)
    assert not shipped.words  # trained with --no-words
    path = tmp_path / "copy.json"
    shipped.save(path)
    copy = load_model(path)
    assert copy.to_dict() == shipped.to_dict()
    for prompt in [*EASY, *HARD]:
        assert score(LearnedClassifier(model=copy), prompt) == score(LearnedClassifier(model=shipped), prompt)


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


def test_escalation_label_by_hand(tmp_path: Path) -> None:
    """The default label: mean over ordered pairs (weaker, stronger) of q_stronger x (1 - q_weaker)."""
    rows = load_rows([planted(tmp_path)])
    found = labels(rows)
    assert list(found.order.values()) == [("other", "cheap", "strong")]  # means 1/3, 2/3, 1
    # Row 0 (other 0, cheap 0, strong 1): the pairs (other, cheap), (other, strong), (cheap, strong)
    # give 0, 1 and 1.
    assert found.values[0] == pytest.approx(2 / 3)
    assert found.values[1] == pytest.approx(0.0)  # every model succeeds: nothing to gain
    assert found.values[2] == pytest.approx(2 / 3)  # other 0, cheap 1, strong 1: 1, 1 and 0
    two = labels([replace(rows[0], quality={"cheap": 0.25, "strong": 0.5})])
    assert two.values == (0.5 * 0.75,)


def test_strong_wins_label_follows_the_strong_model_of_each_file(tmp_path: Path) -> None:
    """The 0.1 label: q_strong x (1 - mean of the others), the strong model being the file's most accurate."""
    rows = load_rows([planted(tmp_path)])
    found = labels(rows, "strong-wins")
    assert set(found.strong.values()) == {"strong"}
    assert found.values[0] == 1.0  # the hard row: strong succeeds, both others fail
    assert found.values[1] == pytest.approx(0.0)  # cheap and other succeed
    assert found.values[2] == pytest.approx(0.5)  # cheap succeeds, other fails


def test_training_finds_a_planted_signal_and_is_deterministic(tmp_path: Path) -> None:
    """A word marking the rows only the strong model solves gets a positive weight; same data, same model."""
    rows = load_rows([planted(tmp_path)])
    options = TrainOptions(min_df=2, label="strong-wins")  # on these rows: exactly the 'quux' rows
    model = fit(rows, options)
    assert model.words["quux"] > 0.1
    assert model.to_dict() == fit(rows, options).to_dict()
    classifier = LearnedClassifier(model=model)
    assert score(classifier, "quux item number 99") > score(classifier, "item number 99")
    assert not fit(rows, TrainOptions(words=False)).words
    scores = out_of_fold_scores(rows, options, k_folds(rows, 3))
    assert scores == out_of_fold_scores(rows, options, k_folds(rows, 3))
    hard = [scores[r.id] for r in rows if r.request.prompt.startswith("quux")]
    easy = [scores[r.id] for r in rows if not r.request.prompt.startswith("quux")]
    assert min(hard) > max(easy)  # out of fold, too: the signal generalises across folds


def test_signs_hold_difficulty_cues_at_zero_when_the_data_points_the_other_way(tmp_path: Path) -> None:
    """With signs, a difficulty cue marking easy rows gets weight 0; without them, a negative weight."""
    rows = []
    for i in range(80):
        negated = i % 2 == 0  # in this data, negated prompts are the easy ones
        prompt = f"{'do not ' if negated else ''}sort item {i} of the list"
        quality = {"cheap": 1.0 if negated else float(i % 4 == 1), "strong": 1.0}
        rows.append(json.dumps({"id": str(i), "prompt": prompt, "quality": quality}))
    path = tmp_path / "negated.jsonl"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    data = load_rows([path])
    assert SIGNS["negation"] == 1
    signed = fit(data, TrainOptions(words=False))
    assert signed.dense["negation"] == 0.0
    assert fit(data, TrainOptions(words=False, signs=False)).dense["negation"] < -0.5
    assert signed.training["options"]["signs"] is True


def test_every_dense_feature_has_a_sign() -> None:
    """SIGNS covers exactly the dense features, each +1, -1 or 0."""
    assert set(SIGNS) == set(DENSE_FEATURES)
    assert set(SIGNS.values()) <= {-1, 0, 1}
    assert SIGNS["simple"] == SIGNS["lookup"] == -1


def test_box_constrained_minimiser_finds_the_constrained_minimum() -> None:
    """The optimiser stops at the minimum inside the box: (x-1)^2 + (y+2)^2 with y >= 0 is least at (1, 0)."""
    np = pytest.importorskip("numpy")

    def function(x: Any) -> tuple[float, Any]:
        return float((x[0] - 1) ** 2 + (x[1] + 2) ** 2), np.array([2 * (x[0] - 1), 2 * (x[1] + 2)])

    lower, upper = np.array([-np.inf, 0.0]), np.array([np.inf, np.inf])
    found = minimise_in_box(function, np.array([5.0, 3.0]), lower, upper, 1000)
    assert found == pytest.approx([1.0, 0.0], abs=1e-6)


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


# -- version 2: language, scale, recipe -------------------------------------------------------------

CHINESE = "运行中变压器温度最高的部分是"
RUSSIAN = "Какая часть трансформатора нагревается сильнее всего"


def test_prompts_in_other_scripts_are_scored_on_neutral_values() -> None:
    """A prompt in another script scores as the model's neutral prompt of its structure: not up, not down."""
    shipped = LearnedClassifier()
    assert shipped.model.dense["non_latin"] == 0.0
    chinese, russian = score(shipped, CHINESE), score(shipped, RUSSIAN)
    assert chinese == pytest.approx(russian)
    model = shipped.model
    neutral = {k: model.neutral.get(k, 0.0) for k in DENSE_FEATURES}
    logit = model.bias + sum(model.dense[k] * v for k, v in neutral.items())
    assert chinese == pytest.approx(1 / (1 + math.exp(-logit)))
    previous = LearnedClassifier(LearnedOptions(model="v1"))  # the 0.1 model routed them up
    assert score(previous, CHINESE) > score(previous, "Which part of a transformer runs hottest") + 0.05


def planted_scripts(tmp_path: Path) -> Path:
    """Rows where every prompt in Cyrillic is one only the strong model solves."""
    rows = []
    for i in range(40):
        hard = i % 2 == 0
        prompt = f"{RUSSIAN} {i}" if hard else f"Which part of the machine number {i} runs hottest"
        quality = {"cheap": 0.0 if hard else 1.0, "strong": 1.0}
        rows.append(json.dumps({"id": str(i), "source": "s", "prompt": prompt, "quality": quality}))
    path = tmp_path / "scripts.jsonl"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_training_gives_a_script_no_weight_unless_told(tmp_path: Path) -> None:
    """Language-neutral training keeps a script from becoming a difficulty; without it, it becomes one."""
    rows = load_rows([planted_scripts(tmp_path)])
    neutral = fit(rows, TrainOptions(words=False))
    assert neutral.dense["non_latin"] == 0.0
    assert neutral.neutral["function_words"] > 0.3  # the English rows' mean
    assert "numbers" not in neutral.neutral  # measured the same way in any script
    raw = fit(rows, TrainOptions(words=False, language_neutral=False))
    assert raw.dense["non_latin"] > 0.5
    assert not raw.neutral


def test_suggested_thresholds_split_the_training_scores_evenly() -> None:
    """The learned classifier's own thresholds come from its training scores' quantiles."""
    model = LearnedModel(bias=0.0, dense={}, quantiles=tuple(i / 20 for i in range(21)))
    classifier = LearnedClassifier(model=model)
    assert classifier.suggested_thresholds(2) == (0.5,)
    assert classifier.suggested_thresholds(4) == (0.25, 0.5, 0.75)
    assert LearnedClassifier(model=LearnedModel(bias=0.0, dense={})).suggested_thresholds(3) == (1 / 3, 2 / 3)
    shipped = LearnedClassifier().suggested_thresholds(3)
    assert len(shipped) == 2
    assert 0 < shipped[0] < shipped[1] < 1


def test_recipes_are_read_from_model_files() -> None:
    """A model file's recorded options are its recipe; a version 1 file's missing options are version 1's."""
    from frugal.evaluation.train import recipe_of

    v1, v2 = load_model("v1"), load_model()
    assert v1.version == 1
    assert v2.version == 2
    old, new = recipe_of(v1), recipe_of(v2)
    assert (old.label, old.intercepts, old.language_neutral) == ("strong-wins", "file", False)
    assert (new.label, new.intercepts, new.language_neutral) == ("escalation", "source", True)
    assert set(new.exclude_sources) == {"cmmlu", "ceval"}  # non-commercial: not trained on
    assert not new.words
    assert "cmmlu" not in v2.training["sources"]
