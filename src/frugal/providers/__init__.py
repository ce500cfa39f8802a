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

__all__ = ["KINDS", "ProviderHandle", "handle_from_spec"]

#: Provider kinds frugal can call, by the wire format they speak.
KINDS = ("openai", "anthropic")


class ProviderHandle:
    """One configured provider and its (lazily built) vendor SDK client.

    Attributes:
        name: the provider's name in this client (``"openai"``, ``"anthropic"``, ``"azure"``, ...).
        kind: the wire format it speaks: ``"openai"`` or ``"anthropic"``.
        is_async: whether its SDK client is the async one.
    """

    __slots__ = ("_call_sdk", "_options", "_sdk", "_server", "is_async", "kind", "name", "owned")

    def __init__(
        self, name: str, kind: str, *, is_async: bool, options: Mapping[str, Any], sdk: Any = None
    ) -> None:
        self.name = name
        self.kind = kind
        self.is_async = is_async
        self._options = dict(options)
        self._sdk = sdk
        self._call_sdk: Any = None
        self._server: tuple[str, int | None] | bool | None = False  # False: not read yet
        self.owned = sdk is None  # frugal built it, so frugal closes it

    @property
    def sdk(self) -> Any:
        """The vendor SDK client (``openai.OpenAI``, ``anthropic.AsyncAnthropic``, ...), built on first use.

        Building it reads the SDK's own environment variables (``OPENAI_API_KEY``, ``OPENAI_BASE_URL``,
        ``ANTHROPIC_API_KEY``, ``ANTHROPIC_BASE_URL``) and raises the SDK's own error when a key is missing,
        exactly as constructing the SDK client directly would.
        """
        sdk = self._sdk
        if sdk is None:
            sdk = self._sdk = _build_sdk(self.kind, self._options, self.is_async)
        return sdk

    @property
    def call_sdk(self) -> Any:
        """The SDK client frugal calls through: :attr:`sdk` with the SDK's own retries off.

        frugal retries and falls back itself; SDK retries underneath would multiply the attempts. A
        ready-made client passed in is copied with ``with_options(max_retries=0)`` (same connection pool).
        """
        client = self._call_sdk
        if client is None:
            sdk = self.sdk
            client = self._call_sdk = sdk if self.owned else sdk.with_options(max_retries=0)
        return client

    @property
    def server(self) -> tuple[str, int | None] | None:
        """(host, port) of the provider's base URL, for spans (read once)."""
        server = self._server
        if server is False:
            try:
                url = self.call_sdk.base_url
                server = (str(url.host), url.port)
            except Exception:
                server = None
            self._server = server
        return server  # type: ignore[return-value]

    def has_option(self, name: str) -> bool:
        """Whether the SDK client will be built with a non-empty keyword argument ``name``."""
        return bool(self._options.get(name))

    @property
    def built(self) -> bool:
        """Whether the vendor SDK client exists yet."""
        return self._sdk is not None

    def __repr__(self) -> str:
        return f"ProviderHandle(name={self.name!r}, kind={self.kind!r}, is_async={self.is_async})"


def _build_sdk(kind: str, options: Mapping[str, Any], is_async: bool) -> Any:
    if kind == "openai":
        import openai

        return (openai.AsyncOpenAI if is_async else openai.OpenAI)(**options)
    import anthropic

    return (anthropic.AsyncAnthropic if is_async else anthropic.Anthropic)(**options)


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


def handle_from_spec(
    name: str, spec: object, *, is_async: bool, defaults: Mapping[str, Any]
) -> ProviderHandle:
    """Build a provider handle from what the user passed for it.

    Args:
        name: the provider's name.
        spec: a ready-made vendor client (``openai.OpenAI``, ``openai.AzureOpenAI``, ``anthropic.Anthropic``,
            their async twins), or a mapping of keyword arguments for the SDK client, with an optional
            ``"kind"`` key (required when ``name`` is not ``"openai"`` or ``"anthropic"``).
        is_async: whether the frugal client is async (the vendor client must match).
        defaults: keyword arguments applied to SDK clients that frugal builds (``timeout``). Their
            ``max_retries`` is always 0: frugal retries itself.

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
        return ProviderHandle(name, kind, is_async=is_async, options={}, sdk=spec)
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
    if kind == "anthropic":
        # anthropic 2.x emits its own spans under a global tracer provider; frugal's attempt spans carry the
        # same tokens plus the cost, so the SDK's are off unless asked for (never count tokens twice).
        merged.setdefault("open_telemetry", False)
    return ProviderHandle(name, kind, is_async=is_async, options=merged)
