"""The built-in ``learned`` classifier: a logistic regression over text features, trained on labelled rows.

Inference is pure Python (no numpy): a few structural features and the heuristic's cue counts
(:func:`frugal.classifiers.heuristic.scan`), plus a sparse table of word weights looked up once per
distinct word. ``frugal train`` fits the weights (:mod:`frugal.evaluation.train`); a model trained on
the shared routing data ships with frugal (``learned_default.json``, provenance in docs/evaluation.md).

What it reads of a prompt, so that it generalises past the formats it was trained on:

- A few-shot prompt is judged by its final question alone (found as the heuristic finds it), and the
  lines that question shares with the worked examples (the template: "Answer:", the instructions) are
  dropped, so scaffolding never becomes a feature.
- Structure: length (log scale), line breaks, a question word first, mean word length, currency /
  percent signs, code fences; the heuristic's cue counts (code, math, numbers, reasoning, constraints,
  steps, open-ended writing, simple requests, names, symbols, non-Latin script). Layout markers that
  only say which benchmark a row came from (a question mark, multiple-choice option lines) are not
  features: in training they stood for a data set's format, not for difficulty.
- Reasoning demand, in any format: negations, causal, contrastive, comparative and conditional
  connectives, clauses (commas), sentences and their length, function-word share, and what the
  question asks for (how many / how much, why, which, what, a who / when / where lookup, an
  imperative task verb first).
- Words (optional, off in the shipped model): lower-cased ASCII words of the question's head and tail
  (1,500 + 500 characters), present or not.
- The request's shape (tools, conversation depth, structured output, output limit, images, context),
  which labelled single-turn rows cannot teach: weights fixed at training time from the heuristic's.

Reasons name feature families ("math", "wording", "long prompt"), never a word of the prompt.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, ClassVar

from ..exceptions import ConfigError
from ..request import RoutingRequest
from .base import Classification
from .cues import NO_STRONG_SIGNAL, REASONS, SHAPE_SIGNALS, Cues, few_shot_question, scan, shape_signals
from .learned_options import LearnedOptions, validate_weights

__all__ = [
    "DENSE_FEATURES",
    "DENSE_SIGNS",
    "FORMAT",
    "SHAPE_SIGNALS",
    "LearnedClassifier",
    "LearnedModel",
    "LearnedOptions",
    "features",
    "load_model",
]

FORMAT = "frugal-learned-classifier"
_VERSION = 1
_DEFAULT = "learned_default.json"

#: The dense features, each scaled to about [0, 1] (length: [-0.6, 0.4]), with the sign ``frugal train``
#: holds its weight to (see :mod:`frugal.evaluation.train`): +1, a cue of a harder prompt (it never lowers
#: the score); -1, a cue of an easier one; 0, either way (the direction is not known beforehand).
DENSE_SIGNS: Mapping[str, int] = {
    "length": 1,
    "lines": 1,
    "wh_start": 0,
    "word_length": 1,
    "currency": 1,
    "fence": 1,
    "code": 1,
    "math": 1,
    "numbers": 1,
    "reasoning": 1,
    "constraint": 1,
    "steps": 1,
    "open_ended": 1,
    "simple": -1,
    "entities": 1,
    "symbols": 1,
    "non_latin": 1,
    # Reasoning demand, read in the question's words whatever its format.
    "negation": 1,
    "causal": 1,
    "contrast": 1,
    "comparison": 1,
    "condition": 1,
    "clauses": 1,
    "sentences": 1,
    "sentence_length": 1,
    "how_many": 1,
    "why": 1,
    "imperative": 1,
    "lookup": -1,
    "which": 0,
    "what": 0,
    "function_words": 0,
}
DENSE_FEATURES = tuple(DENSE_SIGNS)

_TYPICAL_LENGTH = 0.6  # the length feature of a ~250-character prompt
_HEAD, _TAIL = 1500, 500  # characters of the question whose words are read
# Lower-case ASCII letters; everything else (digits, punctuation, non-ASCII bytes) separates words.
_LETTERS = bytes(b + 32 if 65 <= b <= 90 else b if 97 <= b <= 122 else 32 for b in range(256))
_WH = frozenset(b"what who whom whose when where why how which".split())
_ENDS = bytes(46 if b in (33, 63) else 32 if b in (9, 10, 13) else b for b in range(256))
_SHARE_WORDS = 100


def _set(text: str) -> frozenset[bytes]:
    return frozenset(text.encode().split())


# Reasoning-demand word families (whole lower-case words; "n't" is folded to a lone "t", counted apart).
_NEGATION = _set("not no never none nor neither without cannot nobody nothing nowhere")
_CAUSAL = _set("because since therefore thus hence so consequently")
_CONTRAST = _set("but although though however whereas while yet despite unless instead")
_COMPARISON = _set(
    "more less most least than greater fewer larger smaller higher lower better worse best worst bigger"
)
_CONDITION = _set("if unless whenever suppose assume given")
_LOOKUP = _set("who when where")
_TASK_VERBS = _set(
    "write find calculate compute prove show explain describe determine solve create implement list give"
)
# Grammatical words: their share says how much of a prompt is connected prose rather than terms.
_FUNCTION = _set(
    """the an of to in on at for with by from as is are was were be been being it this that these those
    and or but if then than so because since while although though however whereas unless not no never
    none nor neither without what who whom whose when where why how which there here can could would
    should may might must will shall do does did have has had more most less least many much few each
    every all any some both either other another same different only also very too just even still yet
    first second last next before after during between among into over under above below again such own
    you he she we they me him her us them my your his its our their"""
)
_QUESTION = _set("which what why many much")  # "many" and "much" gate "how many" / "how much"
_FAMILIES = _NEGATION | _CAUSAL | _CONTRAST | _COMPARISON | _CONDITION | _LOOKUP | _QUESTION


def _question(prompt: str) -> str:
    """The text to judge: a few-shot prompt's final question without the lines it shares with the examples."""
    question = few_shot_question(prompt)
    if question is None:
        return prompt
    examples = prompt[: len(prompt) - len(question)]
    template = {line.strip() for line in examples.split("\n")}
    return "\n".join(line for line in question.split("\n") if line.strip() not in template)


def features(request: RoutingRequest, scan_chars: int = 500) -> tuple[dict[str, float], list[bytes]]:
    """The dense features (non-zero ones only) and the words (lower-case ASCII) of a request's prompt.

    Training and inference both call this, so what a model learned is what it reads. A word counts once
    however often it occurs.
    """
    dense, words, _ = _features(request, scan_chars)
    return {k: v for k, v in dense.items() if v}, words


def _features(request: RoutingRequest, scan_chars: int) -> tuple[dict[str, float], list[bytes], Cues]:
    """:func:`features` with the zero ones too (inference skips them while weighing), and the heuristic's
    cue values they were read from (the shape signals reuse them instead of scanning the prompt again)."""
    cues = scan(request.prompt, request.system, scan_chars)
    text = _question(request.prompt)
    chars = len(text)
    if chars > _HEAD + _TAIL:
        text = text[:_HEAD] + "\n" + text[-_TAIL:]
    raw = text.encode("utf-8", "surrogatepass")
    folded = raw.translate(_LETTERS)
    words = folded.split()
    count = len(words) or 1
    letters = len(folded) - folded.count(b" ")
    found = _FAMILIES.intersection(words)
    # The share of grammatical words settles within a paragraph: read it in the first words only.
    head = words[:_SHARE_WORDS]
    # A mark that ends a sentence is followed by a space, a line break or the end of the text: one pass
    # folds "?" and "!" into "." and line breaks into spaces, one more counts.
    ends = raw.translate(_ENDS)
    sentences = ends.count(b". ") + ends.endswith(b".") or 1
    # Caps are conditionals, not min(): a builtin call per feature costs more than the feature.
    length = math.log10(1 + chars) / 4
    lines = raw.count(b"\n")
    per_word = letters / count - 3.0
    code, math_cues, numbers, reasoning, constraint, steps, open_ended, simple = cues[3:11]
    entities, symbols, non_latin = cues.entities, cues.symbols, cues.non_latin
    negation = len(found & _NEGATION) + folded.count(b" t ")
    causal = len(found & _CAUSAL)
    contrast = len(found & _CONTRAST)
    comparison = len(found & _COMPARISON)
    condition = len(found & _CONDITION)
    clauses = raw.count(b",")
    per_sentence = len(words) / sentences
    dense = {
        # Centred on a typical prompt (~250 characters): shorter ones count against, longer ones for.
        "length": (length if length < 1.0 else 1.0) - _TYPICAL_LENGTH,
        "lines": (lines if lines < 20 else 20) / 20,
        "wh_start": float(bool(words) and words[0] in _WH),
        "word_length": (0.0 if per_word <= 0.0 else per_word if per_word < 4.0 else 4.0) / 4,
        "currency": float("$" in text or "%" in text or "€" in text or "£" in text),
        "fence": float("```" in text),
        "code": (code if code < 3 else 3) / 3,
        "math": (math_cues if math_cues < 3 else 3) / 3,
        "numbers": (numbers if numbers < 8 else 8) / 8,
        "reasoning": (reasoning if reasoning < 3 else 3) / 3,
        "constraint": (constraint if constraint < 3 else 3) / 3,
        "steps": (steps if steps < 4 else 4) / 4,
        "open_ended": (open_ended if open_ended < 2 else 2) / 2,
        "simple": (simple if simple < 2 else 2) / 2,
        "entities": (entities if entities < 0.5 else 0.5) * 2,
        "symbols": (symbols if symbols < 0.15 else 0.15) / 0.15,
        "non_latin": float(non_latin),
        "negation": (negation if negation < 3 else 3) / 3,
        "causal": (causal if causal < 2 else 2) / 2,
        "contrast": (contrast if contrast < 2 else 2) / 2,
        "comparison": (comparison if comparison < 3 else 3) / 3,
        "condition": (condition if condition < 2 else 2) / 2,
        "clauses": (clauses if clauses < 6 else 6) / 6,
        "sentences": (sentences if sentences < 8 else 8) / 8,
        "sentence_length": (per_sentence if per_sentence < 40 else 40) / 40,
        "how_many": float(
            (b"many" in found and b"how many" in folded) or (b"much" in found and b"how much" in folded)
        ),
        "why": float(b"why" in found),
        "imperative": float(bool(words) and words[0] in _TASK_VERBS),
        "lookup": float(bool(found & _LOOKUP)),
        "which": float(b"which" in found),
        "what": float(b"what" in found),
        "function_words": sum(map(_FUNCTION.__contains__, head)) / len(head) if head else 0.0,
    }
    return dense, words, cues


# -- the model file -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LearnedModel:
    """The weights of a learned classifier (the contents of a model file).

    Attributes:
        bias: the logit of a prompt with no feature at all.
        dense: weight per dense feature (see :data:`DENSE_FEATURES`).
        words: weight per lower-case word.
        shape: weight per request-shape signal (see :data:`SHAPE_SIGNALS`), as the heuristic weighs them.
        scan_chars: characters of the prompt the heuristic's cues are read in.
        training: provenance: data, label, options, command, date, metrics.
    """

    bias: float
    dense: Mapping[str, float]
    words: Mapping[str, float] = field(default_factory=dict)
    shape: Mapping[str, float] = field(default_factory=dict)
    scan_chars: int = 500
    training: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The JSON document of a model file."""
        return {
            "format": FORMAT,
            "version": _VERSION,
            "scan_chars": self.scan_chars,
            "bias": self.bias,
            "dense": dict(self.dense),
            "shape": dict(self.shape),
            "training": dict(self.training),
            "words": dict(sorted(self.words.items())),
        }

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the model file (JSON, stable key order)."""
        Path(path).write_text(
            json.dumps(self.to_dict(), indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
        )


def load_model(path: str | os.PathLike[str] | None = None) -> LearnedModel:
    """Read a model file (the shipped default when ``path`` is None).

    Raises:
        ConfigError: the file cannot be read, is not JSON, or is not a learned-classifier model (the
            message names the file and what is wrong).
    """
    if path is None:
        return _default_model()
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise ConfigError(f"{path}: cannot read the learned classifier's model file: {reason}") from None
    return _parse(text, str(path))


@cache
def _default_model() -> LearnedModel:
    text = resources.files("frugal.classifiers").joinpath(_DEFAULT).read_text(encoding="utf-8")
    return _parse(text, f"<built-in {_DEFAULT}>")


def _parse(text: str, source: str) -> LearnedModel:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"{source}: not a learned-classifier model: invalid JSON ({exc.msg}, line {exc.lineno})"
        ) from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ConfigError(
            f'{source}: not a learned-classifier model (no "format": "{FORMAT}"; made by \'frugal train\')'
        )
    weights = validate_weights(data, source)
    if weights.version != _VERSION:
        raise ConfigError(
            f"{source}: model format version {weights.version} is not supported (expected {_VERSION})"
        )
    for family, known in (("dense", DENSE_FEATURES), ("shape", SHAPE_SIGNALS)):
        unknown = sorted(set(getattr(weights, family)) - set(known))
        if unknown:
            raise ConfigError(
                f"{source}: unknown {family} feature {', '.join(map(repr, unknown))} "
                f"(known: {', '.join(known)})"
            )
    return LearnedModel(
        bias=weights.bias,
        dense=weights.dense,
        words=weights.words,
        shape=weights.shape,
        scan_chars=weights.scan_chars,
        training=weights.training,
    )


# -- the classifier -----------------------------------------------------------------------------------


_REASON_MIN = 0.1  # a contribution to the logit smaller than this is not worth a reason
# The heuristic's names for the cues both read, so that a reason means the same from either classifier.
_LABELS = {
    **REASONS,
    "wh_start": "starts with a question word",
    "word_length": "long words on average",
    "currency": "amounts or percentages",
    "fence": "code block",
    "negation": "negations",
    "causal": "causal connectives",
    "contrast": "contrasts",
    "comparison": "comparisons",
    "condition": "conditions",
    "clauses": "several clauses",
    "sentences": "several sentences",
    "sentence_length": "long sentences",
    "how_many": "asks how many or how much",
    "why": "asks why",
    "imperative": "a task to carry out",
    "lookup": "a lookup question",
    "which": "asks which",
    "what": "asks what",
    "function_words": "connected prose",
    "words": "wording",
    "context": "context",
    "tools": "tools",
    "turns": "conversation depth",
    "output_size": "output limit",
    "images": "images",
}


class LearnedClassifier:
    """Scores a request with a logistic regression trained by ``frugal train`` (see the module docstring).

    No I/O after construction, deterministic, about as fast as the heuristic plus a dictionary lookup per
    distinct word.
    """

    name = "learned"
    Options: ClassVar[type[LearnedOptions]] = LearnedOptions

    def __init__(self, options: LearnedOptions | None = None, *, model: LearnedModel | None = None) -> None:
        self.options = options or LearnedOptions()
        self.model = model if model is not None else load_model(self.options.model)
        # Features of weight 0 (the sign constraints zero many) are left out of the sum and the reasons.
        self._dense = {key: weight for key, weight in self.model.dense.items() if weight}
        self._words = {word.encode("ascii", "ignore"): weight for word, weight in self.model.words.items()}
        self._vocabulary = frozenset(self._words)

    def logit(self, request: RoutingRequest) -> tuple[float, dict[str, float]]:
        """The logit and each feature family's contribution to it (words summed as ``"words"``)."""
        dense, words, _ = _features(request, self.model.scan_chars)
        weights = self._dense
        parts = {key: weights[key] * value for key, value in dense.items() if value and key in weights}
        if self._vocabulary:  # one C-level pass finds the known words; each counts once
            parts["words"] = sum(self._words[word] for word in self._vocabulary.intersection(words))
        shape = self.model.shape
        for key, value in shape_signals(request):
            if shape.get(key):
                parts[key] = shape[key] * value
        return self.model.bias + sum(parts.values()), parts

    def classify(self, request: RoutingRequest) -> Classification:
        """Score ``request`` in [0, 1]; the reasons name the (at most three) families that moved it most."""
        logit, parts = self.logit(request)
        score = 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, logit))))
        strong = sorted(((abs(v), k, v) for k, v in parts.items() if abs(v) >= _REASON_MIN), reverse=True)
        reasons = tuple(_reason(key, value, request) for _, key, value in strong[:3]) or NO_STRONG_SIGNAL
        return Classification(score, reasons, self.name)


def _reason(key: str, value: float, request: RoutingRequest) -> str:
    if key == "length":
        return f"{'long' if value > 0 else 'short'} prompt ({len(request.prompt):,} chars)"
    label = _LABELS.get(key, key)
    return label if key != "words" else f"wording ({'harder' if value > 0 else 'easier'})"
