"""The cues both built-in classifiers read in a request: one scan of the prompt, and the request's shape.

:func:`scan` finds cue words and character classes in a bounded window of the prompt (its head and its
tail, where instructions and the question usually sit), so a 20,000-character prompt costs what a
2,000-character one does; lengths are always measured in full. :func:`shape_signals` reads the request's
shape (context, tools, conversation depth, structured output, output limit, images). The ``heuristic``
weighs both; the ``learned`` classifier derives its features from them. Neither weighs anything here:
this module only counts.

Speed comes from working on bytes: one ``bytes.translate`` folds case and blanks punctuation, ``split()``
gives the words, and one C-level set intersection finds the cue words among them. A second ``translate``
keeps only capitals, digits and the marks that matter, each folded to its class, so counting lines,
sentences, capitals, operators and symbols is a few ``count`` calls on a short string. Regular
expressions were measured and rejected: CPython's ``re`` tries every branch of an alternation at every
position, milliseconds on a 2k prompt.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import NamedTuple

from ..request import RoutingRequest

__all__ = [
    "CUE_FAMILIES",
    "NO_STRONG_SIGNAL",
    "REASONS",
    "SHAPE_SIGNALS",
    "Cues",
    "few_shot_question",
    "log_scale",
    "scan",
    "shape_reason",
    "shape_signals",
]


def _words(text: str) -> frozenset[bytes]:
    return frozenset(word.encode() for word in text.split())


# Cue families, matched against the lower-cased words of the scanned window. Only words that carry their
# meaning alone: ambiguous ones ("sum", "list", "why", "explain") are left out or checked as phrases.
_CODE = _words(
    """def class function functions method return import include const var let lambda async await
    sql regex regexp python javascript typescript java rust golang kotlin swift cpp php ruby bash shell
    code script compile compiler runtime refactor implement implementation algorithm algorithms api
    bug bugs exception traceback stacktrace segfault unittest pytest dockerfile kubernetes json yaml
    html css recursion recursive thread threads boolean struct enum pointer variable variables"""
)
_MATH = _words(
    """integral integrals derivative derivatives equation equations
    inequality probability matrix matrices eigenvalue eigenvalues polynomial logarithm modulo prime
    primes solve calculate compute percent percentage ratio remainder divisible fraction fractions sqrt
    factorial permutations combinations geometry triangle circle radius diameter perimeter area volume
    velocity acceleration interest integer integers digits vector vectors variance frac cdot"""
)
_REASONING = _words(
    """analyze analyse analysis compare comparison contrast tradeoff tradeoffs design architect
    architecture optimize optimise optimization derive evaluate critique justify reasoning strategy
    strategies implications thorough detailed comprehensive consequences argue rigorous prove proof
    theorem lemma"""
)
_CONSTRAINT = _words(
    """must exactly ensure requirement requirements constraint constraints mandatory strictly never
    always"""
)
_STEPS = _words("first then finally next afterwards steps")
# Open-ended writing and explaining: a long answer to compose, not a fact to recall.
_OPEN = _words(
    """write draft compose story poem essay email letter blog article speech itinerary describe
    explain discuss elaborate outline"""
)
_SIMPLE = _words(
    """hi hello hey thanks thank bye translate translation define definition meaning synonym synonyms
    antonym spell spelling rephrase paraphrase summarize summarise tldr grammar typo proofread"""
)
# A scan counts its cues in one list, by slot: the word families, then the phrase families.
_CODE_AT, _MATH_AT, _REASONING_AT, _CONSTRAINT_AT, _STEPS_AT, _OPEN_AT, _SIMPLE_AT, _GATE_AT = range(8)
_IN_REASONING, _IN_CONSTRAINT, _IN_QUANTITY, _IN_SIMPLE = range(8, 12)
# Phrases by family, each searched only when its rarest word (the gate) is among the words found: a
# prompt without the word pays nothing for the phrase.
_PHRASES: dict[bytes, tuple[tuple[bytes, int], ...]] = {
    b"step": ((b"step by step", _IN_REASONING),),
    b"explain": ((b"explain why", _IN_REASONING), (b"explain how", _IN_REASONING)),
    b"trade": ((b"trade off", _IN_REASONING),),
    b"pros": ((b"pros and cons", _IN_REASONING),),
    b"most": ((b"at most", _IN_CONSTRAINT),),
    b"least": ((b"at least", _IN_CONSTRAINT),),
    b"than": ((b"no more than", _IN_CONSTRAINT),),
    b"many": ((b"how many", _IN_QUANTITY),),
    b"much": ((b"how much", _IN_QUANTITY),),
    b"what": ((b"what is the", _IN_SIMPLE),),
    b"who": ((b"who is", _IN_SIMPLE),),
    b"yes": ((b"yes or no", _IN_SIMPLE),),
    b"false": ((b"true or false", _IN_SIMPLE),),
    b"say": ((b"how do you say", _IN_SIMPLE),),
}
_GATES = frozenset(_PHRASES)


def _slots(*families: frozenset[bytes]) -> dict[bytes, int]:
    """Each cue word's slot in a scan's counts: its family's (families are disjoint), or the gates'."""
    slots = dict.fromkeys(_GATES, _GATE_AT)
    for slot, family in enumerate(families):
        slots.update(dict.fromkeys(family, slot))
    return slots


_SLOT = _slots(_CODE, _MATH, _REASONING, _CONSTRAINT, _STEPS, _OPEN, _SIMPLE)  # in _*_AT order
_LOOKUP = frozenset(_SLOT)
_SIMPLE_MAX_CHARS = 300  # past this, "summarize" or "translate" is about a text, not the whole task
_SIMPLE_PHRASE_MAX_CHARS = 50  # "what is the capital of ...", not "what is the difference between ..."

# Lower-case ASCII letters, keep digits and non-ASCII bytes (UTF-8 sequences stay whole), blank the rest.
_FOLD = bytes(
    b + 32 if 65 <= b <= 90 else b if (97 <= b <= 122 or 48 <= b <= 57 or b >= 128) else 32
    for b in range(256)
)
_DIGITS_ONLY = bytes(b if 48 <= b <= 57 else 32 for b in range(256))


# One deletion pass keeps capitals, digits and the marks that matter, each folded to its class; the
# counts below then run on that short string. Symbols are {}[]()<>=;_\\|$^, operators +-*/=^<>.
_CLASSES = {
    **dict.fromkeys(range(65, 91), ord("A")),  # capitals
    **dict.fromkeys(range(48, 58), ord("0")),  # digits
    **dict.fromkeys(b".?!", ord(".")),  # sentence ends
    **dict.fromkeys(b"+-*/", ord("o")),  # operators only
    **dict.fromkeys(b"=^<>", ord("b")),  # both operators and symbols
    **dict.fromkeys(b"{}[]();_|", ord("s")),  # symbols only
    **{mark: mark for mark in b"\\$`\n"},  # LaTeX's symbols, fences, line breaks: kept as they are
}
_CLASS = bytes(_CLASSES.get(b, b) for b in range(256))
_UNCLASSED = bytes(b for b in range(256) if b not in _CLASSES)


#: The cue word families, by the :class:`Cues` field they count in (disjoint: a word counts once).
CUE_FAMILIES: Mapping[str, frozenset[bytes]] = {
    "code": _CODE,
    "math": _MATH,
    "reasoning": _REASONING,
    "constraint": _CONSTRAINT,
    "steps": _STEPS,
    "open_ended": _OPEN,
    "simple": _SIMPLE,
}


class Cues(NamedTuple):
    """What :func:`scan` finds in a prompt, before weighting."""

    chars: int
    """Characters of the prompt; of the final question alone for a few-shot prompt."""
    few_shot: bool
    """The prompt ends like a few-shot prompt (a repeated "Answer:"-style cue line)."""
    lines: int
    """Line breaks in the scanned window."""
    code: int
    math: int
    numbers: int
    """Distinct numbers in the scanned window."""
    reasoning: int
    constraint: int
    steps: int
    open_ended: int
    """Writing and explaining cues (write, essay, email, explain, describe)."""
    simple: int
    entities: float
    """Capital letters that do not start a sentence, per word: names, acronyms, formulas."""
    symbols: float
    """Share of code and maths symbols in the scanned window."""
    non_latin: bool
    """Mostly non-Latin script (Cyrillic, Greek, CJK, Arabic, ...)."""


def few_shot_question(prompt: str) -> str | None:
    """The final question of a few-shot prompt, or None when the prompt does not look like one.

    A few-shot prompt ends with a short cue line ("Answer:", "A:", "Output:") that it has already
    repeated after each worked example; its last blank-line-separated block is the real question. Its
    examples say nothing about how hard that question is.
    """
    if not prompt[-200:].rstrip().endswith(":"):
        return None
    end = prompt.rstrip()
    cue = end[end.rfind("\n") + 1 :]
    if not 2 <= len(cue) <= 120 or not cue.endswith(":"):
        return None
    block = end.rfind("\n\n")
    if block < 0 or end.count("\n" + cue, max(0, len(end) - 20_000)) < 3:
        return None
    return end[block + 2 :]


def scan(prompt: str, scan_chars: int = 500) -> Cues:
    """Find the cues in ``prompt`` (the last user turn).

    Cues are read in ``scan_chars`` characters of the prompt (two thirds from its head, one third from
    its tail). A few-shot prompt is read as its final question alone (see :func:`few_shot_question`).
    The system prompt is not read: an application sends the same one with every call, so its words tell
    the application's easy calls from its hard ones no better than nothing (see :func:`shape_signals`).
    """
    question = few_shot_question(prompt)
    if question is not None:
        prompt = question  # the worked examples say nothing about how hard the question is
    chars = len(prompt)
    if chars > scan_chars:
        head = scan_chars * 2 // 3
        window = prompt[:head] + "\n" + prompt[head - scan_chars :]
    else:
        window = prompt
    raw = window.encode("utf-8", "surrogatepass")
    folded = raw.translate(_FOLD)
    words = folded.split()
    counts = [0] * 12  # by slot: the word families (_*_AT), then the phrase families (_IN_*)
    for word in _LOOKUP.intersection(words):  # a handful of words: cheaper than one set per family
        counts[_SLOT[word]] += 1
        for phrase, family in _PHRASES.get(word, ()):
            if phrase in folded:
                counts[family] += 1
    code, math_, reasoning, constraint, steps, open_ended, simple = counts[:_GATE_AT]
    reasoning_phrases, constraint_phrases, quantity, simple_phrases = counts[_IN_REASONING:]
    if chars > _SIMPLE_MAX_CHARS:
        simple = 0
    elif chars <= _SIMPLE_PHRASE_MAX_CHARS:
        simple += simple_phrases
    marks = raw.translate(_CLASS, _UNCLASSED)
    numbers = len(set(raw.translate(_DIGITS_ONLY).split()))
    both = marks.count(b"b")  # = ^ < >, operators and symbols alike
    # Numbers combined by operators, or a word problem's "how many / how much".
    arithmetic = numbers > 1 and (quantity > 0 or both > 0 or b"o" in marks)
    dollars = marks.count(b"$")
    backslashes = marks.count(b"\\")
    latex = (backslashes > 0) + (dollars > 1)
    lines = marks.count(b"\n")
    sentences = 1 + lines + marks.count(b".")
    symbols = marks.count(b"s") + both + dollars + backslashes
    return Cues(
        chars=chars,
        few_shot=question is not None,
        lines=lines,
        code=code + 2 * raw.count(b"```"),
        math=math_ + quantity + 2 * arithmetic + latex,
        numbers=numbers,
        reasoning=reasoning + reasoning_phrases,
        constraint=constraint + constraint_phrases,
        steps=steps,
        open_ended=open_ended,
        simple=simple,
        entities=max(0, marks.count(b"A") - sentences) / (len(words) or 1),
        symbols=symbols / (len(raw) or 1),
        # Extra UTF-8 bytes per character: ~0 for English or accented Latin, ~1 for Cyrillic, ~2 for CJK.
        non_latin=len(raw) - len(window) > 0.3 * len(window),
    )


def log_scale(chars: int) -> float:
    """0 at 0 characters, 0.5 at ~100, 0.75 at ~1k, 1.0 at 10k and beyond."""
    return min(1.0, math.log10(1 + chars) / 4)


#: The request-shape signals :func:`shape_signals` reads, in its order.
SHAPE_SIGNALS = ("context", "tools", "turns", "structured_output", "output_size", "images")


def shape_signals(request: RoutingRequest) -> list[tuple[str, float]]:
    """The request's shape as (signal, value) pairs, each value about in [-1, 1]; absent signals left out.

    - ``context``: the earlier turns, log scale (0.5 at 100 characters, 1.0 at 10k+). Not the system
      prompt: an application sends the same one with every call, so it tells its easy calls from its hard
      ones no better than nothing, and would only lift them all towards a stronger tier.
    - ``tools``: 1.0 when tools are offered or were called earlier in the conversation.
    - ``turns``: conversation depth, 1.0 at 11 messages or more.
    - ``structured_output``: 1.0 when JSON or a JSON schema is requested.
    - ``output_size``: a short output limit, log scale: -1.0 at 128 tokens or fewer, 0 at 1,024 and above.
      A small limit is a caller's choice for a short answer; a large one is usually a default (Anthropic's
      Messages API requires one, and SDK wrappers send 4,096 or more), so it lifts nothing.
    - ``images``: 1.0 when the conversation holds images.

    These signals are hand-set priors (the labelled data has no system prompts, history or limits), kept
    to what says something about the call rather than about the application that makes it.
    """
    signals = []
    context = len(request.history)
    if context:
        signals.append(("context", log_scale(context)))
    if request.tools > 0 or request.tool_history:
        signals.append(("tools", 1.0))
    if request.turns > 1:
        signals.append(("turns", min(1.0, (request.turns - 1) / 10)))
    if request.structured_output:
        signals.append(("structured_output", 1.0))
    limit = request.max_output_tokens or 0
    if 0 < limit < 1024:  # not given, a default-sized limit, or a nonsensical one: no signal
        signals.append(("output_size", max(-1.0, math.log2(limit / 1024) / 3)))
    if request.images > 0:
        signals.append(("images", 1.0))
    return signals


def _thousands(n: int) -> str:
    return f"{n / 1000:.0f}k" if n >= 1000 else str(n)


def shape_reason(signal: str, request: RoutingRequest) -> str:
    """The reason for a shape signal or one of :data:`REASONS`'s cues: counts, never the prompt's words."""
    if signal == "context":
        return f"context ({_thousands(len(request.history))} chars of earlier turns)"
    if signal == "turns":
        return f"conversation depth ({request.turns} messages)"
    if signal == "output_size":
        limit = request.max_output_tokens or 0
        return f"short output (max {_thousands(limit)} tokens)"
    if signal == "tools":
        return f"tools offered ({request.tools})" if request.tools > 0 else "tool calls in history"
    if signal == "images":
        return f"images ({request.images})"
    return REASONS[signal]


def length_reason(cues: Cues) -> str:
    """The reason for the prompt's length: its size in characters, and whether it was a few-shot question."""
    kind = "long" if cues.chars >= 1000 else "short" if cues.chars < 200 else "medium-length"
    what = "question after few-shot examples" if cues.few_shot else "prompt"
    return f"{kind} {what} ({_thousands(cues.chars)} chars)"


#: The words a reason uses for each cue family: a fixed vocabulary, so that no word of a prompt can reach
#: a span.
REASONS: Mapping[str, str] = {
    "lines": "multi-line input",
    "code": "code",
    "math": "math",
    "numbers": "several numbers",
    "reasoning": "multi-step reasoning cue",
    "constraint": "explicit constraints",
    "steps": "sequenced steps",
    "open_ended": "open-ended writing or explaining",
    "entities": "names and acronyms",
    "symbols": "code or math symbols",
    "simple": "simple request",
    "non_latin": "non-Latin script",
    "structured_output": "structured output",
}
#: The reasons of a verdict that no signal moved much.
NO_STRONG_SIGNAL = ("no strong signal",)
