"""Classifiers: the protocol, the registry (entry points and dotted paths), and the heuristic."""

from __future__ import annotations

import math
import re
from importlib.metadata import entry_points
from typing import Any, ClassVar

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ConfigDict

from frugal.classifiers import (
    Classification,
    Classifier,
    available_classifiers,
    load_classifier,
    registry,
)
from frugal.classifiers.cues import CUE_FAMILIES, scan
from frugal.classifiers.heuristic import HeuristicClassifier, HeuristicOptions
from frugal.exceptions import ConfigError
from frugal.request import RoutingRequest

HEURISTIC = HeuristicClassifier()


def score(prompt: str, classifier: HeuristicClassifier = HEURISTIC, **fields: Any) -> float:
    return classifier.classify(RoutingRequest.from_prompt(prompt, **fields)).score


# Classifiers loaded by dotted path from this very module.


class KeywordOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    words: list[str] = ["prove"]
    weight: float = 0.5


class Keyword:
    """A third-party-style classifier with validated options."""

    name = "keyword"
    Options: ClassVar[type[KeywordOptions]] = KeywordOptions

    def __init__(self, options: KeywordOptions) -> None:
        self.options = options

    def classify(self, request: RoutingRequest) -> Classification:
        hits = sum(word in request.prompt for word in self.options.words)
        return Classification(min(1.0, hits * self.options.weight), (f"{hits} keywords",), self.name)


class LaxOptions(BaseModel):
    threshold: float = 0.5  # pydantic's default extra="ignore": unknown keys would vanish silently


class Lax:
    name = "lax"
    Options: ClassVar[type[LaxOptions]] = LaxOptions

    def __init__(self, options: LaxOptions) -> None:
        self.options = options

    def classify(self, request: RoutingRequest) -> Classification:
        return Classification(self.options.threshold)


class Plain:
    name = "plain"

    def classify(self, request: RoutingRequest) -> Classification:
        return Classification(0.5, (), self.name)


class NoClassify:
    name = "broken"


class FailsToBuild:
    name = "fails"

    def __init__(self) -> None:
        raise RuntimeError("no model file")

    def classify(self, request: RoutingRequest) -> Classification:
        raise NotImplementedError


class Namespace:
    Nested = Plain


READY = Plain()


# The protocol


def test_builtin_and_plain_classes_satisfy_the_protocol() -> None:
    """The heuristic and any object with a name and classify() are Classifiers; others are not."""
    assert isinstance(HEURISTIC, Classifier)
    assert isinstance(Plain(), Classifier)
    assert not isinstance(NoClassify(), Classifier)
    result = HEURISTIC.classify(RoutingRequest.from_prompt("hello"))
    assert (type(result), result.classifier) == (Classification, "heuristic")


def test_classification_rejects_scores_outside_the_unit_interval() -> None:
    """A score outside [0, 1] (or NaN) is a programming error, caught where it is made."""
    for bad in (-0.1, 1.5, math.nan):
        with pytest.raises(ValueError, match=r"\[0, 1\]"):
            Classification(bad)


# The registry


def test_builtin_is_registered_through_its_entry_point() -> None:
    """The heuristic is declared in the frugal.classifiers entry-point group and loaded by name."""
    declared = {ep.name: ep.value for ep in entry_points(group="frugal.classifiers")}
    assert declared["heuristic"] == "frugal.classifiers.heuristic:HeuristicClassifier"
    assert "heuristic" in available_classifiers()
    classifier = load_classifier("heuristic")
    assert isinstance(classifier, HeuristicClassifier)
    assert classifier.options == HeuristicOptions()


def test_entry_points_are_read_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Reading package metadata is slow: it happens once, however many classifiers are loaded."""
    calls = []

    def counting(**kwargs: Any) -> Any:
        calls.append(kwargs)
        return entry_points(**kwargs)

    registry._registered.cache_clear()
    monkeypatch.setattr(registry, "entry_points", counting)
    try:
        for _ in range(3):
            load_classifier("heuristic")
        available_classifiers()
    finally:
        registry._registered.cache_clear()
    assert calls == [{"group": "frugal.classifiers"}]


@pytest.mark.parametrize(
    "spec",
    [
        "tests.test_classifiers:Plain",
        "tests.test_classifiers.Plain",
        "tests.test_classifiers:Namespace.Nested",
    ],
)
def test_dotted_paths_load_in_both_forms(spec: str) -> None:
    """'package.module:Class', 'package.module.Class' and nested 'module:Outer.Inner' all load."""
    assert isinstance(load_classifier(spec), Plain)


def test_dotted_path_to_an_instance_loads_it_as_is() -> None:
    """A path may name a ready-made classifier object instead of a class."""
    assert load_classifier("tests.test_classifiers:READY") is READY


def test_options_are_validated_and_passed_to_the_constructor() -> None:
    """A class with an Options model is built with the validated options."""
    classifier = load_classifier("tests.test_classifiers:Keyword", {"words": ["derive"], "weight": "0.7"})
    assert isinstance(classifier, Keyword)
    assert classifier.options == KeywordOptions(words=["derive"], weight=0.7)
    assert classifier.classify(RoutingRequest.from_prompt("derive it")).score == pytest.approx(0.7)


@pytest.mark.parametrize(
    ("spec", "options", "message"),
    [
        ("heuristc", None, r"unknown classifier 'heuristc'; did you mean 'heuristic'\?"),
        ("nothing-like-it", None, r"unknown classifier .*\(registered: .*heuristic"),
        ("no_such_package.module:Thing", None, r"cannot import module .*no module named 'no_such_package'"),
        (
            "tests.test_classifiers:Missing",
            None,
            r"module 'tests.test_classifiers' has no attribute 'Missing'",
        ),
        ("tests.test_classifiers:Namespace.Gone", None, r"class .*Namespace has no attribute 'Gone'"),
        ("tests.test_classifiers:", None, r"expected a registered name or a dotted path"),
        ("tests.test_classifiers:NoClassify", None, r"NoClassify object is not a classifier"),
        ("tests.test_classifiers:KeywordOptions", None, r"is not a classifier"),
        ("tests.test_classifiers:FailsToBuild", None, r"building it failed: RuntimeError: no model file"),
        ("heuristic", {"bias": "high"}, r"option 'bias': Input should be a valid number.*got 'high'"),
        ("heuristic", {"bias": math.inf}, r"option 'bias'"),
        ("heuristic", {"scan_chars": 10}, r"option 'scan_chars': Input should be greater than or equal"),
        ("heuristic", {"cdoe": 1.0}, r"unknown option 'cdoe' \(known: .*'code'"),
        (
            "tests.test_classifiers:Keyword",
            {"words": "prove"},
            r"option 'words': Input should be a valid list",
        ),
        (
            "tests.test_classifiers:Lax",
            {"treshold": 0.2},
            r"unknown option 'treshold' \(known: 'threshold'\)",
        ),
        ("tests.test_classifiers:Plain", {"x": 1}, r"takes no options .*got 'x'"),
        ("tests.test_classifiers:READY", {"x": 1}, r"is an instance, not a class"),
    ],
)
def test_every_loading_failure_is_a_config_error_saying_what_is_wrong(
    spec: str, options: dict[str, Any] | None, message: str
) -> None:
    """Unknown names (with suggestions), bad paths, non-classifiers and bad options raise ConfigError."""
    with pytest.raises(ConfigError, match=message):
        load_classifier(spec, options)


# The heuristic


def test_hard_prompts_score_above_easy_ones() -> None:
    """Code, math and multi-step reasoning score above greetings and lookups, across the tier thresholds."""
    easy = [
        "hi",
        "What is the capital of France?",
        "Translate 'good morning' to Spanish",
        "thanks, that's perfect",
    ]
    hard = [
        "Design a distributed rate limiter. Explain the trade-offs step by step, then implement it in Rust.",
        "Prove that there are infinitely many primes of the form 4k+3, then derive a bound on their density.",
        "Debug this function:\n```python\ndef mean(xs):\n    return sum(xs[1:]) / len(xs)\n```\n"
        "Why is the result wrong for [2, 4, 6]? Compute the correct value step by step.",
    ]
    assert max(map(score, easy)) < 0.35 < 0.65 < min(map(score, hard))


def test_request_properties_raise_the_score() -> None:
    """Depth, structured output, images and earlier turns raise it; a short output limit lowers it. What an
    application sends with every call says nothing about the call: tools (a capability the router filters
    on), the system prompt and a default-sized output limit leave it alone."""
    prompt = "Help me with this task"
    base = score(prompt)
    assert score(prompt, tools=2) == base
    assert score(prompt, tool_history=True) == base
    assert score(prompt, system="You are the helpful assistant of Acme Corp. " * 40) == base
    assert score(prompt, max_output_tokens=4096) == score(prompt, max_output_tokens=64_000) == base
    for fields in (
        {"turns": 12},
        {"structured_output": True},
        {"images": 1},
        {"history": "Earlier we talked about the plan. " * 40},
    ):
        assert score(prompt, **fields) > base, fields
    assert score(prompt, max_output_tokens=64) < score(prompt, max_output_tokens=512) < base
    assert score(prompt, turns=30) > score(prompt, turns=3)


@pytest.mark.parametrize(("classifier", "small_below"), [("learned", "policy"), ("heuristic", 0.35)])
def test_a_simple_turn_of_a_chat_app_stays_in_the_small_tier(classifier: str, small_below: Any) -> None:
    """A chat application sends a long system prompt and a large max_tokens with every call: a "thanks" or
    a lookup still scores under the small tier's threshold (the default policy's for the default learned
    classifier; the heuristic's easy bound above)."""
    from frugal.classifiers import load_classifier
    from frugal.policy import load_policy

    threshold = load_policy(None)[0].thresholds[0] if small_below == "policy" else small_below
    chosen = load_classifier(classifier)
    system = "You are the support assistant of Acme Corp. Answer politely and briefly. " * 30
    for prompt in ("Thanks!", "What is 2+2?", "What is the capital of France?"):
        request = RoutingRequest(prompt=prompt, system=system, max_output_tokens=4096, operation="messages")
        assert chosen.classify(request).score < threshold, prompt


def test_text_cues_move_the_score_and_are_named() -> None:
    """Each cue family shows up in the reasons and moves the score the documented way."""
    cases = {
        "code": "Fix the bug in this Python function that parses JSON and throws an exception",
        "math": "Calculate the probability that the sum of 3 dice equals 10, and the remainder mod 4",
        "multi-step reasoning cue": "Analyze and compare both strategies step by step",
        "simple request": "hello there, thanks",
        "non-Latin script": "Объясни, пожалуйста, как работает фотосинтез у растений и зачем он нужен",
    }
    neutral = score("Tell me something about the weather in general")
    for reason, prompt in cases.items():
        result = HEURISTIC.classify(RoutingRequest.from_prompt(prompt))
        assert reason in result.reasons, (reason, result.reasons)
        assert (result.score < neutral) == (reason == "simple request"), reason


def test_options_change_the_weights() -> None:
    """A weight option changes that signal's pull; the bias moves every score."""
    prompt = "Write a recursive Python function and its unit tests"
    no_code = HeuristicClassifier(HeuristicOptions(code=0.0))
    assert score(prompt, no_code) < score(prompt)
    assert "code" not in no_code.classify(RoutingRequest.from_prompt(prompt)).reasons
    assert score(prompt, HeuristicClassifier(HeuristicOptions(bias=1.0))) > score(prompt)
    heavy_tools = HeuristicClassifier(HeuristicOptions(tools=3.0))
    assert score(prompt, heavy_tools, tools=1) > score(prompt, tools=1)


def test_signals_add_up_to_the_score() -> None:
    """signals() shows every contribution: bias plus their sum is the logit of the score."""
    request = RoutingRequest.from_prompt("Compare these two SQL queries for speed", tools=1, turns=4)
    signals = HEURISTIC.signals(request)
    assert {"code", "reasoning", "tools", "turns", "length"} <= set(signals)
    logit = HEURISTIC.options.bias + sum(signals.values())
    assert HEURISTIC.classify(request).score == pytest.approx(1 / (1 + math.exp(-logit)))
    assert list(signals.values()) == sorted(signals.values(), key=abs, reverse=True)


def test_few_shot_prompts_are_judged_by_their_final_question() -> None:
    """Worked examples before the real question count neither as length nor as cues."""
    example = "Which gas do plants absorb?\nA) oxygen\nB) carbon dioxide\nAnswer:\nB\n\n"
    question = "Which planet is largest?\nA) Mars\nB) Jupiter\nAnswer:"
    cues = scan(example * 5 + question)
    assert cues.few_shot
    assert cues.chars == len(question)
    assert cues.lines == question.count("\n")
    assert not scan("Answer: this one\n\nor that:").few_shot


def test_long_prompts_are_scanned_in_a_bounded_window() -> None:
    """Cues deep inside a huge prompt are not read (cost stays flat); its head and tail are."""
    filler = "lorem ipsum dolor sit amet " * 2000
    assert scan(filler + " prove the theorem " + filler).reasoning == 0
    assert scan(filler + filler + " prove the theorem").reasoning == 2
    assert scan("prove the theorem " + filler + filler).reasoning == 2
    assert scan(filler * 2).chars == len(filler) * 2


def test_reassigned_options_take_effect() -> None:
    """The weights are read once per options object: assigning new options re-reads them."""
    classifier = HeuristicClassifier()
    request = RoutingRequest.from_prompt("Write a recursive Python function")
    classifier.options = HeuristicOptions(bias=2.0, code=0.0)
    assert classifier.classify(request) == HeuristicClassifier(HeuristicOptions(bias=2.0, code=0.0)).classify(
        request
    )
    assert classifier.options.bias == 2.0


def test_cue_word_families_are_disjoint() -> None:
    """A scan counts each cue word in one family slot: no word may belong to two families."""
    families = list(CUE_FAMILIES.values())
    for i, family in enumerate(families):
        for other in families[i + 1 :]:
            assert not family & other, sorted(family & other)
    for field, family in CUE_FAMILIES.items():  # each word is counted in its own family's field
        word = min(family).decode()
        assert getattr(scan(f"zz {word} zz"), field) >= 1, (field, word)


# Text with every class of character scan() tells apart: capitals, digits, marks, symbols, non-ASCII.
CUE_PIECES = [*"aZq Mx09 7\n\t.?!,:;+-*/=^<>{}[]()_|$\\`'\"#é中Ж🙂", "\ud800", "```", "Word"]
cue_text = st.lists(st.sampled_from(CUE_PIECES), max_size=400).map("".join)


@settings(max_examples=300, deadline=None)
@given(prompt=cue_text, scan_chars=st.sampled_from([100, 200, 500]))
def test_scan_counts_characters_of_its_window(prompt: str, scan_chars: int) -> None:
    """The fused character-class pass counts what a direct count of the scanned window finds."""
    cues = scan(prompt, scan_chars)
    if cues.few_shot:
        return  # the window is the final question: covered by the few-shot test
    if len(prompt) > scan_chars:
        head = scan_chars * 2 // 3
        prompt = prompt[:head] + "\n" + prompt[head - scan_chars :]
    window = prompt
    size = len(window.encode("utf-8", "surrogatepass")) or 1
    words = re.findall(r"[A-Za-z0-9\u0080-\U0010ffff]+", window)  # non-ASCII characters are word characters
    capitals = sum("A" <= c <= "Z" for c in window)
    sentences = 1 + window.count("\n") + sum(window.count(c) for c in ".?!")
    assert cues.lines == window.count("\n")
    assert cues.numbers == len(set(re.findall(r"[0-9]+", window)))
    assert cues.symbols == sum(window.count(c) for c in "{}[]()<>=;_\\|$^") / size
    assert cues.entities == max(0, capitals - sentences) / (len(words) or 1)


ALLOWED_REASONS = {
    "code",
    "math",
    "several numbers",
    "multi-line input",
    "multi-step reasoning cue",
    "explicit constraints",
    "sequenced steps",
    "open-ended writing or explaining",
    "names and acronyms",
    "code or math symbols",
    "simple request",
    "non-Latin script",
    "structured output",
    "tool calls in history",
    "no strong signal",
}
ALLOWED_PATTERNS = re.compile(
    r"(short|medium-length|long) (prompt|question after few-shot examples) \(N(k)? chars\)"
    r"|context \(N(k)? chars\)|conversation depth \(N messages\)|(short|long) output \(max N(k)? tokens\)"
    r"|tools offered \(N\)|images \(N\)"
)

requests = st.builds(
    RoutingRequest,
    prompt=st.text(max_size=3000),
    system=st.text(max_size=500),
    history=st.text(max_size=500),
    turns=st.integers(0, 500),
    tools=st.integers(-2, 50),
    tool_history=st.booleans(),
    images=st.integers(-2, 20),
    structured_output=st.booleans(),
    max_output_tokens=st.none() | st.integers(-10, 10**7),
)


@settings(max_examples=300, deadline=None)
@given(request=requests)
def test_heuristic_never_fails_and_stays_in_range(request: RoutingRequest) -> None:
    """Any request (empty, unicode, surrogates, odd counts) gets a score in [0, 1] and vetted reasons."""
    result = HEURISTIC.classify(request)
    assert 0.0 <= result.score <= 1.0
    assert 1 <= len(result.reasons) <= 3
    for reason in result.reasons:
        shape = re.sub(r"\d+", "N", reason)
        assert shape in ALLOWED_REASONS or ALLOWED_PATTERNS.fullmatch(shape), reason
    assert HEURISTIC.classify(request) == result  # deterministic


@pytest.mark.parametrize("prompt", ["", " ", "\x00", "\ud800 lone surrogate", "🙂" * 500, "\n\n:" * 100])
def test_odd_text_is_handled(prompt: str) -> None:
    """Empty, control, lone-surrogate, emoji and degenerate few-shot-looking texts score in [0, 1]."""
    assert 0.0 <= score(prompt, system=prompt) <= 1.0


@settings(max_examples=20, deadline=None)
@given(chunk=st.text(min_size=1, max_size=50))
def test_huge_prompts_are_handled(chunk: str) -> None:
    """A prompt of hundreds of thousands of characters of any text still scores in [0, 1]."""
    prompt = chunk * (300_000 // len(chunk))
    assert 0.0 <= score(prompt) <= 1.0


secret_words = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=12, max_size=20)


@settings(max_examples=200, deadline=None)
@given(secret=secret_words, other=secret_words, where=st.integers(0, 3))
def test_reasons_never_quote_the_prompt(secret: str, other: str, where: int) -> None:
    """Reasons reach telemetry spans: no word of the prompt or system prompt ever appears in them."""
    words = ["Please", "explain", "why", "step", "by", "step", "with", "code:", "```x = 1```"]
    words.insert(where, secret)
    request = RoutingRequest.from_prompt(" ".join(words), system=f"You are {other}", tools=1, turns=3)
    for reason in HEURISTIC.classify(request).reasons:
        assert secret not in reason
        assert other not in reason
