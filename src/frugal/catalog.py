"""The model catalog: provider, capabilities, context window and prices of every model a policy names.

Prices come from genai-prices' bundled snapshot (offline), resolved **once per model** when a policy is
compiled: genai-prices' own ``ModelPrice.calc_price`` is evaluated on unit usages to derive the effective
USD-per-token rate of each kind of token (uncached input, cache read, 5-minute and 1-hour cache write,
output), per long-context price bracket. Costs are linear in tokens within a bracket, so the call path is
a handful of float multiplications that agree with genai-prices to the micro-dollar, including its
rules for missing prices (a cache write without its own price is charged at the input price, ...).

Policy ``models:`` entries override prices and capabilities or declare custom models. A model without a
known price costs ``None`` (never 0), with one :class:`~frugal.exceptions.FrugalWarning` per model.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import astuple, dataclass, replace
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ._util import warn_at_caller
from .exceptions import UnpricedModelWarning
from .usage import TokenUsage

__all__ = [
    "Capabilities",
    "CapabilitiesSpec",
    "Catalog",
    "ModelInfo",
    "ModelSpec",
    "PricesSpec",
    "Rates",
    "TokenUsage",
    "cache_savings",
    "known_model_names",
    "price",
    "resolve_model",
]

_M = 1_000_000


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What a model can take and do."""

    tools: bool = True
    vision: bool = False
    structured_output: bool = False
    reasoning: bool = False


@dataclass(frozen=True, slots=True)
class Rates:
    """Effective USD per token of each kind, for calls whose total input is above ``above`` tokens."""

    above: int
    input: float
    cache_read: float
    cache_write_5m: float
    cache_write_1h: float
    output: float


@dataclass(frozen=True, slots=True)
class ModelInfo:
    """Everything frugal knows about a model.

    Attributes:
        name: the model name.
        provider: the provider kind by naming convention, or the provider an override names (None: unknown).
        capabilities: tools, vision, structured output, reasoning.
        context_window: maximum input + output tokens (None: unknown).
        max_output_tokens: maximum output tokens (None: unknown).
        rates: effective per-token rates by input-size bracket, ascending (empty: price unknown).
        price_source: ``"genai-prices"``, ``"override"`` or ``"unknown"``.
        flex_rates: the rates of OpenAI's ``service_tier="flex"`` (batch prices on the synchronous API),
            when genai-prices lists them (empty: no flex tier known for the model).
    """

    name: str
    provider: str | None
    capabilities: Capabilities
    context_window: int | None
    max_output_tokens: int | None
    rates: tuple[Rates, ...]
    price_source: str
    flex_rates: tuple[Rates, ...] = ()

    def at_tier(self, service_tier: str | None) -> ModelInfo:
        """The model as priced on a vendor service tier (``"flex"``: its flex rates, when known)."""
        if service_tier == "flex" and self.flex_rates:
            return replace(self, rates=self.flex_rates)
        return self

    @property
    def priced(self) -> bool:
        """Whether the model has a known price."""
        return bool(self.rates)

    def rates_for(self, input_tokens: int) -> Rates:
        """The bracket that applies to a call with ``input_tokens`` in total."""
        chosen = self.rates[0]
        for bracket in self.rates[1:]:
            if input_tokens > bracket.above:
                chosen = bracket
        return chosen


class _Spec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CapabilitiesSpec(_Spec):
    """Capabilities to set (unset ones keep the known value)."""

    tools: bool | None = None
    vision: bool | None = None
    structured_output: bool | None = None
    reasoning: bool | None = None


class PricesSpec(_Spec):
    """Prices to set, in USD per million tokens (unset ones keep genai-prices' value)."""

    input: float | None = Field(default=None, ge=0)
    output: float | None = Field(default=None, ge=0)
    cache_read: float | None = Field(default=None, ge=0)
    cache_write_5m: float | None = Field(default=None, ge=0)
    cache_write_1h: float | None = Field(default=None, ge=0)


class ModelSpec(_Spec):
    """A model override or custom model in a policy's ``models:`` section."""

    provider: str | None = Field(
        default=None, description="Provider name that serves it (required for custom models)."
    )
    capabilities: CapabilitiesSpec | None = None
    context_window: int | None = Field(default=None, gt=0)
    max_output_tokens: int | None = Field(default=None, gt=0)
    prices: PricesSpec | None = None


# -- built-in capability table ---------------------------------------------------------------------

# (name pattern, capabilities, context window, max output tokens). From the vendors' model pages as of
# November 2026; genai-prices' context window wins where it has one. First match wins.
_T, _F = True, False
_KNOWN: tuple[tuple[re.Pattern[str], Capabilities, int | None, int | None], ...] = tuple(
    (re.compile(pattern), Capabilities(*caps), window, output)
    for pattern, caps, window, output in (
        (r"^text-embedding-", (_F, _F, _F, _F), 8191, None),
        (r"^gpt-(5|6)", (_T, _T, _T, _T), 400_000, 128_000),
        (r"^gpt-4\.1", (_T, _T, _T, _F), 1_047_576, 32_768),
        (r"^(gpt-4o|chatgpt-4o)", (_T, _T, _T, _F), 128_000, 16_384),
        (r"^o\d", (_T, _T, _T, _T), 200_000, 100_000),
        (r"^gpt-4", (_T, _F, _F, _F), 128_000, 4_096),
        (r"^gpt-3\.5", (_T, _F, _F, _F), 16_385, 4_096),
        (r"^claude-(opus|sonnet|haiku|fable|mythos)-[4-9]", (_T, _T, _T, _T), 200_000, 64_000),
        (r"^claude-3-7", (_T, _T, _F, _T), 200_000, 64_000),
        (r"^claude-3", (_T, _T, _F, _F), 200_000, 8_192),
        (r"^claude-", (_T, _F, _F, _F), 100_000, 4_096),
    )
)
_CONVENTION = (
    (re.compile(r"^(gpt-|chatgpt-|o\d|text-embedding-|codex-)"), "openai"),
    (re.compile(r"^claude-"), "anthropic"),
)


def _known(name: str) -> tuple[Capabilities, int | None, int | None]:
    for pattern, caps, window, output in _KNOWN:
        if pattern.match(name):
            return caps, window, output
    return Capabilities(), None, None


def _provider_of(name: str) -> str | None:
    for pattern, provider in _CONVENTION:
        if pattern.match(name):
            return provider
    return None


# -- genai-prices ------------------------------------------------------------------------------------


def _genai_model(name: str, provider: str | None) -> Any:
    """genai-prices' ModelInfo for ``name`` (under ``provider`` when known), or None."""
    from genai_prices import data_snapshot

    snapshot = data_snapshot.get_snapshot()
    for candidate in snapshot.providers:
        if provider is not None and candidate.id != provider:
            continue
        found = candidate.find_model(name)
        if found is not None:
            return found
    return None


def _flex_rates_from_genai(model: Any) -> tuple[Rates, ...]:
    """The rates of ``service_tier="flex"``, when genai-prices lists a variant for it (else none)."""
    variants = getattr(model, "price_variants", None) or ()
    if not any((getattr(v, "when", None) or {}).get("service_tier") == "flex" for v in variants):
        return ()
    try:
        return _rates_from_genai(model, {"service_tier": "flex"})
    except TypeError:  # a genai-prices without price contexts
        return ()


def _rates_from_genai(model: Any, context: Mapping[str, str] | None = None) -> tuple[Rates, ...]:
    """Effective per-token rates, per bracket, from genai-prices' own arithmetic (``context``: a price
    variant such as ``{"service_tier": "flex"}``)."""
    from genai_prices.types import TieredPrices, Usage

    now = datetime.now(timezone.utc)
    price = model.get_prices(now) if context is None else model.get_prices(now, context)
    starts = sorted(
        {
            tier.start
            for value in vars(price).values()
            if isinstance(value, TieredPrices)
            for tier in value.tiers
        }
    )
    if price.input_mtok is None and price.output_mtok is None:
        return ()
    brackets = []
    bounds = (0, *starts)
    for index, above in enumerate(bounds):
        # A call whose total input sits inside this bracket: tiers apply when input > start.
        n = bounds[index + 1] if index + 1 < len(bounds) else max(above + 1, _M)

        def rate(n: int = n, **counts: int) -> float:
            total = price.calc_price(Usage(input_tokens=n, **counts))["total_price"]
            return float(Decimal(total) / n)

        base = price.calc_price(Usage(input_tokens=n))["total_price"]
        output = float((price.calc_price(Usage(input_tokens=n, output_tokens=n))["total_price"] - base) / n)
        brackets.append(
            Rates(
                above=above,
                input=float(Decimal(base) / n),
                cache_read=rate(cache_read_tokens=n),
                cache_write_5m=rate(cache_write_tokens=n, cache_write_5m_tokens=n),
                cache_write_1h=rate(cache_write_tokens=n, cache_write_1h_tokens=n),
                output=output,
            )
        )
    return tuple(brackets)


def _apply_prices(rates: tuple[Rates, ...], spec: PricesSpec) -> tuple[Rates, ...]:
    """Overrides (USD per MTok) replace a kind's rate in every bracket; unset kinds keep theirs."""
    given = {k: v / _M for k, v in spec.model_dump().items() if v is not None}
    if not rates:
        if "input" not in given or "output" not in given:
            return ()
        rate_in = given["input"]
        rates = (Rates(0, rate_in, rate_in, rate_in, rate_in, given["output"]),)
    updated = []
    for bracket in rates:
        changes = dict(given)
        if (
            "cache_write_5m" in given
            and "cache_write_1h" not in given
            and bracket.cache_write_1h == bracket.cache_write_5m
        ):
            changes["cache_write_1h"] = given["cache_write_5m"]
        updated.append(replace(bracket, **changes))
    return tuple(updated)


# -- the catalog -----------------------------------------------------------------------------------


class Catalog:
    """Models resolved once; :meth:`cost` and :meth:`estimate` are plain arithmetic on the call path."""

    __slots__ = ("_models",)

    def __init__(self, models: Mapping[str, ModelInfo]) -> None:
        self._models = dict(models)

    @classmethod
    def build(cls, models: Iterable[str], *, overrides: Mapping[str, ModelSpec] | None = None) -> Catalog:
        """Resolve every model once: genai-prices (through the day's price cache, see
        :mod:`frugal._price_cache`), the capability table, then the overrides."""
        overrides = overrides or {}
        names = list(dict.fromkeys([*models, *overrides]))
        known = _genai_facts(names)
        return cls({name: resolve_model(name, overrides.get(name), known.get(name)) for name in names})

    def get(self, name: str) -> ModelInfo | None:
        """The model's info, or None when it was not resolved."""
        return self._models.get(name)

    def __contains__(self, name: object) -> bool:
        return name in self._models

    def __iter__(self) -> Iterator[str]:
        return iter(self._models)

    @property
    def names(self) -> list[str]:
        """The resolved model names."""
        return list(self._models)

    def cost(self, model: str | ModelInfo, usage: TokenUsage) -> float | None:
        """USD for ``usage`` on ``model``; None (and one warning per model) when its price is unknown."""
        info = self._models.get(model) if isinstance(model, str) else model
        if info is None or not info.rates:
            self._warn_unpriced(model if isinstance(model, str) else model.name)
            return None
        return price(info, usage)

    def estimate(
        self, model: str | ModelInfo, input_tokens: int, output_tokens: int, cached_tokens: int = 0
    ) -> float | None:
        """Pre-call estimate, with ``cached_tokens`` of the input read from the prompt cache (none by
        default). None when the price is unknown (warned once)."""
        info = self._models.get(model) if isinstance(model, str) else model
        if info is None or not info.rates:
            self._warn_unpriced(model if isinstance(model, str) else model.name)
            return None
        rates = info.rates[0] if len(info.rates) == 1 else info.rates_for(input_tokens)
        cached = min(cached_tokens, input_tokens)
        return (
            (input_tokens - cached) * rates.input + cached * rates.cache_read + output_tokens * rates.output
        )

    def _warn_unpriced(self, name: str) -> None:
        warn_at_caller(
            f"unpriced:{name}",
            f"no price known for model {name!r}: its cost is reported as None, not 0 "
            "(add prices under 'models:' in the policy)",
            UnpricedModelWarning,
        )


def price(info: ModelInfo, usage: TokenUsage) -> float | None:
    """USD for ``usage`` on a resolved model (None when its price is unknown); no warning, no lookup."""
    brackets = info.rates
    if not brackets:
        return None
    rates = brackets[0] if len(brackets) == 1 else info.rates_for(usage.input_tokens)
    written = usage.cache_write_tokens + usage.cache_write_1h_tokens
    uncached = usage.input_tokens - usage.cache_read_tokens - written
    return (
        uncached * rates.input
        + usage.cache_read_tokens * rates.cache_read
        + usage.cache_write_tokens * rates.cache_write_5m
        + usage.cache_write_1h_tokens * rates.cache_write_1h
        + usage.output_tokens * rates.output
    )


def cache_savings(info: ModelInfo, usage: TokenUsage) -> float | None:
    """USD prompt caching saved on ``usage``: cache reads at the input rate less what they cost, minus the
    premium cache writes paid over the input rate (negative when writes were never read back). None when
    the price is unknown."""
    brackets = info.rates
    if not brackets:
        return None
    rates = brackets[0] if len(brackets) == 1 else info.rates_for(usage.input_tokens)
    return (
        usage.cache_read_tokens * (rates.input - rates.cache_read)
        - usage.cache_write_tokens * (rates.cache_write_5m - rates.input)
        - usage.cache_write_1h_tokens * (rates.cache_write_1h - rates.input)
    )


def known_model_names(provider: str | None = None) -> list[str]:
    """Model names genai-prices knows (for one provider kind, or all): did-you-mean candidates."""
    from genai_prices import data_snapshot

    return [
        model.id
        for candidate in data_snapshot.get_snapshot().providers
        if provider is None or candidate.id == provider
        for model in candidate.models
    ]


_Facts = tuple[tuple[Rates, ...], int | None, tuple[Rates, ...]]


def _genai_facts(names: Iterable[str]) -> dict[str, _Facts | None]:
    """What genai-prices says of each model (its rates, context window and flex rates; None: nothing), from
    the day's cache when it has them, else from genai-prices (written back to the cache)."""
    from ._price_cache import PriceCache

    cache = PriceCache()
    entries = cache.entries()
    facts: dict[str, _Facts | None] = {}
    new: dict[str, Any] = {}
    for name in names:
        provider = _provider_of(name)
        if provider is None:
            # Only the vendor's own price list: a name on some other host (a local server, a reseller) is
            # not priced by guessing which of genai-prices' providers it is.
            facts[name] = None
            continue
        key = f"{provider}/{name}"
        if key not in entries:
            genai = _genai_model(name, provider)
            new[key] = None
            if genai is not None:
                new[key] = {
                    "rates": [list(astuple(r)) for r in _rates_from_genai(genai)],
                    "flex": [list(astuple(r)) for r in _flex_rates_from_genai(genai)],
                    "window": genai.context_window,
                }
        entry = new[key] if key in new else entries[key]
        if entry is None:
            facts[name] = None
            continue
        rates = tuple(Rates(*r) for r in entry["rates"])
        flex = tuple(Rates(*r) for r in entry.get("flex", ()))
        facts[name] = (rates, entry["window"], flex)
    if new:
        cache.add(new)
    return facts


def resolve_model(
    name: str,
    spec: ModelSpec | None = None,
    facts: _Facts | object | None = ...,
) -> ModelInfo:
    """One model's info from genai-prices, the capability table and an optional override.

    Args:
        name: the model name.
        spec: the policy's override or declaration of it.
        facts: what genai-prices says of it, when already looked up (by :meth:`Catalog.build`).
    """
    provider = _provider_of(name)
    caps, window, output = _known(name)
    if facts is ...:
        facts = _genai_facts([name])[name]
    rates: tuple[Rates, ...] = ()
    flex: tuple[Rates, ...] = ()
    source = "unknown"
    if isinstance(facts, tuple):
        rates, genai_window, flex = facts
        source = "genai-prices" if rates else "unknown"
        window = genai_window or window
    if spec is not None:
        provider = spec.provider or provider
        if spec.capabilities is not None:
            caps = replace(caps, **{k: v for k, v in spec.capabilities.model_dump().items() if v is not None})
        window = spec.context_window or window
        output = spec.max_output_tokens or output
        if spec.prices is not None:
            rates = _apply_prices(rates, spec.prices)
            source = "override" if rates else "unknown"
    return ModelInfo(name, provider, caps, window, output, rates, source, flex)
