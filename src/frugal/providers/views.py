"""Vendor-client views of a frugal client, for libraries that take an ``openai.OpenAI`` or
``anthropic.Anthropic`` (and check it with ``isinstance``).

A view is a real SDK client: a copy of the provider's own SDK client whose class is a subclass that
answers ``chat``, ``responses`` and ``embeddings`` (or ``messages``) with the frugal client's SDK-shaped
resources, so every model request made through it is routed, budgeted, recorded and traced. It behaves
like an SDK client where libraries look: ``with_options`` / ``copy`` return a view of a frugal client with
those options (``max_retries`` sets frugal's retries), ``with`` and ``close()`` end the view without
closing the connections it shares with frugal. Everything else (``files``, ``batches``, ``models``, ...)
is the SDK client's own and goes to that vendor directly. (SDK internals used: clients keep their
namespaces as cached properties, and a shallow copy of a client is a working client; tested in
``tests/test_sdk_assumptions.py``.)
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .._client import BaseClient

__all__ = ["anthropic_view", "openai_view"]

_CLASSES: dict[type, type] = {}
_NAMES = {"openai": ("chat", "responses", "embeddings"), "anthropic": ("messages",)}


def _namespace(name: str) -> property:
    return property(lambda self: getattr(self._frugal, name), doc=f"frugal's ``{name}``")


def _with_options(self: Any, **options: Any) -> Any:
    """A view of a frugal client like this one's, with these SDK client options."""
    kind = self._frugal_kind
    return _view(self._frugal._derived(kind=kind, options={"provider": kind, **options}), kind)


def _close(self: Any) -> None:
    """End the view; its connections are the frugal client's, closed by ``frugal_client.close()``."""
    return


async def _aclose(self: Any) -> None:
    """End the view (async); see the sync ``close``."""
    return


def _view_class(base: type, kind: str) -> type:
    cls = _CLASSES.get(base)
    if cls is None:
        namespace: dict[str, Any] = {name: _namespace(name) for name in _NAMES[kind]}
        namespace["copy"] = namespace["with_options"] = _with_options
        namespace["close"] = _aclose if base.__name__.startswith("Async") else _close
        namespace["__module__"] = __name__
        namespace["__doc__"] = f"A {base.__name__} whose {', '.join(_NAMES[kind])} go through frugal."
        cls = _CLASSES[base] = type(f"Frugal{base.__name__}", (base,), namespace)
    return cls


def _view(client: BaseClient, kind: str) -> Any:
    view = copy.copy(client._resource_sdk(kind))
    view.__class__ = _view_class(type(view), kind)
    for name in _NAMES[kind]:
        view.__dict__.pop(name, None)  # namespaces the SDK client had already made
    view._frugal = client
    view._frugal_kind = kind
    return view


def openai_view(client: BaseClient) -> Any:
    """An ``openai.OpenAI`` / ``AsyncOpenAI`` whose chat, responses and embeddings go through ``client``."""
    return _view(client, "openai")


def anthropic_view(client: BaseClient) -> Any:
    """An ``anthropic.Anthropic`` / ``AsyncAnthropic`` whose ``messages`` go through ``client``."""
    return _view(client, "anthropic")
