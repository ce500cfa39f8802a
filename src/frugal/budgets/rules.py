"""Budgets as the policy states them, compiled (by :func:`frugal.routing.compile.compile_budgets`): who a
budget counts, its limit and window, its action; and where each one stands (``frugal report``)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from .ledger import Ledger, from_nano, to_nano
from .windows import Window

if TYPE_CHECKING:
    from ..routing import Candidate

__all__ = ["Budget", "BudgetStatus", "budget_status"]


@dataclass(frozen=True, slots=True)
class Budget:
    """A compiled budget (see :class:`~frugal.policy.BudgetSpec`)."""

    name: str
    scope: str
    pattern: re.Pattern[str] | None
    limit_usd: float | None
    window: Window
    action: str
    max_tier: int | None = None
    pin: Candidate | None = None
    thresholds: tuple[float, ...] = (0.8,)
    unpriced: str = "allow"
    limit_calls: int | None = None
    limit_nano: int = field(init=False)
    """The limit in the counter's unit, what the store compares: nano-dollars, or calls."""
    marks: tuple[tuple[float, float], ...] = field(init=False)
    """Each soft threshold and its mark in nano-dollars."""
    quiet_below: float = field(init=False)
    """Spend (nano-dollars) below which a reservation crosses no mark and is not over the limit of a
    budget that only counts: nothing to report, no need to look further."""

    def __post_init__(self) -> None:
        # Worked out once here rather than on every call.
        limit = self.limit_calls if self.limit_calls is not None else to_nano(self.limit_usd or 0.0)
        object.__setattr__(self, "limit_nano", limit)
        object.__setattr__(self, "marks", tuple((fraction, limit * fraction) for fraction in self.thresholds))
        quiet = [mark for _fraction, mark in self.marks]
        if self.action != "block":
            quiet.append(limit + 1)
        object.__setattr__(self, "quiet_below", min(quiet, default=float("inf")))

    @property
    def counts_calls(self) -> bool:
        """Whether the budget counts calls (``limit_calls``) rather than dollars."""
        return self.limit_calls is not None

    def describe(self, amount: int | float) -> str:
        """``amount`` of the budget's counter unit as words: ``$0.012000`` or ``12 calls``."""
        return f"{int(amount)} calls" if self.counts_calls else f"${from_nano(int(amount)):.6f}"

    def value_for(self, context: Mapping[str, str], route: str | None) -> str | None:
        """The call's value for this budget's scope, or None when the budget does not count the call."""
        if self.scope == "global":
            return "*"
        value = route if self.scope == "route" else context.get(self.scope)
        if value is None or (self.pattern is not None and not self.pattern.fullmatch(value)):
            return None
        return value

    def prefix(self, value: str) -> str:
        """The counter key prefix of one scope value (``|`` and ``%`` in values are escaped)."""
        return f"{self.name}|{value.replace('%', '%25').replace('|', '%7C')}|"


@dataclass(frozen=True, slots=True)
class BudgetStatus:
    """Where one budget stands for one scope value (``frugal report``)."""

    budget: str
    scope: str
    value: str
    action: str
    limit_usd: float | None
    spent_usd: float | None
    reset_at: datetime
    limit_calls: int | None = None
    calls: int | None = None

    @property
    def used_share(self) -> float:
        """Spent as a share of the limit (calls of a call budget)."""
        if self.limit_calls is not None:
            return (self.calls or 0) / self.limit_calls
        return (self.spent_usd or 0.0) / (self.limit_usd or 1.0)

    def to_dict(self) -> dict[str, Any]:
        return {
            "budget": self.budget,
            "scope": self.scope,
            "value": self.value,
            "action": self.action,
            "limit_usd": self.limit_usd,
            "spent_usd": self.spent_usd,
            "limit_calls": self.limit_calls,
            "calls": self.calls,
            "used_share": self.used_share,
            "reset_at": self.reset_at.isoformat(timespec="seconds"),
        }


def budget_status(budgets: Sequence[Budget], ledger: Ledger, now: float) -> list[BudgetStatus]:
    """Spend in the current window of every budget and scope value the ledger has counters for; a budget
    nobody has spent against in its current window has one row, for every value (``*``), at $0."""
    found = []
    for budget in budgets:
        window = budget.window
        current = set(window.keys(now))
        spent: dict[str, int] = {}
        for key, nano in ledger.counters(budget.name + "|").items():
            rest = key[len(budget.name) + 1 :]
            value, _, window_key = rest.rpartition("|")
            if window_key in current:
                spent[value] = spent.get(value, 0) + nano
        if not spent:  # a new window (or no calls yet): the budget is shown, at nothing spent
            spent["*"] = 0
        reset = datetime.fromtimestamp(window.reset_at(now), timezone.utc)
        for value, nano in sorted(spent.items()):
            shown = value.replace("%7C", "|").replace("%25", "%")
            if budget.counts_calls:
                status = BudgetStatus(
                    budget.name,
                    budget.scope,
                    shown,
                    budget.action,
                    None,
                    None,
                    reset,
                    budget.limit_calls,
                    nano,
                )
            else:
                status = BudgetStatus(
                    budget.name, budget.scope, shown, budget.action, budget.limit_usd, from_nano(nano), reset
                )
            found.append(status)
    return found
