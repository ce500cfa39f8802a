"""The ``anthropic`` provider kind: the Anthropic API.

Builds the ``anthropic`` SDK client (imported here, on first use; its own OpenTelemetry spans off unless
asked for, so tokens are never counted twice) and reads Anthropic-shaped answers: ``Message`` and the raw
stream events.
"""

from __future__ import annotations

from typing import Any, ClassVar

from ..usage import TokenUsage
from .base import AnswerSummary, Provider

__all__ = ["AnthropicProvider"]

_START_USAGE = ("input_tokens", "cache_read_input_tokens", "cache_creation_input_tokens")


class AnthropicProvider(Provider):
    """A provider speaking the Anthropic wire format."""

    kind: ClassVar[str] = "anthropic"
    key_variables: ClassVar[tuple[str, ...]] = ("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN")

    def sdk_class(self) -> Any:
        import anthropic

        return anthropic.AsyncAnthropic if self.is_async else anthropic.Anthropic

    def sdk_options(self) -> dict[str, Any]:
        # anthropic 2.x emits its own spans under a global tracer provider; frugal's attempt spans carry
        # the same tokens plus the cost, so the SDK's are off unless asked for.
        return {"open_telemetry": False, **self.options}

    def cached(self, operation: str, kwargs: dict[str, Any]) -> dict[str, Any]:
        """``messages`` arguments with prompt-cache breakpoints, when the client's policy asks for them."""
        cache = self.prompt_cache
        if cache is None or operation != "messages":
            return kwargs
        return cache.anthropic(kwargs, str(kwargs.get("model", "")))

    @staticmethod
    def summarize(result: Any) -> AnswerSummary:
        """Id, model, stop reason, usage and text of a ``Message`` (a token count has no usage)."""
        summary = AnswerSummary(
            response_id=getattr(result, "id", None), response_model=getattr(result, "model", None)
        )
        if getattr(result, "type", None) == "message":
            summary.text = [block.text for block in result.content if block.type == "text"]
            if result.stop_reason:
                summary.finish_reasons = [result.stop_reason]
            if result.usage is not None:
                summary.usage = TokenUsage.from_anthropic(result.usage)
        return summary

    @staticmethod
    def stream_reader(hide_usage: bool) -> AnthropicStreamReader:
        return AnthropicStreamReader()


class AnthropicStreamReader:
    """Reads raw message events: input and cache counts from ``message_start``, the output count from
    ``message_delta`` (the start's output count is a placeholder)."""

    __slots__ = ("_start", "_summary")

    def __init__(self) -> None:
        self._summary = AnswerSummary()
        self._start: Any = None

    def keep(self, item: Any) -> bool:
        summary = self._summary
        kind = getattr(item, "type", None)
        if kind == "message_start":
            message = item.message
            summary.response_id, summary.response_model = message.id, message.model
            self._start = message.usage
        elif kind == "content_block_delta":
            if item.delta.type == "text_delta":
                summary.text.append(item.delta.text)
        elif kind == "message_delta":
            if item.delta.stop_reason:
                summary.finish_reasons.append(item.delta.stop_reason)
            merged: dict[str, Any] = {}
            for name in _START_USAGE:
                value = getattr(item.usage, name, None)
                merged[name] = value if value is not None else getattr(self._start, name, 0) or 0
            merged["output_tokens"] = item.usage.output_tokens
            creation = getattr(self._start, "cache_creation", None)
            if creation is not None:
                merged["cache_creation"] = creation
            summary.usage = TokenUsage.from_anthropic(merged)
        return True

    def summary(self) -> AnswerSummary:
        return self._summary
