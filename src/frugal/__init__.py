"""frugal: send every LLM call to the cheapest adequate model, see what it cost, and cap the spend.

``frugal.Client`` / ``frugal.AsyncClient`` are drop-ins for the official ``openai`` and ``anthropic``
SDK clients: same methods, same arguments, same return types, same exceptions. Neither SDK is imported
by ``import frugal``; each is imported the first time a call needs it.

frugal logs under the ``frugal`` logger (budgets, ledger, classifiers), which has a ``NullHandler``: like
any library, it prints nothing unless the application configures logging.
"""

from __future__ import annotations

import logging

from ._client import DEFAULT_MAX_TOKENS, AsyncClient, Client
from ._client import call_id_of as call_id
from ._context import with_context
from ._version import __version__
from .exceptions import (
    BudgetExceeded,
    BudgetWarning,
    ConfigError,
    DataError,
    FrugalError,
    FrugalWarning,
    LedgerUnavailable,
    RoutingError,
    UnknownModelError,
    UnpricedModelWarning,
    UnsupportedFeature,
)
from .request import RoutingRequest

__all__ = [
    "DEFAULT_MAX_TOKENS",
    "AsyncClient",
    "BudgetExceeded",
    "BudgetWarning",
    "Client",
    "ConfigError",
    "DataError",
    "FrugalError",
    "FrugalWarning",
    "LedgerUnavailable",
    "RoutingError",
    "RoutingRequest",
    "UnknownModelError",
    "UnpricedModelWarning",
    "UnsupportedFeature",
    "__version__",
    "call_id",
    "with_context",
]

logging.getLogger(__name__).addHandler(logging.NullHandler())
