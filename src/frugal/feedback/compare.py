"""Comparing a routed answer with the baseline model's answer to the same call.

- ``exact``: the same text.
- ``normalized``: the same text once case, spacing and punctuation are set aside ("Paris." = "paris").
- ``json``: the same JSON value (key order and spacing aside): structured output.
- ``tools``: the same tool calls (names, in order) with equal arguments.
- ``judge``: a judge model rates the routed answer against the baseline's, 0 to 10; a rating of at least
  the judge's ``min_score`` is a match. Free-form answers rarely match word for word: a judge is what
  tells whether a cheaper model's prose was as good.
- ``auto``: ``tools`` when either answer called a tool, ``json`` when the call asked for structured output,
  the judge when one is set, else ``normalized``.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..providers.calls import CHAT, MESSAGES, Operation
from ..request import RoutingRequest
from ..routing.cascade import Answer, parse_judge_score, read_answer

__all__ = ["Verdict", "compare", "judge_call", "judged", "method_for"]

_JUDGE_REQUEST_CHARS = 8_000
_JUDGE_ANSWER_CHARS = 6_000
_JUDGE_SYSTEM = (
    "You compare two answers to the same request. The reference answer came from a stronger model. Rate "
    "the candidate answer from 0 to 10: 10 when it is as good as the reference or better (as correct, "
    "complete and useful), 0 when it is wrong or useless where the reference is not. Reply with one "
    "integer and nothing else."
)


@dataclass(frozen=True, slots=True)
class Verdict:
    """The outcome of a comparison: ``good`` from 0 to 1, how it was reached, and a short detail."""

    good: float
    method: str
    detail: str | None = None


def method_for(mode: str, params: Mapping[str, Any], routed: Answer, reference: Answer, judge: bool) -> str:
    """The comparison a policy's ``compare`` setting means for this call."""
    if mode != "auto":
        return mode
    if routed.tool_calls or reference.tool_calls:
        return "tools"
    if _structured(params):
        return "json"
    return "judge" if judge else "normalized"


def _structured(params: Mapping[str, Any]) -> bool:
    form = params.get("response_format")
    if isinstance(form, Mapping) and form.get("type") in ("json_object", "json_schema"):
        return True
    if isinstance(form, type):
        return True
    text = params.get("text")
    if isinstance(text, Mapping) and isinstance(text.get("format"), Mapping):
        return text["format"].get("type") in ("json_object", "json_schema")
    return params.get("output_format") is not None or params.get("text_format") is not None


_PUNCTUATION = re.compile(r"\s+")


def normalize(text: str) -> str:
    """Text with case, spacing and punctuation set aside."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    kept = "".join(" " if unicodedata.category(ch).startswith("P") else ch for ch in folded)
    return _PUNCTUATION.sub(" ", kept).strip()


def _json(text: str) -> Any:
    stripped = text.strip()
    if stripped.startswith("```"):
        stripped = stripped.strip("`")
        stripped = stripped[stripped.find("\n") + 1 :] if "\n" in stripped else stripped
    return json.loads(stripped)


def compare(method: str, routed: Answer, reference: Answer) -> Verdict:
    """The verdict of a comparison that needs no model (not ``judge``)."""
    if method == "exact":
        return Verdict(float(routed.text == reference.text), method)
    if method == "normalized":
        return Verdict(float(normalize(routed.text) == normalize(reference.text)), method)
    if method == "json":
        try:
            same = _json(routed.text) == _json(reference.text)
        except ValueError:
            return Verdict(0.0, method, "not JSON")
        return Verdict(float(same), method)
    if method == "tools":
        mine = [(c.name, c.arguments) for c in routed.tool_calls]
        theirs = [(c.name, c.arguments) for c in reference.tool_calls]
        if [n for n, _ in mine] != [n for n, _ in theirs]:
            return Verdict(0.0, method, "different tools")
        return Verdict(float(mine == theirs), method, None if mine == theirs else "different arguments")
    raise ValueError(f"unknown comparison {method!r}")


def judge_call(
    judge_kind: str,
    judge_model: str,
    max_tokens: int,
    operation: str,
    params: Mapping[str, Any],
    routed: Answer,
    reference: Answer,
) -> tuple[Operation, dict[str, Any]]:
    """The judge's call (operation, arguments) in its own vendor's shape."""
    request = RoutingRequest.from_call(operation, params, {}).prompt[-_JUDGE_REQUEST_CHARS:]
    user = (
        f"Request:\n{request}\n\nReference answer:\n{reference.text[:_JUDGE_ANSWER_CHARS]}\n\n"
        f"Candidate answer:\n{routed.text[:_JUDGE_ANSWER_CHARS]}\n\nRating (0-10):"
    )
    if judge_kind == "anthropic":
        return MESSAGES, {
            "model": judge_model,
            "system": _JUDGE_SYSTEM,
            "messages": [{"role": "user", "content": user}],
            "max_tokens": max_tokens,
        }
    messages = [{"role": "system", "content": _JUDGE_SYSTEM}, {"role": "user", "content": user}]
    return CHAT, {"model": judge_model, "messages": messages, "max_completion_tokens": max_tokens}


def judged(answer: Any, min_score: float) -> Verdict | None:
    """The verdict from the judge's answer (None: it gave no rating)."""
    score = parse_judge_score(read_answer(answer).text)
    if score is None:
        return None
    return Verdict(float(score >= min_score), "judge", f"rated {score:.1f}")
