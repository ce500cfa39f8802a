"""Helpers that let one test drive a sync or an async client alike."""

from __future__ import annotations

import inspect
from typing import Any

import anthropic
import openai


async def settle(value: Any) -> Any:
    """Await ``value`` when the async client returned an awaitable; else ``value`` itself."""
    return await value if inspect.isawaitable(value) else value


async def drain(stream: Any) -> list[Any]:
    """Every item of a sync or async SDK stream (checked to be one of the SDKs' own stream classes)."""
    if isinstance(stream, (openai.AsyncStream, anthropic.AsyncStream)):
        return [item async for item in stream]
    assert isinstance(stream, (openai.Stream, anthropic.Stream)), type(stream)
    return list(stream)
