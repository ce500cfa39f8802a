"""Budgets on the call path: match a call's scopes, reserve its estimate, act at the limit, settle.

Before a call: every budget whose scope value matches the call (its team, user, feature, route, any
metadata key, or ``global``) becomes a :class:`~frugal.budgets.ledger.Check`, and the store reserves the
call's estimated cost against all of them in one atomic step. A ``block`` budget that would be crossed
refuses, and :class:`~frugal.exceptions.BudgetExceeded` is raised before any vendor request; a
``downgrade`` budget refuses too, the call is decided again with the budget's cap, and its cheaper
estimate is reserved (counted, no longer refused); a ``warn`` budget only counts, and says so when it is
over. Soft thresholds crossed by the reservation become span events and log lines.

After the call (a stream: when it ends, is closed or is abandoned), :meth:`Ticket.settle` turns the
call's account into a :class:`~frugal.budgets.ledger.LedgerRecord` and settles it: the reservation is
replaced by the actual cost. A store that cannot be reached is skipped for a second after each failure;
meanwhile calls fail open (with a warning) or closed, as the policy says, and records that cannot be
written go to the :class:`~frugal.budgets.spool.Spool`.
"""

from __future__ import annotations

import itertools
import logging
import math
import os
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timezone
from functools import partial
from typing import TYPE_CHECKING, Any

from opentelemetry import trace

from .._accounting import CallAccount
from .._context import hash_user
from .._request import RoutingRequest, text_size, tokens_of_size
from .._tokens import count_input_tokens
from ..exceptions import BudgetExceeded, FrugalWarning, LedgerUnavailable
from ..telemetry import CallTelemetry
from .ledger import (
    NANO,
    Admission,
    Check,
    Hold,
    Ledger,
    LedgerRecord,
    PendingRecord,
    from_nano,
)
from .rules import Budget, compile_budgets
from .spool import Spool
from .writer import Settlement, Writer

if TYPE_CHECKING:
    from .._yaml import Located
    from ..policy import Policy
    from ..providers.calls import Operation
    from ..routing import Candidate, Decision, Router

__all__ = ["ENV_VAR", "Spend", "Ticket", "ledger_url", "spend_from_policy"]

#: The environment variable that names the ledger (it wins over the policy's ``ledger:``).
ENV_VAR = "FRUGAL_LEDGER"

log = logging.getLogger("frugal.budgets")
ledger_log = logging.getLogger("frugal.ledger")

_NO_HOLD = Hold((), 0)
_INVALID_SPAN = trace.INVALID_SPAN
_hold = partial(tuple.__new__, Hold)  # Hold((counters, amount)) without the named tuple's Python __new__
_NO_EVENTS: list[tuple[str, dict[str, Any]]] = []  # shared and never appended to (see Ticket.event)

#: Seconds a store is left alone after it failed (calls meanwhile fail open or closed at once); the
#: policy's ``ledger.retry_after`` changes it.
RETRY_AFTER = 1.0

_EVENT_THRESHOLD = "frugal.budget.threshold"
_EVENT_OVER = "frugal.budget.over_limit"
_EVENT_DOWNGRADED = "frugal.budget.downgraded"

# A call's checks and the counters they hold, valid from the first float to the second (window buckets).
_Plan = tuple[float, float, list[Check], tuple[tuple[str, int], ...]]


def ledger_url(policy: Policy, explicit: str | None = None) -> str | None:
    """The ledger to use: ``explicit``, else ``$FRUGAL_LEDGER``, else the policy's, else ``memory://``
    when the policy has budgets; None when nothing is recorded."""
    import os

    if explicit:
        return explicit
    if os.environ.get(ENV_VAR):
        return os.environ[ENV_VAR]
    if policy.ledger is not None:
        return policy.ledger.url
    return "memory://" if policy.budgets else None


def spend_from_policy(
    policy: Policy,
    located: Located | None,
    router: Router,
    *,
    ledger: str | Ledger | None = None,
    clock: Callable[[], float] | None = None,
) -> Spend | None:
    """The client's budgets and ledger, or None when the policy and environment ask for neither.

    Raises:
        ConfigError: a budget or ledger setting is unusable (file:line:column for the policy's).
    """
    from ..exceptions import ConfigError
    from .ledger import open_ledger

    budgets = compile_budgets(policy, located, router)
    if ledger is None or isinstance(ledger, str):
        url = ledger_url(policy, ledger)
        if url is None:
            return None
        try:
            store = open_ledger(url)
        except ConfigError:
            raise
        except Exception as exc:
            raise ConfigError(f"cannot open the ledger {url!r}: {type(exc).__name__}: {exc}") from None
    else:
        store = ledger
    spec = policy.ledger
    return Spend(
        budgets,
        store,
        router,
        fail_closed=spec is not None and spec.on_error == "fail_closed",
        spool=Spool(spec.spool if spec is not None else None, store.url),
        clock=clock or time.time,
        hash_users=policy.hash_user_ids,
        retry_after=spec.retry_after if spec is not None else RETRY_AFTER,
        background=_background(spec.settle if spec is not None else "auto", store),
    )


def _background(setting: str, store: Ledger) -> bool:
    """Whether settlements go to the background writer: ``auto`` does so for a store across the network."""
    if setting == "auto":
        return store.url.split("://", 1)[0] in ("redis", "rediss", "unix")
    return setting == "background"


class Ticket(CallTelemetry):
    """One call's admission, account and telemetry in one object: its reservation, what to record, the
    events to put on its span, its usage, cost and outcome (a :class:`~frugal._accounting.CallAccount`);
    accounting-only until ``Telemetry.start_call`` gives it the call span. It settles when it finishes."""

    __slots__ = (
        "_spend",
        "context",
        "decision",
        "downgraded",
        "estimate",
        "events",
        "hold",
        "requested",
        "span_trace_id",
        "target",
        "time",
        "user",
    )

    def __init__(
        self,
        spend: Spend,
        operation: str,
        requested: str | None,
        context: Mapping[str, str],
        user: str | None,
        now: float,
    ) -> None:
        CallTelemetry.__init__(self, None, _INVALID_SPAN, operation, None, exporting=False)
        self._spend = spend
        self.requested = requested
        self.context = context
        self.user = user
        self.time = now
        self.decision: Decision | None = None
        self.target: Candidate | None = None
        self.estimate: float | None = None
        self.hold = _NO_HOLD
        self.downgraded: str | None = None
        self.events: list[tuple[str, dict[str, Any]]] = _NO_EVENTS
        self.span_trace_id: str | None = None

    def queue_event(self, name: str, attributes: dict[str, Any]) -> None:
        """An event for the call span (put on it by :meth:`emit_events`)."""
        if self.events is _NO_EVENTS:
            self.events = []
        self.events.append((name, attributes))

    def emit_events(self) -> None:
        """Put the admission's events on the call span, now that it has one (a no-op when not exported)."""
        for name, attributes in self.events:
            self.event(name, attributes)

    def finish(self, error: BaseException | None = None, *, abandoned: bool = False) -> None:
        """End the call (once), then settle it."""
        if self.ended:
            return
        CallTelemetry.finish(self, error, abandoned=abandoned)
        self.settle()

    def settle(self) -> None:
        """Record the call and replace its reservation by its actual cost (never raises)."""
        if self.exporting:
            self.span_trace_id = self.trace_id
            self.release()  # kept by the memory store until read: the numbers only, not the span
        spend = self._spend
        cost = self.cost
        actual = round(cost * NANO) if cost is not None else 0  # to_nano(cost), without the call
        pending = spend.settle_pending
        if pending is not None:  # the memory store builds the record when it is read
            pending(self.hold, actual, self)
            return
        try:
            record = spend.record(self, self)
        except Exception:  # a bug here must not reach the caller, who already has the answer
            ledger_log.exception("frugal ledger: could not build the record of a call")
            return
        spend.write(self.hold, actual, record)

    def record(self) -> LedgerRecord:
        """The ledger record of this call (its own account), once it has ended."""
        return self._spend.record(self, self)


class Spend:
    """The budgets and ledger of one client."""

    def __init__(
        self,
        budgets: Sequence[Budget],
        ledger: Ledger,
        router: Router,
        *,
        fail_closed: bool = False,
        spool: Spool | None = None,
        clock: Callable[[], float] = time.time,
        hash_users: bool = False,
        retry_after: float = RETRY_AFTER,
        background: bool = False,
    ) -> None:
        self.budgets = tuple(budgets)
        self.ledger = ledger
        self.fail_closed = fail_closed
        self.spool = spool if spool is not None else Spool(None, ledger.url)
        self.clock = clock
        self.hash_users = hash_users
        self.retry_after = retry_after
        self._router = router
        # Budgets that all count every call (scope: global) match the same way each time.
        self._everyone: list[tuple[Budget, str]] | None = (
            [(budget, "*") for budget in self.budgets]
            if self.budgets and all(budget.scope == "global" for budget in self.budgets)
            else None
        )
        self._tier_index = {tier.name: tier.index for tier in router.tiers}
        self._tier_of: dict[str, tuple[int, str]] = {}
        for tier in reversed(router.tiers):  # a model in several tiers belongs to its cheapest
            for candidate in tier.candidates:
                self._tier_of[candidate.model] = (tier.index, tier.name)
        self._retry_at = 0.0
        self._down = False
        self._warned: set[str] = set()
        self._crossed: set[tuple[str, str, str, float]] = set()
        self._check_cache: dict[tuple[str, str, bool], tuple[float, float, Check]] = {}
        self._plans: dict[tuple[tuple[str, ...], str | None], _Plan] = {}
        self._everyone_plan: _Plan = (0.0, 0.0, [], ())  # empty window: built by the first call
        # Record ids: unique per process (random prefix) and per call (counter); cheaper than uuid4.
        self._ids = itertools.count()
        self._id_prefix = os.urandom(8).hex()
        self._writer = Writer(self.write_many) if background else None
        #: Settling does I/O on the caller's thread (the async client then settles in a worker thread).
        self.settles_inline = ledger.blocking and self._writer is None
        #: The store's ``settle_pending`` (the memory store's: it builds a call's record when the record
        #: is read, not on the call path), or None.
        self.settle_pending: Callable[[Hold, int, PendingRecord], None] | None = (
            getattr(ledger, "settle_pending", None) if self._writer is None else None
        )

    # -- before the call -----------------------------------------------------------------------------

    def admit(
        self,
        op: Operation,
        params: Mapping[str, Any],
        context: Mapping[str, str],
        decision: Decision | None,
        target: Candidate,
        redecide: Callable[[Operation, Any, int | None, Candidate | None], Decision | None],
    ) -> Ticket:
        """Reserve the call's estimate against every matching budget.

        Args:
            op: the client operation.
            params: the caller's arguments (for the estimate of an unrouted call).
            context: the call's routing metadata.
            decision: the routing decision (None for an unrouted call).
            target: the model the call goes to first.
            redecide: ``redecide(op, params, max_tier, pin)`` decides again with a tier cap and/or a pinned
                model (``downgrade``); it returns None when the call is not routed (it then goes on,
                counted).

        Raises:
            BudgetExceeded: a ``block`` budget would be crossed (or its ``unpriced`` setting blocks).
            LedgerUnavailable: the store is unreachable and the policy says ``fail_closed``.
        """
        now = self.clock()
        user = context.get("user")
        if user is not None and self.hash_users:
            user = hash_user(user)
        requested = params.get("model")
        ticket = Ticket(self, op.name, requested if isinstance(requested, str) else None, context, user, now)
        self._aim(ticket, decision, target, params)
        if not self.budgets:  # a ledger without budgets: the call is only recorded
            return ticket
        matched = self._everyone
        if matched is not None:  # global budgets only: one plan per window bucket, whoever calls
            plan = self._everyone_plan
            if not plan[0] <= now < plan[1]:
                plan = self._everyone_plan = self._plan_of(matched, now, user)
            checks, counters = plan[2], plan[3]
        else:
            route = decision.route if decision is not None else None
            matched = [
                (budget, value)
                for budget in self.budgets
                if (value := budget.value_for(context, route)) is not None
            ]
            if not matched:
                return ticket
            checks, counters = self._plan(matched, now, user)
        estimate = ticket.estimate
        # to_nano(estimate, up=True), without the call; an unknown estimate goes to _amount.
        amount = (
            math.ceil(estimate * NANO) if estimate is not None else self._amount(ticket, matched, now, user)
        )
        admission = self._reserve(checks, amount, ticket)
        if admission is None:  # the store is down and the policy fails open
            ticket.hold = Hold(counters, 0)
            return ticket
        if admission.refused is not None:
            self._refused(ticket, matched, admission, decision, op, params, redecide, now, user)
            return ticket
        ticket.hold = _hold((counters, amount))
        for (budget, _value), before in zip(matched, admission.totals, strict=True):
            if before + amount >= budget.quiet_below:  # a mark or a limit to report
                self._observe(ticket, matched, admission, amount, user)
                break
        return ticket

    def _refused(
        self,
        ticket: Ticket,
        matched: Sequence[tuple[Budget, str]],
        admission: Admission,
        decision: Decision | None,
        op: Operation,
        params: Mapping[str, Any],
        redecide: Callable[[Operation, Any, int | None, Candidate | None], Decision | None],
        now: float,
        user: str | None,
    ) -> None:
        """A budget refused the reservation: block, or downgrade and reserve again until one is admitted.

        Raises:
            BudgetExceeded: a ``block`` budget refused.
            LedgerUnavailable: the store went down and the policy says ``fail_closed``.
        """
        counting: set[str] = set()  # downgrade budgets already applied: they count, no longer refuse
        caps: tuple[int | None, Candidate | None] = (None, None)
        while admission.refused is not None:
            budget, value = matched[admission.refused]
            if budget.action != "downgrade":
                raise self._blocked(ticket, budget, value, admission.totals[admission.refused], now, user)
            counting.add(budget.name)
            max_tier, pin = caps
            if budget.max_tier is not None:
                max_tier = budget.max_tier if max_tier is None else min(max_tier, budget.max_tier)
            caps = (max_tier, pin or budget.pin)
            capped = redecide(op, params, *caps)
            if capped is not None:
                # Savings are measured against what the call would have cost uncapped.
                if decision is not None:
                    capped = replace(
                        capped,
                        baseline_model=decision.baseline_model,
                        baseline_cost_usd=decision.baseline_cost_usd,
                    )
                ticket.downgraded = budget.name
                self._aim(ticket, capped, None, params)
                attributes = self._attributes(budget, value, user, admission.totals[admission.refused])
                attributes["frugal.route.model"] = ticket.decision.model if ticket.decision else ""
                ticket.queue_event(_EVENT_DOWNGRADED, attributes)
                log.info(
                    "frugal budget %r for %s: at its limit; call downgraded to %s",
                    budget.name,
                    _who(budget, value, user),
                    ticket.target.model if ticket.target else "?",
                )
            # else: an unrouted call cannot be capped; it is counted against the budget
            checks = self._checks(matched, now, counting, user)
            counters = tuple([(c.current, c.ttl) for c in checks])
            amount = self._amount(ticket, matched, now, user)
            reserved = self._reserve(checks, amount, ticket)
            if reserved is None:  # the store went down and the policy fails open
                ticket.hold = Hold(counters, 0)
                return
            admission = reserved
        ticket.hold = _hold((counters, amount))
        self._observe(ticket, matched, admission, amount, user)

    def _aim(
        self, ticket: Ticket, decision: Decision | None, target: Candidate | None, params: Mapping[str, Any]
    ) -> None:
        ticket.decision = decision
        if decision is not None:
            ticket.target = decision.chain[0]
            ticket.estimate = decision.estimated_cost_usd
        else:
            assert target is not None
            ticket.target = target
            ticket.estimate = self._estimate(ticket.operation, params, ticket.context, target)

    def _estimate(
        self, operation: str, params: Mapping[str, Any], context: Mapping[str, str], target: Candidate
    ) -> float | None:
        """The pre-call estimate of an unrouted call (the router's, for a routed one)."""
        catalog = self._router.catalog
        if operation == "embeddings":
            raw = params.get("input")
            items = [raw] if isinstance(raw, str) else list(raw or ())
            count = sum(len(item) // 4 + 1 if isinstance(item, str) else len(item) for item in items)
            return catalog.estimate(target.info, count, 0)
        counter = self._router.count_tokens
        tokens = _plain_input_tokens(params) if operation != "responses" and counter is None else None
        limit: object
        if tokens is None:
            request = RoutingRequest.from_call(operation, params, context)
            if counter is not None:  # the policy's token counter, as a routed call would use it
                request = count_input_tokens(request, counter, self._router.policy.token_counter)
            tokens, limit = request.estimated_input_tokens, request.max_output_tokens
        else:
            limit = params.get("max_completion_tokens") or params.get("max_tokens")
        output = limit if isinstance(limit, int) and limit > 0 else 400
        return catalog.estimate(target.info, tokens, output)

    def _checks(
        self, matched: Sequence[tuple[Budget, str]], now: float, counting: set[str], user: str | None
    ) -> list[Check]:
        """The checks of a call; each one is built once per budget, scope value and window bucket."""
        checks = []
        cache = self._check_cache
        for budget, value in matched:
            refuse = budget.action == "block" or (
                budget.action == "downgrade" and budget.name not in counting
            )
            scoped = user if budget.scope == "user" and user is not None else value
            cached = cache.get((budget.name, scoped, refuse))
            if cached is not None and cached[0] <= now < cached[1]:
                checks.append(cached[2])
                continue
            window = budget.window
            prefix = budget.prefix(scoped)
            check = Check(
                keys=tuple(prefix + key for key in window.keys(now)),
                current=prefix + window.current(now),
                limit=budget.limit_nano,
                refuse=refuse,
                ttl=window.ttl(now),
            )
            if len(cache) > 10_000:
                cache.clear()
            start, end = window.bucket(now)
            cache[(budget.name, scoped, refuse)] = (start, end, check)
            checks.append(check)
        return checks

    def _plan(
        self, matched: Sequence[tuple[Budget, str]], now: float, user: str | None
    ) -> tuple[list[Check], tuple[tuple[str, int], ...]]:
        """A call's first checks and the counters they hold: built once per set of matched scope values
        and window bucket (most calls of a client share a handful of them)."""
        key = (tuple([value for _budget, value in matched]), user)
        cached = self._plans.get(key)
        if cached is None or not cached[0] <= now < cached[1]:
            if len(self._plans) > 10_000:
                self._plans.clear()
            cached = self._plans[key] = self._plan_of(matched, now, user)
        return cached[2], cached[3]

    def _plan_of(self, matched: Sequence[tuple[Budget, str]], now: float, user: str | None) -> _Plan:
        """The checks and held counters of a set of matched scope values, and the window they hold for."""
        checks = self._checks(matched, now, set(), user)
        start, end = -math.inf, math.inf
        for budget, _value in matched:
            low, high = budget.window.bucket(now)
            start, end = max(start, low), min(end, high)
        return (start, end, checks, tuple([(c.current, c.ttl) for c in checks]))

    def _amount(
        self, ticket: Ticket, matched: Sequence[tuple[Budget, str]], now: float, user: str | None
    ) -> int:
        """The nano-dollars to reserve; an unknown estimate reserves nothing (or blocks, if told to)."""
        estimate = ticket.estimate
        if estimate is not None:
            return math.ceil(estimate * NANO)  # to_nano(estimate, up=True), without the call
        model = ticket.target.model if ticket.target else "?"
        for budget, value in matched:
            if budget.unpriced == "block":
                raise self._blocked(
                    ticket, budget, value, None, now, user, reason=f"the price of {model} is unknown"
                )
        if model not in self._warned:
            self._warned.add(model)
            log.warning("frugal budgets: %s has no known price; its calls reserve and count $0", model)
        return 0

    def _reserve(self, checks: Sequence[Check], amount: int, ticket: Ticket) -> Admission | None:
        """The store's admission; None when it is down and the policy fails open."""
        failure: BaseException | None = None
        if self._retry_at and time.monotonic() < self._retry_at:
            failure = ConnectionError(f"the ledger failed less than {self.retry_after:g} s ago")
        else:
            try:
                admission = self.ledger.reserve(checks, amount)
            except Exception as exc:
                failure = exc
                self._failed(exc)
            else:
                if self._down or self.spool.pending:
                    self._recovered()
                return admission
        if self.fail_closed:
            raise LedgerUnavailable(
                f"the ledger {self.ledger.url} cannot be reached ({type(failure).__name__}: {failure}) and "
                "the policy's ledger.on_error is fail_closed: the call was not made"
            ) from failure
        ticket.queue_event("frugal.ledger.unavailable", {"frugal.ledger.url": self.ledger.url})
        return None

    def _failed(self, exc: BaseException) -> None:
        self._retry_at = time.monotonic() + self.retry_after
        if not self._down:
            self._down = True
            mode = "fail_closed: calls raise" if self.fail_closed else "fail_open: calls go on, unlimited"
            message = (
                f"frugal ledger {self.ledger.url} unreachable ({type(exc).__name__}: {exc}); {mode}; records "
                f"that cannot be written are spooled to {self.spool.directory} and replayed when it is back"
            )
            ledger_log.warning(message)
            warnings.warn(message, FrugalWarning, stacklevel=2)

    def _recovered(self) -> None:
        if self._down:
            self._down = False
            ledger_log.warning("frugal ledger %s reachable again", self.ledger.url)
        if self.spool.pending:
            try:
                self.spool.replay(self.ledger)
            except Exception as exc:
                self._failed(exc)

    def _observe(
        self,
        ticket: Ticket,
        matched: Sequence[tuple[Budget, str]],
        admission: Admission,
        amount: int,
        user: str | None,
    ) -> None:
        """Soft thresholds and limits that this reservation crossed: span events and log lines."""
        for (budget, value), before in zip(matched, admission.totals, strict=True):
            limit = budget.limit_nano
            after = before + amount
            for fraction, mark in budget.marks:
                # A settled call gives back what its estimate over-reserved, so the next reservation can
                # cross the same mark again: each is reported once per process and window.
                if not before < mark <= after:
                    continue
                seen = (budget.name, value, budget.window.current(ticket.time), fraction)
                if seen not in self._crossed:
                    if len(self._crossed) > 10_000:
                        self._crossed.clear()
                    self._crossed.add(seen)
                    attributes = self._attributes(budget, value, user, after)
                    attributes["frugal.budget.threshold"] = fraction
                    ticket.queue_event(_EVENT_THRESHOLD, attributes)
                    log.warning(
                        "frugal budget %r for %s: %.0f%% of $%.6f reached ($%.6f)",
                        budget.name,
                        _who(budget, value, user),
                        fraction * 100,
                        budget.limit_usd,
                        from_nano(after),
                    )
            if after > limit and budget.action != "block":
                ticket.queue_event(_EVENT_OVER, self._attributes(budget, value, user, after))
                window_key = f"{budget.name}|{value}|{budget.window.current(ticket.time)}"
                message = (
                    f"frugal budget {budget.name!r} for {_who(budget, value, user)}: ${from_nano(after):.6f} "
                    f"of ${budget.limit_usd:.6f} (over the limit; action {budget.action})"
                )
                log.warning(message)
                if window_key not in self._warned:
                    self._warned.add(window_key)
                    warnings.warn(message + "; shown once per window", FrugalWarning, stacklevel=2)

    @staticmethod
    def _attributes(budget: Budget, value: str, user: str | None, spent: int | None) -> dict[str, Any]:
        attributes: dict[str, Any] = {
            "frugal.budget.name": budget.name,
            "frugal.budget.scope": budget.scope,
            "frugal.budget.value": user if budget.scope == "user" and user is not None else value,
            "frugal.budget.limit_usd": budget.limit_usd,
        }
        if spent is not None:
            attributes["frugal.budget.spent_usd"] = from_nano(spent)
        return attributes

    def _blocked(
        self,
        ticket: Ticket,
        budget: Budget,
        value: str,
        spent: int | None,
        now: float,
        user: str | None,
        *,
        reason: str = "",
    ) -> BudgetExceeded:
        shown = None if budget.scope == "global" else (user if budget.scope == "user" else value)
        error = BudgetExceeded(
            budget=budget.name,
            scope=budget.scope,
            value=shown,
            limit_usd=budget.limit_usd,
            spent_usd=from_nano(spent or 0),
            estimated_cost_usd=ticket.estimate,
            reset_at=datetime.fromtimestamp(budget.window.reset_at(now), timezone.utc),
            reason=reason,
        )
        log.warning("%s", error)
        account = CallAccount()
        account.close(error)
        account.outcome = "blocked"
        self.write(Hold((), 0), 0, self.record(ticket, account))
        return error

    # -- after the call ------------------------------------------------------------------------------

    def record(self, ticket: Ticket, account: CallAccount) -> LedgerRecord:
        """The ledger record of a call from its ticket and account."""
        decision = ticket.decision
        target = ticket.target
        usage = account.usage
        requested_tier = self._tier_of.get(ticket.requested or "")
        tier = account.tier or (decision.tier if decision is not None else None)
        chosen = self._tier_index.get(tier or "")
        routed_down = requested_tier is not None and chosen is not None and requested_tier[0] > chosen
        # Positional, in field order (a keyword call of 30 fields costs ~2 µs more per call);
        # tests compare records field by field.
        return LedgerRecord._make(
            (
                f"{self._id_prefix}{next(self._ids):x}",  # id
                ticket.time,  # time
                ticket.operation,  # operation
                ticket.user,  # user
                ticket.context.get("team"),  # team
                ticket.context.get("feature"),  # feature
                decision.route if decision is not None else None,  # route
                ticket.requested,  # requested_model
                account.model or (target.model if target else None),  # model
                account.provider or (target.provider if target else None),  # provider
                tier,  # tier
                requested_tier[1] if requested_tier else None,  # requested_tier
                routed_down,
                usage.input_tokens,  # input_tokens
                usage.output_tokens,  # output_tokens
                usage.cache_read_tokens,  # cache_read_tokens
                usage.cache_write_tokens + usage.cache_write_1h_tokens,  # cache_write_tokens
                usage.reasoning_tokens,  # reasoning_tokens
                account.cost,  # cost_usd
                account.baseline_cost,  # baseline_cost_usd
                account.savings,  # savings_usd
                ticket.estimate,  # estimated_cost_usd
                account.outcome,  # outcome
                account.error_type,  # error_type
                account.latency_s,  # latency_s
                account.attempts,  # attempts
                ticket.span_trace_id,  # trace_id (set when the call was settled)
                ticket.downgraded,  # downgraded
                account.escalations,  # escalations
            )
        )

    def write(self, hold: Hold, actual: int, record: LedgerRecord) -> None:
        """Settle a record (queued for the background writer, when there is one); on failure spool it,
        warn and log its numbers. Never raises."""
        writer = self._writer
        if writer is not None:
            writer.put(hold, actual, record)
            return
        if not self._retry_at or time.monotonic() >= self._retry_at:
            try:
                self.ledger.settle(hold, actual, record)
            except Exception as exc:
                self._failed(exc)
            else:
                if self._down or self.spool.pending:
                    self._recovered()
                return
        self._spool(hold, actual, record)

    def write_many(self, settlements: Sequence[Settlement]) -> None:
        """Settle records in as few round trips as the store allows; spool what fails. Never raises."""
        if time.monotonic() >= self._retry_at:
            try:
                many = getattr(self.ledger, "settle_many", None)
                if many is not None:
                    many(settlements)
                else:
                    for hold, actual, record in settlements:
                        self.ledger.settle(hold, actual, record)
            except Exception as exc:
                self._failed(exc)
            else:
                self._recovered()
                return
        # Settling is idempotent per record id: those of the batch that were written before the failure
        # count once when the spool is replayed.
        for hold, actual, record in settlements:
            self._spool(hold, actual, record)

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every settlement of this client's calls so far is written or spooled.

        Returns:
            False when ``timeout`` seconds passed first.
        """
        return self._writer.flush(timeout) if self._writer is not None else True

    def close(self, timeout: float | None = None) -> bool:
        """Flush, and end the background writer's thread (the next call starts it again)."""
        return self._writer.close(timeout) if self._writer is not None else True

    def _spool(self, hold: Hold, actual: int, record: LedgerRecord) -> None:
        try:
            path = self.spool.add(hold, actual, record)
        except Exception as exc:
            ledger_log.error(
                "frugal ledger: record LOST, neither the ledger nor the spool could take it (%s: %s): %s",
                type(exc).__name__,
                exc,
                record.to_dict(),
            )
            warnings.warn(
                f"frugal ledger: a record could not be written or spooled ({type(exc).__name__}); "
                "its numbers are in the frugal.ledger error log",
                FrugalWarning,
                stacklevel=2,
            )
            return
        ledger_log.warning(
            "frugal ledger: record %s spooled to %s (cost %s USD, model %s, team %s, user %s)",
            record.id,
            path,
            record.cost_usd,
            record.model,
            record.team,
            record.user,
        )


def _plain_input_tokens(params: Mapping[str, Any]) -> int | None:
    """Estimated input tokens of a call whose system and messages are plain strings and that sends no
    tools (the common case), by the request view's rule without building the view; None for anything
    else."""
    if params.get("tools"):
        return None
    system = params.get("system")
    if system is not None and not isinstance(system, str):
        return None
    size = 0 if system is None else text_size(system)
    for message in params.get("messages") or ():
        content = message.get("content") if isinstance(message, dict) else None
        if not isinstance(content, str):
            return None
        size += text_size(content)
    return tokens_of_size(size)


def _who(budget: Budget, value: str, user: str | None) -> str:
    if budget.scope == "global":
        return "everyone"
    return f"{budget.scope} {user if budget.scope == 'user' and user is not None else value!r}"
