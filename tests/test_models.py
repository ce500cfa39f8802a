"""Placing model names on providers."""

from __future__ import annotations

import pytest

from frugal import UnknownModelError
from frugal._models import Placement, place_model

PROVIDERS = {"openai": "openai", "anthropic": "anthropic", "local": "openai"}


@pytest.mark.parametrize(
    ("model", "provider"),
    [
        ("gpt-4o-mini", "openai"),
        ("gpt-5", "openai"),
        ("chatgpt-4o-latest", "openai"),
        ("o1", "openai"),
        ("o3-mini", "openai"),
        ("o4-mini", "openai"),
        ("text-embedding-3-small", "openai"),
        ("claude-haiku-4-5", "anthropic"),
        ("claude-3-5-sonnet-20241022", "anthropic"),
    ],
)
def test_vendor_conventions(model: str, provider: str) -> None:
    """Vendor naming conventions place gpt-*/o*/text-embedding-* on openai and claude-* on anthropic."""
    assert place_model(model, providers=PROVIDERS, models={}) == Placement(provider, model)


def test_explicit_map_and_prefix_win() -> None:
    """The models map and a provider/ prefix take precedence over conventions."""
    assert place_model("gpt-4o", providers=PROVIDERS, models={"gpt-4o": "local"}) == Placement(
        "local", "gpt-4o"
    )
    assert place_model("local/llama-3", providers=PROVIDERS, models={}) == Placement("local", "llama-3")


@pytest.mark.parametrize("model", ["omega-1", "o", "ollama/llama3", "gpt4o", "claude", "meta/llama-3"])
def test_unplaceable_names_raise(model: str) -> None:
    """Names no rule places raise UnknownModelError naming the model."""
    with pytest.raises(UnknownModelError) as info:
        place_model(model, providers=PROVIDERS, models={})
    assert info.value.model == model
    assert repr(model) in str(info.value)


def test_suggestions_include_close_names() -> None:
    """A misspelt name suggests the intended one first."""
    with pytest.raises(UnknownModelError) as info:
        place_model("cluade-haiku-4-5", providers=PROVIDERS, models={})
    assert info.value.suggestions[0] == "claude-haiku-4-5"


def test_convention_needs_the_provider_configured() -> None:
    """A conventional name is not placed when its vendor's provider is not configured."""
    with pytest.raises(UnknownModelError):
        place_model("claude-haiku-4-5", providers={"openai": "openai"}, models={})
