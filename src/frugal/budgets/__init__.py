"""Budgets and the spend ledger: limits per user, team, feature, route or any metadata key.

- :mod:`~frugal.budgets.ledger`: the :class:`Ledger` protocol, :class:`LedgerRecord`, :func:`open_ledger`;
- backends: :mod:`~frugal.budgets.memory`, :mod:`~frugal.budgets.sqlite`, :mod:`~frugal.budgets.redis`;
- :mod:`~frugal.budgets.windows`: calendar and rolling windows;
- :mod:`~frugal.budgets.rules`: budgets compiled from the policy, and their status;
- :mod:`~frugal.budgets.budget`: matching, reservation, actions, soft thresholds, settlement;
- :mod:`~frugal.budgets.spool`: records that could not be written, replayed later;
- :mod:`~frugal.budgets.report`: ``frugal report``.

See ``docs/budgets.md``.
"""

from __future__ import annotations

from .ledger import Ledger, LedgerRecord, open_ledger
from .memory import MemoryLedger
from .rules import Budget, BudgetStatus, budget_status
from .windows import Window

__all__ = [
    "Budget",
    "BudgetStatus",
    "Ledger",
    "LedgerRecord",
    "MemoryLedger",
    "Window",
    "budget_status",
    "open_ledger",
]
