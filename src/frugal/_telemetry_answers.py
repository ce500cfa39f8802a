"""Reading the SDKs' answers for telemetry: ids, models, finish reasons, usage, and (opt-in) content.

Works on the SDKs' own objects (``ChatCompletion``, ``Message``, ``Response``, their stream events) by
attribute access, so it imports neither SDK.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from .catalog import TokenUsage
from .semconv import (
    GEN_AI_INPUT_MESSAGES,
    GEN_AI_OPERATION_NAME,
    GEN_AI_PROVIDER_NAME,
    GEN_AI_REQUEST_CHOICE_COUNT,
    GEN_AI_REQUEST_MAX_TOKENS,
    GEN_AI_REQUEST_MODEL,
    GEN_AI_REQUEST_SEED,
    GEN_AI_REQUEST_STOP_SEQUENCES,
    GEN_AI_REQUEST_STREAM,
    GEN_AI_REQUEST_TEMPERATURE,
    GEN_AI_REQUEST_TOP_P,
    GEN_AI_SYSTEM_INSTRUCTIONS,
    SERVER_ADDRESS,
    SERVER_PORT,
)

_GENAI_OPERATION = {
    "chat": "chat",
    "messages": "chat",
    "responses": "chat",
    "embeddings": "embeddings",
    "count_tokens": "count_tokens",
}


class _Summary:
    __slots__ = ("finish_reasons", "response_id", "response_model", "text", "usage")

    def __init__(self) -> None:
        self.response_id: str | None = None
        self.response_model: str | None = None
        self.finish_reasons: list[str] = []
        self.usage: TokenUsage | None = None
        self.text: list[str] = []  # the answer's text: only put on spans when content capture is on


def _embeddings_usage(usage: Any) -> TokenUsage:
    return TokenUsage(input_tokens=getattr(usage, "prompt_tokens", 0) or 0)


_USAGE_READERS = {
    "chat.completion": TokenUsage.from_openai_chat,
    "message": TokenUsage.from_anthropic,
    "response": TokenUsage.from_openai_responses,
    "list": _embeddings_usage,
}


def _answer_usage(result: Any, kind: str | None = None) -> TokenUsage | None:
    """The usage of a ChatCompletion, Message, Response or embeddings list (all that the ledger reads)."""
    usage = getattr(result, "usage", None)
    if usage is None:
        return None
    kind = kind or getattr(result, "object", None) or getattr(result, "type", None)
    reader = _USAGE_READERS.get(kind) if isinstance(kind, str) else None
    return reader(usage) if reader is not None else None


def _summary(result: Any) -> _Summary:
    """Id, model, finish reasons and usage of a ChatCompletion, Message or Response."""
    summary = _Summary()
    summary.response_id = getattr(result, "id", None)
    summary.response_model = getattr(result, "model", None)
    kind = getattr(result, "object", None) or getattr(result, "type", None)
    if kind == "chat.completion":
        summary.finish_reasons = [c.finish_reason for c in result.choices if c.finish_reason]
        summary.text = [c.message.content for c in result.choices[:1] if c.message.content]
    elif kind == "message":
        summary.text = [block.text for block in result.content if block.type == "text"]
        if result.stop_reason:
            summary.finish_reasons = [result.stop_reason]
    elif kind == "response":
        summary.text = [result.output_text] if result.output_text else []
        summary.finish_reasons = [result.status] if getattr(result, "status", None) else []
    summary.usage = _answer_usage(result, kind)
    return summary


class _StreamSummary:
    """Accumulates what a stream says about itself: chat chunks, Anthropic events, Responses events."""

    __slots__ = ("_anthropic_start", "_summary")

    def __init__(self) -> None:
        self._summary = _Summary()
        self._anthropic_start: Any = None

    def feed(self, item: Any) -> None:
        summary = self._summary
        kind = getattr(item, "object", None) or getattr(item, "type", None)
        if kind == "chat.completion.chunk":
            summary.response_id = summary.response_id or item.id
            summary.response_model = summary.response_model or item.model
            for choice in item.choices:
                if choice.finish_reason:
                    summary.finish_reasons.append(choice.finish_reason)
                if choice.index == 0 and choice.delta.content:
                    summary.text.append(choice.delta.content)
            if item.usage is not None:
                summary.usage = TokenUsage.from_openai_chat(item.usage)
        elif kind == "message_start":
            message = item.message
            summary.response_id, summary.response_model = message.id, message.model
            self._anthropic_start = message.usage
        elif kind == "content_block_delta":
            if item.delta.type == "text_delta":
                summary.text.append(item.delta.text)
        elif kind == "message_delta":
            if item.delta.stop_reason:
                summary.finish_reasons.append(item.delta.stop_reason)
            merged: dict[str, Any] = {}
            start = self._anthropic_start
            for field in ("input_tokens", "cache_read_input_tokens", "cache_creation_input_tokens"):
                value = getattr(item.usage, field, None)
                merged[field] = value if value is not None else getattr(start, field, 0) or 0
            merged["output_tokens"] = item.usage.output_tokens
            creation = getattr(start, "cache_creation", None)
            if creation is not None:
                merged["cache_creation"] = creation
            summary.usage = TokenUsage.from_anthropic(merged)
        elif kind == "response.completed":
            inner = _summary(item.response)
            summary.response_id, summary.response_model = inner.response_id, inner.response_model
            summary.finish_reasons, summary.usage = inner.finish_reasons, inner.usage

    def keep(self, item: Any, hide_usage: bool) -> bool:
        """Read ``item``; whether to hand it on (not the usage chunk frugal asked for, ``hide_usage``)."""
        self.feed(item)
        return not (hide_usage and _usage_chunk(item))

    def result(self) -> _Summary:
        return self._summary


def _parts(content: Any) -> list[dict[str, Any]]:
    """Semantic-convention parts of a message content (text kept, other parts named by type)."""
    if isinstance(content, str):
        return [{"type": "text", "content": content}]
    parts: list[dict[str, Any]] = []
    for part in content or ():
        part = part if isinstance(part, Mapping) else getattr(part, "model_dump", dict)()
        kind = part.get("type")
        if kind in ("text", "input_text", "output_text"):
            parts.append({"type": "text", "content": part.get("text", "")})
        elif kind is not None:
            parts.append({"type": str(kind)})
    return parts


def _content_attributes(operation: str, params: Mapping[str, Any]) -> dict[str, str]:
    """gen_ai.input.messages and gen_ai.system_instructions, as JSON strings (content capture only)."""
    system: list[dict[str, Any]] = []
    messages: list[dict[str, Any]] = []
    if operation == "responses":
        if params.get("instructions"):
            system = _parts(params["instructions"])
        raw = params.get("input")
        items = [{"role": "user", "content": raw}] if isinstance(raw, str) else list(raw or ())
    else:
        if operation == "messages" and params.get("system"):
            system = _parts(params["system"])
        items = list(params.get("messages") or ())
    for item in items:
        item = item if isinstance(item, Mapping) else getattr(item, "model_dump", dict)()
        role = item.get("role", "user")
        if role in ("system", "developer"):
            system.extend(_parts(item.get("content")))
        else:
            messages.append({"role": role, "parts": _parts(item.get("content"))})
    attributes = {GEN_AI_INPUT_MESSAGES: json.dumps(messages, ensure_ascii=False)}
    if system:
        attributes[GEN_AI_SYSTEM_INSTRUCTIONS] = json.dumps(system, ensure_ascii=False)
    return attributes


def _usage_chunk(item: Any) -> bool:
    """OpenAI's extra last chunk: no choices, only usage."""
    return (
        getattr(item, "object", None) == "chat.completion.chunk"
        and not item.choices
        and item.usage is not None
    )


def _request_attributes(
    operation: str, provider: str, kind: str, model: str, params: Mapping[str, Any], server: Any
) -> dict[str, Any]:
    attributes: dict[str, Any] = {
        GEN_AI_OPERATION_NAME: _GENAI_OPERATION.get(operation, operation),
        GEN_AI_PROVIDER_NAME: kind if provider == kind else provider,
        GEN_AI_REQUEST_MODEL: model,
    }
    if server is not None:
        host, port = server
        attributes[SERVER_ADDRESS] = host
        if port is not None:
            attributes[SERVER_PORT] = port
    limit = params.get("max_completion_tokens") or params.get("max_tokens") or params.get("max_output_tokens")
    if isinstance(limit, int):
        attributes[GEN_AI_REQUEST_MAX_TOKENS] = limit
    for key, name in (("temperature", GEN_AI_REQUEST_TEMPERATURE), ("top_p", GEN_AI_REQUEST_TOP_P)):
        value = params.get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            attributes[name] = float(value)
    if params.get("stream"):
        attributes[GEN_AI_REQUEST_STREAM] = True
    stop = params.get("stop") or params.get("stop_sequences")
    if isinstance(stop, str):
        attributes[GEN_AI_REQUEST_STOP_SEQUENCES] = [stop]
    elif isinstance(stop, (list, tuple)) and all(isinstance(item, str) for item in stop):
        attributes[GEN_AI_REQUEST_STOP_SEQUENCES] = list(stop)
    seed = params.get("seed")
    if isinstance(seed, int) and not isinstance(seed, bool):
        attributes[GEN_AI_REQUEST_SEED] = seed
    choices = params.get("n")
    if isinstance(choices, int) and choices != 1:
        attributes[GEN_AI_REQUEST_CHOICE_COUNT] = choices
    return attributes


def _error_type(error: BaseException) -> str:
    body = getattr(error, "body", None)
    if isinstance(body, dict):
        inner = body.get("error")
        code = (inner if isinstance(inner, dict) else body).get("type")
        if isinstance(code, str):
            return code
    return type(error).__name__
