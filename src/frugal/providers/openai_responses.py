"""``responses`` of a frugal client: the ``openai`` SDK's own resource classes, whose ``create`` and
``parse`` go through frugal (the SDK's ``responses.stream`` calls ``create``). Methods that send no model
request (``retrieve``, ``delete``, ``input_items``, ...) are the SDK's own and go to the ``openai``
provider. On the async client every overridden method is an ``async def``.

Apart from :mod:`.openai_resources` because importing the SDK's ``responses`` module costs ~70 ms (its
stream events): imported the first time a client's ``responses`` is used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from openai.resources.responses import AsyncResponses, Responses

from .calls import RESPONSES, RESPONSES_PARSE, clean

if TYPE_CHECKING:
    from .._client import BaseClient

__all__ = ["FrugalAsyncResponses", "FrugalResponses"]


class FrugalResponses(Responses):
    """``client.responses``: ``create`` and ``parse`` go through frugal (``stream`` calls ``create``)."""

    def __init__(self, sdk: Any, frugal: BaseClient) -> None:
        super().__init__(sdk)
        self._frugal = frugal

    def create(self, **params: Any) -> Any:
        """Same arguments and return types as ``openai.OpenAI().responses.create``."""
        return self._frugal._call(RESPONSES, clean(params))

    def parse(self, **params: Any) -> Any:
        """Same arguments and return type as ``openai.OpenAI().responses.parse``."""
        return self._frugal._call(RESPONSES_PARSE, clean(params))


class FrugalAsyncResponses(AsyncResponses):
    """``client.responses`` of the async client."""

    def __init__(self, sdk: Any, frugal: BaseClient) -> None:
        super().__init__(sdk)
        self._frugal = frugal

    async def create(self, **params: Any) -> Any:
        """Same arguments and return types as ``openai.AsyncOpenAI().responses.create``."""
        return await self._frugal._call(RESPONSES, clean(params))

    async def parse(self, **params: Any) -> Any:
        """Same arguments and return type as ``openai.AsyncOpenAI().responses.parse``."""
        return await self._frugal._call(RESPONSES_PARSE, clean(params))
