"""Cascade routing (FrugalGPT): judge a cheap model's answer, and escalate to the next tier when it fails.

This module holds the checks, a cascade route's compiled plan (:class:`CascadePlan`, made by
:func:`~frugal.routing.compile.compile_cascades`), the steps a call may go through (:func:`plan_steps`:
one routing decision per tier, each re-capping the call's routing without classifying it again) and one
call's way through them (:class:`CascadeRun`). Nothing here does I/O: the call plan sends the requests.

A route with ``strategy: cascade`` calls a candidate of its cheapest tier first. Its answer goes through
the checks named in the policy; the first that fails sends the call to the next tier up (never above the
route's ceiling), until an answer passes or the tiers run out, when the last answer is returned as it is.
Every attempt is paid for and counted.

Checks read the caller's own SDK object (``ChatCompletion``, ``Message`` or ``Response``, already
translated back when another vendor served the call) through :func:`read_answer`, so they work the same
whichever vendor answered:

- ``finish_reason``: the answer was cut by the token limit or a content filter;
- ``refusal``: the model refused (OpenAI's ``refusal`` field, Anthropic's ``refusal`` stop reason, or a
  short answer that opens like a refusal);
- ``empty``: no text and no tool call;
- ``json``: structured output was asked for and the text is not JSON, or breaks the schema;
- ``tool_arguments``: a tool call's arguments are not a JSON object, name an unknown tool, or break
  its ``parameters`` / ``input_schema``;
- a learned answer check (``answer_model: {path: ..., min_probability: ...}``, made by
  ``frugal train --answers``): the probability that the answer is adequate, from features of the answer
  and the prompt (:mod:`frugal.routing.answer_model`), below ``min_probability``;
- a user check (``check: package.module:function``): ``function(params, answer)`` returns True (or None)
  to accept, False or a short reason to escalate;
- a judge model (``judge: {model: ..., min_score: ...}``): another model rates the answer from 0 to 10.

:func:`recorded_answer` builds the same :class:`Answer` from an answer recorded as text (an evaluation
row's ``responses``), so ``frugal eval --strategy cascade`` runs these very checks offline.

Reasons name the check and what failed, never the answer's text.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

from .._jsonschema import first_violation
from .._util import warn_once
from ..exceptions import RoutingError
from ..providers.calls import CHAT, MESSAGES, Operation
from ..request import RoutingRequest
from .decide import Candidate, Decision, Router, Routing

__all__ = [
    "BUILTIN_CHECKS",
    "Answer",
    "AnswerChecker",
    "AnswerScorer",
    "CascadePlan",
    "CascadeRun",
    "ToolCallView",
    "judge_messages",
    "parse_judge_score",
    "plan_steps",
    "read_answer",
    "reads_as_refusal",
    "recorded_answer",
    "start_cascade",
]

BUILTIN_CHECKS: tuple[str, ...] = ("finish_reason", "refusal", "empty", "json", "tool_arguments")

#: Finish reasons that mean the answer is incomplete or withheld, by vendor vocabulary.
_TRUNCATED = frozenset({"length", "max_tokens", "model_context_window_exceeded", "max_output_tokens"})
_FILTERED = frozenset({"content_filter"})
# How refusals open, in the models' house styles. Only short answers are read this way: a long answer
# that starts apologetically usually goes on to help.
_REFUSAL_OPENINGS = re.compile(
    r"^\s*(?:i'm sorry|i am sorry|sorry|unfortunately|as an ai)?[,.!]?\s*(?:but\s+)?"
    r"(?:i\s+(?:can(?:no|')t|cannot|am unable to|'m unable to|won't|will not)\s+"
    r"(?:help|assist|provide|do|comply|answer|fulfil|fulfill|complete|create|write|generate))",
    re.IGNORECASE,
)
_REFUSAL_MAX_CHARS = 400
_JUDGE_REQUEST_CHARS = 8_000  # the judge needs the question, not a whole document pasted before it


@dataclass(frozen=True, slots=True)
class ToolCallView:
    """A tool call in an answer: its name and arguments (parsed when they are JSON)."""

    name: str
    arguments: Any
    """The parsed arguments, or the raw string when it is not valid JSON."""
    valid_json: bool


@dataclass(frozen=True, slots=True)
class Answer:
    """What the checks need from an answer, whatever its vendor shape."""

    text: str
    finish_reason: str | None
    refused: bool
    tool_calls: tuple[ToolCallView, ...]

    @property
    def truncated(self) -> bool:
        """Cut short by a token or context limit."""
        return self.finish_reason in _TRUNCATED

    @property
    def filtered(self) -> bool:
        """Withheld or cut by a content filter."""
        return self.finish_reason in _FILTERED


def read_answer(result: Any) -> Answer:
    """The :class:`Answer` view of a ``ChatCompletion``, an Anthropic ``Message`` or a ``Response``.

    Raises:
        TypeError: ``result`` is none of these.
    """
    kind = getattr(result, "object", None) or getattr(result, "type", None)
    if kind == "chat.completion":
        if not result.choices:
            return Answer("", None, False, ())
        choice = result.choices[0]
        message = choice.message
        calls = tuple(
            _tool_call(call.function.name, call.function.arguments)
            for call in message.tool_calls or ()
            if getattr(call, "function", None) is not None
        )
        return Answer(message.content or "", choice.finish_reason, bool(message.refusal), calls)
    if kind == "message":
        text = "".join(block.text for block in result.content if block.type == "text")
        calls = tuple(
            ToolCallView(block.name, block.input, isinstance(block.input, dict))
            for block in result.content
            if block.type == "tool_use"
        )
        return Answer(text, result.stop_reason, result.stop_reason == "refusal", calls)
    if kind == "response":
        texts: list[str] = []
        refused = False
        calls_list: list[ToolCallView] = []
        for item in result.output:
            if item.type == "message":
                for part in item.content:
                    if part.type == "output_text":
                        texts.append(part.text)
                    elif part.type == "refusal":
                        refused = True
            elif item.type == "function_call":
                calls_list.append(_tool_call(item.name, item.arguments))
        details = getattr(result, "incomplete_details", None)
        finish = getattr(details, "reason", None) if result.status == "incomplete" else result.status
        return Answer("".join(texts), finish, refused, tuple(calls_list))
    raise TypeError(f"not a chat completion, message or response: {type(result).__name__}")


def recorded_answer(text: str, finish_reason: str | None = None) -> Answer:
    """The :class:`Answer` view of an answer recorded as text (an evaluation row's ``responses``).

    It has no tool calls; it was refused when its finish reason is Anthropic's ``refusal``.
    """
    return Answer(text, finish_reason, finish_reason == "refusal", ())


def reads_as_refusal(text: str) -> bool:
    """A short answer (at most 400 characters) that opens like a refusal ("I'm sorry, but I can't...")."""
    return bool(text) and len(text) <= _REFUSAL_MAX_CHARS and _REFUSAL_OPENINGS.match(text) is not None


def _tool_call(name: str, arguments: str | None) -> ToolCallView:
    try:
        parsed = json.loads(arguments or "{}")
    except ValueError:
        return ToolCallView(name, arguments, False)
    return ToolCallView(name, parsed, True)


def _output_schema(operation: str, params: Mapping[str, Any]) -> tuple[bool, Any]:
    """Whether the call asked for JSON output, and the schema it gave (None when only JSON was asked)."""
    if operation == "chat":
        fmt = params.get("response_format")
        if not isinstance(fmt, Mapping):
            return False, None
        if fmt.get("type") == "json_schema":
            return True, (fmt.get("json_schema") or {}).get("schema")
        return fmt.get("type") == "json_object", None
    if operation == "responses":
        text = params.get("text")
        fmt = text.get("format") if isinstance(text, Mapping) else None
    else:
        config = params.get("output_config")
        fmt = config.get("format") if isinstance(config, Mapping) else None
    if not isinstance(fmt, Mapping):
        return False, None
    if fmt.get("type") == "json_schema":
        return True, fmt.get("schema")
    return fmt.get("type") == "json_object", None


def _tool_schemas(operation: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """Tool name → argument schema, for the function tools the call offered."""
    schemas: dict[str, Any] = {}
    for tool in params.get("tools") or ():
        if not isinstance(tool, Mapping):
            continue
        if operation == "chat":
            function = tool.get("function")
            if isinstance(function, Mapping) and "name" in function:
                schemas[function["name"]] = function.get("parameters")
        elif operation == "responses":
            if tool.get("type") == "function" and "name" in tool:
                schemas[tool["name"]] = tool.get("parameters")
        elif "name" in tool:
            schemas[tool["name"]] = tool.get("input_schema")
    return schemas


UserCheck = Callable[[Mapping[str, Any], Any], object]
"""``check(params, answer)``: True or None accepts; False or a short reason (str) escalates."""


class AnswerScorer(Protocol):
    """A learned answer check: the probability that an answer to a request is adequate."""

    def probability(self, request: RoutingRequest, answer: Answer) -> float:
        """P(adequate), in [0, 1]."""
        ...


class AnswerChecker:
    """The checks of one cascade route, compiled from the policy.

    Args:
        checks: built-in check names, applied in this order (see :data:`BUILTIN_CHECKS`).
        user_check: an optional callable ``(params, answer) -> bool | str | None``.
        user_check_name: its dotted path, for reasons.
        answer_model: an optional learned answer check (``answer_model:`` in the policy).
        min_probability: the lowest P(adequate) it accepts.
    """

    __slots__ = ("_checks", "_user_check", "_user_check_name", "answer_model", "min_probability")

    def __init__(
        self,
        checks: Sequence[str],
        user_check: UserCheck | None = None,
        user_check_name: str = "",
        *,
        answer_model: AnswerScorer | None = None,
        min_probability: float = 0.5,
    ) -> None:
        unknown = [name for name in checks if name not in BUILTIN_CHECKS]
        if unknown:
            raise ValueError(f"unknown cascade check {unknown[0]!r} (known: {', '.join(BUILTIN_CHECKS)})")
        self._checks = tuple(checks)
        self._user_check = user_check
        self._user_check_name = user_check_name or "check"
        self.answer_model = answer_model
        self.min_probability = min_probability

    @property
    def checks(self) -> tuple[str, ...]:
        """The built-in checks, in order."""
        return self._checks

    @property
    def user_check_name(self) -> str | None:
        """The user check's dotted path (None without one)."""
        return self._user_check_name if self._user_check is not None else None

    def failure(self, operation: str, params: Mapping[str, Any], result: Any) -> str | None:
        """Why ``result`` should be escalated, or None when it passes every check.

        The built-in checks run first, then the answer model, then the user check. A user check that
        raises propagates: the caller decides (the client warns and accepts).
        """
        answer = read_answer(result)
        reason = self.builtin_failure(answer, operation, params)
        if (
            reason is None
            and self.answer_model is not None
            and (answer.text.strip() or not answer.tool_calls)
        ):
            request = RoutingRequest.from_call(operation, params, {})
            reason = self.answer_model_failure(self.answer_model.probability(request, answer))
        return reason if reason is not None else self.user_failure(params, result)

    def builtin_failure(self, answer: Answer, operation: str, params: Mapping[str, Any]) -> str | None:
        """The first built-in check ``answer`` fails, as a reason (None: it passes them all)."""
        for name in self._checks:
            reason = _BUILTIN[name](answer, operation, params)
            if reason is not None:
                return f"{name}: {reason}"
        return None

    def answer_model_failure(self, probability: float) -> str | None:
        """The answer model's reason to escalate an answer it rates ``probability`` (None: accepted)."""
        if probability < self.min_probability:
            return f"answer_model: P(adequate) {probability:.2f} < {self.min_probability:.2f}"
        return None

    def user_failure(self, params: Mapping[str, Any], result: Any) -> str | None:
        """The user check's reason to escalate ``result`` (None: accepted, or no user check)."""
        if self._user_check is None:
            return None
        verdict = self._user_check(params, result)
        if verdict is False:
            return f"{self._user_check_name}: rejected"
        if isinstance(verdict, str):
            return f"{self._user_check_name}: {verdict[:120]}"
        return None


def _check_finish(answer: Answer, operation: str, params: Mapping[str, Any]) -> str | None:
    if answer.truncated:
        return f"cut short ({answer.finish_reason})"
    if answer.filtered:
        return "content filter"
    return None


def _check_refusal(answer: Answer, operation: str, params: Mapping[str, Any]) -> str | None:
    if answer.refused:
        return "the model refused"
    if reads_as_refusal(answer.text):
        return "the answer reads as a refusal"
    return None


def _check_empty(answer: Answer, operation: str, params: Mapping[str, Any]) -> str | None:
    if answer.tool_calls or answer.text.strip():
        return None
    return "no text and no tool call"


def _check_json(answer: Answer, operation: str, params: Mapping[str, Any]) -> str | None:
    wanted, schema = _output_schema(operation, params)
    if not wanted or answer.tool_calls:
        return None
    try:
        value = json.loads(answer.text)
    except ValueError:
        return "the answer is not valid JSON"
    return first_violation(value, schema) if schema is not None else None


def _check_tool_arguments(answer: Answer, operation: str, params: Mapping[str, Any]) -> str | None:
    if not answer.tool_calls:
        return None
    schemas = _tool_schemas(operation, params)
    for index, call in enumerate(answer.tool_calls):
        if not call.valid_json or not isinstance(call.arguments, dict):
            return f"tool call {index}: arguments are not a JSON object"
        if schemas and call.name not in schemas:
            return f"tool call {index}: names a tool that was not offered"
        problem = first_violation(call.arguments, schemas.get(call.name))
        if problem is not None:
            return f"tool call {index}: {problem}"
    return None


_BUILTIN: dict[str, Callable[[Answer, str, Mapping[str, Any]], str | None]] = {
    "finish_reason": _check_finish,
    "refusal": _check_refusal,
    "empty": _check_empty,
    "json": _check_json,
    "tool_arguments": _check_tool_arguments,
}

_JUDGE_SYSTEM = (
    "You grade answers. Given a request and an answer, rate how well the answer fulfils the request: "
    "correct, complete and directly useful. Reply with one integer from 0 (useless or wrong) to 10 "
    "(excellent), and nothing else."
)


def judge_messages(request_text: str, answer_text: str) -> list[dict[str, str]]:
    """The OpenAI-shaped conversation that asks a judge model to rate an answer from 0 to 10."""
    return [
        {"role": "system", "content": _JUDGE_SYSTEM},
        {"role": "user", "content": f"Request:\n{request_text}\n\nAnswer:\n{answer_text}\n\nRating (0-10):"},
    ]


_SCORE = re.compile(r"(?<![\d.])(10|[0-9])(?:\.\d+)?(?![\d])")


def parse_judge_score(text: str) -> float | None:
    """The judge's rating as a fraction in [0, 1] (``"7"`` → 0.7), or None when it gave no number."""
    match = _SCORE.search(text)
    return None if match is None else min(1.0, float(match.group(0)) / 10)


@dataclass(frozen=True, slots=True)
class CascadePlan:
    """One cascade route's settings, resolved.

    Attributes:
        checker: the built-in checks and the user check.
        judge: the judge model, placed on its provider (None: no judge).
        judge_min_score: the lowest accepted rating, 0..1.
        judge_max_tokens: the output limit of the judge's reply.
        start_cheapest: start at the route's cheapest tier (False: at the tier the classifier picks).
        max_steps: tiers tried at most (None: all the route allows).
    """

    checker: AnswerChecker
    judge: Candidate | None = None
    judge_min_score: float = 0.7
    judge_max_tokens: int = 16
    start_cheapest: bool = True
    max_steps: int | None = None


def plan_steps(
    plan: CascadePlan,
    router: Router,
    decision: Decision,
    route_tiers: Sequence[int],
    decide_at: Callable[[int], Decision],
) -> list[Decision]:
    """The decisions a cascade call may go through: one per tier, cheapest first.

    Args:
        plan: the route's plan.
        router: the compiled policy (for tier indices).
        decision: the call's routing decision (the classifier's tier).
        route_tiers: the route's tier indices, cheapest first.
        decide_at: the decision for the call with its tier raised to a given tier (capped by the route,
            the rules and any budget: it never goes past them).

    A step is kept only when it moves to a stronger tier and a model not tried before: a cap (the
    requested model as a ceiling, a rule's ``max_tier``) ends the list.
    """
    index = {tier.name: tier.index for tier in router.tiers}
    steps = [decide_at(route_tiers[0]) if plan.start_cheapest else decision]
    current = index.get(steps[0].tier, -1)
    tried = {steps[0].model}
    for tier in route_tiers:
        if plan.max_steps is not None and len(steps) >= plan.max_steps:
            break
        if tier <= current:
            continue
        try:
            step = decide_at(tier)
        except RoutingError:  # no model of that tier can serve the call: try the next one up
            continue
        reached = index.get(step.tier, -1)
        if reached <= current or step.model in tried:
            break  # capped: nothing stronger may serve this call
        steps.append(step)
        tried.add(step.model)
        current = reached
    return steps


def start_cascade(plan: CascadePlan, routing: Routing, decision: Decision) -> CascadeRun | None:
    """The cascade of a routed call on a cascade route, or None when there is only one step to take.

    Args:
        plan: the route's plan.
        routing: the call's routing (each step is its decision at one tier: never classified again).
        decision: the call's routing decision.
    """
    router = routing.router

    def decide_at(tier: int) -> Decision:
        return routing.decide(min_tier=tier, max_tier=tier)

    steps = plan_steps(plan, router, decision, routing.route.tiers, decide_at)
    if len(steps) < 2:
        return None  # nothing to escalate to: checking the answer would change nothing
    return CascadeRun(plan, steps, router)


class CascadeRun:
    """One call's way through its cascade steps.

    Attributes:
        plan: the route's plan.
        steps: the decisions it may go through, cheapest first.
        reservation: the first step's decision with, as its estimate, what every step (and every
            judgement) would cost together: what a budget reserves for the call, so that escalations
            cannot overshoot a limit (None inside it when a price is unknown).
    """

    __slots__ = ("_position", "plan", "reservation", "steps")

    def __init__(self, plan: CascadePlan, steps: Sequence[Decision], router: Router) -> None:
        self.plan = plan
        self.steps = tuple(steps)
        self._position = 0
        total: float | None = 0.0
        for step in steps:
            costs = [step.estimated_cost_usd]
            if plan.judge is not None:
                # The judge reads the request and the answer, and writes a number.
                read = step.estimated_input_tokens + step.estimated_output_tokens
                costs.append(router.catalog.estimate(plan.judge.info, read, plan.judge_max_tokens))
            for cost in costs:
                total = None if cost is None or total is None else total + cost
        self.reservation = replace(steps[0], estimated_cost_usd=total)

    @property
    def current(self) -> Decision:
        """The step being tried."""
        return self.steps[self._position]

    def advance(self) -> Decision | None:
        """Move to the next step; None when there is none (the last answer stands)."""
        if self._position + 1 >= len(self.steps):
            return None
        self._position += 1
        return self.steps[self._position]

    def failure(self, operation: str, params: Mapping[str, Any], result: Any) -> str | None:
        """Why the answer should be escalated, or None. A user check that raises accepts, warning once."""
        try:
            return self.plan.checker.failure(operation, params, result)
        except Exception as exc:
            warn_once(
                f"cascade-check:{type(exc).__name__}",
                f"frugal cascade: the answer check raised {type(exc).__name__}; the answer was accepted. "
                "This warning is shown once.",
            )
            return None

    def judge_call(
        self, operation: str, params: Mapping[str, Any], result: Any
    ) -> tuple[Operation, Candidate, dict[str, Any]] | None:
        """The judge's call on this answer (operation, model, arguments), or None when nothing is judged.

        Only answers with text are judged (a tool call is checked by ``tool_arguments`` instead). The
        judge is called in its own vendor's shape, so no translation is needed.
        """
        judge = self.plan.judge
        if judge is None:
            return None
        answer = read_answer(result).text
        if not answer.strip():
            return None
        request = RoutingRequest.from_call(operation, params, {}).prompt[-_JUDGE_REQUEST_CHARS:]
        messages = judge_messages(request, answer)
        limit = self.plan.judge_max_tokens
        if judge.kind == "anthropic":
            system, user = messages
            arguments = {
                "model": judge.model,
                "system": system["content"],
                "messages": [user],
                "max_tokens": limit,
            }
            return MESSAGES, judge, arguments
        return CHAT, judge, {"model": judge.model, "messages": messages, "max_completion_tokens": limit}

    def judge_failed(self, error: BaseException) -> None:
        """The judge's call failed (after its retries): the answer is accepted, with one warning."""
        warn_once(
            f"cascade-judge:{type(error).__name__}",
            f"frugal cascade: the judge call failed ({type(error).__name__}); answers were accepted. "
            "This warning is shown once per error type.",
        )

    def judged(self, answer: Any | None) -> str | None:
        """The escalation reason from the judge's answer (None: accepted, or the judge gave no rating)."""
        if answer is None:
            return None
        score = parse_judge_score(read_answer(answer).text)
        if score is None:
            warn_once(
                "cascade-judge:unrated", "frugal cascade: the judge gave no rating; answers were accepted."
            )
            return None
        if score < self.plan.judge_min_score:
            return f"judge: rated {score:.1f} < {self.plan.judge_min_score:.1f}"
        return None
