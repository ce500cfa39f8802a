"""The built-in ``heuristic`` classifier: cheap, explainable signals combined by a logistic.

Each signal is a number (a capped count, a length on a log scale, a flag) times a weight from
:class:`HeuristicOptions`; the weighted sum plus a bias is squashed into [0, 1]. The reasons name the
signals that moved the score most, never the prompt's words.

Speed comes from working on bytes: one ``bytes.translate`` folds case and blanks punctuation, ``split()``
gives the words, and one C-level set intersection finds the cue words among them. Counting digits,
capitals, operators and symbols is ``translate`` with deletion. Cues are read in a bounded window of the
prompt (its head and its tail, where instructions and the question usually sit), so a 20,000-character
prompt costs what a 2,000-character one does; lengths are always measured in full.
"""

from __future__ import annotations

import math
from typing import ClassVar, NamedTuple

from pydantic import BaseModel, ConfigDict, Field

from .._request import RoutingRequest
from .base import Classification

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
# Phrases by family, each searched only when its rarest word (the gate) is among the words found: a
# prompt without the word pays nothing for the phrase.
_IN_REASONING, _IN_CONSTRAINT, _IN_QUANTITY, _IN_SIMPLE = range(4)  # phrase families
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
_LOOKUP = _CODE | _MATH | _REASONING | _CONSTRAINT | _STEPS | _OPEN | _SIMPLE | _GATES
_SIMPLE_MAX_CHARS = 300  # past this, "summarize" or "translate" is about a text, not the whole task
_SIMPLE_PHRASE_MAX_CHARS = 50  # "what is the capital of ...", not "what is the difference between ..."

# Lower-case ASCII letters, keep digits and non-ASCII bytes (UTF-8 sequences stay whole), blank the rest.
_FOLD = bytes(
    b + 32 if 65 <= b <= 90 else b if (97 <= b <= 122 or 48 <= b <= 57 or b >= 128) else 32
    for b in range(256)
)
_DIGITS_ONLY = bytes(b if 48 <= b <= 57 else 32 for b in range(256))


def _all_but(keep: bytes) -> bytes:
    return bytes(b for b in range(256) if b not in keep)


_NOT_UPPER = _all_but(bytes(range(65, 91)))
# One deletion pass keeps the punctuation that matters; the counts below then run on that short string.
_NOT_MARK = _all_but(b"{}[]()<>=;_\\|$^+-*/.?!`\n")
_NOT_OPERATOR = _all_but(b"+-*/=^<>")
_NOT_SYMBOL = _all_but(b"{}[]()<>=;_\\|$^")


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
    hits = _LOOKUP.intersection(words)
    phrases = [0, 0, 0, 0]  # reasoning, constraint, quantity, simple
    for gate in hits & _GATES:
        for phrase, family in _PHRASES[gate]:
            if phrase in folded:
                phrases[family] += 1
    quantity = phrases[_IN_QUANTITY]
    if chars <= _SIMPLE_MAX_CHARS:
        simple = len(hits & _SIMPLE) + (phrases[_IN_SIMPLE] if chars <= _SIMPLE_PHRASE_MAX_CHARS else 0)
    else:
        simple = 0
    numbers = len(set(raw.translate(_DIGITS_ONLY).split()))
    marks = raw.translate(None, _NOT_MARK)
    lines = marks.count(b"\n")
    # Numbers combined by operators, or a word problem's "how many / how much".
    arithmetic = numbers > 1 and (quantity > 0 or len(marks.translate(None, _NOT_OPERATOR)) > 0)
    latex = (b"\\" in marks) + (marks.count(b"$") > 1)
    fences = raw.count(b"```") if b"`" in marks else 0
    sentences = 1 + lines + marks.count(b".") + marks.count(b"?") + marks.count(b"!")
    capitals = len(raw.translate(None, _NOT_UPPER))
    return Cues(
        chars,
        question is not None,
        lines,
        len(hits & _CODE) + 2 * fences,
        len(hits & _MATH) + quantity + 2 * arithmetic + latex,
        numbers,
        len(hits & _REASONING) + phrases[_IN_REASONING],
        len(hits & _CONSTRAINT) + phrases[_IN_CONSTRAINT],
        len(hits & _STEPS),
        len(hits & _OPEN),
        simple,
        max(0, capitals - sentences) / (len(words) or 1),
        len(marks.translate(None, _NOT_SYMBOL)) / (len(raw) or 1),
        # Extra UTF-8 bytes per character: ~0 for English or accented Latin, ~1 for Cyrillic, ~2 for CJK.
        len(raw) - len(window) > 0.3 * len(window),
    )


class HeuristicOptions(BaseModel):
    """Weights of the heuristic's signals: each adds ``weight x signal`` to a logit.

    Signals are capped counts, lengths on a log scale, ratios, or flags (1.0 when present). The text
    weights were fitted (logistic regression) on the labelled routing data in shared/data and rounded;
    the data has no chat, tools, long outputs or greetings, so those weights, and code's (which the data
    rates as medium-hard), are set by judgement. The bias puts greetings and lookups below 0.35,
    everyday writing, code and word problems between 0.35 and 0.65, and proofs, design and multi-part
    code above 0.65 (the default policy's thresholds). See docs/classifiers.md.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    bias: float = Field(-1.0, description="Logit of an empty request (no signal at all).")
    length: float = Field(
        1.2,
        description="Prompt length, log scale: -0.6 when empty, -0.1 at 100 characters, 0 at ~250, "
        "+0.15 at 1k, +0.4 at 10k+.",
    )
    context: float = Field(
        0.5, description="System prompt + earlier turns, log scale: 0.5 at 100 characters, 1.0 at 10k+."
    )
    lines: float = Field(1.5, description="Line breaks (lists, clues, code), 1.0 at 20 or more.")
    code: float = Field(0.3, description="Per code cue (code words, fences), up to 3.")
    math: float = Field(0.5, description="Per math cue (math words, numbers with operators, LaTeX), up to 3.")
    numbers: float = Field(0.5, description="Distinct numbers, 1.0 at 8 or more (quantities to combine).")
    reasoning: float = Field(
        0.6, description="Per reasoning cue (analyse, compare, design, step by step), up to 3."
    )
    constraint: float = Field(0.25, description="Per constraint cue (must, exactly, at most), up to 3.")
    steps: float = Field(0.15, description="Per sequencing word (first, then, finally), up to 4.")
    open_ended: float = Field(
        0.5, description="Per writing or explaining cue (write, essay, email, explain), up to 2."
    )
    entities: float = Field(
        4.0, description="Capitals that do not start a sentence, per word (names, acronyms), up to 0.5."
    )
    symbols: float = Field(5.0, description="Share of code and maths symbols ({}[]()<>=;_\\|$^), up to 0.15.")
    simple: float = Field(
        -0.8, description="Per simple-request cue in a short prompt (greeting, translation), up to 2."
    )
    multilingual: float = Field(0.3, description="Mostly non-Latin script (Cyrillic, Greek, CJK, ...).")
    tools: float = Field(0.8, description="Tools offered, or tool calls earlier in the conversation.")
    turns: float = Field(0.5, description="Conversation depth: 1.0 at 11 messages or more.")
    structured_output: float = Field(0.4, description="JSON / JSON-schema output requested.")
    output_size: float = Field(
        0.5, description="Output limit, log scale: -1.0 at <=128 tokens, 0 at 1,024, 1.0 at 8,192+."
    )
    images: float = Field(0.5, description="Images in the conversation.")
    scan_chars: int = Field(
        500,
        ge=100,
        description="Prompt characters read for cues: two thirds from the head, one third from the tail.",
    )


def _log_scale(chars: int) -> float:
    """0 at 0 characters, 0.5 at ~100, 0.75 at ~1k, 1.0 at 10k and beyond."""
    return min(1.0, math.log10(1 + chars) / 4)


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

    def classify(self, request: RoutingRequest) -> Classification:
        """Score ``request`` in [0, 1]; the reasons name the (at most three) signals that moved it most."""
        cues = scan(request.prompt, request.system, self.options.scan_chars)
        signals = self._signals(request, cues)
        logit = self.options.bias
        strong = []
        for value, key in signals:
            logit += value
            if value >= _REASON_MIN or value <= -_REASON_MIN:
                strong.append((abs(value), key))
        # Weights are user options: clamp so that exp() cannot overflow.
        score = 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, logit))))
        if not strong:
            return Classification(score, ("no strong signal",), self.name)
        strong.sort(reverse=True)
        reasons = tuple(_REASONS.get(key) or _reason(key, cues, request) for _, key in strong[:3])
        return Classification(score, reasons, self.name)

    def signals(self, request: RoutingRequest) -> dict[str, float]:
        """Each signal's contribution to the logit (weight x signal), keyed by the option that weighs it.

        Strongest first; signals that are absent (a zero count, a flag not set) are left out.
        """
        signals = self._signals(request, scan(request.prompt, request.system, self.options.scan_chars))
        signals.sort(key=_strength, reverse=True)
        return {key: value for value, key in signals}

    def _signals(self, request: RoutingRequest, cues: Cues) -> list[tuple[float, str]]:
        o = self.options
        signals = [(o.length * (_log_scale(cues.chars) - _TYPICAL_PROMPT), "length")]
        if cues.lines:
            signals.append((o.lines * min(cues.lines, 20) / 20, "lines"))
        if cues.code:
            signals.append((o.code * min(cues.code, 3), "code"))
        if cues.math:
            signals.append((o.math * min(cues.math, 3), "math"))
        if cues.numbers:
            signals.append((o.numbers * min(cues.numbers, 8) / 8, "numbers"))
        if cues.reasoning:
            signals.append((o.reasoning * min(cues.reasoning, 3), "reasoning"))
        if cues.constraint:
            signals.append((o.constraint * min(cues.constraint, 3), "constraint"))
        if cues.steps:
            signals.append((o.steps * min(cues.steps, 4), "steps"))
        if cues.open_ended:
            signals.append((o.open_ended * min(cues.open_ended, 2), "open_ended"))
        if cues.entities:
            signals.append((o.entities * min(cues.entities, 0.5), "entities"))
        if cues.symbols:
            signals.append((o.symbols * min(cues.symbols, 0.15), "symbols"))
        if cues.simple:
            signals.append((o.simple * min(cues.simple, 2), "simple"))
        if cues.non_latin:
            signals.append((o.multilingual, "multilingual"))
        context = len(request.system) + len(request.history)
        if context:
            signals.append((o.context * _log_scale(context), "context"))
        if request.tools > 0 or request.tool_history:
            signals.append((o.tools, "tools"))
        if request.turns > 1:
            signals.append((o.turns * min(1.0, (request.turns - 1) / 10), "turns"))
        if request.structured_output:
            signals.append((o.structured_output, "structured_output"))
        limit = request.max_output_tokens or 0
        if limit > 0:  # not given, or a nonsensical limit: no signal
            size = math.log2(limit / 1024) / 3
            signals.append((o.output_size * max(-1.0, min(1.0, size)), "output_size"))
        if request.images > 0:
            signals.append((o.images, "images"))
        return signals


_REASON_MIN = 0.2  # a signal that moves the logit less than this is not worth a reason


def _strength(signal: tuple[float, str]) -> float:
    return abs(signal[0])


def _thousands(n: int) -> str:
    return f"{n / 1000:.0f}k" if n >= 1000 else str(n)


def _reason(key: str, cues: Cues, request: RoutingRequest) -> str:
    """The reason for a signal that carries a count (the others are in _REASONS): never the prompt's words."""
    if key == "length":
        kind = "long" if cues.chars >= 1000 else "short" if cues.chars < 200 else "medium-length"
        what = "question after few-shot examples" if cues.few_shot else "prompt"
        return f"{kind} {what} ({_thousands(cues.chars)} chars)"
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
