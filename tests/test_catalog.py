"""The catalog: usage normalisation, cost equal to genai-prices' own to the micro-dollar, unknown prices."""

from __future__ import annotations

import warnings
from typing import Any

import genai_prices
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from frugal import UnpricedModelWarning
from frugal.catalog import Catalog, ModelSpec, TokenUsage

MODELS = {
    "gpt-4o-mini": "openai",
    "gpt-4.1": "openai",
    "gpt-5": "openai",
    "gpt-5.4": "openai",
    "o4-mini": "openai",
    "claude-haiku-4-5": "anthropic",
    "claude-sonnet-4-5": "anthropic",
    "claude-opus-4-1": "anthropic",
    "claude-opus-5-5": "anthropic",
}
CATALOG = Catalog.build(MODELS)

OPENAI_CHAT = {
    "prompt_tokens": 12000,
    "completion_tokens": 800,
    "total_tokens": 12800,
    "prompt_tokens_details": {"cached_tokens": 9000, "cache_write_tokens": 1000},
    "completion_tokens_details": {"reasoning_tokens": 300},
}
OPENAI_RESPONSES = {
    "input_tokens": 5000,
    "input_tokens_details": {"cached_tokens": 4000, "cache_write_tokens": 0},
    "output_tokens": 1200,
    "output_tokens_details": {"reasoning_tokens": 1000},
    "total_tokens": 6200,
}
ANTHROPIC = {
    "input_tokens": 1500,
    "output_tokens": 700,
    "cache_read_input_tokens": 20000,
    "cache_creation_input_tokens": 3000,
    "cache_creation": {"ephemeral_5m_input_tokens": 2000, "ephemeral_1h_input_tokens": 1000},
}
ANTHROPIC_LONG = {
    "input_tokens": 230000,
    "output_tokens": 4000,
    "cache_read_input_tokens": 10000,
    "cache_creation_input_tokens": 0,
}


def genai_cost(model: str, usage: TokenUsage) -> float:
    """What genai-prices itself charges for the same tokens (its Usage: input includes cache)."""
    calc = genai_prices.calc_price(
        genai_prices.Usage(
            input_tokens=usage.input_tokens,
            output_tokens=usage.output_tokens,
            cache_read_tokens=usage.cache_read_tokens,
            cache_write_tokens=usage.cache_write_tokens + usage.cache_write_1h_tokens,
            cache_write_5m_tokens=usage.cache_write_tokens,
            cache_write_1h_tokens=usage.cache_write_1h_tokens,
        ),
        model,
        provider_id=MODELS[model],
    )
    return float(calc.total_price)


CASES: list[tuple[str, TokenUsage]] = [
    *((m, TokenUsage.from_openai_chat(OPENAI_CHAT)) for m in ("gpt-4o-mini", "gpt-4.1", "gpt-5", "o4-mini")),
    *((m, TokenUsage.from_openai_responses(OPENAI_RESPONSES)) for m in ("gpt-5", "gpt-5.4")),
    ("gpt-5.4", TokenUsage(input_tokens=300_000, output_tokens=2000, cache_read_tokens=100_000)),
    *(
        (m, TokenUsage.from_anthropic(ANTHROPIC))
        for m in ("claude-haiku-4-5", "claude-sonnet-4-5", "claude-opus-4-1", "claude-opus-5-5")
    ),
    ("claude-sonnet-4-5", TokenUsage.from_anthropic(ANTHROPIC_LONG)),
]


@pytest.mark.parametrize(("model", "usage"), CASES, ids=[f"{m}-{i}" for i, (m, _) in enumerate(CASES)])
def test_cost_equals_genai_prices_to_the_micro_dollar(model: str, usage: TokenUsage) -> None:
    """frugal's cost equals genai-prices' calc_price for both vendors' usage shapes, tiers included."""
    ours = CATALOG.cost(model, usage)
    assert ours is not None
    assert abs(ours - genai_cost(model, usage)) < 1e-6


def test_usage_normalisation_never_double_counts() -> None:
    """OpenAI input includes cache; Anthropic's excludes it: both normalise to the same convention."""
    openai_usage = TokenUsage.from_openai_chat(OPENAI_CHAT)
    assert (openai_usage.input_tokens, openai_usage.cache_read_tokens, openai_usage.cache_write_tokens) == (
        12000,
        9000,
        1000,
    )
    assert openai_usage.reasoning_tokens == 300
    anthropic_usage = TokenUsage.from_anthropic(ANTHROPIC)
    assert anthropic_usage.input_tokens == 1500 + 20000 + 3000
    assert (anthropic_usage.cache_write_tokens, anthropic_usage.cache_write_1h_tokens) == (2000, 1000)


def test_anthropic_and_equivalent_openai_usage_normalise_equal() -> None:
    """The same tokens reported in either vendor's semantics give equal TokenUsage."""
    anthropic_style = {
        "input_tokens": 50,
        "output_tokens": 20,
        "cache_read_input_tokens": 40,
        "cache_creation_input_tokens": 10,
    }
    openai_style = {
        "prompt_tokens": 100,
        "completion_tokens": 20,
        "prompt_tokens_details": {"cached_tokens": 40, "cache_write_tokens": 10},
    }
    assert TokenUsage.from_anthropic(anthropic_style) == TokenUsage.from_openai_chat(openai_style)


def test_sdk_objects_are_accepted() -> None:
    """Usage objects of the SDKs themselves normalise like their dicts."""
    from anthropic.types import Usage as AnthropicUsage
    from openai.types import CompletionUsage

    assert TokenUsage.from_openai_chat(
        CompletionUsage.model_validate(OPENAI_CHAT)
    ) == TokenUsage.from_openai_chat(OPENAI_CHAT)
    assert TokenUsage.from_anthropic(AnthropicUsage.model_validate(ANTHROPIC)) == TokenUsage.from_anthropic(
        ANTHROPIC
    )


def test_unknown_price_is_none_with_one_warning() -> None:
    """An unpriced model costs None (never 0), and warns once however often it is priced."""
    catalog = Catalog.build(["my-private-model"])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert catalog.cost("my-private-model", TokenUsage(10, 10)) is None
        assert catalog.estimate("my-private-model", 10, 10) is None
        assert catalog.cost("my-private-model", TokenUsage(10, 10)) is None
    assert [w.category for w in caught] == [UnpricedModelWarning]


def test_overrides_and_custom_models() -> None:
    """Policy overrides replace prices and capabilities; custom models get their own provider."""
    catalog = Catalog.build(
        ["gpt-4o-mini"],
        overrides={
            "gpt-4o-mini": ModelSpec.model_validate(
                {"prices": {"input": 1.0}, "capabilities": {"vision": False}}
            ),
            "llama-3.3-70b": ModelSpec.model_validate(
                {"provider": "local", "context_window": 128000, "prices": {"input": 0.6, "output": 0.6}}
            ),
        },
    )
    mini = catalog.get("gpt-4o-mini")
    assert mini is not None
    assert mini.price_source == "override"
    assert mini.capabilities.vision is False
    assert catalog.cost("gpt-4o-mini", TokenUsage(1_000_000, 1_000_000)) == pytest.approx(1.0 + 0.6)
    llama = catalog.get("llama-3.3-70b")
    assert llama is not None
    assert (llama.provider, llama.context_window) == ("local", 128000)
    assert catalog.cost(llama, TokenUsage(2_000_000, 1_000_000)) == pytest.approx(1.8)


def test_cost_never_calls_genai_prices(monkeypatch: pytest.MonkeyPatch) -> None:
    """Prices are resolved when the catalog is built; cost() and estimate() are plain arithmetic."""
    catalog = Catalog.build(["claude-haiku-4-5"])

    def forbidden(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("genai-prices called on the call path")

    monkeypatch.setattr(genai_prices.data_snapshot, "get_snapshot", forbidden)
    monkeypatch.setattr(genai_prices, "calc_price", forbidden)
    assert catalog.cost("claude-haiku-4-5", TokenUsage(1000, 100)) is not None
    assert catalog.estimate("claude-haiku-4-5", 1000, 100) is not None


counts = st.integers(0, 2_000_000)


@settings(max_examples=100, deadline=None)
@given(
    model=st.sampled_from(sorted(MODELS)),
    base=counts,
    extra=st.integers(1, 100_000),
    kind=st.sampled_from(["input_tokens", "output_tokens"]),
)
def test_cost_is_monotonic_in_tokens(model: str, base: int, extra: int, kind: str) -> None:
    """More tokens never cost less."""
    smaller = TokenUsage(**{kind: base})
    larger = TokenUsage(**{kind: base + extra})
    low, high = CATALOG.cost(model, smaller), CATALOG.cost(model, larger)
    assert low is not None
    assert high is not None
    assert high >= low


def test_prices_are_cached_for_the_day_without_changing_one(tmp_path: Any, monkeypatch: Any) -> None:
    """What genai-prices says of a model is written to the day's cache file; a later catalog reads it from
    there (genai-prices not consulted) and prices exactly the same; a broken cache file is ignored."""
    import frugal._price_cache as price_cache
    import frugal.catalog as catalog_module

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setattr(price_cache.PriceCache, "_loaded", {})
    first = Catalog.build(["gpt-4o-mini", "claude-haiku-4-5", "house-model"])
    [path] = (tmp_path / "frugal").glob("prices-*.json")
    assert "openai/gpt-4o-mini" in path.read_text()
    monkeypatch.setattr(price_cache.PriceCache, "_loaded", {})

    def not_consulted(name: str, provider: str | None) -> Any:
        raise AssertionError(f"genai-prices consulted for {name}")

    monkeypatch.setattr(catalog_module, "_genai_model", not_consulted)
    second = Catalog.build(["gpt-4o-mini", "claude-haiku-4-5", "house-model"])
    for name in ("gpt-4o-mini", "claude-haiku-4-5", "house-model"):
        assert second.get(name) == first.get(name)
    path.write_text("{not json", encoding="utf-8")
    monkeypatch.setattr(price_cache.PriceCache, "_loaded", {})
    monkeypatch.undo()
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert Catalog.build(["gpt-4o-mini"]).get("gpt-4o-mini") == first.get("gpt-4o-mini")
