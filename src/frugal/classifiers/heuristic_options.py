"""The ``heuristic`` classifier's options: :class:`HeuristicOptions`, the weights of its signals.

A module of its own so that the classifier (:mod:`frugal.classifiers.heuristic`, which re-exports the
model) holds no pydantic model and can be compiled (mypyc); this one stays interpreted.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["HeuristicOptions"]


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
        0.5,
        description="Earlier turns (not the system prompt, the same on every call of an application), log "
        "scale: 0.5 at 100 characters, 1.0 at 10k+.",
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
    tools: float = Field(
        0.0,
        description="Tools offered, or tool calls earlier in the conversation. 0: tools are a capability "
        "(the router keeps models that support them), not a sign of a harder request.",
    )
    turns: float = Field(0.5, description="Conversation depth: 1.0 at 11 messages or more.")
    structured_output: float = Field(0.4, description="JSON / JSON-schema output requested.")
    output_size: float = Field(
        0.5,
        description="A short output limit, log scale: -1.0 at <=128 tokens, 0 at 1,024 and above (a large "
        "limit is usually a default, not a sign of a harder request).",
    )
    images: float = Field(0.5, description="Images in the conversation.")
    scan_chars: int = Field(
        500,
        ge=100,
        description="Prompt characters read for cues: two thirds from the head, one third from the tail.",
    )
