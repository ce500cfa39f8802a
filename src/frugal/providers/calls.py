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
    "CHAT_PARSE",
    "COUNT_TOKENS",
    "DEFAULT_MAX_TOKENS",
    "EMBEDDINGS",
    "MESSAGES",
    "MESSAGES_PARSE",
    "RAW_RESPONSE_HEADER",
    "RESPONSES",
    "RESPONSES_PARSE",
    "Operation",
    "check",
    "clean",
    "response_wrapper",
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
        name: a short name (``"chat"``, ``"messages"``, ...), also the GenAI operation family and the shape
            of the request view.
        shape: the provider kind whose SDK the caller is speaking (``"openai"`` or ``"anthropic"``).
        native: given a vendor SDK client of that kind, the bound SDK method to call.
        routed: whether the policy chooses the model (False: the model named is the model called).
        same_vendor: only the caller's vendor can serve it (an SDK helper whose result frugal does not
            build from the other vendor's answer: ``responses.parse``, ``messages.parse``): routed among
            that vendor's models only.
    """

    name: str
    shape: str
    native: Callable[[Any], Callable[..., Any]]
    routed: bool = True
    same_vendor: bool = False


CHAT = Operation("chat", "openai", lambda sdk: sdk.chat.completions.create)
CHAT_PARSE = Operation("chat", "openai", lambda sdk: sdk.chat.completions.parse)
RESPONSES = Operation("responses", "openai", lambda sdk: sdk.responses.create)
RESPONSES_PARSE = Operation("responses", "openai", lambda sdk: sdk.responses.parse, same_vendor=True)
EMBEDDINGS = Operation("embeddings", "openai", lambda sdk: sdk.embeddings.create, routed=False)
MESSAGES = Operation("messages", "anthropic", lambda sdk: sdk.messages.create)
MESSAGES_PARSE = Operation("messages", "anthropic", lambda sdk: sdk.messages.parse, same_vendor=True)
COUNT_TOKENS = Operation("count_tokens", "anthropic", lambda sdk: sdk.messages.count_tokens, routed=False)

#: The header the SDKs' ``with_raw_response`` / ``with_streaming_response`` wrappers add to a call.
RAW_RESPONSE_HEADER = "X-Stainless-Raw-Response"


def response_wrapper(params: Mapping[str, Any]) -> str | None:
    """``"raw"`` when the call came through an SDK's ``with_raw_response`` (its result is a raw response
    whose ``parse()`` is the answer), ``"stream"`` through ``with_streaming_response`` (the same, with the
    body read lazily), None for a plain call."""
    headers = params.get("extra_headers")
    if not isinstance(headers, Mapping):
        return None
    value = headers.get(RAW_RESPONSE_HEADER)
    if value is None or type(value).__name__ in _SENTINELS:
        return None
    return "stream" if value == "stream" else "raw"


def clean(params: Mapping[str, Any]) -> dict[str, Any]:
    """The caller's arguments without the SDKs' 'not given' sentinels, iterables made lists.

    ``messages``, ``input`` and ``tools`` may be generators: checking and translating must not consume them
    twice.
    """
    cleaned = {k: v for k, v in params.items() if type(v).__name__ not in _SENTINELS}
    for key in ("messages", "input", "tools"):
        value = cleaned.get(key)
        if value is not None and not isinstance(value, (list, tuple, str, Mapping)):
            cleaned[key] = list(value)
    return cleaned


# Arguments that always translate: a call using only these, with plain-text messages, needs no trial
# translation to know it can cross vendors (the common case, checked in a few µs).
_PLAIN_CHAT = frozenset(
    {
        "model",
        "messages",
        "max_tokens",
        "max_completion_tokens",
        "stream",
        "temperature",
        "top_p",
        "user",
        "metadata",
        "extra_headers",
        "extra_query",
        "timeout",
        "stream_options",
    }
)
_PLAIN_MESSAGES = frozenset(
    {
        "model",
        "messages",
        "max_tokens",
        "system",
        "stream",
        "metadata",
        "extra_headers",
        "extra_query",
        "timeout",
    }
)
_PLAIN_RESPONSES = frozenset(
    {
        "model",
        "input",
        "instructions",
        "max_output_tokens",
        "stream",
        "temperature",
        "top_p",
        "user",
        "metadata",
        "store",
        "extra_headers",
        "extra_query",
        "timeout",
    }
)
_PLAIN_ROLES = frozenset({"system", "developer", "user", "assistant"})


def _plainly_translatable(op: Operation, params: Mapping[str, Any]) -> bool:
    if op is CHAT:
        allowed = _PLAIN_CHAT
    elif op is MESSAGES:
        allowed = _PLAIN_MESSAGES
    elif op is RESPONSES:
        allowed = _PLAIN_RESPONSES
    else:
        return False
    if not allowed.issuperset(params):
        return False
    temperature = params.get("temperature")
    if temperature is not None and not (isinstance(temperature, (int, float)) and 0 <= temperature <= 1):
        return False
    if not isinstance(params.get("system", ""), str) or not isinstance(params.get("instructions", ""), str):
        return False
    messages = params.get("input" if op is RESPONSES else "messages")
    if op is RESPONSES and isinstance(messages, str):
        return True
    if not isinstance(messages, (list, tuple)):
        return False
    for message in messages:
        if not (
            isinstance(message, dict)
            and type(message.get("content")) is str
            and message.get("role") in _PLAIN_ROLES
            and len(message) == 2
        ):
            return False
    return True


def check(op: Operation, kind: str, params: Mapping[str, Any]) -> None:
    """Raise :class:`UnsupportedFeature` when ``op`` with ``params`` cannot be served by ``kind``.

    Cheap and side-effect free: the router uses it to skip candidates. Plain calls are recognised in a
    few µs; anything else is settled by a trial translation (the same code that would translate it).
    """
    if op.shape == kind:
        return
    if op.same_vendor:
        raise UnsupportedFeature(
            f"{op.shape}'s own {op.name} helper", kind, "served by the caller's vendor only"
        )
    wrapper = response_wrapper(params)
    # A translated answer can be handed back as the openai SDK's raw response (its parse() is the answer);
    # a streamed raw response, and Anthropic's raw responses, cannot.
    if wrapper is not None and (wrapper == "stream" or op.shape != "openai" or params.get("stream")):
        raise UnsupportedFeature("a raw HTTP response", kind, "served by the caller's vendor only")
    if _plainly_translatable(op, params):
        return
    from . import translate  # pure Python, no SDK; imported on the first cross-vendor question

    if op is CHAT:
        translate.check_chat_for_anthropic(clean(params))
    elif op is CHAT_PARSE:
        from .translate.sdk_calls import chat_parse_request  # the caller is using openai: it is imported

        translate.check_chat_for_anthropic(chat_parse_request(clean(params)))
    elif op is MESSAGES:
        translate.check_messages_for_openai(clean(params))
    elif op is RESPONSES:
        translate.check_responses_for_anthropic(clean(params))
    elif op is EMBEDDINGS:
        raise UnsupportedFeature("embeddings", kind)
    elif op is COUNT_TOKENS:
        raise UnsupportedFeature("messages.count_tokens", kind)
    else:  # pragma: no cover - every operation is listed above
        raise UnsupportedFeature(op.name, kind)
