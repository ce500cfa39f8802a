"""The built-in ``heuristic`` classifier: cheap, explainable signals combined by a logistic.

Each signal is a number (a capped count, a length on a log scale, a flag) times a weight from
:class:`HeuristicOptions`; the weighted sum plus a bias is squashed into [0, 1]. The reasons name the
signals that moved the score most, never the prompt's words.

Speed comes from working on bytes: one ``bytes.translate`` folds case and blanks punctuation, ``split()``
gives the words, and one C-level set intersection finds the cue words among them. A second ``translate``
keeps only capitals, digits and the marks that matter, each folded to its class, so counting lines,
sentences, capitals, operators and symbols is a few ``count`` calls on a short string. Cues are read in
a bounded window of the prompt (its head and its tail, where instructions and the question usually sit),
so a 20,000-character prompt costs what a 2,000-character one does; lengths are always measured in full.
"""

from __future__ import annotations

import math
from typing import ClassVar, NamedTuple

from ..request import RoutingRequest
from .base import Classification
from .heuristic_options import HeuristicOptions

__all__ = ["Cues", "HeuristicClassifier", "HeuristicOptions", "scan"]


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
_CAPITAL, _DIGIT, _STOP, _OPERATOR, _BOTH, _SYMBOL = b"A0.obs"  # the classes, as ints: `int in bytes`
_BACKSLASH, _DOLLAR, _BACKTICK, _LINE = b"\\$`\n"


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


def _few_shot_question(prompt: str) -> str | None:
    """The final question of a few-shot prompt, or None when the prompt does not look like one.

    A few-shot prompt ends with a short cue line ("Answer:", "A:", "Output:") that it has already
    repeated after each worked example; its last blank-line-separated block is the real question. Its
    examples say nothing about how hard that question is.
    """
    end = prompt.rstrip()
    cue = end[end.rfind("\n") + 1 :]
    if not 2 <= len(cue) <= 120 or not cue.endswith(":"):
        return None
    block = end.rfind("\n\n")
    if block < 0 or end.count("\n" + cue, max(0, len(end) - 20_000)) < 3:
        return None
    return end[block + 2 :]


def scan(prompt: str, system: str = "", scan_chars: int = 500) -> Cues:
    """Find the heuristic's cues in ``prompt`` and the head of ``system``.

    Cues are read in ``scan_chars`` characters of the prompt (two thirds from its head, one third from
    its tail) and the first 300 characters of the system prompt.
    """
    return Cues(*_scan(prompt, system, scan_chars))


# The fields of Cues, as a plain tuple: the classifier unpacks it, and building a NamedTuple costs more.
_CueValues = tuple[int, bool, int, int, int, int, int, int, int, int, int, float, float, bool]


def _scan(prompt: str, system: str, scan_chars: int) -> _CueValues:
    question = _few_shot_question(prompt) if prompt[-200:].rstrip().endswith(":") else None
    if question is not None:
        prompt = question  # the worked examples say nothing about how hard the question is
    chars = len(prompt)
    if chars > scan_chars:
        head = scan_chars * 2 // 3
        window = prompt[:head] + "\n" + prompt[head - scan_chars :]
    else:
        window = prompt
    if system:
        window = system[:300] + "\n" + window
    raw = window.encode("utf-8", "surrogatepass")
    folded = raw.translate(_FOLD)
    words = folded.split()
    counts = [0] * 12  # by slot: the word families (_*_AT), then the phrase families (_IN_*)
    for word in _LOOKUP.intersection(words):  # a handful of words: cheaper than one set per family
        counts[_SLOT[word]] += 1
        phrases = _PHRASES.get(word)
        if phrases is not None:
            for phrase, family in phrases:
                if folded.find(phrase) >= 0:
                    counts[family] += 1
    (
        code,
        math_,
        reasoning,
        constraint,
        steps,
        open_ended,
        simple,
        _,
        reasoning_phrases,
        constraint_phrases,
        quantity,
        simple_phrases,
    ) = counts
    if chars <= _SIMPLE_MAX_CHARS:
        simple += simple_phrases if chars <= _SIMPLE_PHRASE_MAX_CHARS else 0
    else:
        simple = 0
    marks = raw.translate(_CLASS, _UNCLASSED)
    # ``byte in marks`` is a memchr; each count() costs an argument parse: count only the classes present.
    numbers = len(set(raw.translate(_DIGITS_ONLY).split())) if _DIGIT in marks else 0
    lines = marks.count(b"\n") if _LINE in marks else 0
    both = marks.count(b"b") if _BOTH in marks else 0  # = ^ < >, operators and symbols alike
    # Numbers combined by operators, or a word problem's "how many / how much".
    arithmetic = numbers > 1 and (quantity > 0 or both > 0 or _OPERATOR in marks)
    dollars = marks.count(b"$") if _DOLLAR in marks else 0
    backslashes = marks.count(b"\\") if _BACKSLASH in marks else 0
    latex = (backslashes > 0) + (dollars > 1)
    fences = raw.count(b"```") if _BACKTICK in marks else 0
    sentences = 1 + lines + (marks.count(b".") if _STOP in marks else 0)
    capitals = marks.count(b"A") if _CAPITAL in marks else 0
    symbols = (marks.count(b"s") if _SYMBOL in marks else 0) + both + dollars + backslashes
    excess = capitals - sentences
    return (
        chars,
        question is not None,
        lines,
        code + 2 * fences,
        math_ + quantity + 2 * arithmetic + latex,
        numbers,
        reasoning + reasoning_phrases,
        constraint + constraint_phrases,
        steps,
        open_ended,
        simple,
        (excess if excess > 0 else 0) / (len(words) or 1),
        symbols / (len(raw) or 1),
        # Extra UTF-8 bytes per character: ~0 for English or accented Latin, ~1 for Cyrillic, ~2 for CJK.
        len(raw) - len(window) > 0.3 * len(window),
    )


def _log_scale(chars: int) -> float:
    """0 at 0 characters, 0.5 at ~100, 0.75 at ~1k, 1.0 at 10k and beyond."""
    scale = math.log10(1 + chars) / 4
    return scale if scale < 1.0 else 1.0  # min(1.0, scale)


_TYPICAL_PROMPT = 0.6  # _log_scale of ~250 characters: shorter prompts lower the score, longer raise it


class HeuristicClassifier:
    """Scores a request from cues in its text (length, code, math, reasoning, ...) and its shape.

    No I/O, deterministic, explainable: ``classify`` lists the strongest signals as reasons, and
    :meth:`signals` shows every signal's contribution.
    """

    name = "heuristic"
    Options: ClassVar[type[HeuristicOptions]] = HeuristicOptions

    def __init__(self, options: HeuristicOptions | None = None) -> None:
        self.options = options or HeuristicOptions()

    @property
    def options(self) -> HeuristicOptions:
        """The weights in force."""
        return self._options

    @options.setter
    def options(self, options: HeuristicOptions) -> None:
        # Read once here as plain floats, in _SIGNALS order: a pydantic attribute read per signal and call
        # is a measurable part of a classification.
        self._options = options
        self._bias = options.bias
        self._scan_chars = options.scan_chars
        self._weights = tuple(getattr(options, key) for key in _SIGNALS)

    def classify(self, request: RoutingRequest) -> Classification:
        """Score ``request`` in [0, 1]; the reasons name the (at most three) signals that moved it most."""
        cues = _scan(request.prompt, request.system, self._scan_chars)
        logit = self._bias
        strong = []
        for value, key in self._signals(request, cues):
            logit += value
            if value >= _REASON_MIN or value <= -_REASON_MIN:
                strong.append((abs(value), key))
        # Weights are user options: clamp so that exp() cannot overflow (max(-50, min(50, logit))).
        logit = logit if logit < 50.0 else 50.0
        score = 1.0 / (1.0 + math.exp(-(logit if logit > -50.0 else -50.0)))
        if not strong:
            return _classification(score, _NO_STRONG_SIGNAL, self.name)
        strong.sort(reverse=True)
        reasons = tuple([_REASONS.get(key) or _reason(key, cues, request) for _, key in strong[:3]])
        return _classification(score, reasons, self.name)

    def signals(self, request: RoutingRequest) -> dict[str, float]:
        """Each signal's contribution to the logit (weight x signal), keyed by the option that weighs it.

        Strongest first; signals that are absent (a zero count, a flag not set) are left out.
        """
        signals = self._signals(request, _scan(request.prompt, request.system, self._scan_chars))
        signals.sort(key=_strength, reverse=True)
        return {key: value for value, key in signals}

    def _signals(self, request: RoutingRequest, cues: _CueValues) -> list[tuple[float, str]]:
        """(weight x signal, option name) of each signal present, in the order they are summed.

        ``min(x, cap)`` is spelled ``x if x < cap else cap``: the same value, and on CPython 3.11 a
        fraction of a builtin call's cost, which adds up over a dozen signals.
        """
        chars, _, lines, code, math_, numbers, reasoning, constraint, steps, open_ended, simple = cues[:11]
        entities, symbols, non_latin = cues[11:]
        (
            length_w,
            lines_w,
            code_w,
            math_w,
            numbers_w,
            reasoning_w,
            constraint_w,
            steps_w,
            open_ended_w,
            entities_w,
            symbols_w,
            simple_w,
            multilingual_w,
            context_w,
            tools_w,
            turns_w,
            structured_output_w,
            output_size_w,
            images_w,
        ) = self._weights
        signals = [(length_w * (_log_scale(chars) - _TYPICAL_PROMPT), "length")]
        if lines:
            signals.append((lines_w * (lines if lines < 20 else 20) / 20, "lines"))
        if code:
            signals.append((code_w * (code if code < 3 else 3), "code"))
        if math_:
            signals.append((math_w * (math_ if math_ < 3 else 3), "math"))
        if numbers:
            signals.append((numbers_w * (numbers if numbers < 8 else 8) / 8, "numbers"))
        if reasoning:
            signals.append((reasoning_w * (reasoning if reasoning < 3 else 3), "reasoning"))
        if constraint:
            signals.append((constraint_w * (constraint if constraint < 3 else 3), "constraint"))
        if steps:
            signals.append((steps_w * (steps if steps < 4 else 4), "steps"))
        if open_ended:
            signals.append((open_ended_w * (open_ended if open_ended < 2 else 2), "open_ended"))
        if entities:
            signals.append((entities_w * (entities if entities < 0.5 else 0.5), "entities"))
        if symbols:
            signals.append((symbols_w * (symbols if symbols < 0.15 else 0.15), "symbols"))
        if simple:
            signals.append((simple_w * (simple if simple < 2 else 2), "simple"))
        if non_latin:
            signals.append((multilingual_w, "multilingual"))
        context = len(request.system) + len(request.history)
        if context:
            signals.append((context_w * _log_scale(context), "context"))
        if request.tools > 0 or request.tool_history:
            signals.append((tools_w, "tools"))
        turns = request.turns
        if turns > 1:
            depth = (turns - 1) / 10
            signals.append((turns_w * (depth if depth < 1.0 else 1.0), "turns"))
        if request.structured_output:
            signals.append((structured_output_w, "structured_output"))
        limit = request.max_output_tokens or 0
        if limit > 0:  # not given, or a nonsensical limit: no signal
            size = math.log2(limit / 1024) / 3
            size = size if size < 1.0 else 1.0
            signals.append((output_size_w * (size if size > -1.0 else -1.0), "output_size"))
        if request.images > 0:
            signals.append((images_w, "images"))
        return signals


# The signals, each named by the option that weighs it, in the order their contributions are summed.
_SIGNALS = (
    "length",
    "lines",
    "code",
    "math",
    "numbers",
    "reasoning",
    "constraint",
    "steps",
    "open_ended",
    "entities",
    "symbols",
    "simple",
    "multilingual",
    "context",
    "tools",
    "turns",
    "structured_output",
    "output_size",
    "images",
)
_REASON_MIN = 0.2  # a signal that moves the logit less than this is not worth a reason
_classification = Classification
_NO_STRONG_SIGNAL = ("no strong signal",)


def _strength(signal: tuple[float, str]) -> float:
    return abs(signal[0])


def _thousands(n: int) -> str:
    return f"{n / 1000:.0f}k" if n >= 1000 else str(n)


def _reason(key: str, cues: _CueValues, request: RoutingRequest) -> str:
    """The reason for a signal that carries a count (the others are in _REASONS): never the prompt's words."""
    if key == "length":
        chars, few_shot = cues[0], cues[1]
        kind = "long" if chars >= 1000 else "short" if chars < 200 else "medium-length"
        what = "question after few-shot examples" if few_shot else "prompt"
        return f"{kind} {what} ({_thousands(chars)} chars)"
    if key == "context":
        return f"context ({_thousands(len(request.system) + len(request.history))} chars)"
    if key == "turns":
        return f"conversation depth ({request.turns} messages)"
    if key == "output_size":
        limit = request.max_output_tokens or 0
        return f"{'long' if limit > 1024 else 'short'} output (max {_thousands(limit)} tokens)"
    if key == "tools":
        return f"tools offered ({request.tools})" if request.tools > 0 else "tool calls in history"
    return f"images ({request.images})"


_REASONS = {
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
    "multilingual": "non-Latin script",
    "structured_output": "structured output",
}
