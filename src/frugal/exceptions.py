"""frugal's own errors and warnings.

Vendor errors are never wrapped: a failing vendor call raises the vendor SDK's own exception
(``openai.RateLimitError`` stays ``openai.RateLimitError``). frugal raises its own errors only for
things that are frugal's business, always before a request is sent::

    FrugalError                      base of everything frugal raises itself
     ├── ConfigError                 bad client or policy configuration (raised when the client is built)
     ├── UnknownModelError           a model name frugal cannot place on a provider (+ closest names)
     ├── UnsupportedFeature          a request that the chosen model's vendor cannot serve faithfully
     ├── RoutingError                no model of the policy can serve a request (each reason listed)
     └── DataError                   an evaluation or training data file that cannot be used (file:line)

    FrugalWarning(UserWarning)       base of frugal's warnings
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "ConfigError",
    "DataError",
    "FrugalError",
    "FrugalWarning",
    "RoutingError",
    "UnknownModelError",
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


class FrugalWarning(UserWarning):
    """Base class of frugal's warnings."""


class DataError(FrugalError, ValueError):
    """An evaluation or training data file that cannot be used (``frugal eval``, ``calibrate``, ``train``).

    The message names the file and line (``data.jsonl:12: ...``) and what was expected; it never quotes a
    prompt.
    """
