"""What the SDKs' ``with_raw_response`` and ``with_streaming_response`` return, read without changing it.

A call made through either wrapper returns the SDK's raw response (``LegacyAPIResponse``, or
``APIResponse`` / ``AsyncAPIResponse`` inside the wrapper's context manager), whose ``parse()`` is the
answer. frugal reads the answer with ``parse()`` itself, which the SDK caches, so the caller's own
``parse()`` returns the very object frugal read; for a stream, the cached stream is replaced by the same
stream observed by frugal (SDK internal: the raw response keeps what ``parse()`` returned in
``_parsed_by_type``; tested in ``tests/test_sdk_assumptions.py``).
"""

from __future__ import annotations

import inspect
from typing import Any

__all__ = ["aread", "read", "replace_parsed"]


def read(response: Any) -> Any:
    """The answer of a raw response (its ``parse()``, cached by the SDK)."""
    return response.parse()


async def aread(response: Any) -> Any:
    """The async twin of :func:`read` (an ``AsyncAPIResponse`` parses asynchronously; a legacy one not)."""
    parsed = response.parse()
    return await parsed if inspect.isawaitable(parsed) else parsed


def replace_parsed(response: Any, old: Any, new: Any) -> None:
    """Make the raw response's cached ``parse()`` result ``new`` where it was ``old``."""
    cache: dict[Any, Any] = response._parsed_by_type
    for key, value in list(cache.items()):
        if value is old:
            cache[key] = new
