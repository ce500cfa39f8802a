"""The ledger as the call path uses it: reservations and settlements that never fail a call by surprise.

:class:`GuardedLedger` wraps a :class:`~frugal.budgets.ledger.Ledger` with what a store across a network
needs: after a failure the store is left alone for ``retry_after`` seconds; meanwhile reservations fail
open (the call goes on, unlimited, with a warning) or closed (:class:`~frugal.exceptions.LedgerUnavailable`),
as the policy says, and settlements that cannot be written go to the :class:`~frugal.budgets.spool.Spool`,
replayed when the store is back. Settlements go through the background
:class:`~frugal.budgets.writer.Writer` when the store is across the network (Redis, by default).
"""

from __future__ import annotations

import logging
import time
import warnings
from collections.abc import Sequence

from ..exceptions import FrugalWarning, LedgerUnavailable
from .ledger import Admission, Check, Hold, Ledger, LedgerRecord
from .spool import Spool
from .writer import Settlement, Writer

__all__ = ["RETRY_AFTER", "GuardedLedger"]

ledger_log = logging.getLogger("frugal.ledger")

#: Seconds a store is left alone after it failed (calls meanwhile fail open or closed at once); the
#: policy's ``ledger.retry_after`` changes it.
RETRY_AFTER = 1.0


class GuardedLedger:
    """A ledger, its spool, its background writer and whether it is reachable.

    Attributes:
        ledger: the store.
        spool: where records that cannot be written wait.
        fail_closed: refuse calls while the store is unreachable (else they go on, unlimited).
        retry_after: seconds the store is left alone after a failure.
    """

    def __init__(
        self,
        ledger: Ledger,
        *,
        spool: Spool | None = None,
        fail_closed: bool = False,
        retry_after: float = RETRY_AFTER,
        background: bool = False,
    ) -> None:
        self.ledger = ledger
        self.spool = spool if spool is not None else Spool(None, ledger.url)
        self.fail_closed = fail_closed
        self.retry_after = retry_after
        self._retry_at = 0.0
        self._down = False
        self._writer = Writer(self.settle_many) if background else None

    @property
    def settles_inline(self) -> bool:
        """Whether settling does I/O on the caller's thread (the async client then settles in a thread)."""
        return self.ledger.blocking and self._writer is None

    @property
    def background(self) -> bool:
        """Whether settlements are written by the background writer."""
        return self._writer is not None

    def _resting(self) -> bool:
        return bool(self._retry_at) and time.monotonic() < self._retry_at

    def reserve(self, checks: Sequence[Check], amount: int) -> Admission | None:
        """The store's admission; None when it is unreachable and the policy fails open.

        Raises:
            LedgerUnavailable: it is unreachable and the policy fails closed (nothing was sent).
        """
        if self._resting():
            failure: BaseException = ConnectionError(
                f"the ledger failed less than {self.retry_after:g} s ago"
            )
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
        return None

    def settle(self, hold: Hold, actual: int, record: LedgerRecord) -> None:
        """Settle a record (queued for the background writer, when there is one); on failure spool it,
        warn and log its numbers. Never raises."""
        if self._writer is not None:
            self._writer.put(hold, actual, record)
            return
        if not self._resting():
            try:
                self.ledger.settle(hold, actual, record)
            except Exception as exc:
                self._failed(exc)
            else:
                if self._down or self.spool.pending:
                    self._recovered()
                return
        self._spool(hold, actual, record)

    def settle_many(self, settlements: Sequence[Settlement]) -> None:
        """Settle records in as few round trips as the store allows; spool what fails. Never raises."""
        if not self._resting():
            try:
                self.ledger.settle_many(settlements)
            except Exception as exc:
                self._failed(exc)
            else:
                self._recovered()
                return
        # Settling is idempotent per record id: those of the batch written before the failure count once
        # when the spool is replayed.
        for hold, actual, record in settlements:
            self._spool(hold, actual, record)

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every settlement so far is written or spooled (False: ``timeout`` passed first)."""
        return self._writer.flush(timeout) if self._writer is not None else True

    def close(self, timeout: float | None = None) -> bool:
        """Flush, and end the background writer's thread (the next settlement starts it again)."""
        return self._writer.close(timeout) if self._writer is not None else True

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
