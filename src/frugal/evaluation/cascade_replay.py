"""Replaying a cascade on recorded answers: what it would have paid and scored, with no network.

Each row is routed once per tier by :func:`~frugal.evaluation.evaluate.prepare` (the model that serves it
there, its quality and cost). The cascade's steps are the route's tiers from the first (or, with
``start: classifier``, the row's own tier) upwards, at most ``max_steps``, a model never tried twice, as
:func:`~frugal.routing.cascade.plan_steps` does online. At every step but the last, the checks the
policy names run on the answer the row recorded for that step's model (``responses``, and
``finish_reasons`` for the ``finish_reason`` check), through
:func:`~frugal.routing.cascade.recorded_answer`: the same check functions as online. Every row pays
its first step; an escalated row also pays the next one; its quality is the accepted step's.

- Built-in checks: ``finish_reason``, ``refusal`` and ``empty`` read the recorded text and finish
  reason; ``json`` and ``tool_arguments`` pass (a row holds neither a ``response_format`` nor tools).
- The answer model (``answer_model:``): P(adequate) of every checked answer, kept per step so that its
  ``min_probability`` can be swept (:func:`curve`).
- A check of your own: called with the row's prompt as a one-turn chat and an OpenAI ``ChatCompletion``
  holding the recorded answer; a check that raises accepts, as online.
- A judge cannot be replayed (it would call a model): its verdicts are taken as passes, and the report
  says so.

A row without the recorded answer of a step it must check is skipped and counted
(``missing_response``): every figure compares the same rows.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from ..routing.cascade import CascadePlan, recorded_answer
from .evaluate import Prepared
from .metrics import Point
from .sweep import shortest_between

__all__ = [
    "CascadeRows",
    "RatePoint",
    "Step",
    "curve",
    "perfect_check",
    "random_escalation",
    "replay",
    "replay_rows",
    "uniform_escalation",
]


@dataclass(frozen=True, slots=True)
class Step:
    """One step of a row's cascade.

    Attributes:
        model: the model called.
        cost: what the call cost (USD).
        quality: the answer's quality.
        failure: why the checks escalate its recorded answer (None: it passes; always None on the last
            step, which is never checked).
        probability: the answer model's P(adequate) of it (None: no answer model, or the last step).
    """

    model: str
    cost: float
    quality: float
    failure: str | None = None
    probability: float | None = None

    def accepted(self, min_probability: float) -> bool:
        """Whether the checks accept this step's answer at a ``min_probability`` setting."""
        return self.failure is None and (self.probability is None or self.probability >= min_probability)


@dataclass(frozen=True, slots=True)
class CascadeRows:
    """The rows a cascade is replayed on, each with its steps.

    Attributes:
        prepared: the routed rows kept (every figure is over these).
        steps: per row, its steps, cheapest first.
        missing_response: rows skipped: a step they had to check has no recorded answer.
        check_errors: answers accepted because the user check raised on them.
        first_missing: the first skipped row's ``file:line`` and the answer it lacks ("" if none).
    """

    prepared: Prepared
    steps: tuple[tuple[Step, ...], ...]
    missing_response: int = 0
    check_errors: int = 0
    first_missing: str = ""

    @property
    def depth(self) -> int:
        """The most steps any row has."""
        return max(len(s) for s in self.steps)


def replay_rows(prepared: Prepared, plan: CascadePlan) -> CascadeRows:
    """Every routed row's steps, with the checks' verdicts on its recorded answers (module docstring)."""
    checker = plan.checker
    keep: list[int] = []
    all_steps: list[tuple[Step, ...]] = []
    missing = errors = 0
    first_missing = ""
    outcomes = prepared.outcomes
    for r, row in enumerate(prepared.rows):
        tiers = _tiers(prepared, r, plan)
        steps: list[Step] = []
        complete = True
        for position, tier in enumerate(tiers):
            model = prepared.served[r][tier]
            cost, quality = outcomes.cost[tier][r], outcomes.quality[tier][r]
            if position == len(tiers) - 1:
                steps.append(Step(model, cost, quality))
                break
            text = row.responses.get(model)
            if text is None:
                complete = False
                first_missing = first_missing or f"{row.where}: responses.{model}"
                break
            answer = recorded_answer(text, row.finish_reasons.get(model))
            failure = checker.builtin_failure(answer, "chat", {})
            probability = None
            if checker.answer_model is not None:
                probability = checker.answer_model.probability(row.request, answer)
            if failure is None and checker.user_check_name is not None:
                params = _params(row.request, model)
                try:
                    failure = checker.user_failure(params, _completion(model, text, answer.finish_reason))
                except Exception:  # a check that raises accepts, as online
                    errors += 1
            steps.append(Step(model, cost, quality, failure, probability))
        if not complete:
            missing += 1
            continue
        keep.append(r)
        all_steps.append(tuple(steps))
    kept = replace(
        prepared.subset(keep),
        skipped=prepared.skipped,
        recorded_costs=prepared.recorded_costs,
        estimated_costs=prepared.estimated_costs,
        classifier_failures=prepared.classifier_failures,
    )
    return CascadeRows(kept, tuple(all_steps), missing, errors, first_missing)


def _tiers(prepared: Prepared, row: int, plan: CascadePlan) -> list[int]:
    """The tier positions a row's cascade goes through (a model is never tried twice)."""
    count = len(prepared.tiers)
    start = 0
    if not plan.start_cheapest:
        score = prepared.outcomes.scores[row]
        start = (
            prepared.outcomes.default_tier
            if score is None
            else bisect.bisect_right(prepared.thresholds, score)
        )
    tiers: list[int] = []
    tried: set[str] = set()
    for tier in range(start, count):
        if plan.max_steps is not None and len(tiers) >= plan.max_steps:
            break
        model = prepared.served[row][tier]
        if model in tried:
            break  # as online: a step that would call a model already tried ends the cascade
        tiers.append(tier)
        tried.add(model)
    return tiers


def _params(request: Any, model: str) -> dict[str, Any]:
    messages = [{"role": "system", "content": request.system}] if request.system else []
    return {"model": model, "messages": [*messages, {"role": "user", "content": request.prompt}]}


def _completion(model: str, text: str, finish_reason: str | None) -> Any:
    """An OpenAI ``ChatCompletion`` holding a recorded answer (what a user check reads online)."""
    from openai.types.chat import ChatCompletion

    answer = recorded_answer(text, finish_reason)
    finish = "length" if answer.truncated else "content_filter" if answer.filtered else "stop"
    message: dict[str, Any] = {"role": "assistant", "content": text}
    if answer.refused:
        message = {"role": "assistant", "content": None, "refusal": text}
    return ChatCompletion.model_validate(
        {
            "id": "replay",
            "object": "chat.completion",
            "created": 0,
            "model": model,
            "choices": [{"index": 0, "finish_reason": finish, "message": message}],
        }
    )


@dataclass(frozen=True, slots=True)
class RatePoint:
    """A cascade (or a random escalation) on the rows: its point, and escalations per step.

    Attributes:
        point: total cost and mean quality.
        reached: per step index, the weight of rows that reached it with a step after it.
        escalated: per step index, the weight of those rows it escalated.
    """

    point: Point
    reached: tuple[float, ...]
    escalated: tuple[float, ...]

    @property
    def rates(self) -> tuple[float, ...]:
        """Per step, the share of the rows that reached it (and could go further) that escalated."""
        return tuple(e / r if r else 0.0 for e, r in zip(self.escalated, self.reached, strict=True))


def _weights(rows: CascadeRows, weights: Sequence[int] | None) -> Sequence[int]:
    return weights if weights is not None else [1] * len(rows.steps)


def replay(rows: CascadeRows, min_probability: float, weights: Sequence[int] | None = None) -> RatePoint:
    """The cascade at one ``min_probability`` setting (rows weighted by ``weights``, for a bootstrap)."""
    w = _weights(rows, weights)
    depth = rows.depth
    reached, escalated = [0.0] * depth, [0.0] * depth
    cost = quality = 0.0
    for weight, steps in zip(w, rows.steps, strict=True):
        if not weight:
            continue
        for k, step in enumerate(steps):
            cost += weight * step.cost
            if k == len(steps) - 1:
                quality += weight * step.quality
                break
            reached[k] += weight
            if step.accepted(min_probability):
                quality += weight * step.quality
                break
            escalated[k] += weight
    return RatePoint(Point(cost, quality / sum(w)), tuple(reached), tuple(escalated))


def perfect_check(rows: CascadeRows, weights: Sequence[int] | None = None) -> Point:
    """A check that escalates exactly the answers a later step would beat: the best any check can do."""
    w = _weights(rows, weights)
    cost = quality = 0.0
    for weight, steps in zip(w, rows.steps, strict=True):
        for k, step in enumerate(steps):
            cost += weight * step.cost
            if all(step.quality >= later.quality for later in steps[k + 1 :]):
                quality += weight * step.quality
                break
    return Point(cost, quality / sum(w))


def _aggregates(rows: CascadeRows, weights: Sequence[int]) -> tuple[list[float], list[float], list[float]]:
    """Per step index: the total cost, the quality of rows with a further step, and of rows ending there."""
    depth = rows.depth
    cost, middle, last = [0.0] * depth, [0.0] * depth, [0.0] * depth
    for weight, steps in zip(weights, rows.steps, strict=True):
        if not weight:
            continue
        for k, step in enumerate(steps):
            cost[k] += weight * step.cost
            (last if k == len(steps) - 1 else middle)[k] += weight * step.quality
    return cost, middle, last


def random_escalation(
    rows: CascadeRows, rates: Sequence[float], weights: Sequence[int] | None = None
) -> Point:
    """The expected point of escalating at random, at each step the given share of the rows that reach it.

    No check is read: a row moves up from step k with probability ``rates[k]``, whatever its answer.
    """
    w = _weights(rows, weights)
    cost, middle, last = _aggregates(rows, w)
    reach, total_cost, total_quality = 1.0, 0.0, 0.0
    for k in range(len(cost)):
        rate = rates[k] if k < len(rates) else 0.0
        total_cost += reach * cost[k]
        total_quality += reach * ((1.0 - rate) * middle[k] + last[k])
        reach *= rate
    return Point(total_cost, total_quality / sum(w))


def uniform_escalation(
    rows: CascadeRows, weights: Sequence[int] | None = None, grid: int = 200
) -> list[Point]:
    """Random escalation at one share for every step, from 0 (nobody escalated) to 1 (everybody), in order."""
    w = _weights(rows, weights)
    cost, middle, last = _aggregates(rows, w)
    total = sum(w)
    points = []
    for g in range(grid + 1):
        p = g / grid
        reach, c, q = 1.0, 0.0, 0.0
        for k in range(len(cost)):
            c += reach * cost[k]
            q += reach * ((1.0 - p) * middle[k] + last[k])
            reach *= p
        points.append(Point(c, q / total))
    return points


def curve(rows: CascadeRows, weights: Sequence[int] | None = None) -> list[tuple[float, Point]]:
    """The cascade at every distinct ``min_probability`` setting of its answer model, cheapest first.

    Each setting is the shortest decimal above one of the answer model's probabilities (and 0, where the
    model escalates nothing); between two of them nothing changes. As the setting rises, rows move to
    later steps, so cost rises. Without an answer model, the one point of the cascade as it is.
    """
    w = _weights(rows, weights)
    events: list[tuple[float, float, float]] = []
    cost = quality = 0.0
    for weight, steps in zip(w, rows.steps, strict=True):
        if not weight:
            continue
        paid = list(itertools.accumulate(s.cost for s in steps))
        accepted = _accepted(steps, -1.0)
        cost += weight * paid[accepted]
        quality += weight * steps[accepted].quality
        for value in sorted({s.probability for s in steps[:-1] if s.probability is not None}):
            moved = _accepted(steps, value, strictly=True)
            if moved != accepted:
                events.append(
                    (
                        value,
                        weight * (paid[moved] - paid[accepted]),
                        weight * (steps[moved].quality - steps[accepted].quality),
                    )
                )
                accepted = moved
    total = sum(w)
    points = [(0.0, Point(cost, quality / total))]
    events.sort()
    values = sorted({v for v, _, _ in events})
    position = 0
    for index, value in enumerate(values):
        while position < len(events) and events[position][0] == value:
            cost += events[position][1]
            quality += events[position][2]
            position += 1
        ceiling = values[index + 1] if index + 1 < len(values) else 1.0
        setting = shortest_between(value, ceiling) if value < ceiling else 1.0
        points.append((setting, Point(cost, quality / total)))
    return points


def _accepted(steps: Sequence[Step], value: float, *, strictly: bool = False) -> int:
    """The step accepted when the setting is just above ``value`` (``strictly``) or at it."""
    for k, step in enumerate(steps[:-1]):
        if step.failure is not None:
            continue
        if (
            step.probability is None
            or step.probability > value
            or (not strictly and step.probability >= value)
        ):
            return k
    return len(steps) - 1
