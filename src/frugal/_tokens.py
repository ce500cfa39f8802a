"""Counting a request's input tokens with the policy's ``token_counter``.

The built-in estimate (UTF-8 bytes / 4, :func:`frugal.request.estimate_text_tokens`) costs nothing and
is what the router and the budgets use unless the policy names a counter:

- ``tiktoken`` or ``tiktoken:ENCODING`` (default ``o200k_base``): OpenAI's tokenizer, exact for OpenAI
  models and a close guide for Anthropic's. Needs the ``tiktoken`` package and its encoding file (tiktoken
  downloads it once into its cache; set ``TIKTOKEN_CACHE_DIR`` to a directory holding it on a machine
  without network access).
- ``package.module:function``: any callable taking a string and returning its token count.

The counter is loaded when the policy is compiled (a missing package or encoding is a ``ConfigError``
then, never mid-call). It counts the prompt, the system text and the history; tool definitions stay
estimated (their wire format is the vendor's, not the caller's) and images cost their fixed estimate. A
counter that raises or returns something other than a non-negative int during a call is not trusted for
that call: the built-in estimate is used, with one warning per counter.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from ._util import warn_once
from .exceptions import ConfigError
from .request import RoutingRequest, tokens_of_size

__all__ = ["TokenCounter", "count_input_tokens", "load_token_counter"]

TokenCounter = Callable[[str], int]
"""A function from text to its number of tokens."""

BUILT_IN = "bytes"


def load_token_counter(spec: str) -> TokenCounter | None:
    """The counter named by a policy's ``token_counter`` (None for the built-in estimate).

    Raises:
        ConfigError: tiktoken is not installed or its encoding cannot be loaded; a dotted path that does
            not import or is not callable.
    """
    if spec == BUILT_IN:
        return None
    name, _, encoding = spec.partition(":")
    if name == "tiktoken":
        return _tiktoken(encoding or "o200k_base")
    if ":" not in spec and "." not in spec:
        raise ConfigError(
            f"unknown token counter {spec!r}: expected 'bytes' (the built-in estimate), 'tiktoken', "
            "'tiktoken:ENCODING' or a dotted path 'package.module:function'"
        )
    from .classifiers.registry import resolve_object  # pydantic: loaded with the policy, not on import

    counter = resolve_object(spec, f"token counter {spec!r}")
    if not callable(counter):
        raise ConfigError(f"token counter {spec!r} is not callable: expected a function (text) -> int")
    return counter  # type: ignore[no-any-return]


def _tiktoken(encoding: str) -> TokenCounter:
    try:
        import tiktoken
    except ModuleNotFoundError:
        raise ConfigError(
            "token counter 'tiktoken' needs the tiktoken package: pip install tiktoken"
        ) from None
    try:
        codec = tiktoken.get_encoding(encoding)
    except Exception as exc:  # unknown name, or the encoding file cannot be fetched (no network)
        raise ConfigError(
            f"token counter 'tiktoken:{encoding}': cannot load the encoding ({type(exc).__name__}: {exc}); "
            "on a machine without network access, point TIKTOKEN_CACHE_DIR at a directory holding it"
        ) from None

    def count(text: str) -> int:
        return len(codec.encode_ordinary(text))

    return count


def count_input_tokens(request: RoutingRequest, counter: TokenCounter, name: str) -> RoutingRequest:
    """``request`` with its input tokens counted by ``counter`` (``name`` is the policy's spec)."""
    try:
        counted = 0
        for text in (request.prompt, request.system, request.history):
            if text:
                tokens = counter(text)
                if type(tokens) is not int or tokens < 0:
                    raise TypeError(f"returned {type(tokens).__name__}, expected a non-negative int")
                counted += tokens
    except Exception as exc:
        warn_once(
            f"token-counter:{name}",
            f"token counter {name!r} failed ({type(exc).__name__}); using the built-in estimate. "
            "This warning is shown once per counter.",
            stacklevel=4,
        )
        return request
    counted += tokens_of_size(request.tool_chars)
    return dataclasses.replace(request, counted_input_tokens=counted)
