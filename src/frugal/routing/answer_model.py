"""The learned answer check of a cascade: the probability that an answer is adequate, from what it says.

A cascade's built-in checks catch answers that are visibly broken (cut short, refused, empty, bad JSON).
The answer check reads the answer as text, with the prompt it answers, and gives P(adequate): a logistic
regression over the features below, trained by ``frugal train --answers`` on rows that recorded a cheap
model's answers and their quality (:mod:`frugal.evaluation.answer_train`). A cascade policy names it::

    cascade:
      checks: [finish_reason, empty]
      answer_model: {path: check.json, min_probability: 0.5}

and an answer it rates below ``min_probability`` escalates, online on the real answer and offline in
``frugal eval --strategy cascade`` on the recorded one. Inference is pure Python (about 0.5 ms for a
2,000-character answer; lengths are measured in full, cues read in a bounded window).

**What it reads** (:data:`ANSWER_FEATURES`, each about in [0, 1]): the answer's length, its length
against the prompt's, its lines; whether it was cut short (finish reason) or stops mid-sentence, or
leaves a code fence open; refusal openings and cues, apologies, hedges ("I think", "probably", "not
sure"), a question back, self-corrections ("wait", "actually"); code fences, and code asked for without
one; JSON asked for (structured output, or the word in the prompt) and not given; numbers, and a number
asked for ("how many", maths) without one; how much of the answer repeats the prompt, and how much of
the prompt it takes up; repeated phrases (a model looping); a stated final answer; options offered
(A-E) and none named; an answer in another script than the prompt's. And the prompt's own features
(:data:`PROMPT_FEATURES`: those of the ``learned`` classifier, ``prompt_`` before their names): how hard
the question looks moves what an answer must show.

The model file is JSON: ``format`` (``"frugal-answer-check"``), ``version`` (1), ``bias``, ``weights``
(feature → weight; absent features weigh nothing) and ``training`` (the provenance: the cheap model,
what "adequate" meant, rows, sources, options, command, date). Never an answer or a prompt.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..classifiers.learned_features import DENSE_FEATURES, read
from ..exceptions import ConfigError
from ..request import RoutingRequest
from .cascade import Answer, reads_as_refusal

__all__ = [
    "ANSWER_FEATURES",
    "FEATURES",
    "FORMAT",
    "PROMPT_FEATURES",
    "VERSION",
    "AnswerModel",
    "answer_features",
    "load_answer_model",
]

FORMAT = "frugal-answer-check"
VERSION = 1

ANSWER_FEATURES: tuple[str, ...] = (
    "length",
    "empty",
    "length_ratio",
    "lines",
    "truncated",
    "unfinished",
    "open_fence",
    "refusal",
    "refusal_cue",
    "apology",
    "hedging",
    "asks_back",
    "self_correction",
    "fence",
    "code_without_fence",
    "json_invalid",
    "has_number",
    "number_missing",
    "prompt_overlap",
    "prompt_coverage",
    "repetition",
    "final_answer",
    "choice_missing",
    "script_mismatch",
)
PROMPT_FEATURES: tuple[str, ...] = tuple(f"prompt_{name}" for name in DENSE_FEATURES)
FEATURES: tuple[str, ...] = ANSWER_FEATURES + PROMPT_FEATURES

# Characters of a long answer whose cues are read (its lengths are measured in full): the opening and the
# close say whether it hedges, refuses, loops or concludes, and the cost stays flat (~1 ms at most).
_HEAD, _TAIL = 4_000, 1_000
_WORDS = re.compile(r"[a-z0-9']+")
_REFUSAL_CUES = (
    "i can't",
    "i cannot",
    "i can not",
    "i'm unable",
    "i am unable",
    "i won't",
    "i will not",
    "as an ai",
    "i'm not able",
    "i am not able",
)
_HEDGES = (
    "i think",
    "i believe",
    "probably",
    "possibly",
    "perhaps",
    "maybe",
    "might be",
    "may be",
    "not sure",
    "unsure",
    "not certain",
    "it seems",
    "likely",
    "unclear",
    "it depends",
    "cannot be determined",
    "can't be determined",
    "not enough information",
)
_CORRECTIONS = ("wait,", "actually,", "let me re", "i made a mistake", "correction:", "on second thought")
_ASKS_BACK = (
    "could you clarify",
    "can you clarify",
    "please provide",
    "could you provide",
    "can you provide",
)
# Substring searches, not one regular expression: CPython's re tries every branch of an alternation at
# every position of the text.
_FINAL = ("answer is", "answer:", "final answer", "####", "\\boxed", "therefore", "thus,")
_OPTION_LINES = re.compile(r"^\s*\(?[A-E][).:]\s", re.MULTILINE)
_LETTER = re.compile(r"(?<![A-Za-z])[A-E](?![A-Za-z])")
_CODE_MARKS = ("def ", "function", "return", "{", ";", "=>", "class ", "import ")
_ENDINGS = frozenset(".!?)]}\"'`*:;。！？」）")


def answer_features(request: RoutingRequest, answer: Answer) -> dict[str, float]:
    """Every feature of :data:`FEATURES` for an answer to a request (see the module docstring)."""
    full = answer.text.strip()
    text = (
        answer.text
        if len(answer.text) <= _HEAD + _TAIL
        else answer.text[:_HEAD] + "\n" + answer.text[-_TAIL:]
    )
    stripped = text.strip()
    lower = stripped.lower()
    prompt = request.prompt
    window = prompt if len(prompt) <= _HEAD + _TAIL else prompt[:_HEAD] + "\n" + prompt[-_TAIL:]
    prompt_lower = window.lower()
    reading = read(request)
    words = _WORDS.findall(lower)
    content = {w for w in words if len(w) > 3}
    prompt_words = {w for w in _WORDS.findall(prompt_lower) if len(w) > 3}
    digits = any(c.isdigit() for c in stripped)
    fenced = "```" in stripped
    wants_json = request.structured_output or "json" in prompt_lower
    options = len(_OPTION_LINES.findall(window)) >= 2
    values = {
        "length": min(1.0, math.log10(1 + len(full)) / 4),
        "empty": float(not stripped),
        "length_ratio": max(-1.0, min(1.0, math.log10((1 + len(full)) / (1 + len(prompt))) / 2)),
        "lines": min(1.0, math.log10(1 + full.count("\n")) / 2),
        "truncated": float(answer.truncated or answer.filtered),
        "unfinished": float(
            len(stripped) > 200 and stripped[-1] not in _ENDINGS and not stripped[-1].isdigit()
        ),
        "open_fence": float(full.count("```") % 2 == 1),
        "refusal": float(answer.refused or reads_as_refusal(stripped)),
        "refusal_cue": min(1.0, sum(cue in lower for cue in _REFUSAL_CUES) / 2),
        "apology": float("sorry" in lower or "apolog" in lower),
        "hedging": min(1.0, sum(lower.count(hedge) for hedge in _HEDGES) / 3),
        "asks_back": float(stripped.endswith("?") or any(cue in lower for cue in _ASKS_BACK)),
        "self_correction": min(1.0, sum(lower.count(cue) for cue in _CORRECTIONS) / 2),
        "fence": float(fenced),
        "code_without_fence": float(
            reading.dense["code"] > 0 and not fenced and not any(mark in stripped for mark in _CODE_MARKS)
        ),
        "json_invalid": float(wants_json and not _holds_json(stripped)),
        "has_number": float(digits),
        "number_missing": float(
            (reading.dense["how_many"] > 0 or reading.dense["math"] > 0) and bool(stripped) and not digits
        ),
        "prompt_overlap": len(content & prompt_words) / len(content) if content else 0.0,
        "prompt_coverage": len(content & prompt_words) / len(prompt_words) if prompt_words else 0.0,
        "repetition": _repetition(words),
        "final_answer": float(any(mark in lower for mark in _FINAL)),
        "choice_missing": float(options and _LETTER.search(stripped[:2000]) is None),
        "script_mismatch": float(bool(stripped) and reading.non_latin != _mostly_non_latin(stripped)),
    }
    for name in DENSE_FEATURES:
        values[f"prompt_{name}"] = reading.dense[name]
    return values


def _holds_json(text: str) -> bool:
    """The text, or its first fenced block, parses as JSON."""
    candidates = [text]
    if "```" in text:
        block = text.split("```", 2)[1]
        candidates.append(block.split("\n", 1)[1] if block.lstrip().startswith("json") else block)
    for candidate in candidates:
        try:
            json.loads(candidate)
        except ValueError:
            continue
        return True
    return False


def _repetition(words: list[str]) -> float:
    """The share of the answer's word trigrams that repeat an earlier one (a model looping: near 1)."""
    words = words[:3000]
    if len(words) < 12:
        return 0.0
    trigrams = list(zip(words, words[1:], words[2:], strict=False))
    return 1.0 - len(set(trigrams)) / len(trigrams)


def _mostly_non_latin(text: str) -> bool:
    """Most letters of the answer's opening are outside ASCII (CJK, Cyrillic, ...)."""
    head = text[:500]
    if head.isascii():
        return False
    letters = [c for c in head if c.isalpha()]
    return bool(letters) and sum(not c.isascii() for c in letters) > len(letters) / 2


@dataclass(frozen=True, slots=True)
class AnswerModel:
    """The weights of a learned answer check (the contents of its model file).

    Attributes:
        bias: the logit of an answer with every feature at zero.
        weights: weight per feature (see :data:`FEATURES`); absent features weigh nothing.
        training: provenance: the cheap model, what adequate meant, rows, sources, options, command, date.
    """

    bias: float
    weights: Mapping[str, float]
    training: Mapping[str, Any] = field(default_factory=dict)

    def probability(self, request: RoutingRequest, answer: Answer) -> float:
        """P(the answer is adequate)."""
        return self.probability_of(answer_features(request, answer))

    def probability_of(self, features: Mapping[str, float]) -> float:
        """P(adequate) of an answer's features (:func:`answer_features`)."""
        logit = self.bias + sum(weight * features.get(name, 0.0) for name, weight in self.weights.items())
        return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, logit))))

    def to_dict(self) -> dict[str, Any]:
        """The JSON document of a model file."""
        return {
            "format": FORMAT,
            "version": VERSION,
            "bias": self.bias,
            "weights": dict(self.weights),
            "training": dict(self.training),
        }

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the model file (JSON, stable key order)."""
        Path(path).write_text(
            json.dumps(self.to_dict(), indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
        )


def load_answer_model(path: str | os.PathLike[str]) -> AnswerModel:
    """Read an answer check's model file.

    Raises:
        ConfigError: the file cannot be read, is not JSON, or is not an answer-check model (the message
            names the file and what is wrong).
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise ConfigError(f"{path}: cannot read the answer check's model file: {reason}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"{path}: not an answer-check model: invalid JSON ({exc.msg}, line {exc.lineno})"
        ) from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ConfigError(
            f'{path}: not an answer-check model (no "format": "{FORMAT}"; made by \'frugal train --answers\')'
        )
    if data.get("version") != VERSION:
        raise ConfigError(
            f"{path}: answer-check format version {data.get('version')!r} is not supported "
            f"(expected {VERSION})"
        )
    bias, weights, training = data.get("bias"), data.get("weights"), data.get("training", {})
    if not _finite(bias) or not isinstance(bias, (int, float)):
        raise ConfigError(f"{path}: bias: expected a finite number")
    if not isinstance(weights, dict) or not all(_finite(w) for w in weights.values()):
        raise ConfigError(f"{path}: weights: expected {{feature: finite number}}")
    unknown = sorted(set(weights) - set(FEATURES))
    if unknown:
        raise ConfigError(
            f"{path}: unknown feature {', '.join(map(repr, unknown))} (known: {', '.join(FEATURES)})"
        )
    if not isinstance(training, dict):
        raise ConfigError(f"{path}: training: expected an object")
    return AnswerModel(float(bias), {k: float(v) for k, v in weights.items()}, training)


def _finite(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
