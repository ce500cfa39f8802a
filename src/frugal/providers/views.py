"""Vendor-client views of a frugal client, for libraries that check ``isinstance(x, openai.OpenAI)``.

A view is a real ``openai.OpenAI`` (or ``anthropic.Anthropic``, or the async twins): a copy of the
provider's own SDK client whose class is a subclass that answers ``chat``, ``responses`` and
``embeddings`` (or ``messages``) with frugal's namespaces. Everything else (``files``, ``batches``,
``models``, ``with_options``, ...) is the SDK client's own and goes to that vendor directly.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .._client import BaseClient

__all__ = ["anthropic_view", "openai_view"]

_PLACEHOLDER_KEY = "frugal-view-without-key"  # only used for methods that bypass frugal; they then 401
_CLASSES: dict[type, type] = {}


def _view_class(base: type, names: tuple[str, ...]) -> type:
    cls = _CLASSES.get(base)
    if cls is None:

        def attr(name: str) -> property:
            return property(lambda self: getattr(self._frugal, name), doc=f"frugal's ``{name}`` namespace")

        namespace: dict[str, Any] = {name: attr(name) for name in names}
        namespace["__module__"] = __name__
        namespace["__doc__"] = f"A {base.__name__} whose {', '.join(names)} calls go through frugal."
        cls = _CLASSES[base] = type(f"Frugal{base.__name__}", (base,), namespace)
    return cls


def _view(client: BaseClient, provider: str, names: tuple[str, ...], fallback: Any) -> Any:
    try:
        base = client._vendor_client(provider)
    except Exception:
        # No credentials for that vendor: frugal may still serve every call with the other one.
        base = fallback(api_key=_PLACEHOLDER_KEY)
    view = copy.copy(base)
    view.__class__ = _view_class(type(base), names)
    for name in names:
        view.__dict__.pop(name, None)
    view._frugal = client
    return view


def openai_view(client: BaseClient) -> Any:
    """An ``openai.OpenAI`` / ``AsyncOpenAI`` whose chat, responses and embeddings go through ``client``."""
    import openai

    fallback = openai.AsyncOpenAI if client._is_async else openai.OpenAI
    return _view(client, "openai", ("chat", "responses", "embeddings"), fallback)


def anthropic_view(client: BaseClient) -> Any:
    """An ``anthropic.Anthropic`` / ``AsyncAnthropic`` whose ``messages`` go through ``client``."""
    import anthropic

    fallback = anthropic.AsyncAnthropic if client._is_async else anthropic.Anthropic
    return _view(client, "anthropic", ("messages",), fallback)
