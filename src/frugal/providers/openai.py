"""The ``openai`` provider kind: the OpenAI API, Azure OpenAI, or any OpenAI-compatible server.

Builds the ``openai`` SDK client (imported here, on first use) and reads OpenAI-shaped answers:
``ChatCompletion``, ``Response``, embeddings lists, chat chunks and Responses stream events.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from ..usage import TokenUsage
from .base import AnswerSummary, Provider
from .calls import CHAT, Operation

__all__ = ["OpenAIProvider"]


class OpenAIProvider(Provider):
    """A provider speaking the OpenAI wire format."""

    kind: ClassVar[str] = "openai"
    key_variables: ClassVar[tuple[str, ...]] = ("OPENAI_API_KEY",)

    def sdk_class(self) -> Any:
        import openai

        return openai.AsyncOpenAI if self.is_async else openai.OpenAI

    def cached(self, operation: str, kwargs: dict[str, Any]) -> dict[str, Any]:
        """Chat or Responses arguments with a ``prompt_cache_key``, when the client's policy asks for one."""
        cache = self.prompt_cache
        if cache is None or operation not in ("chat", "responses"):
            return kwargs
        return cache.openai(kwargs)

    @staticmethod
    def prepare_stream(op: Operation, params: Mapping[str, Any]) -> tuple[dict[str, Any], bool]:
        """A chat stream reports its usage only when asked (``stream_options.include_usage``): frugal asks,
        and keeps that extra last chunk from a caller who did not."""
        sent = dict(params)
        if op is not CHAT:
            return sent, False
        options = params.get("stream_options") or {}
        if options.get("include_usage"):
            return sent, False
        sent["stream_options"] = {**options, "include_usage": True}
        return sent, True

    @staticmethod
    def summarize(result: Any) -> AnswerSummary:
        """Id, model, finish reasons, usage and text of a ``ChatCompletion``, ``Response`` or embeddings
        list."""
        summary = AnswerSummary(
            response_id=getattr(result, "id", None),
            response_model=getattr(result, "model", None),
            service_tier=getattr(result, "service_tier", None),
        )
        kind = getattr(result, "object", None)
        usage = getattr(result, "usage", None)
        if kind == "chat.completion":
            summary.finish_reasons = [c.finish_reason for c in result.choices if c.finish_reason]
            summary.text = [c.message.content for c in result.choices[:1] if c.message.content]
            summary.usage = TokenUsage.from_openai_chat(usage) if usage is not None else None
        elif kind == "response":
            summary.text = [result.output_text] if result.output_text else []
            summary.finish_reasons = [result.status] if getattr(result, "status", None) else []
            summary.usage = TokenUsage.from_openai_responses(usage) if usage is not None else None
        elif kind == "list" and usage is not None:  # embeddings
            summary.usage = TokenUsage(input_tokens=getattr(usage, "prompt_tokens", 0) or 0)
        return summary

    @staticmethod
    def stream_reader(hide_usage: bool) -> OpenAIStreamReader:
        return OpenAIStreamReader(hide_usage)


# The last event of a Responses stream, each carrying the whole response with its usage: an answer cut by
# max_output_tokens (or a content filter) ends with response.incomplete, and its tokens are billed too.
_FINAL_RESPONSE_EVENTS = frozenset({"response.completed", "response.incomplete", "response.failed"})


class OpenAIStreamReader:
    """Reads chat chunks (usage from the last chunk) and Responses events (all of it from the final
    ``response.completed``, ``response.incomplete`` or ``response.failed``)."""

    __slots__ = ("_hide_usage", "_summary")

    def __init__(self, hide_usage: bool) -> None:
        self._summary = AnswerSummary()
        self._hide_usage = hide_usage

    def keep(self, item: Any) -> bool:
        summary = self._summary
        if getattr(item, "object", None) == "chat.completion.chunk":
            summary.response_id = summary.response_id or item.id
            summary.response_model = summary.response_model or item.model
            summary.service_tier = getattr(item, "service_tier", None) or summary.service_tier
            for choice in item.choices:
                if choice.finish_reason:
                    summary.finish_reasons.append(choice.finish_reason)
                if choice.index == 0 and choice.delta.content:
                    summary.text.append(choice.delta.content)
            if item.usage is not None:
                summary.usage = TokenUsage.from_openai_chat(item.usage)
                # OpenAI's extra last chunk (no choices, only usage), asked for by frugal.
                return not (self._hide_usage and not item.choices)
        elif getattr(item, "type", None) in _FINAL_RESPONSE_EVENTS:
            done = OpenAIProvider.summarize(item.response)
            summary.response_id, summary.response_model = done.response_id, done.response_model
            summary.finish_reasons, summary.usage = done.finish_reasons, done.usage
            summary.service_tier = done.service_tier
            summary.text = summary.text or done.text
        return True

    def summary(self) -> AnswerSummary:
        return self._summary
