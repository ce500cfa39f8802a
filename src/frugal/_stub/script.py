"""What a test scripts into the stub, and what the stub records: vendor-neutral, frozen values."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = ["Fault", "FaultKind", "RecordedRequest", "Reply", "ToolCall", "Usage", "Vendor"]

Vendor = Literal["openai", "anthropic"]
FaultKind = Literal["status", "delay", "reset", "malformed_json", "truncated_stream", "stream_error"]

# A vendor-native stop reason maps to the neutral one it means; the neutral one is rendered per vendor.
_NEUTRAL_STOP = {
    "stop": "stop",
    "length": "length",
    "tool_calls": "tool_calls",
    "content_filter": "content_filter",
    # OpenAI's own
    "function_call": "tool_calls",
    # Anthropic's own
    "end_turn": "stop",
    "stop_sequence": "stop",
    "pause_turn": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
}
_OPENAI_NATIVE = frozenset({"stop", "length", "tool_calls", "content_filter", "function_call"})
_ANTHROPIC_NATIVE = frozenset(
    {
        "end_turn",
        "max_tokens",
        "stop_sequence",
        "tool_use",
        "pause_turn",
        "refusal",
        "model_context_window_exceeded",
    }
)
_ANTHROPIC_FROM_NEUTRAL = {
    "stop": "end_turn",
    "length": "max_tokens",
    "tool_calls": "tool_use",
    "content_filter": "refusal",
}
STOP_REASONS = frozenset(_NEUTRAL_STOP)


@dataclass(frozen=True, slots=True)
class Usage:
    """Token counts of a scripted reply, vendor-neutral (the OpenTelemetry convention).

    The stub renders them in each vendor's own semantics: OpenAI's ``prompt_tokens`` include cached
    tokens, Anthropic's ``input_tokens`` exclude cache reads and writes.

    Attributes:
        input_tokens: ALL input tokens, cache reads and cache writes included.
        output_tokens: all output tokens, reasoning tokens included.
        cache_read_tokens: input tokens read from the prompt cache.
        cache_write_tokens: input tokens written to the cache with the 5-minute TTL.
        cache_write_1h_tokens: input tokens written to the cache with the 1-hour TTL.
        reasoning_tokens: output tokens spent on reasoning.

    Raises:
        ValueError: a count is negative, the cache parts exceed ``input_tokens``, or the reasoning part
            exceeds ``output_tokens``.
    """

    input_tokens: int = 12
    output_tokens: int = 5
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    cache_write_1h_tokens: int = 0
    reasoning_tokens: int = 0

    def __post_init__(self) -> None:
        for name in (
            "input_tokens",
            "output_tokens",
            "cache_read_tokens",
            "cache_write_tokens",
            "cache_write_1h_tokens",
            "reasoning_tokens",
        ):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ValueError(f"Usage.{name} must be a non-negative int, got {value!r}")
        cached = self.cache_read_tokens + self.cache_write_tokens + self.cache_write_1h_tokens
        if cached > self.input_tokens:
            raise ValueError(
                f"Usage: cache reads and writes ({cached}) are part of input_tokens "
                f"({self.input_tokens}) and cannot exceed it"
            )
        if self.reasoning_tokens > self.output_tokens:
            raise ValueError(
                f"Usage: reasoning_tokens ({self.reasoning_tokens}) are part of output_tokens "
                f"({self.output_tokens}) and cannot exceed it"
            )

    @property
    def cache_write_total(self) -> int:
        """Cache writes of both TTLs."""
        return self.cache_write_tokens + self.cache_write_1h_tokens

    @property
    def uncached_input_tokens(self) -> int:
        """Input tokens neither read from nor written to the cache (Anthropic's ``input_tokens``)."""
        return self.input_tokens - self.cache_read_tokens - self.cache_write_total

    @property
    def total_tokens(self) -> int:
        """Input plus output."""
        return self.input_tokens + self.output_tokens


#: The reference doc's default: 12 tokens in, 5 out.
DEFAULT_USAGE = Usage()


@dataclass(frozen=True, slots=True)
class ToolCall:
    """A tool call in a scripted reply.

    Rendered as an OpenAI chat ``tool_calls`` entry (arguments as a JSON string, id ``call_...``), an
    Anthropic ``tool_use`` block (``input`` as an object, id ``toolu_...``) and a Responses
    ``function_call`` output item.

    Attributes:
        name: the function's name.
        arguments: the arguments; must be JSON-serialisable.
        id: the call's id; None for a generated one with the vendor's prefix.

    Raises:
        ValueError: ``name`` is empty or ``arguments`` is not JSON-serialisable.
    """

    name: str
    arguments: Mapping[str, Any] = field(default_factory=dict)
    id: str | None = None

    def __post_init__(self) -> None:
        if not self.name:
            raise ValueError("ToolCall.name must not be empty")
        try:
            json.dumps(dict(self.arguments))
        except (TypeError, ValueError) as error:
            raise ValueError(f"ToolCall.arguments must be JSON-serialisable: {error}") from None

    def arguments_json(self) -> str:
        """The arguments as the JSON string OpenAI sends."""
        return json.dumps(dict(self.arguments))


@dataclass(frozen=True, slots=True)
class Reply:
    """A scripted model answer.

    Attributes:
        text: the answer's text; None for an answer made only of tool calls.
        tool_calls: the tool calls the model makes.
        usage: token counts; None for the default (12 in, 5 out).
        stop_reason: vendor-neutral ``"stop"``, ``"length"``, ``"tool_calls"`` or ``"content_filter"``,
            or a vendor's own value (``"end_turn"``, ``"stop_sequence"``, ``"pause_turn"``,
            ``"function_call"``, ...), sent verbatim to that vendor and translated for the other. None:
            ``"tool_calls"`` when there are tool calls, else ``"stop"``.
        delay: seconds to wait before sending the response headers.
        chunk_delay: seconds to wait between stream events.

    Raises:
        ValueError: an unknown ``stop_reason`` or a negative delay.
    """

    text: str | None = "Hello from stub."
    tool_calls: Sequence[ToolCall] = ()
    usage: Usage | None = None
    stop_reason: str | None = None
    delay: float = 0.0
    chunk_delay: float = 0.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "tool_calls", tuple(self.tool_calls))
        if self.stop_reason is not None and self.stop_reason not in STOP_REASONS:
            raise ValueError(
                f"Reply.stop_reason {self.stop_reason!r} is not one of {', '.join(sorted(STOP_REASONS))}"
            )
        for name in ("delay", "chunk_delay"):
            value = getattr(self, name)
            if not (value >= 0 and math.isfinite(value)):
                raise ValueError(f"Reply.{name} must be a finite number of seconds >= 0, got {value!r}")

    @property
    def counts(self) -> Usage:
        """The usage to report."""
        return self.usage or DEFAULT_USAGE

    @property
    def neutral_stop(self) -> str:
        """The stop reason, vendor-neutral."""
        if self.stop_reason is None:
            return "tool_calls" if self.tool_calls else "stop"
        return _NEUTRAL_STOP[self.stop_reason]

    @property
    def openai_finish_reason(self) -> str:
        """OpenAI chat's ``finish_reason``."""
        if self.stop_reason in _OPENAI_NATIVE:
            return self.stop_reason
        return self.neutral_stop

    @property
    def anthropic_stop_reason(self) -> str:
        """Anthropic's ``stop_reason``."""
        if self.stop_reason in _ANTHROPIC_NATIVE:
            return self.stop_reason
        return _ANTHROPIC_FROM_NEUTRAL[self.neutral_stop]


#: What every model answers when nothing is scripted.
DEFAULT_REPLY = Reply()


@dataclass(frozen=True, slots=True)
class Fault:
    """A scripted failure; build one with the class methods (``Fault.status(429)``, ``Fault.reset()``, ...).

    Queue faults with :meth:`VendorStub.queue` (or :meth:`VendorStub.fail` for status errors).

    Attributes:
        kind: which failure.
        status_code: the HTTP status of a ``status`` fault, or the error a ``stream_error`` fault names.
        retry_after: the ``retry-after`` header of a ``status`` fault, in seconds.
        message: the error message (None for a generic one).
        headers: extra response headers of a ``status`` fault.
        seconds: how long a ``delay`` fault waits.
        after_events: how many stream events precede a stream fault.
        graceful: whether a ``truncated_stream`` fault ends the HTTP response properly (else the
            connection drops mid-body).
    """

    kind: FaultKind
    status_code: int = 500
    retry_after: float | None = None
    message: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    after_events: int = 0
    graceful: bool = False

    @classmethod
    def status(
        cls,
        code: int,
        *,
        retry_after: float | None = None,
        message: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Fault:
        """An HTTP error with the vendor's own error body (and a ``retry-after`` header when given).

        Args:
            code: the HTTP status, 400 to 599 (529 is Anthropic's "overloaded").
            retry_after: seconds for the ``retry-after`` header (the SDKs honour it when they retry).
            message: the error message; None for a generic one.
            headers: extra response headers.

        Returns:
            The fault.

        Raises:
            ValueError: ``code`` is not an error status, or ``retry_after`` is negative.
        """
        if not 400 <= code <= 599:
            raise ValueError(f"Fault.status: {code} is not an HTTP error status (400-599)")
        if retry_after is not None and retry_after < 0:
            raise ValueError("Fault.status: retry_after must be >= 0")
        return cls(
            "status", status_code=code, retry_after=retry_after, message=message, headers=dict(headers or {})
        )

    @classmethod
    def delay(cls, seconds: float) -> Fault:
        """Wait ``seconds`` before the normal reply: give the client a shorter timeout to make it time out.

        Args:
            seconds: how long to wait before the response headers.

        Returns:
            The fault.
        """
        if not (seconds >= 0 and math.isfinite(seconds)):
            raise ValueError("Fault.delay: seconds must be a finite number >= 0")
        return cls("delay", seconds=seconds)

    @classmethod
    def reset(cls) -> Fault:
        """Close the connection abruptly (TCP reset) without any response."""
        return cls("reset")

    @classmethod
    def malformed_json(cls) -> Fault:
        """A 200 with ``content-type: application/json`` whose body is not valid JSON."""
        return cls("malformed_json")

    @classmethod
    def truncated_stream(cls, after_events: int, *, graceful: bool = False) -> Fault:
        """Send ``after_events`` stream events, then stop without the terminal event.

        OpenAI chat streams end without ``data: [DONE]``, Responses streams without
        ``response.completed``, Anthropic streams without ``message_stop``; at most every event but the
        terminal one is sent. By default the connection then drops in the middle of the chunked body, as
        when a server dies (httpx2 raises ``RemoteProtocolError``); with ``graceful=True`` the HTTP
        response ends properly, as when a proxy cuts a stream short (the SDKs see a stream that just
        stops). A non-streaming request gets :meth:`reset` instead.

        Args:
            after_events: how many events to send first.
            graceful: end the HTTP response properly instead of dropping the connection.

        Returns:
            The fault.
        """
        if after_events < 0:
            raise ValueError("Fault.truncated_stream: after_events must be >= 0")
        return cls("truncated_stream", after_events=after_events, graceful=graceful)

    @classmethod
    def stream_error(cls, after_events: int = 0, status: int = 529, *, message: str | None = None) -> Fault:
        """Send ``after_events`` stream events, then the vendor's mid-stream error event.

        Anthropic: ``event: error`` with ``{"type": "error", "error": {"type": ..., "message": ...}}``
        (the type fits ``status``: ``overloaded_error`` for 529). OpenAI chat: a ``data: {"error": ...}``
        chunk; Responses: an ``event: error``. A non-streaming request gets :meth:`status` instead.

        Args:
            after_events: how many events to send first.
            status: the HTTP status whose error the event reports.
            message: the error message; None for a generic one.

        Returns:
            The fault.
        """
        if after_events < 0:
            raise ValueError("Fault.stream_error: after_events must be >= 0")
        if not 400 <= status <= 599:
            raise ValueError(f"Fault.stream_error: {status} is not an HTTP error status (400-599)")
        return cls("stream_error", status_code=status, after_events=after_events, message=message)


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """A request the stub received (every one, including those answered with a fault or an error).

    Attributes:
        vendor: ``"openai"`` or ``"anthropic"``, from the path (from the headers for unknown paths).
        path: the URL path, without the query string (``/v1/chat/completions``).
        method: the HTTP method.
        headers: the request headers, names lower-cased.
        body: the parsed JSON body, or None when there was none or it was not a JSON object.
        model: the body's ``model``, or None.
        stream: whether the body asked for a stream.
        time: when it arrived, on the ``time.monotonic()`` clock.
        raw_body: the body's bytes as received.
    """

    vendor: Vendor
    path: str
    method: str
    headers: dict[str, str]
    body: dict[str, Any] | None
    model: str | None
    stream: bool
    time: float
    raw_body: bytes = b""
