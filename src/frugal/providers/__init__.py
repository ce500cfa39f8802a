"""Providers: the only place frugal touches the vendor SDKs.

A provider is a configured endpoint of one *kind* (``openai``: the OpenAI API, Azure OpenAI or any
OpenAI-compatible server; ``anthropic``: the Anthropic API). Its vendor SDK client is built on first use,
so ``import frugal`` and ``frugal.Client()`` import neither SDK, and a client used only with Claude models
never needs an OpenAI key.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any

from ..exceptions import ConfigError
from .anthropic import AnthropicProvider
from .base import AnswerSummary, Provider, StreamReader
from .calls import DEFAULT_MAX_TOKENS
from .openai import OpenAIProvider

__all__ = [
    "KINDS",
    "SHAPES",
    "AnswerSummary",
    "AnthropicProvider",
    "OpenAIProvider",
    "Provider",
    "StreamReader",
    "provider_from_spec",
]

#: The provider class of each kind (the wire format it speaks); also the reader of answers of that shape.
SHAPES: dict[str, type[Provider]] = {"openai": OpenAIProvider, "anthropic": AnthropicProvider}
#: Provider kinds frugal can call.
KINDS = tuple(SHAPES)


def provider_from_spec(
    name: str,
    spec: object,
    *,
    is_async: bool,
    defaults: Mapping[str, Any],
    key_variable: str | None = None,
    default_max_tokens: int = DEFAULT_MAX_TOKENS,
) -> Provider:
    """Build a provider from what the user passed for it.

    Args:
        name: the provider's name.
        spec: a ready-made vendor client (``openai.OpenAI``, ``openai.AzureOpenAI``, ``anthropic.Anthropic``,
            their async twins), or a mapping of keyword arguments for the SDK client, with an optional
            ``"kind"`` key (required when ``name`` is not ``"openai"`` or ``"anthropic"``).
        is_async: whether the frugal client is async (the vendor client must match).
        defaults: keyword arguments applied to SDK clients that frugal builds (``timeout``). Their
            ``max_retries`` is always 0: frugal retries itself.
        key_variable: the environment variable of its key named by the policy (``api_key_env``).
        default_max_tokens: ``max_tokens`` sent to Anthropic when an OpenAI-shaped call gives none.

    Raises:
        ConfigError: the spec is not usable, with what was expected.
    """
    found = _kind_of_client(spec)
    if found is not None:
        kind, client_is_async = found
        if client_is_async != is_async:
            want = "an async" if is_async else "a sync"
            raise ConfigError(
                f"provider {name!r}: {'AsyncClient' if is_async else 'Client'} needs {want} vendor client, "
                f"got {type(spec).__name__}"
            )
        return SHAPES[kind](
            name,
            is_async=is_async,
            options={},
            sdk=spec,
            key_variable=key_variable,
            default_max_tokens=default_max_tokens,
        )
    if not isinstance(spec, Mapping):
        raise ConfigError(
            f"provider {name!r}: expected an openai/anthropic client object or a mapping of its keyword "
            f"arguments, got {type(spec).__name__}"
        )
    options = dict(spec)
    kind = options.pop("kind", name if name in KINDS else None)
    if kind not in KINDS:
        raise ConfigError(
            f"provider {name!r}: 'kind' must be one of {', '.join(map(repr, KINDS))}, got {kind!r}"
        )
    merged = {**defaults, **options, "max_retries": 0}  # frugal owns retries (see _retry.py)
    return SHAPES[kind](
        name,
        is_async=is_async,
        options=merged,
        key_variable=key_variable,
        default_max_tokens=default_max_tokens,
    )


def _kind_of_client(obj: object) -> tuple[str, bool] | None:
    """(kind, is_async) of a ready-made vendor client, or None when it is not one.

    Uses only SDK modules that are already imported: an object of an SDK class implies its module is.
    """
    oa = sys.modules.get("openai")
    if oa is not None:
        if isinstance(obj, oa.AsyncOpenAI):
            return "openai", True
        if isinstance(obj, oa.OpenAI):
            return "openai", False
    an = sys.modules.get("anthropic")
    if an is not None:
        if isinstance(obj, an.AsyncAnthropic):
            return "anthropic", True
        if isinstance(obj, an.Anthropic):
            return "anthropic", False
    return None
