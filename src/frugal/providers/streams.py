"""SDK streams re-made around another iterator: translated, peeked at, and observed streams.

A translated stream *is* an ``openai.Stream`` (or ``anthropic.Stream``, or their async twins): the
instance is made without running the SDK's ``__init__`` (which would want an HTTP response to decode)
and its iterator is replaced by a generator that reads the serving vendor's stream and yields the
caller's event types. Iteration, ``with``, ``close()`` and ``.response`` behave as the SDK's do:
closing releases the serving vendor's HTTP response. The same re-making lets frugal read a stream's
first item before handing it over (:func:`peek_sync`) and read every item as it passes
(:func:`observe`). These lean on SDK internals (``Stream.__new__``, ``_iterator``, ``close``): each
assumption has a test of its own in ``tests/test_sdk_assumptions.py``.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from .base import AnswerSummary, StreamReader

__all__ = [
    "StreamEnd",
    "close_with",
    "observe",
    "peek_async",
    "peek_sync",
    "rewrap",
    "translate_async",
    "translate_sync",
]

S = TypeVar("S")

Feed = Callable[[Mapping[str, Any]], list[dict[str, Any]]]
Build = Callable[[Mapping[str, Any]], Any]
Convert = Callable[[BaseException], BaseException]
StreamEnd = Callable[["AnswerSummary", "BaseException | None", bool], None]
"""Called once when an observed stream ends: (what it said, the error or None, whether it was abandoned)."""


def rewrap(stream_cls: type[S], response: Any, items: Iterator[Any] | AsyncIterator[Any]) -> S:
    """An instance of the SDK stream class ``stream_cls`` that yields ``items``.

    Args:
        stream_cls: ``openai.Stream``, ``openai.AsyncStream``, ``anthropic.Stream`` or
            ``anthropic.AsyncStream`` (parametrised or not).
        response: the serving vendor's ``httpx2.Response``; ``close()`` closes it.
        items: the caller-shaped events.
    """
    stream = stream_cls.__new__(stream_cls)
    stream.response = response  # type: ignore[attr-defined]
    stream._iterator = items  # type: ignore[attr-defined]
    return stream


def _dump(event: Any) -> Mapping[str, Any]:
    dumped: Mapping[str, Any] = event.model_dump(mode="json", by_alias=True, exclude_unset=True)
    return dumped


def translate_sync(
    source: Iterable[Any],
    feed: Feed,
    end: Callable[[], list[dict[str, Any]]] | None,
    build: Build,
    convert: Convert,
) -> Iterator[Any]:
    """Yield ``build(d)`` for every dict the translator makes of the serving vendor's events.

    Vendor errors raised mid-stream are re-raised through ``convert`` (see ``errors.as_caller_error``).
    """
    try:
        for event in source:
            for item in feed(_dump(event)):
                yield build(item)
        if end is not None:
            for item in end():
                yield build(item)
    except Exception as exc:
        converted = convert(exc)
        if converted is exc:
            raise
        raise converted from None


async def translate_async(
    source: AsyncIterable[Any],
    feed: Feed,
    end: Callable[[], list[dict[str, Any]]] | None,
    build: Build,
    convert: Convert,
) -> AsyncIterator[Any]:
    """The async twin of :func:`translate_sync` (the loop itself is all that differs)."""
    try:
        async for event in source:
            for item in feed(_dump(event)):
                yield build(item)
        if end is not None:
            for item in end():
                yield build(item)
    except Exception as exc:
        converted = convert(exc)
        if converted is exc:
            raise
        raise converted from None


def peek_sync(stream: S) -> S:
    """Read the first item of an SDK stream now, and return a stream of the same class yielding everything.

    An error that arrives before the first item (a mid-stream ``overloaded_error`` as the first event) is
    raised here, while nothing has reached the caller, so the call can still be retried or fall back.
    """
    iterator: Iterator[Any] = stream._iterator  # type: ignore[attr-defined]
    try:
        first = next(iterator)
    except StopIteration:
        return stream
    return rewrap(type(stream), stream.response, _prepend(first, iterator))  # type: ignore[attr-defined]


async def peek_async(stream: S) -> S:
    """The async twin of :func:`peek_sync`."""
    iterator: AsyncIterator[Any] = stream._iterator  # type: ignore[attr-defined]
    try:
        first = await iterator.__anext__()
    except StopAsyncIteration:
        return stream
    return rewrap(type(stream), stream.response, _prepend_async(first, iterator))  # type: ignore[attr-defined]


def _prepend(first: Any, rest: Iterator[Any]) -> Iterator[Any]:
    yield first
    yield from rest


async def _prepend_async(first: Any, rest: AsyncIterator[Any]) -> AsyncIterator[Any]:
    yield first
    async for item in rest:
        yield item


def close_with(stream: S, items: Iterator[Any] | AsyncIterator[Any]) -> S:
    """Make ``stream.close()`` (and ``with``/``async with``) also close ``items``, a generator over it.

    An observing generator's ``finally`` then runs at once (ending its spans), not at garbage collection.
    """
    original = stream.close  # type: ignore[attr-defined]
    if hasattr(items, "aclose"):

        async def aclose() -> None:
            try:
                await items.aclose()
            finally:
                await original()

        stream.close = aclose  # type: ignore[attr-defined]
    else:

        def close() -> None:
            try:
                items.close()  # type: ignore[union-attr]
            finally:
                original()

        stream.close = close  # type: ignore[attr-defined]
    return stream


def observe(stream: S, reader: StreamReader, on_end: StreamEnd) -> S:
    """A stream of the same SDK class that hands ``reader`` every item as it passes (yielding those it
    keeps) and calls ``on_end`` exactly once: at the end, on an error, or when the caller closes or drops
    the stream before its end (abandoned)."""
    source = stream._iterator  # type: ignore[attr-defined]
    items: Iterator[Any] | AsyncIterator[Any]
    if hasattr(source, "__anext__"):
        items = _observing_async(source, reader, on_end)
    else:
        items = _observing(source, reader, on_end)
    return close_with(rewrap(type(stream), stream.response, items), items)  # type: ignore[attr-defined]


def _observing(source: Iterator[Any], reader: StreamReader, on_end: StreamEnd) -> Iterator[Any]:
    error: BaseException | None = None
    try:
        for item in source:
            if reader.keep(item):
                yield item
    except BaseException as exc:
        error = exc
        raise
    finally:
        on_end(reader.summary(), error, isinstance(error, GeneratorExit))


async def _observing_async(
    source: AsyncIterator[Any], reader: StreamReader, on_end: StreamEnd
) -> AsyncIterator[Any]:
    error: BaseException | None = None
    try:
        async for item in source:
            if reader.keep(item):
                yield item
    except BaseException as exc:
        error = exc
        raise
    finally:
        on_end(reader.summary(), error, isinstance(error, GeneratorExit))
