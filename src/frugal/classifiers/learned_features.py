"""What the ``learned`` classifier reads in a prompt: its dense features and its words.

Training (:mod:`frugal.evaluation.train`) and inference (:mod:`frugal.classifiers.learned`) both call
:func:`read`, so what a model learned is what it reads.

- A few-shot prompt is judged by its final question alone (found as :func:`~.cues.few_shot_question`
  finds it), and the lines that question shares with the worked examples (the template: "Answer:",
  instructions) are dropped, so scaffolding never becomes a feature.
- Structure: length (log scale), line breaks, a question word first, mean word length, currency /
  percent signs, code fences; the cue counts of :func:`~.cues.scan` (code, math, numbers, reasoning,
  constraints, steps, open-ended writing, simple requests, names, symbols, non-Latin script). Layout
  markers that only say which benchmark a row came from (a question mark, multiple-choice option lines)
  are not features.
- Reasoning demand: negations, causal, contrastive, comparative and conditional connectives, clauses
  (commas), sentences and their length, function-word share, and what the question asks for (how many /
  how much, why, which, what, a who / when / where lookup, an imperative task verb first).
- Words: lower-cased ASCII words of the question's head and tail (1,500 + 500 characters), present or not.

Most of these are read in English words and punctuation. For a prompt mostly in another script
(:data:`SCRIPT_NEUTRAL` excepted) they say nothing, so a language-aware model replaces them with neutral
values (:attr:`Reading.dense` is what was measured; the classifier substitutes): a prompt is never
routed up, or down, for not being English.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from dataclasses import dataclass

from ..request import RoutingRequest
from .cues import few_shot_question, scan

__all__ = [
    "DENSE_FEATURES",
    "DENSE_SIGNS",
    "SCRIPT_NEUTRAL",
    "WORD_BUCKETS",
    "Reading",
    "features",
    "question",
    "read",
    "word_bucket",
]

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


#: Hashed words are kept as one of this many buckets (the hashing trick): the feedback store records a
#: request's words so, and a model trained from it (version 3, ``word_buckets``) reads them so.
WORD_BUCKETS = 1 << 18


def word_bucket(word: bytes, buckets: int = WORD_BUCKETS) -> int:
    """The bucket of a word (as :func:`read` finds words): BLAKE2b, the same in every process."""
    return int.from_bytes(hashlib.blake2b(word, digest_size=4).digest(), "big") % buckets


def question(prompt: str) -> str:
    """The text to judge: a few-shot prompt's final question without the lines it shares with the examples."""
    question = few_shot_question(prompt)
    if question is None:
        return prompt
    examples = prompt[: len(prompt) - len(question)]
    template = {line.strip() for line in examples.split("\n")}
    return "\n".join(line for line in question.split("\n") if line.strip() not in template)


#: Dense features measured the same way in any script: the others are read in English words and marks.
SCRIPT_NEUTRAL = frozenset({"lines", "currency", "fence", "numbers", "symbols"})


@dataclass(frozen=True, slots=True)
class Reading:
    """What :func:`read` finds in a request's prompt.

    Attributes:
        dense: every dense feature's value (zeros included), each about in [0, 1] (length: [-0.6, 0.4]).
        words: the lower-case ASCII words of the question (repeats included).
        non_latin: the prompt is mostly in a non-Latin script (its English-read features say nothing).
    """

    dense: Mapping[str, float]
    words: list[bytes]
    non_latin: bool


def features(request: RoutingRequest, scan_chars: int = 500) -> tuple[dict[str, float], list[bytes]]:
    """The dense features (non-zero ones only) and the words (lower-case ASCII) of a request's prompt.

    A word counts once however often it occurs.
    """
    reading = read(request, scan_chars)
    return {k: v for k, v in reading.dense.items() if v}, reading.words


def read(request: RoutingRequest, scan_chars: int = 500) -> Reading:
    """Every dense feature, the words, and the script of a request's prompt (see the module docstring)."""
    cues = scan(request.prompt, scan_chars)
    text = question(request.prompt)
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
    per_word = letters / count - 3.0
    dense = {
        # Centred on a typical prompt (~250 characters): shorter ones count against, longer ones for.
        "length": min(1.0, math.log10(1 + chars) / 4) - _TYPICAL_LENGTH,
        "lines": min(raw.count(b"\n"), 20) / 20,
        "wh_start": float(bool(words) and words[0] in _WH),
        "word_length": max(0.0, min(per_word, 4.0)) / 4,
        "currency": float("$" in text or "%" in text or "€" in text or "£" in text),
        "fence": float("```" in text),
        "code": min(cues.code, 3) / 3,
        "math": min(cues.math, 3) / 3,
        "numbers": min(cues.numbers, 8) / 8,
        "reasoning": min(cues.reasoning, 3) / 3,
        "constraint": min(cues.constraint, 3) / 3,
        "steps": min(cues.steps, 4) / 4,
        "open_ended": min(cues.open_ended, 2) / 2,
        "simple": min(cues.simple, 2) / 2,
        "entities": min(cues.entities, 0.5) * 2,
        "symbols": min(cues.symbols, 0.15) / 0.15,
        "non_latin": float(cues.non_latin),
        "negation": min(len(found & _NEGATION) + folded.count(b" t "), 3) / 3,
        "causal": min(len(found & _CAUSAL), 2) / 2,
        "contrast": min(len(found & _CONTRAST), 2) / 2,
        "comparison": min(len(found & _COMPARISON), 3) / 3,
        "condition": min(len(found & _CONDITION), 2) / 2,
        "clauses": min(raw.count(b","), 6) / 6,
        "sentences": min(sentences, 8) / 8,
        "sentence_length": min(len(words) / sentences, 40) / 40,
        "how_many": float(
            (b"many" in found and b"how many" in folded) or (b"much" in found and b"how much" in folded)
        ),
        "why": float(b"why" in found),
        "imperative": float(bool(words) and words[0] in _TASK_VERBS),
        "lookup": float(bool(found & _LOOKUP)),
        "which": float(b"which" in found),
        "what": float(b"what" in found),
        "function_words": sum(word in _FUNCTION for word in head) / len(head) if head else 0.0,
    }
    return Reading(dense, words, cues.non_latin)
