"""Budgets and the spend ledger: limits per user, team, feature, route or any metadata key.

- :mod:`~frugal.budgets.ledger`: the :class:`Ledger` protocol, :class:`LedgerRecord`, :func:`open_ledger`;
- backends: :mod:`~frugal.budgets.memory`, :mod:`~frugal.budgets.sqlite`, :mod:`~frugal.budgets.redis`;
- :mod:`~frugal.budgets.windows`: calendar and rolling windows;
- :mod:`~frugal.budgets.rules`: budgets as compiled from the policy, and their status;
- :mod:`~frugal.budgets.admission`: before a call: matching, reservation, actions, soft thresholds;
- :mod:`~frugal.budgets.settlement`: after a call: its record, settled (an observer of its account);
- :mod:`~frugal.budgets.guarded`: the store as the call path uses it (unreachable: fail open or closed);
- :mod:`~frugal.budgets.spool` and :mod:`~frugal.budgets.writer`: records that could not be written,
  replayed later; settlements written off the caller's path;
- :mod:`~frugal.budgets.report`: ``frugal report``.

See ``docs/budgets.md``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from .ledger import Ledger, LedgerRecord, open_ledger
from .memory import MemoryLedger
from .rules import Budget, BudgetStatus, budget_status
from .windows import Window

if TYPE_CHECKING:
    from .._yaml import Located
    from ..policy import Policy
    from ..routing import Router
    from .admission import Budgets

__all__ = [
    "ENV_VAR",
    "Budget",
    "BudgetStatus",
    "Ledger",
    "LedgerRecord",
    "MemoryLedger",
    "Window",
    "budget_status",
    "budgets_from_policy",
    "ledger_url",
    "open_ledger",
]

#: The environment variable that names the ledger (it wins over the policy's ``ledger:``).
ENV_VAR = "FRUGAL_LEDGER"


def ledger_url(policy: Policy, explicit: str | None = None) -> str | None:
    """The ledger to use: ``explicit``, else ``$FRUGAL_LEDGER``, else the policy's, else ``memory://``
    when the policy has budgets; None when nothing is recorded."""
    if explicit:
        return explicit
    if os.environ.get(ENV_VAR):
        return os.environ[ENV_VAR]
    if policy.ledger is not None:
        return policy.ledger.url
    return "memory://" if policy.budgets else None


def budgets_from_policy(
    policy: Policy,
    located: Located | None,
    router: Router,
    *,
    ledger: str | Ledger | None = None,
    clock: Callable[[], float] | None = None,
) -> Budgets | None:
    """The client's budgets and ledger, or None when the policy and environment ask for neither.

    Raises:
        ConfigError: a budget or ledger setting is unusable (file:line:column for the policy's).
    """
    from ..exceptions import ConfigError
    from ..routing.compile import compile_budgets
    from .admission import Budgets
    from .guarded import RETRY_AFTER, GuardedLedger
    from .settlement import RecordMaker
    from .spool import Spool

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
    setting = spec.settle if spec is not None else "auto"
    if setting == "auto":  # the background writer for a store across the network
        background = store.url.split("://", 1)[0] in ("redis", "rediss", "unix")
    else:
        background = setting == "background"
    guarded = GuardedLedger(
        store,
        spool=Spool(spec.spool if spec is not None else None, store.url),
        fail_closed=spec is not None and spec.on_error == "fail_closed",
        retry_after=spec.retry_after if spec is not None else RETRY_AFTER,
        background=background,
    )
    return Budgets(
        budgets,
        guarded,
        RecordMaker(router, hash_users=policy.hash_user_ids),
        clock=clock or time.time,
        hash_users=policy.hash_user_ids,
    )
