"""After the call: the ledger record of a call's account, and its settlement.

:class:`Settlement` is a :class:`~frugal.accounting.CallObserver`: when the call ends (a stream: when it
ends, is closed or is abandoned) it turns the account into a :class:`~frugal.budgets.ledger.LedgerRecord`
and settles it: the reservation is replaced by the actual cost. It never raises into the caller, who
already has the answer.
"""

from __future__ import annotations

import itertools
import logging
import os
from typing import TYPE_CHECKING

from ..accounting import CallObserver
from .ledger import NANO, Hold, LedgerRecord

if TYPE_CHECKING:
    from ..accounting import CallAccount
    from ..routing import Router
    from .admission import Admitted
    from .guarded import GuardedLedger

__all__ = ["RecordMaker", "Settlement"]

ledger_log = logging.getLogger("frugal.ledger")


class RecordMaker:
    """Builds the ledger records of one client's calls: unique ids, and the tiers the router knows."""

    def __init__(self, router: Router, *, hash_users: bool = False) -> None:
        self._tier_index = {tier.name: tier.index for tier in router.tiers}
        self._tier_of: dict[str, tuple[int, str]] = {}
        for tier in reversed(router.tiers):  # a model in several tiers belongs to its cheapest
            for candidate in tier.candidates:
                self._tier_of[candidate.model] = (tier.index, tier.name)
        self.hash_users = hash_users
        # Record ids: unique per process (random prefix) and per call (counter); cheaper than uuid4.
        self._ids = itertools.count()
        self._prefix = os.urandom(8).hex()

    def record(self, account: CallAccount, admitted: Admitted) -> LedgerRecord:
        """The ledger record of a call from its (closed) account and its admission."""
        decision = admitted.decision
        target = admitted.target
        usage = account.usage
        requested_tier = self._tier_of.get(account.requested or "")
        tier = account.tier or (decision.tier if decision is not None else None)
        chosen = self._tier_index.get(tier or "")
        return LedgerRecord(
            id=f"{self._prefix}{next(self._ids):x}",
            time=account.time,
            operation=account.operation,
            user=admitted.user,
            team=account.metadata.get("team"),
            feature=account.metadata.get("feature"),
            route=decision.route if decision is not None else None,
            requested_model=account.requested,
            model=account.model or (target.model if target else None),
            provider=account.provider or (target.provider if target else None),
            tier=tier,
            requested_tier=requested_tier[1] if requested_tier else None,
            routed_down=requested_tier is not None and chosen is not None and requested_tier[0] > chosen,
            input_tokens=usage.input_tokens,
            output_tokens=usage.output_tokens,
            cache_read_tokens=usage.cache_read_tokens,
            cache_write_tokens=usage.cache_write_tokens + usage.cache_write_1h_tokens,
            reasoning_tokens=usage.reasoning_tokens,
            cost_usd=account.cost,
            baseline_cost_usd=account.baseline_cost,
            savings_usd=account.savings,
            estimated_cost_usd=admitted.estimate,
            outcome=account.outcome,
            error_type=account.error_type,
            latency_s=account.latency_s,
            attempts=account.attempts,
            trace_id=account.trace_id,
            downgraded=admitted.downgraded,
            escalations=account.escalations,
            finish_reason=account.finish_reason,
            cache_savings_usd=account.cache_savings,
            service_tier=account.service_tier,
            response_id=account.response_id,
            shadow_of=account.shadow_of,
        )


class Settlement(CallObserver):
    """Settles one call in the ledger when it ends; a :class:`~frugal.accounting.CallObserver`."""

    def __init__(self, store: GuardedLedger, records: RecordMaker, admitted: Admitted) -> None:
        self._store = store
        self._records = records
        self.admitted = admitted

    def finished(self, account: CallAccount, error: BaseException | None) -> None:
        """Record the call and replace its reservation by its actual cost (never raises)."""
        actual = round(account.cost * NANO) if account.cost is not None else 0
        try:
            record = self._records.record(account, self.admitted)
        except Exception:  # a bug here must not reach the caller, who already has the answer
            ledger_log.exception("frugal ledger: could not build the record of a call")
            return
        self._store.settle(self.admitted.hold, actual, record)


def blocked_record(
    records: RecordMaker, account: CallAccount, admitted: Admitted
) -> tuple[Hold, LedgerRecord]:
    """The record of a call a budget blocked (nothing was sent, nothing is held)."""
    account.outcome = "blocked"
    return Hold((), 0), records.record(account, admitted)
