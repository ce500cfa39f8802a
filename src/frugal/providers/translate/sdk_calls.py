"""Calls served by the other vendor: translate the request, call that vendor's SDK, translate back.

Used by :meth:`frugal.providers.base.Provider.send` when a call's shape is not the provider's own.

The caller gets its own SDK's objects (``ChatCompletion``, ``Stream[ChatCompletionChunk]``, ``Response``,
``Stream[ResponseStreamEvent]``, ``anthropic.types.Message``, ``MessageStreamManager``, ...), validated by
that SDK's pydantic models, and vendor errors that are instances of both vendors' exception classes
(:mod:`frugal.providers.errors`).
An OpenAI-shaped call made through the SDK's ``with_raw_response`` (how LangChain's ``ChatOpenAI`` sends
every call) gets the openai SDK's own raw response, whose ``parse()`` is the translated answer and whose
body is that answer as JSON; ``chat.completions.parse`` gets the SDK's ``ParsedChatCompletion``, parsed by
the SDK's own helper from the translated completion.
This module imports both SDKs; it is imported the first time a call crosses vendors.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from functools import cache, partial
from typing import Any

import anthropic
import httpx2
import openai
from anthropic.types import Message, RawMessageStreamEvent
from openai._legacy_response import LegacyAPIResponse
from openai._models import FinalRequestOptions
from openai.lib._parsing import parse_chat_completion, type_to_response_format_param, validate_input_tools
from openai.types.chat import ChatCompletion, ChatCompletionChunk
from openai.types.responses import Response, ResponseStreamEvent
from pydantic import TypeAdapter

from .. import translate
from ..calls import (
    CHAT,
    CHAT_PARSE,
    MESSAGES,
    RAW_RESPONSE_HEADER,
    RESPONSES,
    Operation,
    check,
    clean,
    response_wrapper,
)
from ..errors import as_caller_error
from ..streams import rewrap, translate_async, translate_sync

__all__ = ["Translated", "chat_parse_request", "prepare"]

_ANTHROPIC_EVENT: TypeAdapter[RawMessageStreamEvent] = TypeAdapter(RawMessageStreamEvent)
_RESPONSES_EVENT: TypeAdapter[ResponseStreamEvent] = TypeAdapter(ResponseStreamEvent)


@dataclass(frozen=True, slots=True)
class Translated:
    """A prepared cross-vendor call: run it with :meth:`run_sync` or :meth:`run_async`."""

    invoke: Callable[[], Any]
    finish: Callable[[Any], Any]
    convert: Callable[[BaseException], BaseException]

    def run_sync(self) -> Any:
        """Call the serving vendor and return the caller-shaped result."""
        try:
            result = self.invoke()
        except Exception as exc:
            raise self.convert(exc) from exc.__cause__
        return self.finish(result)

    async def run_async(self) -> Any:
        """Async twin of :meth:`run_sync`."""
        try:
            result = await self.invoke()
        except Exception as exc:
            raise self.convert(exc) from exc.__cause__
        return self.finish(result)


def prepare(
    op: Operation,
    sdk: Any,
    params: Mapping[str, Any],
    model: str,
    *,
    is_async: bool,
    default_max_tokens: int,
    finalize: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
) -> Translated:
    """Prepare ``op`` (an OpenAI- or Anthropic-shaped call) to be served by the other vendor's ``sdk``.

    ``finalize`` is given the translated request (in the serving vendor's shape) before it is sent: the
    serving provider marks it for its prompt cache.

    Raises:
        UnsupportedFeature: the request cannot be translated faithfully; nothing was sent.
    """
    cleaned = clean(params)
    last = finalize or (lambda kwargs: kwargs)
    if op.shape == "openai" and response_wrapper(cleaned) == "raw":  # check() refused every other wrapper
        headers = {k: v for k, v in cleaned["extra_headers"].items() if k != RAW_RESPONSE_HEADER}
        unwrapped = prepare(
            op,
            sdk,
            {**cleaned, "extra_headers": headers},
            model,
            is_async=is_async,
            default_max_tokens=default_max_tokens,
            finalize=finalize,
        )
        url = f"{str(sdk.base_url).rstrip('/')}/v1/messages"  # where the anthropic SDK sends it
        return replace(unwrapped, finish=lambda result: _raw_response(unwrapped.finish(result), url))
    if op is CHAT:
        return _chat_via_anthropic(sdk, cleaned, model, is_async, default_max_tokens, last)
    if op is CHAT_PARSE:
        request = chat_parse_request(cleaned)
        chat = _chat_via_anthropic(sdk, request, model, is_async, default_max_tokens, last)
        parse = partial(
            parse_chat_completion,
            response_format=cleaned.get("response_format", openai.omit),
            input_tools=request.get("tools", openai.omit),
        )
        return replace(chat, finish=lambda result: parse(chat_completion=chat.finish(result)))
    if op is MESSAGES:
        return _messages_via_openai(sdk, cleaned, model, is_async, last)
    if op is RESPONSES:
        return _responses_via_anthropic(sdk, cleaned, model, is_async, default_max_tokens, last)
    check(op, "anthropic" if op.shape == "openai" else "openai", cleaned)  # vendor-only operations raise
    raise AssertionError(f"no translation for {op.name}")  # pragma: no cover


def _chat_via_anthropic(
    sdk: Any,
    params: dict[str, Any],
    model: str,
    is_async: bool,
    default_max_tokens: int,
    finalize: Callable[[dict[str, Any]], dict[str, Any]],
) -> Translated:
    target = finalize(
        translate.chat_request_to_messages(params, model=model, default_max_tokens=default_max_tokens)
    )
    convert = partial(as_caller_error, caller_sdk=openai)
    invoke = partial(sdk.messages.create, **target)
    if not params.get("stream"):
        return Translated(invoke, partial(_chat_completion, model=model), convert)
    options = params.get("stream_options") or {}
    include_usage = bool(options.get("include_usage"))

    def finish(raw: Any) -> Any:
        translator = translate.MessagesStreamToChatChunks(model=model, include_usage=include_usage)
        build = ChatCompletionChunk.model_validate
        if is_async:
            items = translate_async(raw, translator.feed, None, build, convert)
            return rewrap(openai.AsyncStream, raw.response, items)
        return rewrap(openai.Stream, raw.response, translate_sync(raw, translator.feed, None, build, convert))

    return Translated(invoke, finish, convert)


def _chat_completion(message: Any, *, model: str) -> ChatCompletion:
    data = message.model_dump(mode="json", by_alias=True, exclude_unset=True)
    return ChatCompletion.model_validate(translate.messages_response_to_chat(data, model=model))


def _responses_via_anthropic(
    sdk: Any,
    params: dict[str, Any],
    model: str,
    is_async: bool,
    default_max_tokens: int,
    finalize: Callable[[dict[str, Any]], dict[str, Any]],
) -> Translated:
    target = finalize(
        translate.responses_request_to_messages(params, model=model, default_max_tokens=default_max_tokens)
    )
    convert = partial(as_caller_error, caller_sdk=openai)
    invoke = partial(sdk.messages.create, **target)
    if not params.get("stream"):
        return Translated(invoke, partial(_response, model=model, request=params), convert)

    def finish(raw: Any) -> Any:
        translator = translate.MessagesStreamToResponsesEvents(model=model, request=params)
        build = _RESPONSES_EVENT.validate_python
        if is_async:
            items = translate_async(raw, translator.feed, None, build, convert)
            return rewrap(openai.AsyncStream, raw.response, items)
        return rewrap(openai.Stream, raw.response, translate_sync(raw, translator.feed, None, build, convert))

    return Translated(invoke, finish, convert)


def _response(message: Any, *, model: str, request: Mapping[str, Any]) -> Response:
    data = message.model_dump(mode="json", by_alias=True, exclude_unset=True)
    return Response.model_validate(
        translate.messages_response_to_responses(data, model=model, request=request)
    )


def _messages_via_openai(
    sdk: Any,
    params: dict[str, Any],
    model: str,
    is_async: bool,
    finalize: Callable[[dict[str, Any]], dict[str, Any]],
) -> Translated:
    target = finalize(translate.messages_request_to_chat(params, model=model))
    convert = partial(as_caller_error, caller_sdk=anthropic)
    invoke = partial(sdk.chat.completions.create, **target)
    if not params.get("stream"):
        return Translated(invoke, partial(_message, model=model), convert)

    def finish(raw: Any) -> Any:
        translator = translate.ChatChunksToMessagesStream(model=model)
        build = _ANTHROPIC_EVENT.validate_python
        if is_async:
            items = translate_async(raw, translator.feed, translator.finish, build, convert)
            return rewrap(anthropic.AsyncStream, raw.response, items)
        items_sync = translate_sync(raw, translator.feed, translator.finish, build, convert)
        return rewrap(anthropic.Stream, raw.response, items_sync)

    return Translated(invoke, finish, convert)


def _message(completion: Any, *, model: str) -> Message:
    data = completion.model_dump(mode="json", by_alias=True, exclude_unset=True)
    return Message.model_validate(translate.chat_response_to_messages(data, model=model))


def chat_parse_request(params: Mapping[str, Any]) -> dict[str, Any]:
    """The ``chat.completions.create`` arguments that ``chat.completions.parse(**params)`` sends, as the
    openai SDK builds them: a Python ``response_format`` becomes its JSON schema, tools are checked
    (``strict`` function tools only), never a stream."""
    request = {key: value for key, value in params.items() if key != "stream"}
    if "response_format" in request:
        request["response_format"] = type_to_response_format_param(request["response_format"])
    if "tools" in request:
        request["tools"] = validate_input_tools(request["tools"])
    return request


def _raw_response(answer: Any, url: str) -> LegacyAPIResponse[Any]:
    """The openai SDK's raw response of a translated ``answer``: ``parse()`` returns ``answer`` itself,
    the body is it as JSON (``parse(to=...)``, ``json()``, ``text``), the request the one sent to ``url``."""
    cast_to = ChatCompletion if isinstance(answer, ChatCompletion) else type(answer)
    body = answer.model_dump(mode="json", exclude_unset=True, warnings=False)
    for choice in body.get("choices", ()):  # a ParsedChatCompletion: what parse() added is not the body's
        choice["message"].pop("parsed", None)
        for call in choice["message"].get("tool_calls") or ():
            call.get("function", {}).pop("parsed_arguments", None)
    http = httpx2.Response(
        200,
        headers={"content-type": "application/json"},
        content=json.dumps(body).encode(),
        request=httpx2.Request("POST", url),
    )
    raw: LegacyAPIResponse[Any] = LegacyAPIResponse(
        raw=http,
        cast_to=cast_to,
        client=_parser_client(),
        stream=False,
        stream_cls=None,
        options=FinalRequestOptions.construct(method="post", url=url),
    )
    raw._parsed_by_type[cast_to] = answer  # SDK internal, as in frugal.providers.raw_responses
    return raw


@cache
def _parser_client() -> openai.OpenAI:
    """The openai client a translated raw response reads its body with on ``parse(to=...)`` (it never sends
    a request: a raw response's client only validates the body into the type asked for)."""
    return openai.OpenAI(api_key="unused", base_url="http://127.0.0.1:9/", max_retries=0)
