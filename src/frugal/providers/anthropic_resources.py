"""``messages`` of a frugal client: the ``anthropic`` SDK's own ``Messages`` resource, whose model requests
go through frugal.

A subclass of the SDK resource that overrides every method sending a model request: ``create``,
``parse``, ``count_tokens`` (placed on its provider) and ``stream``, which is the SDK's own
``MessageStreamManager`` over a routed ``create(stream=True)``, with an ``output_format`` turned into
``output_config`` as the SDK does. ``with_raw_response`` and ``with_streaming_response`` call the
resource's own ``create``, so they go through frugal too. ``batches`` and the rest are the SDK's own.

Imported the first time a client's ``messages`` is used (it imports anthropic).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import TYPE_CHECKING, Any

import anthropic
from anthropic.lib.streaming import AsyncMessageStreamManager, MessageStreamManager
from anthropic.resources.messages import AsyncMessages, Messages

from .calls import COUNT_TOKENS, MESSAGES, MESSAGES_PARSE, clean

if TYPE_CHECKING:
    from .._client import BaseClient

__all__ = ["FrugalAsyncMessages", "FrugalMessages", "with_output_format"]


def with_output_format(params: dict[str, Any]) -> tuple[dict[str, Any], Any]:
    """``messages.stream`` arguments with ``output_format`` (a type) turned into ``output_config.format``
    (a JSON schema), as the SDK's own ``stream`` does; and the type, for the stream manager to parse with.

    Raises:
        TypeError: ``output_format`` is not a type pydantic can describe (the SDK's own message).
    """
    output_format = params.pop("output_format", None)
    if output_format is None:
        return params, anthropic.NOT_GIVEN
    if isinstance(output_format, (str, Mapping)):
        raise TypeError(
            "`output_format` must be a type; pass a schema dict as `output_config={'format': ...}` instead"
        )
    from anthropic.lib._parse._transform import transform_schema
    from pydantic import TypeAdapter

    schema = transform_schema(TypeAdapter(output_format).json_schema())
    config = params.get("output_config")
    params["output_config"] = {
        **(config if isinstance(config, Mapping) else {}),
        "format": {"type": "json_schema", "schema": schema},
    }
    return params, output_format


class FrugalMessages(Messages):
    """``client.messages``: ``create``, ``parse``, ``stream`` and ``count_tokens`` go through frugal."""

    def __init__(self, sdk: Any, frugal: BaseClient) -> None:
        super().__init__(sdk)
        self._frugal = frugal

    def create(self, **params: Any) -> Any:
        """Same arguments and return types as ``anthropic.Anthropic().messages.create``."""
        return self._frugal._call(MESSAGES, clean(params))

    def parse(self, **params: Any) -> Any:
        """Same arguments and return type as ``anthropic.Anthropic().messages.parse`` (served by the
        ``anthropic`` kind's models: the parsed result is the SDK's own)."""
        return self._frugal._call(MESSAGES_PARSE, clean(params))

    def stream(self, **params: Any) -> Any:
        """Same arguments and return type as ``anthropic.Anthropic().messages.stream``: the request is sent
        (routed, retried, falling back) when the manager is entered."""
        sent, output_format = with_output_format(clean(params))
        run = partial(self._frugal._call, MESSAGES, {**sent, "stream": True})
        return MessageStreamManager(run, output_format=output_format)

    def count_tokens(self, **params: Any) -> Any:
        """Same arguments and return type as ``anthropic.Anthropic().messages.count_tokens``."""
        return self._frugal._call(COUNT_TOKENS, clean(params))


class FrugalAsyncMessages(AsyncMessages):
    """``client.messages`` of the async client."""

    def __init__(self, sdk: Any, frugal: BaseClient) -> None:
        super().__init__(sdk)
        self._frugal = frugal

    async def create(self, **params: Any) -> Any:
        """Same arguments and return types as ``anthropic.AsyncAnthropic().messages.create``."""
        return await self._frugal._call(MESSAGES, clean(params))

    async def parse(self, **params: Any) -> Any:
        """Same arguments and return type as ``anthropic.AsyncAnthropic().messages.parse``."""
        return await self._frugal._call(MESSAGES_PARSE, clean(params))

    def stream(self, **params: Any) -> Any:
        """Same arguments and return type as ``anthropic.AsyncAnthropic().messages.stream`` (a manager,
        returned at once as the SDK does; the request is sent when it is entered)."""
        sent, output_format = with_output_format(clean(params))
        return AsyncMessageStreamManager(
            self._frugal._call(MESSAGES, {**sent, "stream": True}), output_format=output_format
        )

    async def count_tokens(self, **params: Any) -> Any:
        """Same arguments and return type as ``anthropic.AsyncAnthropic().messages.count_tokens``."""
        return await self._frugal._call(COUNT_TOKENS, clean(params))
