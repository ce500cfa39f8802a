"""Cascade routes on the call path: the plan compiled from the policy, and one call's run through it.

:func:`compile_cascades` turns each ``strategy: cascade`` route of the policy into a
:class:`CascadePlan` (its checks, user check and judge resolved, errors located in the policy file).
For a call on such a route, :func:`plan_steps` lists the decisions it may go through, cheapest first,
one per tier, each a full routing decision (its own fallback chain) for that tier; :class:`CascadeRun`
walks them: after each answer it says whether to escalate and why. The client does the calls; nothing
here does I/O.
"""

from __future__ import annotations

import difflib
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from ._yaml import Located
from .cascade import AnswerChecker, UserCheck, judge_messages, parse_judge_score, read_answer
from .catalog import known_model_names
from .exceptions import ConfigError, FrugalWarning, RoutingError, UnknownModelError
from .policy import CascadeSpec, Policy
from .providers.calls import CHAT, MESSAGES, Operation
from .routing import Candidate, Decision, Router

__all__ = ["DEFAULT_ROUTE", "CascadePlan", "CascadeRun", "compile_cascades", "plan_steps", "start_cascade"]

#: The key of the default route's plan (the policy's top-level ``strategy: cascade``).
DEFAULT_ROUTE = ""

_JUDGE_REQUEST_CHARS = 8_000  # the judge needs the question, not a whole document pasted before it
_WARNED: set[str] = set()


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


def compile_cascades(policy: Policy, located: Located | None, router: Router) -> dict[str, CascadePlan]:
    """Route name (:data:`DEFAULT_ROUTE` for the default route) → plan, for every cascade route.

    Raises:
        ConfigError: a user check that does not import or is not callable, or an unknown judge model,
            with the policy's file:line:column.
    """
    plans: dict[str, CascadePlan] = {}
    if policy.strategy == "cascade":
        plans[DEFAULT_ROUTE] = _plan(policy.cascade or CascadeSpec(), ("cascade",), located, router)
    for name, route in policy.routes.items():
        if route.strategy == "cascade":
            plans[name] = _plan(route.cascade or CascadeSpec(), ("routes", name, "cascade"), located, router)
    return plans


def _plan(
    spec: CascadeSpec, path: tuple[str | int, ...], located: Located | None, router: Router
) -> CascadePlan:
    def error(where: Sequence[str | int], message: str) -> ConfigError:
        if located is not None:
            return located.error(where, message)
        return ConfigError(f"<policy object>: {'.'.join(map(str, where))}: {message}")

    user_check: UserCheck | None = None
    if spec.check is not None:
        from .classifiers.registry import resolve_object

        try:
            target = resolve_object(spec.check, f"cascade check {spec.check!r}")
        except ConfigError as exc:
            raise error((*path, "check"), str(exc)) from None
        if not callable(target):
            raise error((*path, "check"), f"cascade check {spec.check!r} is not callable")
        user_check = target
    judge: Candidate | None = None
    if spec.judge is not None:
        name = spec.judge.model
        try:
            judge = router.place(name)
        except UnknownModelError as exc:
            raise error((*path, "judge", "model"), _unknown_judge(name, exc.suggestions)) from None
        # Its calls are paid for like any other: a judge without a price would make every cost unknown.
        if not judge.info.priced and name not in router.policy.models:
            close = difflib.get_close_matches(name, known_model_names(judge.kind), n=3)
            raise error((*path, "judge", "model"), _unknown_judge(name, close))
    return CascadePlan(
        checker=AnswerChecker(spec.checks, user_check, spec.check or ""),
        judge=judge,
        judge_min_score=spec.judge.min_score if spec.judge else 0.7,
        judge_max_tokens=spec.judge.max_tokens if spec.judge else 16,
        start_cheapest=spec.start == "cheapest",
        max_steps=spec.max_steps,
    )


def _unknown_judge(name: str, close: Sequence[str]) -> str:
    hint = f"; did you mean {', '.join(map(repr, close))}?" if close else ""
    return (
        f"unknown judge model {name!r} (no known price){hint} If it is right, declare it under 'models:' "
        "with its prices."
    )


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


def start_cascade(
    plans: Mapping[str, CascadePlan],
    router: Router,
    op: Operation,
    params: Mapping[str, Any],
    decision: Decision,
    decide: Callable[..., Decision],
) -> CascadeRun | None:
    """The cascade of a routed call, or None when its route has none (or only one step to take).

    Args:
        plans: from :func:`compile_cascades`.
        router: the compiled policy.
        op: the call's operation.
        params: the caller's arguments.
        decision: the call's routing decision.
        decide: ``_dispatch.decide`` (called with ``min_tier`` / ``max_tier`` for each step).
    """
    route, _ = router.route_for(params.get("model"))
    plan = plans.get(DEFAULT_ROUTE if route is router.default_route else route.name)
    if plan is None:
        return None

    def decide_at(tier: int) -> Decision:
        return decide(router, op, params, min_tier=tier, max_tier=tier)

    steps = plan_steps(plan, router, decision, route.tiers, decide_at)
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
            _warn_once(
                f"check:{type(exc).__name__}",
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
        from ._request import RoutingRequest

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
        _warn_once(
            f"judge:{type(error).__name__}",
            f"frugal cascade: the judge call failed ({type(error).__name__}); answers were accepted. "
            "This warning is shown once per error type.",
        )

    def judged(self, answer: Any | None) -> str | None:
        """The escalation reason from the judge's answer (None: accepted, or the judge gave no rating)."""
        if answer is None:
            return None
        score = parse_judge_score(read_answer(answer).text)
        if score is None:
            _warn_once("judge:unrated", "frugal cascade: the judge gave no rating; answers were accepted.")
            return None
        if score < self.plan.judge_min_score:
            return f"judge: rated {score:.1f} < {self.plan.judge_min_score:.1f}"
        return None


def _warn_once(key: str, message: str) -> None:
    if key not in _WARNED:
        _WARNED.add(key)
        warnings.warn(message, FrugalWarning, stacklevel=4)
