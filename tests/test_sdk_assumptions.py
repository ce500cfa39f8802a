"""One test per SDK internal frugal relies on, named after the assumption.

frugal hands callers the vendor SDKs' own objects, which means leaning on a few things the SDKs do not
promise: how a ``Stream`` holds its iterator, how a stream manager is built, how clients cache their
namespaces, how exceptions keep their state. When a new ``openai`` or ``anthropic`` release changes one of
them, exactly one of these tests fails, and its name says which assumption broke. CI runs them on the newest
releases and on the oldest that ``pyproject.toml`` allows.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import AsyncIterator, Iterator
from typing import Any

import anthropic
import httpx2
import openai
import pytest

from frugal.providers.calls import clean
from frugal.providers.errors import as_caller_error
from frugal.providers.streams import close_with, peek_async, peek_sync, rewrap
from frugal.testing import Fault, Reply, VendorStub

HI: Any = [{"role": "user", "content": "hi"}]
GPT = "gpt-4o-mini"
CLAUDE = "claude-haiku-4-5"


@pytest.fixture
def oa(stub: VendorStub) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(api_key="sk-test", base_url=stub.openai_base_url, max_retries=0) as client:
        yield client


@pytest.fixture
def an(stub: VendorStub) -> Iterator[anthropic.Anthropic]:
    with anthropic.Anthropic(
        api_key="sk-ant-test", base_url=stub.anthropic_base_url, max_retries=0
    ) as client:
        yield client


@pytest.fixture
async def aoa(stub: VendorStub) -> AsyncIterator[openai.AsyncOpenAI]:
    async with openai.AsyncOpenAI(api_key="sk-test", base_url=stub.openai_base_url, max_retries=0) as client:
        yield client


@pytest.fixture
async def aan(stub: VendorStub) -> AsyncIterator[anthropic.AsyncAnthropic]:
    async with anthropic.AsyncAnthropic(
        api_key="sk-ant-test", base_url=stub.anthropic_base_url, max_retries=0
    ) as client:
        yield client


def real_stream(oa: openai.OpenAI, an: anthropic.Anthropic, vendor: str) -> Any:
    if vendor == "openai":
        return oa.chat.completions.create(model=GPT, messages=HI, stream=True)
    return an.messages.create(model=CLAUDE, max_tokens=5, messages=HI, stream=True)


# -- streams -------------------------------------------------------------------------------------


@pytest.mark.parametrize("vendor", ["openai", "anthropic"])
def test_an_sdk_stream_can_be_recreated_around_another_iterator(
    oa: openai.OpenAI, an: anthropic.Anthropic, vendor: str
) -> None:
    """``Stream.__new__`` + ``response`` + ``_iterator`` make a working stream: it yields the new items and
    ``with`` closes the HTTP response (translated and observed streams are built this way)."""
    original = real_stream(oa, an, vendor)
    remade = rewrap(type(original), original.response, iter(["a", "b"]))
    assert type(remade) is type(original)
    with remade as stream:
        assert list(stream) == ["a", "b"]
    assert original.response.is_closed


async def test_an_async_sdk_stream_can_be_recreated_around_another_iterator(
    aoa: openai.AsyncOpenAI, aan: anthropic.AsyncAnthropic
) -> None:
    """The async twins: ``AsyncStream.__new__`` + ``response`` + ``_iterator``, ``async with`` closes."""

    async def items() -> AsyncIterator[str]:
        yield "a"
        yield "b"

    for original in (
        await aoa.chat.completions.create(model=GPT, messages=HI, stream=True),
        await aan.messages.create(model=CLAUDE, max_tokens=5, messages=HI, stream=True),
    ):
        remade = rewrap(type(original), original.response, items())
        async with remade as stream:
            assert [item async for item in stream] == ["a", "b"]
        assert original.response.is_closed


@pytest.mark.parametrize("vendor", ["openai", "anthropic"])
def test_an_sdk_stream_reads_its_events_from_its_iterator_attribute(
    stub: VendorStub, oa: openai.OpenAI, an: anthropic.Anthropic, vendor: str
) -> None:
    """``stream._iterator`` yields the parsed events: frugal peeks at the first one (to retry a stream that
    fails before the caller saw anything) and observes the rest for usage."""
    stub.reply(None, Reply(text="Hello"))
    stream = real_stream(oa, an, vendor)
    first = next(stream._iterator)
    assert type(first).__module__.startswith(vendor)
    peeked = peek_sync(real_stream(oa, an, vendor))
    events = list(peeked)
    assert type(events[0]) is type(first)
    assert len(events) > 2


async def test_an_async_sdk_stream_reads_its_events_from_its_iterator_attribute(
    aoa: openai.AsyncOpenAI, aan: anthropic.AsyncAnthropic
) -> None:
    """The async twins' ``_iterator`` is an async iterator of the parsed events."""
    for stream in (
        await aoa.chat.completions.create(model=GPT, messages=HI, stream=True),
        await aan.messages.create(model=CLAUDE, max_tokens=5, messages=HI, stream=True),
    ):
        peeked = await peek_async(stream)
        assert len([event async for event in peeked]) > 2


@pytest.mark.parametrize("vendor", ["openai", "anthropic"])
def test_an_sdk_streams_with_block_ends_by_calling_its_close_attribute(
    oa: openai.OpenAI, an: anthropic.Anthropic, vendor: str
) -> None:
    """``__exit__`` calls ``self.close()``, so an instance attribute ``close`` runs: frugal uses it to end an
    observing generator (and its spans) when the caller leaves the ``with`` block early."""
    ended: list[bool] = []

    def observing(source: Iterator[Any]) -> Iterator[Any]:
        try:
            yield from source
        finally:
            ended.append(True)

    original = real_stream(oa, an, vendor)
    items = observing(original._iterator)
    with close_with(rewrap(type(original), original.response, items), items) as stream:
        next(iter(stream))
    assert ended == [True]
    assert original.response.is_closed


def test_a_dropped_stream_error_keeps_httpx2s_error_in_reach(
    stub: VendorStub, oa: openai.OpenAI, an: anthropic.Anthropic
) -> None:
    """A connection dropped mid-stream raises httpx2's ``RemoteProtocolError``, alone (older releases) or as
    the ``__cause__`` of the SDK's ``APIConnectionError``: both are transport errors frugal retries."""
    stub.queue(None, Fault.truncated_stream(after_events=1), Fault.truncated_stream(after_events=1))
    for vendor in ("openai", "anthropic"):
        with pytest.raises(Exception) as info:  # noqa: PT011 - which class is the installed SDK's choice
            list(real_stream(oa, an, vendor))
        error = info.value
        assert isinstance(error, httpx2.RemoteProtocolError) or (
            type(error).__name__ == "APIConnectionError"
            and isinstance(error.__cause__, httpx2.TransportError)
        )


def test_anthropic_message_stream_manager_is_built_from_a_callable(
    stub: VendorStub, an: anthropic.Anthropic
) -> None:
    """``MessageStreamManager(api_request, output_format=NOT_GIVEN)`` runs ``api_request`` on enter and
    accumulates its events: ``messages.stream`` is served this way over a routed raw stream."""
    stub.reply(CLAUDE, Reply(text="managed"))
    manager = anthropic.lib.streaming.MessageStreamManager(
        lambda: an.messages.create(model=CLAUDE, max_tokens=5, messages=HI, stream=True),
        output_format=anthropic.NOT_GIVEN,
    )
    with manager as stream:
        message = stream.get_final_message()
    assert message.content[0].type == "text"
    assert message.content[0].text == "managed"


async def test_anthropic_async_message_stream_manager_is_built_from_an_awaitable(
    stub: VendorStub, aan: anthropic.AsyncAnthropic
) -> None:
    """``AsyncMessageStreamManager(awaitable)`` awaits it on enter."""
    stub.reply(CLAUDE, Reply(text="managed"))
    manager = anthropic.lib.streaming.AsyncMessageStreamManager(
        aan.messages.create(model=CLAUDE, max_tokens=5, messages=HI, stream=True),
        output_format=anthropic.NOT_GIVEN,
    )
    async with manager as stream:
        message = await stream.get_final_message()
    assert message.content[0].type == "text"
    assert message.content[0].text == "managed"


# -- resources -----------------------------------------------------------------------------------


class _Recording(openai.resources.chat.Completions):
    """A chat.completions resource that records what reaches its own ``create``."""

    calls: list[dict[str, Any]]

    def create(self, **params: Any) -> Any:  # type: ignore[override]
        self.calls.append(params)
        return super().create(**params)


def test_openai_helpers_send_through_the_resources_own_create(stub: VendorStub, oa: openai.OpenAI) -> None:
    """``chat.completions.stream``, ``with_raw_response`` and ``with_streaming_response`` call the
    resource's own ``create`` (with the raw-response header for the wrappers): a resource subclass that
    overrides ``create`` (frugal's) therefore serves them all."""
    resource = _Recording(oa)
    resource.calls = []
    with resource.stream(model=GPT, messages=HI) as stream:
        stream.get_final_completion()
    resource.with_raw_response.create(model=GPT, messages=HI).parse()
    with resource.with_streaming_response.create(model=GPT, messages=HI) as response:
        response.parse()
    assert [c.get("stream") for c in resource.calls] == [True, None, None]
    headers = [c.get("extra_headers") or {} for c in resource.calls]
    assert [h.get("X-Stainless-Raw-Response") for h in headers] == [None, "true", "stream"]


def test_openai_responses_stream_sends_through_the_resources_own_create(
    stub: VendorStub, oa: openai.OpenAI
) -> None:
    """``responses.stream`` calls the resource's own ``create(stream=True)``."""
    calls: list[dict[str, Any]] = []

    from openai.resources.responses import Responses

    class Recording(Responses):
        def create(self, **params: Any) -> Any:  # type: ignore[override]
            calls.append(params)
            return super().create(**params)

    with Recording(oa).stream(model=GPT, input="hi") as stream:
        stream.get_final_response()
    assert [c.get("stream") for c in calls] == [True]


def test_a_raw_response_caches_what_parse_returned(stub: VendorStub, oa: openai.OpenAI) -> None:
    """A raw response keeps what ``parse()`` returned in ``_parsed_by_type`` and returns it again: frugal
    reads the answer with ``parse()`` and puts an observed stream in its place."""
    raw = oa.chat.completions.with_raw_response.create(model=GPT, messages=HI)
    first = raw.parse()
    assert first in raw._parsed_by_type.values()
    replacement = object()
    for key, value in list(raw._parsed_by_type.items()):
        if value is first:
            raw._parsed_by_type[key] = replacement
    assert raw.parse() is replacement


def test_anthropic_schemas_are_transformed_by_transform_schema() -> None:
    """``anthropic.lib._parse._transform.transform_schema`` turns a pydantic JSON schema into the
    ``output_config.format`` schema (how ``messages.stream(output_format=...)`` is sent)."""
    from anthropic.lib._parse._transform import transform_schema
    from pydantic import BaseModel, TypeAdapter

    class City(BaseModel):
        name: str

    schema = transform_schema(TypeAdapter(City).json_schema())
    assert schema["type"] == "object"
    assert "name" in schema["properties"]


# -- clients -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cls", "names"),
    [
        (openai.OpenAI, ("chat", "responses", "embeddings")),
        (openai.AsyncOpenAI, ("chat", "responses", "embeddings")),
        (anthropic.Anthropic, ("messages",)),
        (anthropic.AsyncAnthropic, ("messages",)),
    ],
)
def test_sdk_client_namespaces_are_cached_properties_a_subclass_can_replace(
    cls: type, names: tuple[str, ...]
) -> None:
    """The namespaces are ``functools.cached_property`` (cached in the instance ``__dict__``), and a shallow
    copy of a client re-classed to a subclass whose properties replace them keeps working: this is how
    ``as_openai()`` / ``as_anthropic()`` make real SDK clients whose calls go through frugal."""
    for name in names:
        assert isinstance(cls.__dict__[name], functools.cached_property)
    client = cls(api_key="k", base_url="http://127.0.0.1:9/v1")
    for name in names:
        getattr(client, name)  # cached in __dict__ now
    view = copy.copy(client)
    view.__class__ = type("View", (cls,), {name: property(lambda self: "frugal's") for name in names})
    for name in names:
        view.__dict__.pop(name, None)
        assert getattr(view, name) == "frugal's"
    assert view.models is not None  # the SDK's own namespaces still work on the copy
    assert view.api_key == "k"


def test_anthropic_clients_take_an_open_telemetry_switch() -> None:
    """``Anthropic(open_telemetry=False)`` is accepted: frugal turns the SDK's own spans off so tokens are
    never counted twice."""
    anthropic.Anthropic(api_key="k", open_telemetry=False).close()


def test_the_sdks_not_given_sentinels_are_classes_named_notgiven_and_omit() -> None:
    """Arguments the SDKs mark as not given are ``NotGiven`` / ``Omit`` instances, which frugal drops by
    class name before translating a call (so it need not import either SDK to recognise them)."""
    sentinels = [openai.NOT_GIVEN, anthropic.NOT_GIVEN, openai.omit, anthropic.omit]
    assert {type(s).__name__ for s in sentinels} == {"NotGiven", "Omit"}
    assert clean({"model": "m", **{f"k{i}": s for i, s in enumerate(sentinels)}}) == {"model": "m"}


# -- errors --------------------------------------------------------------------------------------


def test_sdk_errors_keep_their_state_in_the_instance_dict_and_args(
    stub: VendorStub, an: anthropic.Anthropic
) -> None:
    """A vendor exception copied field by field (``__dict__``, ``args``) into another class loses nothing:
    the dual-class errors of translated calls are made this way."""
    stub.fail(CLAUDE, 429, retry_after=0)
    with pytest.raises(anthropic.RateLimitError) as info:
        an.messages.create(model=CLAUDE, max_tokens=5, messages=HI)
    original = info.value
    twin = as_caller_error(original, openai)
    assert isinstance(twin, anthropic.RateLimitError)
    assert isinstance(twin, openai.RateLimitError)
    for name in ("status_code", "response", "body", "request_id", "message"):
        assert getattr(twin, name) == getattr(original, name), name
    assert str(twin) == str(original)


def test_every_anthropic_api_error_has_an_openai_twin_by_name() -> None:
    """Each anthropic error class, or its nearest base, has a same-named openai class (and the other way
    round): a translated call's error is catchable as the caller's SDK class."""
    for sdk, other in ((anthropic, openai), (openai, anthropic)):
        for name in dir(sdk):
            cls = getattr(sdk, name)
            if not (isinstance(cls, type) and issubclass(cls, sdk.APIError)):
                continue
            twin = next((getattr(other, c.__name__) for c in cls.__mro__ if hasattr(other, c.__name__)), None)
            assert isinstance(twin, type)
            assert issubclass(twin, other.APIError), name


def test_anthropic_overloaded_error_is_an_internal_server_error() -> None:
    """``anthropic.OverloadedError`` (529) subclasses ``InternalServerError`` (from anthropic 2.5), so an
    overloaded Claude serving an OpenAI-shaped call is an ``openai.InternalServerError`` too."""
    assert issubclass(anthropic.OverloadedError, anthropic.InternalServerError)


@pytest.mark.parametrize("sdk", [openai, anthropic])
def test_sdk_connection_errors_are_named_apiconnectionerror(sdk: Any) -> None:
    """frugal's retry decides by class name (so it imports no SDK): connection errors and timeouts are
    ``APIConnectionError`` and ``APITimeoutError`` (a subclass) in both SDKs, status errors carry
    ``status_code``."""
    assert issubclass(sdk.APITimeoutError, sdk.APIConnectionError)
    assert sdk.APIConnectionError.__name__ == "APIConnectionError"
    request = httpx2.Request("POST", "http://127.0.0.1/")
    error = sdk.RateLimitError("slow down", response=httpx2.Response(429, request=request), body=None)
    assert error.status_code == 429
