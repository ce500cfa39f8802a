"""The operations a frugal client offers, and how each is carried out on a provider.

An operation has a *shape* (the vendor whose SDK method the caller used) and a native method on that
vendor's SDK. When the provider serving the call is of the same kind, the call goes straight to that
method with the caller's own arguments (the fast path, a few attribute loads). Otherwise the call is
translated (:mod:`frugal.providers.cross`), which is imported only the first time it is needed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ..exceptions import UnsupportedFeature

__all__ = [
    "CHAT",
    "COUNT_TOKENS",
    "DEFAULT_MAX_TOKENS",
    "EMBEDDINGS",
    "MESSAGES",
    "MESSAGES_STREAM",
    "RESPONSES",
    "Operation",
    "check",
    "clean",
]

_SENTINELS = frozenset({"NotGiven", "Omit"})


DEFAULT_MAX_TOKENS: int = 4096
"""``max_tokens`` sent to Anthropic when the OpenAI-shaped call gave none.

Anthropic requires ``max_tokens``; OpenAI's default is "up to the model's limit". 4096 is within every
Claude model's output limit (so no model rejects it), keeps a non-streamed call well inside the Anthropic
SDK's ten-minute non-streaming guard, and bounds what a runaway answer can cost. An answer cut by it ends
with ``finish_reason="length"``, exactly what an OpenAI caller expects from a token limit.
"""


@dataclass(frozen=True, slots=True)
class Operation:
    """One method of the drop-in surface.

    Attributes:
        name: a short name (``"chat"``, ``"messages"``, ...), also the GenAI operation family.
        shape: the provider kind whose SDK the caller is speaking (``"openai"`` or ``"anthropic"``).
        native: given a vendor SDK client of that kind, the bound SDK method to call.
        routed: whether the policy chooses the model (False: the model named is the model called).
    """

    name: str
    shape: str
    native: Callable[[Any], Callable[..., Any]]
    routed: bool = True


CHAT = Operation("chat", "openai", lambda sdk: sdk.chat.completions.create)
RESPONSES = Operation("responses", "openai", lambda sdk: sdk.responses.create)
EMBEDDINGS = Operation("embeddings", "openai", lambda sdk: sdk.embeddings.create, routed=False)
MESSAGES = Operation("messages", "anthropic", lambda sdk: sdk.messages.create)
MESSAGES_STREAM = Operation("messages.stream", "anthropic", lambda sdk: sdk.messages.stream, routed=False)
COUNT_TOKENS = Operation("count_tokens", "anthropic", lambda sdk: sdk.messages.count_tokens, routed=False)


def clean(params: Mapping[str, Any]) -> dict[str, Any]:
    """The caller's arguments without the SDKs' 'not given' sentinels, iterables made lists.

    ``messages`` and ``tools`` may be generators: checking and translating must not consume them twice.
    """
    cleaned = {k: v for k, v in params.items() if type(v).__name__ not in _SENTINELS}
    for key in ("messages", "tools"):
        value = cleaned.get(key)
        if value is not None and not isinstance(value, (list, tuple, str, Mapping)):
            cleaned[key] = list(value)
    return cleaned


def check(op: Operation, kind: str, params: Mapping[str, Any]) -> None:
    """Raise :class:`UnsupportedFeature` when ``op`` with ``params`` cannot be served by ``kind``.

    Cheap and side-effect free: the router uses it to skip candidates.
    """
    if op.shape == kind:
        return
    from . import translate  # pure Python, no SDK; imported on the first cross-vendor question

    if op is CHAT:
        translate.check_chat_for_anthropic(clean(params))
    elif op is MESSAGES:
        translate.check_messages_for_openai(clean(params))
    elif op is RESPONSES:
        raise UnsupportedFeature("the Responses API", kind, "use chat.completions for cross-vendor calls")
    elif op is EMBEDDINGS:
        raise UnsupportedFeature("embeddings", kind)
    elif op is COUNT_TOKENS:
        raise UnsupportedFeature("messages.count_tokens", kind)
    else:  # pragma: no cover - every operation is listed above
        raise UnsupportedFeature(op.name, kind)
