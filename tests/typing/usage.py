"""Checked by mypy (strict), never run: frugal's methods carry the SDKs' own overloads.

``create(stream=True)`` is a ``Stream``, ``create()`` a ``ChatCompletion``, and so on: code typed against
``openai.OpenAI`` / ``anthropic.Anthropic`` type-checks unchanged against a frugal client.
"""

from __future__ import annotations

import anthropic
import openai
from anthropic.lib.streaming import AsyncMessageStreamManager, MessageStreamManager
from anthropic.types import Message, MessageTokensCount, RawMessageStreamEvent
from openai.types import CreateEmbeddingResponse
from openai.types.chat import ChatCompletion, ChatCompletionChunk
from openai.types.responses import Response
from typing_extensions import assert_type

import frugal


def sync_usage(client: frugal.Client) -> None:
    messages: list[openai.types.chat.ChatCompletionMessageParam] = [{"role": "user", "content": "hi"}]
    assert_type(client.chat.completions.create(model="auto", messages=messages), ChatCompletion)
    assert_type(
        client.chat.completions.create(model="auto", messages=messages, stream=True),
        openai.Stream[ChatCompletionChunk],
    )
    assert_type(client.responses.create(model="gpt-4o-mini", input="hi"), Response)
    assert_type(client.embeddings.create(model="text-embedding-3-small", input="hi"), CreateEmbeddingResponse)
    assert_type(
        client.messages.create(
            model="claude-haiku-4-5", max_tokens=5, messages=[{"role": "user", "content": "hi"}]
        ),
        Message,
    )
    assert_type(
        client.messages.create(
            model="claude-haiku-4-5", max_tokens=5, messages=[{"role": "user", "content": "hi"}], stream=True
        ),
        anthropic.Stream[RawMessageStreamEvent],
    )
    manager = client.messages.stream(
        model="claude-haiku-4-5", max_tokens=5, messages=[{"role": "user", "content": "hi"}]
    )
    assert isinstance(manager, MessageStreamManager)
    assert_type(
        client.messages.count_tokens(model="claude-haiku-4-5", messages=[{"role": "user", "content": "hi"}]),
        MessageTokensCount,
    )
    assert_type(client.as_openai(), openai.OpenAI)
    assert_type(client.as_anthropic(), anthropic.Anthropic)


async def async_usage(client: frugal.AsyncClient) -> None:
    messages: list[openai.types.chat.ChatCompletionMessageParam] = [{"role": "user", "content": "hi"}]
    assert_type(await client.chat.completions.create(model="auto", messages=messages), ChatCompletion)
    assert_type(
        await client.chat.completions.create(model="auto", messages=messages, stream=True),
        openai.AsyncStream[ChatCompletionChunk],
    )
    assert_type(
        await client.messages.create(
            model="claude-haiku-4-5", max_tokens=5, messages=[{"role": "user", "content": "hi"}]
        ),
        Message,
    )
    manager = client.messages.stream(
        model="claude-haiku-4-5", max_tokens=5, messages=[{"role": "user", "content": "hi"}]
    )
    assert isinstance(manager, AsyncMessageStreamManager)
    assert_type(client.as_openai(), openai.AsyncOpenAI)
