"""Classifiers: the protocol, the registry (entry points and dotted paths), and the heuristic."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from frugal import ConfigError
from frugal._request import RoutingRequest
from frugal.classifiers import Classification, Classifier, available_classifiers, load_classifier
from frugal.classifiers.heuristic import HeuristicClassifier, HeuristicOptions

HEURISTIC = HeuristicClassifier()


def score(prompt: str, **fields: object) -> float:
    return HEURISTIC.classify(RoutingRequest.from_prompt(prompt, **fields)).score  # type: ignore[arg-type]


def test_builtin_is_registered_through_entry_points() -> None:
    """The heuristic is found by name via the frugal.classifiers entry-point group, like a plug-in."""
    assert "heuristic" in available_classifiers()
    classifier = load_classifier("heuristic")
    assert isinstance(classifier, Classifier)
    assert classifier.name == "heuristic"


@pytest.mark.parametrize("spec", ["tests.helpers:MetadataScore", "tests.helpers.MetadataScore"])
def test_dotted_paths_load(spec: str) -> None:
    """Both dotted-path forms load a classifier class."""
    assert load_classifier(spec).name == "metadata-score"


@pytest.mark.parametrize(
    ("spec", "options", "message"),
    [
        ("heuristc", None, "did you mean 'heuristic'"),
        ("nope.module:Thing", None, "cannot import module 'nope.module'"),
        ("tests.helpers:Missing", None, "has no attribute 'Missing'"),
        ("frugal.catalog:Catalog", None, "building it failed: TypeError"),
        ("frugal.policy:ClassifierSpec", None, r"has no 'name' and 'classify\(request\)'"),
        ("heuristic", {"bias": "high"}, "option bias"),
        ("heuristic", {"unknown_weight": 1}, "option unknown_weight"),
        ("tests.helpers:MetadataScore", {"x": 1}, "takes no options"),
    ],
)
def test_registry_errors_are_config_errors(
    spec: str, options: dict[str, object] | None, message: str
) -> None:
    """Every way of naming a classifier wrongly raises ConfigError saying what is wrong."""
    with pytest.raises(ConfigError, match=message):
        load_classifier(spec, options)


def test_options_change_weights() -> None:
    """Options are validated and used: a higher bias raises every score."""
    low = load_classifier("heuristic", {"bias": -3})
    high = load_classifier("heuristic", {"bias": 1})
    request = RoutingRequest.from_prompt("Tell me about the weather")
    assert high.classify(request).score > low.classify(request).score


def test_hard_prompts_score_higher_than_easy_ones() -> None:
    """Code, math and multi-step reasoning score above greetings and lookups."""
    easy = [
        score("hi"),
        score("What is the capital of France?"),
        score("Translate 'good morning' to Spanish"),
    ]
    hard = [
        score(
            "Design a distributed rate limiter. Explain the trade-offs step by step, implement it in Python."
        ),
        score("Prove that the square root of 2 is irrational, then derive a general theorem for primes."),
        score("Debug this function:\n```python\ndef f(x):\n    return x[0] / len(x)\n```\nWhy does it fail?"),
    ]
    assert max(easy) < 0.35 < min(hard)


def test_request_properties_raise_the_score() -> None:
    """Tools, conversation depth, structured output, long output and images each raise the score."""
    base = score("Help me with this task")
    assert score("Help me with this task", tools=2) > base
    assert score("Help me with this task", turns=12) > base
    assert score("Help me with this task", structured_output=True) > base
    assert score("Help me with this task", max_output_tokens=8000) > base
    assert score("Help me with this task", images=1) > base


def test_classification_rejects_scores_outside_unit_interval() -> None:
    """A Classification outside [0, 1] is a programming error, caught at once."""
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        Classification(1.5)


@settings(max_examples=200, deadline=None)
@given(prompt=st.text(max_size=3000), turns=st.integers(1, 50), tools=st.integers(0, 5))
def test_heuristic_never_fails_and_stays_in_range(prompt: str, turns: int, tools: int) -> None:
    """Any text (empty, huge, unicode) gives a score in [0, 1] and at least one reason."""
    result = HEURISTIC.classify(RoutingRequest.from_prompt(prompt, turns=turns, tools=tools))
    assert 0.0 <= result.score <= 1.0
    assert result.reasons


words = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=12, max_size=20)


@settings(max_examples=100, deadline=None)
@given(secret=words)
def test_reasons_never_quote_the_prompt(secret: str) -> None:
    """Reasons reach telemetry: they never contain the prompt's words."""
    result = HEURISTIC.classify(
        RoutingRequest.from_prompt(f"Please explain why {secret} matters step by step")
    )
    assert all(secret not in reason for reason in result.reasons)


def test_long_prompts_are_scanned_in_a_bounded_window() -> None:
    """Cues in the middle of a huge prompt are not scanned; the head and tail are."""
    options = HeuristicOptions(scan_chars=300)
    classifier = HeuristicClassifier(options)
    filler = "lorem ipsum " * 2000
    middle = classifier.classify(RoutingRequest.from_prompt(filler + " prove the theorem " + filler)).score
    tail = classifier.classify(RoutingRequest.from_prompt(filler + filler + " prove the theorem")).score
    assert tail > middle
