"""``chat.completions`` and ``embeddings`` of a frugal client (``responses``: :mod:`.openai_responses`):
the ``openai`` SDK's own resource classes, whose model requests go through frugal.

Each is a subclass of the SDK resource (``isinstance(client.chat.completions, openai.resources.chat.
Completions)`` holds) that overrides the methods sending a model request: ``create`` and ``parse``. The
SDK's helpers built on ``create`` then go through frugal too, unchanged: ``chat.completions.stream``,
``responses.stream``, ``with_raw_response`` and ``with_streaming_response`` (they call the resource's own
``create``; tested in ``tests/test_sdk_assumptions.py``). Methods that send no model request
(``retrieve``, ``list``, ``delete``, ``input_items``, ...) are the SDK's own and go to the ``openai``
provider. On the async client every overridden method is an ``async def``.

Imported the first time a client's ``chat`` or ``embeddings`` is used (it imports openai). The
``responses`` resources live apart because the SDK's ``responses`` module costs ~70 ms to import (its
stream events): a chat call does not pay for it.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any

from openai.resources.chat import AsyncChat, AsyncCompletions, Chat, Completions
from openai.resources.embeddings import AsyncEmbeddings, Embeddings

from .calls import CHAT, CHAT_PARSE, EMBEDDINGS, clean

if TYPE_CHECKING:
    from .._client import BaseClient

__all__ = [
    "FrugalAsyncChat",
    "FrugalAsyncCompletions",
    "FrugalAsyncEmbeddings",
    "FrugalChat",
    "FrugalCompletions",
    "FrugalEmbeddings",
]


class FrugalCompletions(Completions):
    """``client.chat.completions``: ``create`` and ``parse`` go through frugal."""

    def __init__(self, sdk: Any, frugal: BaseClient) -> None:
        super().__init__(sdk)
        self._frugal = frugal

    def create(self, **params: Any) -> Any:
        """Same arguments and return types as ``openai.OpenAI().chat.completions.create``."""
        return self._frugal._call(CHAT, clean(params))

    def parse(self, **params: Any) -> Any:
        """Same arguments and return type as ``openai.OpenAI().chat.completions.parse`` (served by the
        ``openai`` kind's models: the parsed result is the SDK's own)."""
        return self._frugal._call(CHAT_PARSE, clean(params))


class FrugalAsyncCompletions(AsyncCompletions):
    """``client.chat.completions`` of the async client."""

    def __init__(self, sdk: Any, frugal: BaseClient) -> None:
        super().__init__(sdk)
        self._frugal = frugal

    async def create(self, **params: Any) -> Any:
        """Same arguments and return types as ``openai.AsyncOpenAI().chat.completions.create``."""
        return await self._frugal._call(CHAT, clean(params))

    async def parse(self, **params: Any) -> Any:
        """Same arguments and return type as ``openai.AsyncOpenAI().chat.completions.parse``."""
        return await self._frugal._call(CHAT_PARSE, clean(params))


class FrugalChat(Chat):
    """``client.chat``."""

    def __init__(self, sdk: Any, frugal: BaseClient) -> None:
        super().__init__(sdk)
        self._frugal = frugal

    @cached_property
    def completions(self) -> FrugalCompletions:
        return FrugalCompletions(self._client, self._frugal)


class FrugalAsyncChat(AsyncChat):
    """``client.chat`` of the async client."""

    def __init__(self, sdk: Any, frugal: BaseClient) -> None:
        super().__init__(sdk)
        self._frugal = frugal

    @cached_property
    def completions(self) -> FrugalAsyncCompletions:
        return FrugalAsyncCompletions(self._client, self._frugal)


class FrugalEmbeddings(Embeddings):
    """``client.embeddings``."""

    def __init__(self, sdk: Any, frugal: BaseClient) -> None:
        super().__init__(sdk)
        self._frugal = frugal

    def create(self, **params: Any) -> Any:
        """Same arguments and return type as ``openai.OpenAI().embeddings.create``."""
        return self._frugal._call(EMBEDDINGS, clean(params))


class FrugalAsyncEmbeddings(AsyncEmbeddings):
    """``client.embeddings`` of the async client."""

    def __init__(self, sdk: Any, frugal: BaseClient) -> None:
        super().__init__(sdk)
        self._frugal = frugal

    async def create(self, **params: Any) -> Any:
        """Same arguments and return type as ``openai.AsyncOpenAI().embeddings.create``."""
        return await self._frugal._call(EMBEDDINGS, clean(params))
