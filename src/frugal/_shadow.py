"""The shadow job of one call: the baseline model's answer, the comparison, the label (see
:mod:`frugal.feedback.shadow`). A generator of call-plan actions, like :meth:`~frugal._plan.CallPlan.steps`,
that the client runs in the background: a worker thread, or a task."""

from __future__ import annotations

import logging
from collections.abc import Generator, Mapping
from dataclasses import replace
from functools import partial
from typing import TYPE_CHECKING, Any

from ._plan import Action, CallPlan, LedgerIo
from ._util import log_once
from .exceptions import BudgetExceeded
from .feedback.compare import Verdict, compare, judge_call, judged, method_for
from .feedback.labels import Label, hashed_features, label_id
from .routing.cascade import read_answer

if TYPE_CHECKING:
    from ._plan import Setup
    from .accounting import CallAccount
    from .feedback.shadow import Shadowing
    from .providers.calls import Operation
    from .request import RoutingRequest
    from .routing import Decision

__all__ = ["shadow_steps"]

log = logging.getLogger("frugal")


def shadow_steps(
    setup: Setup,
    op: Operation,
    params: Mapping[str, Any],
    answer: Any,
    decision: Decision,
    request: RoutingRequest,
    account: CallAccount,
) -> Generator[Action, Any, None]:
    """Send the call to its baseline model, compare the answers, keep the label. Never raises: a failing
    shadow is logged once per kind of failure, and a spent shadow budget pauses sampling."""
    shadowing = setup.shadowing
    assert shadowing is not None
    assert decision.baseline_model is not None
    own = replace(
        setup, budgets=shadowing.budgets, cascades={}, loops=None, warmth=None, shadowing=None, honor=True
    )
    call_id = account.response_id or "unknown"
    spent: list[float | None] = []
    baseline = {**params, "model": decision.baseline_model}
    reference = yield from _quietly(own, op, baseline, call_id, spent, shadowing)
    if reference is None:
        return
    routed, theirs = read_answer(answer), read_answer(reference)
    spec = shadowing.spec
    method = method_for(spec.compare, params, routed, theirs, spec.judge is not None)
    verdict: Verdict | None
    if method == "judge":
        assert spec.judge is not None
        judge = setup.router.place(spec.judge.model)
        judge_op, judge_params = judge_call(
            judge.kind, judge.model, spec.judge.max_tokens, op.name, params, routed, theirs
        )
        rating = yield from _quietly(own, judge_op, judge_params, call_id, spent, shadowing)
        if rating is None:
            return
        verdict = judged(rating, spec.judge.min_score)
        if verdict is None:
            log_once(log, "shadow-judge-unrated", "frugal shadow: the judge gave no rating; no label kept")
            return
    else:
        verdict = compare(method, routed, theirs)
    content = shadowing.store_content
    label = Label(
        id=label_id(),
        time=account.time,
        source="shadow",
        good=verdict.good,
        method=verdict.method,
        call_id=account.response_id,
        route=decision.route,
        tier=account.tier or decision.tier,
        model=account.model or decision.model,
        reference_model=decision.baseline_model,
        detail=verdict.detail,
        team=account.metadata.get("team"),
        feature=account.metadata.get("feature"),
        classifier=decision.classifier,
        score=decision.score,
        features=hashed_features(request),
        cost_usd=None if None in spent else sum(c for c in spent if c is not None),
        prompt=request.prompt if content else None,
        answer=routed.text if content else None,
        reference_answer=theirs.text if content else None,
    )
    yield LedgerIo(partial(_keep, shadowing.labels, label), shadowing.labels.blocking)


def _quietly(
    setup: Setup,
    op: Operation,
    params: dict[str, Any],
    call_id: str,
    spent: list[float | None],
    shadowing: Shadowing,
) -> Generator[Action, Any, Any]:
    """One shadow call (its cost appended to ``spent``); None when it failed, or when the shadow budget
    is spent (sampling then pauses for the day)."""
    plan = CallPlan(setup, op, params, shadow_of=call_id)
    try:
        return (yield from plan.steps())
    except BudgetExceeded:
        shadowing.pause()
        return None
    except Exception as exc:  # a shadow never reaches the caller
        log_once(
            log,
            f"shadow-failed:{type(exc).__name__}",
            "frugal shadow: a shadow call failed (%s); its comparison is skipped",
            type(exc).__name__,
        )
        return None
    finally:
        if plan.account is not None:
            spent.append(plan.account.cost)


def _keep(store: Any, label: Label) -> None:
    try:
        store.add(label)
    except Exception as exc:
        log_once(
            log,
            f"label-store:{type(exc).__name__}",
            "frugal: a label could not be stored (%s); it is lost",
            type(exc).__name__,
        )
