"""frugal's own errors and warnings.

Vendor errors are never wrapped: a failing vendor call raises the vendor SDK's own exception
(``openai.RateLimitError`` stays ``openai.RateLimitError``). frugal raises its own errors only for
things that are frugal's business, always before a request is sent::

    FrugalError                      base of everything frugal raises itself
     ├── ConfigError                 bad client or policy configuration (raised when the client is built)
     ├── UnknownModelError           a model name frugal cannot place on a provider (+ closest names)
     ├── UnsupportedFeature          a request that the chosen model's vendor cannot serve faithfully
     ├── RoutingError                no model of the policy can serve a request (each reason listed)
     ├── BudgetExceeded              a budget with action ``block`` would be crossed (scope, limit, spent,
     │                               reset time); raised before any vendor request
     ├── LedgerUnavailable           the ledger store cannot be reached and the policy says fail_closed
     └── DataError                   an evaluation or training data file that cannot be used (file:line)

    FrugalWarning(UserWarning)       base of frugal's warnings
     ├── BudgetWarning               a budget over its limit that only warns, a runaway loop
     └── UnpricedModelWarning        a model without a known price (cost None), or a likely typo
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

__all__ = [
    "BudgetExceeded",
    "BudgetWarning",
    "ConfigError",
    "DataError",
    "FrugalError",
    "FrugalWarning",
    "LedgerUnavailable",
    "RoutingError",
    "UnknownModelError",
    "UnpricedModelWarning",
    "UnsupportedFeature",
]


class FrugalError(Exception):
    """Base class of every error frugal raises itself."""


class ConfigError(FrugalError, ValueError):
    """The client or its policy is configured wrongly.

    Raised when the client is built, never in the middle of a call.
    """


class UnknownModelError(FrugalError, LookupError):
    """A model name that frugal cannot place on any configured provider.

    Attributes:
        model: the name that was asked for.
        suggestions: the closest known model names, best first.
    """

    def __init__(self, model: str, suggestions: Sequence[str] = ()) -> None:
        self.model = model
        self.suggestions = tuple(suggestions)
        hint = f"; did you mean {', '.join(repr(s) for s in self.suggestions)}?" if self.suggestions else ""
        super().__init__(
            f"frugal cannot place model {model!r} on a provider{hint} "
            "(map it with Client(models={name: provider}) or write it as 'provider/model')"
        )


class UnsupportedFeature(FrugalError):
    """A request cannot be served faithfully by the vendor of the chosen model.

    Raised before any request is sent, for example when an OpenAI-shaped call with ``n=2`` would have
    to be served by an Anthropic model. The router uses the same check to skip such candidates.

    Attributes:
        feature: a short name of the feature, e.g. ``"n > 1"`` or ``"logprobs"``.
        target: the provider kind that cannot serve it (``"anthropic"``, ``"openai"``).
    """

    def __init__(self, feature: str, target: str, detail: str = "") -> None:
        self.feature = feature
        self.target = target
        extra = f": {detail}" if detail else ""
        super().__init__(f"{feature} cannot be served by an {target} model{extra}")


class RoutingError(FrugalError):
    """No candidate model of the policy can serve the request; the message lists why each was excluded."""


class BudgetExceeded(FrugalError):
    """A call would cross a budget whose action is ``block``; raised before any vendor request.

    Attributes:
        budget: the budget's name in the policy.
        scope: what the budget is counted by (``"team"``, ``"user"``, ``"global"``, a metadata key).
        value: the scope's value for this call (``"search"``; a hashed id for users when
            ``hash_user_ids`` is on; ``None`` for ``global``).
        limit_usd: the budget's limit for its window (``None`` for a budget that counts calls).
        spent_usd: spend counted in the current window, reservations of calls in flight included
            (``None`` for a budget that counts calls).
        estimated_cost_usd: what this call was expected to cost (``None`` when its price is unknown).
        reset_at: when the window ends (calendar) or its oldest spend starts rolling off (rolling), UTC.
        limit_calls: a call budget's limit (``None`` for a dollar budget).
        calls: calls counted in the current window by a call budget.
    """

    def __init__(
        self,
        *,
        budget: str,
        scope: str,
        value: str | None,
        limit_usd: float | None,
        spent_usd: float | None,
        estimated_cost_usd: float | None,
        reset_at: datetime,
        reason: str = "",
        limit_calls: int | None = None,
        calls: int | None = None,
    ) -> None:
        self.budget = budget
        self.scope = scope
        self.value = value
        self.limit_usd = limit_usd
        self.spent_usd = spent_usd
        self.estimated_cost_usd = estimated_cost_usd
        self.reset_at = reset_at
        self.limit_calls = limit_calls
        self.calls = calls
        who = scope if value is None else f"{scope} {value!r}"
        if limit_calls is not None:
            spent = f"{calls or 0} of {limit_calls} calls made"
            why = reason or "this call would exceed it"
        else:
            spent = f"${spent_usd or 0.0:.6f} of ${limit_usd or 0.0:.6f} spent"
            estimate = "unknown" if estimated_cost_usd is None else f"${estimated_cost_usd:.6f}"
            why = reason or f"this call (estimated {estimate}) would exceed it"
        super().__init__(
            f"budget {budget!r} for {who}: {spent}; {why}; resets at {reset_at.isoformat(timespec='seconds')}"
        )


class LedgerUnavailable(FrugalError):
    """The ledger's store cannot be reached and the policy's ``ledger.on_error`` is ``fail_closed``.

    Raised before any vendor request; the underlying error is chained (``__cause__``).
    """


class FrugalWarning(UserWarning):
    """Base class of frugal's warnings."""


class BudgetWarning(FrugalWarning):
    """A budget or a loop cap says something is wrong, but the call goes on: a ``warn`` budget over its
    limit, a ``downgrade`` budget capping calls, a runaway loop with ``loops.action: warn``."""


class UnpricedModelWarning(FrugalWarning):
    """A model frugal has no price for: its cost is reported as None (never 0). A requested name that fits
    a vendor's naming but is not a known model (a typo such as ``gpt-4o-mni``) says which names are close."""


class DataError(FrugalError, ValueError):
    """An evaluation or training data file that cannot be used (``frugal eval``, ``calibrate``, ``train``).

    The message names the file and line (``data.jsonl:12: ...``) and what was expected; it never quotes a
    prompt.
    """
