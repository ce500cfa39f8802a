"""The built-in ``heuristic`` classifier: cheap, explainable signals combined by a logistic.

Substring cues by family (code, math, reasoning, constraints, steps, simple requests) are counted in the
lower-cased head and tail of the prompt (a bounded window, so a 20k-character prompt costs about what a
2k one does), plus operator/digit statistics; with lengths and request properties (tools, depth,
structured and long output, images, script) they are weighted, summed with a bias and squashed into
[0, 1]. The reasons name the strongest signals, never the prompt's words.
"""

from __future__ import annotations

import math
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field

from .._request import RoutingRequest
from .base import Classification

__all__ = ["HeuristicClassifier"]

# Cue families as word sets: the window is lower-cased, punctuation becomes spaces, and one set of its
# words is intersected with each family (C-level work; CPython's regex alternation or one substring
# search per cue is 5-10x slower). A few multi-word phrases and symbols are checked as substrings.
_CODE = frozenset(
    [
        "def",
        "class",
        "function",
        "functions",
        "return",
        "import",
        "include",
        "const",
        "var",
        "let",
        "select",
        "traceback",
        "exception",
        "stacktrace",
        "compile",
        "compiler",
        "refactor",
        "implement",
        "implementation",
        "algorithm",
        "algorithms",
        "regex",
        "sql",
        "api",
        "bug",
        "bugs",
        "python",
        "javascript",
        "typescript",
        "java",
        "rust",
        "golang",
        "kotlin",
        "swift",
        "code",
        "script",
        "recursion",
        "recursive",
        "runtime",
        "complexity",
        "unittest",
        "pytest",
        "dockerfile",
        "kubernetes",
        "json",
        "yaml",
        "html",
        "css",
        "async",
        "await",
        "thread",
        "threads",
    ]
)
_MATH = frozenset(
    [
        "integral",
        "derivative",
        "prove",
        "proof",
        "theorem",
        "lemma",
        "equation",
        "equations",
        "probability",
        "matrix",
        "eigenvalue",
        "eigenvalues",
        "polynomial",
        "logarithm",
        "modulo",
        "prime",
        "primes",
        "solve",
        "calculate",
        "compute",
        "percent",
        "percentage",
        "ratio",
        "average",
        "total",
        "remainder",
        "divisible",
        "fraction",
        "fractions",
        "sqrt",
        "factorial",
        "permutations",
        "combinations",
        "geometry",
        "triangle",
        "circle",
        "radius",
        "area",
        "volume",
        "velocity",
        "interest",
    ]
)
_REASONING = frozenset(
    [
        "why",
        "analyze",
        "analyse",
        "analysis",
        "compare",
        "comparison",
        "tradeoff",
        "tradeoffs",
        "trade",
        "design",
        "architect",
        "architecture",
        "optimize",
        "optimise",
        "optimization",
        "debug",
        "derive",
        "evaluate",
        "critique",
        "justify",
        "reasoning",
        "strategy",
        "strategies",
        "implications",
        "thorough",
        "detailed",
        "comprehensive",
        "plan",
        "consequences",
        "hypothesis",
        "argue",
        "essay",
    ]
)
_CONSTRAINT = frozenset(
    [
        "must",
        "exactly",
        "ensure",
        "requirement",
        "requirements",
        "constraint",
        "constraints",
        "without",
        "only",
    ]
)
_STEPS = frozenset(["first", "then", "finally", "next", "afterwards", "steps"])
_SIMPLE = frozenset(
    [
        "hi",
        "hello",
        "hey",
        "thanks",
        "thank",
        "translate",
        "define",
        "definition",
        "spell",
        "synonym",
        "synonyms",
        "rephrase",
        "summarize",
        "summarise",
        "grammar",
        "typo",
        "capital",
    ]
)
_SIMPLE_PHRASES = ("who is ", "what is the ", "true or false", "yes or no")
_PUNCTUATION = str.maketrans(dict.fromkeys("!\"$%&',.:;<>?@[\\]|~()", " "))
_OPERATORS = "+*/=^"
_NUMBERS = frozenset(str(n) for n in range(1000))


def _strength(signal: tuple[str, float]) -> float:
    return abs(signal[1])


class HeuristicOptions(BaseModel):
    """Weights of the heuristic's signals (added to a logit), and its bias and scan window."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    bias: float = Field(-2.0, description="Logit of a request with no signal at all.")
    length: float = Field(1.6, description="Weight of the prompt's length (log scale, 1.0 at ~10k chars).")
    context: float = Field(0.6, description="Weight of system prompt + history size (log scale).")
    code: float = Field(1.1, description="Per code cue, up to 3.")
    math: float = Field(0.9, description="Per math cue, up to 3.")
    reasoning: float = Field(1.0, description="Per reasoning cue, up to 3.")
    constraint: float = Field(0.35, description="Per constraint cue, up to 3.")
    multistep: float = Field(0.3, description="Per enumerated step or sequencing word, up to 4.")
    simple: float = Field(
        -1.3, description="Per simple-request cue (greeting, lookup, translation), up to 2."
    )
    tools: float = Field(0.5, description="Tools offered or used in the conversation.")
    turns: float = Field(0.5, description="Conversation depth (1.0 at 10+ turns).")
    structured_output: float = Field(0.4, description="JSON / schema output requested.")
    long_output: float = Field(0.6, description="max_tokens above 2,000.")
    images: float = Field(0.5, description="Images in the conversation.")
    multilingual: float = Field(0.3, description="Mostly non-ASCII text.")
    scan_chars: int = Field(
        600, ge=200, description="Characters of the prompt scanned for cues: two thirds head, one third tail."
    )


class HeuristicClassifier:
    """Length, code, math, reasoning and multi-step cues, tools, depth, output size, language."""

    name = "heuristic"
    Options: ClassVar[type[HeuristicOptions]] = HeuristicOptions

    def __init__(self, options: HeuristicOptions | None = None) -> None:
        self.options = options or HeuristicOptions()

    def classify(self, request: RoutingRequest) -> Classification:
        """Score ``request`` in [0, 1] with the signals that drove it as reasons."""
        o = self.options
        prompt = request.prompt
        chars = len(prompt)
        head = o.scan_chars * 2 // 3
        text = (
            prompt if chars <= o.scan_chars else prompt[:head] + "\n" + prompt[head - o.scan_chars :]
        ).lower()
        words = set(text.translate(_PUNCTUATION).split())
        arithmetic = not words.isdisjoint(_NUMBERS) and sum(map(text.count, _OPERATORS)) > 0
        code = len(words & _CODE) + 2 * text.count("```") + ("{" in text) + ("=>" in text)
        math_cues = len(words & _MATH) + 2 * arithmetic + ("how many" in text) + ("how much" in text)
        reasoning = len(words & _REASONING) + 2 * ("step by step" in text)
        steps = len(words & _STEPS) + text.count("\n1") + text.count("\n- ")
        simple = 0
        if chars < 400:
            simple = len(words & _SIMPLE) + sum(phrase in text for phrase in _SIMPLE_PHRASES)
        context_chars = len(request.system) + len(request.history)
        signals = [("prompt length", o.length * min(1.0, math.log10(1 + chars) / 4))]
        if context_chars:
            signals.append(("large context", o.context * min(1.0, math.log10(1 + context_chars) / 4.5)))
        if code:
            signals.append(("code", o.code * min(code, 3)))
        if math_cues:
            signals.append(("math", o.math * min(math_cues, 3)))
        if reasoning:
            signals.append(("reasoning cues", o.reasoning * min(reasoning, 3)))
        constraint = len(words & _CONSTRAINT)
        if constraint:
            signals.append(("explicit constraints", o.constraint * min(constraint, 3)))
        if steps:
            signals.append(("multi-step", o.multistep * min(steps, 4)))
        if simple:
            signals.append(("simple request", o.simple * min(simple, 2)))
        if request.needs_tools:
            signals.append(("tools", o.tools))
        if request.turns > 1:
            signals.append(("deep conversation", o.turns * min(1.0, (request.turns - 1) / 9)))
        if request.structured_output:
            signals.append(("structured output", o.structured_output))
        if (request.max_output_tokens or 0) > 2000:
            signals.append(("long output", o.long_output))
        if request.images:
            signals.append(("images", o.images))
        if chars >= 40 and not text.isascii():
            sample = text[:400]
            if len(sample) - len(sample.encode("ascii", "ignore")) > 0.3 * len(sample):
                signals.append(("non-English text", o.multilingual))
        logit = o.bias
        for _, value in signals:
            logit += value
        score = 1.0 / (1.0 + math.exp(-logit))
        signals.sort(key=_strength, reverse=True)
        reasons = tuple(
            f"long prompt ({chars // 1000}k chars)" if name == "prompt length" and chars >= 1000 else name
            for name, value in signals[:3]
            if abs(value) >= 0.25
        )
        return Classification(score, reasons or ("no strong signal",), self.name)
