"""Before the call: match a call's budgets, reserve its estimate, act at the limit.

Every budget whose scope value matches the call (its team, user, feature, route, any metadata key, or
``global``) becomes a :class:`~frugal.budgets.ledger.Check`, and the store reserves the call's estimated
cost against all of them in one atomic step. At a limit, the budget's action decides:

- ``block``: :class:`~frugal.exceptions.BudgetExceeded` is raised before any vendor request (and the
  blocked call is recorded);
- ``downgrade``: the call's routing is decided again with the budget's cap (a tier, or a model) — never
  classified again — and its cheaper estimate is reserved (counted, no longer refused);
- ``warn``: the call only counts, and the budget says so when it is over.

Soft thresholds crossed by the reservation become span events and log lines. After the call, the
:class:`~frugal.budgets.settlement.Settlement` observer replaces the reservation by the actual cost.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from .._context import hash_user
from .._util import log_once, warn_at_caller
from ..exceptions import BudgetExceeded, BudgetWarning
from .ledger import NANO, Admission, Check, Hold, from_nano
from .rules import Budget
from .settlement import RecordMaker, Settlement, blocked_record

if TYPE_CHECKING:
    from collections.abc import Callable

    from ..accounting import CallAccount
    from ..routing import Candidate, Decision, Routing
    from .guarded import GuardedLedger

__all__ = ["Admitted", "Budgets"]

log = logging.getLogger("frugal.budgets")

_EVENT_THRESHOLD = "frugal.budget.threshold"
_EVENT_OVER = "frugal.budget.over_limit"
_EVENT_DOWNGRADED = "frugal.budget.downgraded"
_EVENT_UNAVAILABLE = "frugal.ledger.unavailable"
#: Seconds between two log lines about the same budget and value (the calls in between are counted).
LOG_EVERY = 60.0


class _Quiet:
    """Rate-limits log lines by key: one line per :data:`LOG_EVERY` seconds, then the count of the calls
    that were not logged (a busy team over its limit is one line a minute, not one per call)."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock  # the budgets' clock, so a test's injected clock drives it too
        self._last: dict[str, tuple[float, int]] = {}  # key -> (when logged, calls since)
        self._lock = threading.Lock()

    def allow(self, key: str) -> int | None:
        """None: stay quiet (counted); else log now, with this many calls since the last line."""
        now = self._clock()
        with self._lock:
            when, since = self._last.get(key, (-LOG_EVERY, 0))
            if now - when < LOG_EVERY:
                self._last[key] = (when, since + 1)
                return None
            if len(self._last) > 10_000:
                self._last.clear()
            self._last[key] = (now, 0)
            return since


def _since(count: int) -> str:
    return f" ({count} more since the last line)" if count else ""


#: The hold of a call that reserved nothing.
NOTHING_HELD = Hold((), 0)


@dataclass(slots=True)
class Admitted:
    """What the budgets made of a call before it was sent.

    Attributes:
        decision: the routing decision to carry out (a ``downgrade`` budget's capped one, or the
            caller's), None for an unrouted call.
        target: the model the call goes to first.
        estimate: the estimated cost reserved (None: unknown, nothing reserved).
        user: the user as recorded (hashed when the policy says so).
        hold: what the reservation added to which counters.
        downgraded: the budget that capped the call, if one did.
        events: span events for the call (thresholds crossed, a downgrade, an unreachable ledger).
    """

    decision: Decision | None
    target: Candidate
    estimate: float | None
    user: str | None
    hold: Hold = NOTHING_HELD
    downgraded: str | None = None
    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)


class Budgets:
    """The budgets and ledger of one client."""

    def __init__(
        self,
        budgets: Sequence[Budget],
        store: GuardedLedger,
        records: RecordMaker,
        *,
        clock: Callable[[], float],
        hash_users: bool = False,
    ) -> None:
        self.budgets = tuple(budgets)
        self.store = store
        self.records = records
        self.clock = clock
        self.hash_users = hash_users
        self._crossed: set[tuple[str, str, str, float]] = set()
        self._quiet = _Quiet(clock)

    # -- before the call -----------------------------------------------------------------------------

    def record_blocked(
        self, account: CallAccount, decision: Decision | None, target: Candidate, error: BaseException
    ) -> None:
        """Record a call refused before its budgets were asked (a runaway loop): outcome ``blocked``."""
        user = account.metadata.get("user")
        admitted = Admitted(decision, target, None, hash_user(user) if user and self.hash_users else user)
        account.close(error)
        hold, record = blocked_record(self.records, account, admitted)
        self.store.settle(hold, 0, record)

    def admit(
        self,
        account: CallAccount,
        routing: Routing | None,
        decision: Decision | None,
        target: Candidate,
        estimate: float | None,
    ) -> Settlement:
        """Reserve the call's estimate against every matching budget; the call's settlement observer.

        Args:
            account: the call's account (its time, operation, requested model and metadata).
            routing: the call's routing (a ``downgrade`` re-decides with it), None when it cannot be routed.
            decision: the routing decision, None for an unrouted call.
            target: the model the call goes to first.
            estimate: its estimated cost (None: unknown).

        Raises:
            BudgetExceeded: a ``block`` budget would be crossed (or its ``unpriced`` setting blocks).
            LedgerUnavailable: the store is unreachable and the policy says ``fail_closed``.
        """
        now = account.time
        user = account.metadata.get("user")
        if user is not None and self.hash_users:
            user = hash_user(user)
        admitted = Admitted(decision, target, estimate, user)
        settlement = Settlement(self.store, self.records, admitted)
        if not self.budgets:  # a ledger without budgets: the call is only recorded
            return settlement
        route = decision.route if decision is not None else None
        matched = [
            (b, value) for b in self.budgets if (value := b.value_for(account.metadata, route)) is not None
        ]
        if not matched:
            return settlement
        applied: set[str] = set()  # downgrade budgets already applied: they count, no longer refuse
        while True:
            checks = self._checks(matched, now, applied, user)
            amount = self._amount(account, admitted, matched, now)
            admission = self.store.reserve(checks, amount)
            # What is settled after the call: the dollar counters (a call counter stays as it is).
            held = tuple((c.current, c.ttl) for c in checks if c.amount is None)
            if admission is None:  # the store is unreachable and the policy fails open
                admitted.events.append((_EVENT_UNAVAILABLE, {"frugal.ledger.url": self.store.ledger.url}))
                admitted.hold = Hold(held, 0)
                return settlement
            if admission.refused is None:
                admitted.hold = Hold(held, amount)
                self._observe(admitted, matched, admission, amount, now)
                return settlement
            budget, value = matched[admission.refused]
            spent = admission.totals[admission.refused]
            if budget.action != "downgrade":
                raise self._blocked(account, admitted, budget, value, spent, now)
            applied.add(budget.name)
            self._downgrade(admitted, routing, budget, value, spent, applied, matched)

    def _downgrade(
        self,
        admitted: Admitted,
        routing: Routing | None,
        budget: Budget,
        value: str,
        spent: int,
        applied: set[str],
        matched: Sequence[tuple[Budget, str]],
    ) -> None:
        """Cap the call by every downgrade budget applied so far (an unrouted call cannot be capped: it
        goes on, counted against the budget)."""
        if routing is None:
            return
        max_tier: int | None = None
        pin: Candidate | None = None
        for other, _value in matched:
            if other.name in applied and other.action == "downgrade":
                if other.max_tier is not None:
                    max_tier = other.max_tier if max_tier is None else min(max_tier, other.max_tier)
                pin = pin or other.pin
        capped = routing.decide(max_tier=max_tier, pin=pin)
        original = admitted.decision
        if original is not None:  # savings are measured against what the call would have cost uncapped
            capped = replace(
                capped, baseline_model=original.baseline_model, baseline_cost_usd=original.baseline_cost_usd
            )
        admitted.decision = capped
        admitted.target = capped.chain[0]
        admitted.estimate = capped.estimated_cost_usd
        admitted.downgraded = budget.name
        attributes = self._attributes(budget, value, admitted.user, spent)
        attributes["frugal.route.model"] = capped.model
        admitted.events.append((_EVENT_DOWNGRADED, attributes))
        since = self._quiet.allow(f"downgraded|{budget.name}|{value}")
        if since is not None:
            log.info(
                "frugal budget %r for %s: at its limit; call downgraded to %s%s",
                budget.name,
                _who(budget, value, admitted.user),
                capped.model,
                _since(since),
            )

    def _checks(
        self, matched: Sequence[tuple[Budget, str]], now: float, applied: set[str], user: str | None
    ) -> list[Check]:
        """One check per matched budget: its counters in the window, its limit, whether it refuses."""
        checks = []
        for budget, value in matched:
            refuse = budget.action == "block" or (budget.action == "downgrade" and budget.name not in applied)
            scoped = user if budget.scope == "user" and user is not None else value
            prefix = budget.prefix(scoped)
            window = budget.window
            checks.append(
                Check(
                    keys=tuple(prefix + key for key in window.keys(now)),
                    current=prefix + window.current(now),
                    limit=budget.limit_nano,
                    refuse=refuse,
                    ttl=window.ttl(now),
                    amount=1 if budget.counts_calls else None,
                )
            )
        return checks

    def _amount(
        self, account: CallAccount, admitted: Admitted, matched: Sequence[tuple[Budget, str]], now: float
    ) -> int:
        """The nano-dollars to reserve, rounded up; an unknown estimate reserves nothing (or blocks, if a
        budget says so)."""
        if admitted.estimate is not None:
            return math.ceil(admitted.estimate * NANO)
        model = admitted.target.model
        for budget, value in matched:
            if budget.unpriced == "block" and not budget.counts_calls:
                raise self._blocked(
                    account, admitted, budget, value, None, now, reason=f"the price of {model} is unknown"
                )
        log_once(
            log,
            f"unpriced:{model}",
            "frugal budgets: %s has no known price; its calls reserve and count $0",
            model,
        )
        return 0

    def _observe(
        self,
        admitted: Admitted,
        matched: Sequence[tuple[Budget, str]],
        admission: Admission,
        amount: int,
        now: float,
    ) -> None:
        """Soft thresholds and limits that this reservation crossed: span events and log lines."""
        user = admitted.user
        for (budget, value), before in zip(matched, admission.totals, strict=True):
            after = before + (1 if budget.counts_calls else amount)
            for fraction, mark in budget.marks:
                # A settled call gives back what its estimate over-reserved, so the next reservation can
                # cross the same mark again: each is reported once per process and window.
                if not before < mark <= after:
                    continue
                seen = (budget.name, value, budget.window.current(now), fraction)
                if seen in self._crossed:
                    continue
                if len(self._crossed) > 10_000:
                    self._crossed.clear()
                self._crossed.add(seen)
                attributes = self._attributes(budget, value, user, after)
                attributes["frugal.budget.threshold"] = fraction
                admitted.events.append((_EVENT_THRESHOLD, attributes))
                log.warning(
                    "frugal budget %r for %s: %.0f%% of %s reached (%s)",
                    budget.name,
                    _who(budget, value, user),
                    fraction * 100,
                    budget.describe(budget.limit_nano),
                    budget.describe(after),
                )
            if after > budget.limit_nano and budget.action != "block":
                admitted.events.append((_EVENT_OVER, self._attributes(budget, value, user, after)))
                who = _who(budget, value, user)
                message = (
                    f"frugal budget {budget.name!r} for {who}: {budget.describe(after)} "
                    f"of {budget.describe(budget.limit_nano)} (over the limit; action {budget.action})"
                )
                since = self._quiet.allow(f"over|{budget.name}|{value}")
                if since is not None:
                    log.warning("%s%s", message, _since(since))
                warn_at_caller(
                    f"budget-over:{budget.name}|{value}|{budget.window.current(now)}",
                    message + "; shown once per window",
                    BudgetWarning,
                )

    @staticmethod
    def _attributes(budget: Budget, value: str, user: str | None, spent: int | None) -> dict[str, Any]:
        attributes: dict[str, Any] = {
            "frugal.budget.name": budget.name,
            "frugal.budget.scope": budget.scope,
            "frugal.budget.value": user if budget.scope == "user" and user is not None else value,
        }
        if budget.counts_calls:
            attributes["frugal.budget.limit_calls"] = budget.limit_calls
            if spent is not None:
                attributes["frugal.budget.calls"] = spent
            return attributes
        attributes["frugal.budget.limit_usd"] = budget.limit_usd
        if spent is not None:
            attributes["frugal.budget.spent_usd"] = from_nano(spent)
        return attributes

    def _blocked(
        self,
        account: CallAccount,
        admitted: Admitted,
        budget: Budget,
        value: str,
        spent: int | None,
        now: float,
        *,
        reason: str = "",
    ) -> BudgetExceeded:
        """The error of a blocked call, once the call is recorded (outcome ``blocked``)."""
        user = admitted.user
        shown = None if budget.scope == "global" else (user if budget.scope == "user" else value)
        calls = budget.counts_calls
        error = BudgetExceeded(
            budget=budget.name,
            scope=budget.scope,
            value=shown,
            limit_usd=None if calls else budget.limit_usd,
            spent_usd=None if calls else from_nano(spent or 0),
            estimated_cost_usd=admitted.estimate,
            reset_at=datetime.fromtimestamp(budget.window.reset_at(now), timezone.utc),
            reason=reason,
            limit_calls=budget.limit_calls,
            calls=spent if calls else None,
        )
        since = self._quiet.allow(f"blocked|{budget.name}|{shown}")
        if since is not None:
            log.warning("%s%s", error, _since(since))
        account.close(error)
        hold, record = blocked_record(self.records, account, admitted)
        self.store.settle(hold, 0, record)
        return error


def _who(budget: Budget, value: str, user: str | None) -> str:
    if budget.scope == "global":
        return "everyone"
    return f"{budget.scope} {user if budget.scope == 'user' and user is not None else value!r}"
