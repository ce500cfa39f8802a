"""frugal: send every LLM call to the cheapest adequate model, see what it cost, and cap the spend.

``frugal.Client`` / ``frugal.AsyncClient`` are drop-ins for the official ``openai`` and ``anthropic``
SDK clients: same methods, same arguments, same return types, same exceptions. Neither SDK is imported
by ``import frugal``; each is imported the first time a call needs it.
"""

from __future__ import annotations

from ._client import DEFAULT_MAX_TOKENS, AsyncClient, Client
from ._client import call_id_of as call_id
from ._context import with_context
from ._version import __version__
from .exceptions import (
    BudgetExceeded,
    BudgetWarning,
    ConfigError,
    FrugalError,
    FrugalWarning,
    LedgerUnavailable,
    RoutingError,
    UnknownModelError,
    UnpricedModelWarning,
    UnsupportedFeature,
)

__all__ = [
    "DEFAULT_MAX_TOKENS",
    "AsyncClient",
    "BudgetExceeded",
    "BudgetWarning",
    "Client",
    "ConfigError",
    "FrugalError",
    "FrugalWarning",
    "LedgerUnavailable",
    "RoutingError",
    "UnknownModelError",
    "UnpricedModelWarning",
    "UnsupportedFeature",
    "__version__",
    "call_id",
    "with_context",
]
