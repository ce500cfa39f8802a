"""Streaming translation, one event or chunk at a time, in both directions.

Each translator is a small state machine fed by the caller as the vendor's stream arrives; it never
buffers content, so the translated stream is as incremental as the original.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from .common import (
    anthropic_usage_from_openai,
    as_mapping,
    dump_tool_input,
    finish_reason_from_stop_reason,
    openai_usage_from_anthropic,
    stop_reason_from_finish_reason,
)


class MessagesStreamToChatChunks:
    """Anthropic raw stream events -> OpenAI ``chat.completion.chunk`` dicts.

    Text deltas become content deltas, each ``tool_use`` block becomes a tool call (numbered by its
    position among tool calls, not by its Anthropic block index) whose arguments stream from the
    ``input_json_delta`` fragments, and thinking is dropped (its tokens stay in usage). With
    ``include_usage`` every chunk carries ``"usage": None`` and a final ``choices: []`` chunk carries
    the usage, as OpenAI does when asked with ``stream_options={"include_usage": True}``.
    """

    def __init__(self, *, model: str | None, include_usage: bool) -> None:
        self._model = model
        self._include_usage = include_usage
        self._id = ""
        self._created = int(time.time())
        self._usage: dict[str, Any] = {}
        # Anthropic block index -> OpenAI tool-call index.
        self._tool_index: dict[int, int] = {}
        # Anthropic block index -> the input given on content_block_start, for blocks that got no
        # input_json_delta (then the arguments are sent whole when the block stops).
        self._pending_input: dict[int, Any] = {}

    def feed(self, event: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Translate one Anthropic event into zero or more OpenAI chunks."""
        event = as_mapping(event)
        kind = event.get("type")
        if kind == "message_start":
            message = as_mapping(event["message"])
            self._id = message["id"]
            if self._model is None:
                self._model = message.get("model")
            self._usage = dict(message.get("usage") or {})
            return [self._delta({"role": "assistant", "content": ""})]
        if kind == "content_block_start":
            return self._block_start(event["index"], as_mapping(event["content_block"]))
        if kind == "content_block_delta":
            return self._block_delta(event["index"], as_mapping(event["delta"]))
        if kind == "content_block_stop":
            index = event["index"]
            if index in self._pending_input:
                arguments = dump_tool_input(self._pending_input.pop(index))
                return [
                    self._tool_delta({"index": self._tool_index[index], "function": {"arguments": arguments}})
                ]
            return []
        if kind == "message_delta":
            # message_delta usage counts are cumulative totals: they replace the message_start ones.
            for key, value in (event.get("usage") or {}).items():
                if value is not None:
                    self._usage[key] = value
            stop_reason = (event.get("delta") or {}).get("stop_reason")
            chunks = [self._delta({}, finish_reason_from_stop_reason(stop_reason))]
            if self._include_usage:
                usage_chunk = self._chunk([])
                usage_chunk["usage"] = openai_usage_from_anthropic(self._usage)
                chunks.append(usage_chunk)
            return chunks
        # message_stop, ping and anything newer carry nothing an OpenAI caller could receive.
        return []

    def _block_start(self, index: int, block: Mapping[str, Any]) -> list[dict[str, Any]]:
        kind = block.get("type")
        if kind == "text":
            return [self._delta({"content": block["text"]})] if block.get("text") else []
        if kind == "tool_use":
            position = len(self._tool_index)
            self._tool_index[index] = position
            self._pending_input[index] = block.get("input")
            call = {
                "index": position,
                "id": block["id"],
                "type": "function",
                "function": {"name": block["name"], "arguments": ""},
            }
            return [self._tool_delta(call)]
        return []

    def _block_delta(self, index: int, delta: Mapping[str, Any]) -> list[dict[str, Any]]:
        kind = delta.get("type")
        if kind == "text_delta" and delta.get("text"):
            return [self._delta({"content": delta["text"]})]
        if kind == "input_json_delta" and index in self._tool_index and delta.get("partial_json"):
            self._pending_input.pop(index, None)
            fragment = {"index": self._tool_index[index], "function": {"arguments": delta["partial_json"]}}
            return [self._tool_delta(fragment)]
        return []

    def _chunk(self, choices: list[dict[str, Any]]) -> dict[str, Any]:
        chunk: dict[str, Any] = {
            "id": self._id,
            "object": "chat.completion.chunk",
            "created": self._created,
            "model": self._model or "",
            "choices": choices,
        }
        if self._include_usage:
            chunk["usage"] = None
        return chunk

    def _delta(self, delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
        return self._chunk([{"index": 0, "delta": delta, "finish_reason": finish_reason, "logprobs": None}])

    def _tool_delta(self, call: dict[str, Any]) -> dict[str, Any]:
        return self._delta({"tool_calls": [call]})


class ChatChunksToMessagesStream:
    """OpenAI chat chunks -> Anthropic raw stream event dicts.

    The first chunk opens the message (``message_start``, with zero usage: OpenAI reports usage only at
    the end); content and each tool call become content blocks; :meth:`finish` closes the last block
    and sends ``message_delta`` with the stop reason and the full usage (input and cache counts
    included, which Anthropic's stream accumulator takes from ``message_delta``) and ``message_stop``.
    The OpenAI request must have asked for ``stream_options={"include_usage": True}``, which
    :func:`messages_request_to_chat` does for streams.
    """

    def __init__(self, *, model: str | None) -> None:
        self._model = model
        self._started = False
        self._finished = False
        self._next_block = 0
        self._open_block: int | None = None
        self._open_kind: str | None = None
        # OpenAI tool-call index -> Anthropic block index.
        self._tool_blocks: dict[int, int] = {}
        self._finish_reason: str | None = None
        self._refused = False
        self._usage: Mapping[str, Any] | None = None

    def feed(self, chunk: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Translate one OpenAI chunk into zero or more Anthropic events."""
        chunk = as_mapping(chunk)
        events: list[dict[str, Any]] = []
        if not self._started:
            self._started = True
            events.append(self._message_start(chunk))
        for raw in chunk.get("choices") or ():
            choice = as_mapping(raw)
            if choice.get("index", 0) != 0:
                continue  # frugal never asks for n > 1
            delta = as_mapping(choice.get("delta") or {})
            if delta.get("content"):
                events.extend(self._text(delta["content"]))
            if delta.get("refusal"):
                self._refused = True
                events.extend(self._text(delta["refusal"]))
            for call in delta.get("tool_calls") or ():
                events.extend(self._tool_call(as_mapping(call)))
            if choice.get("finish_reason"):
                self._finish_reason = choice["finish_reason"]
        if chunk.get("usage"):
            self._usage = as_mapping(chunk["usage"])
        return events

    def finish(self) -> list[dict[str, Any]]:
        """Close the message after the last chunk; returns nothing if no chunk came or already closed."""
        if not self._started or self._finished:
            return []
        self._finished = True
        events = self._close_block()
        stop_reason = stop_reason_from_finish_reason(self._finish_reason)
        if self._refused:
            stop_reason = "refusal"
        elif stop_reason == "end_turn" and self._tool_blocks:
            stop_reason = "tool_use"
        usage: dict[str, Any] = {"output_tokens": 0}
        if self._usage is not None:
            full = anthropic_usage_from_openai(self._usage)
            usage = {
                key: full[key]
                for key in (
                    "input_tokens",
                    "output_tokens",
                    "cache_creation_input_tokens",
                    "cache_read_input_tokens",
                    "output_tokens_details",
                )
                if key in full
            }
        events.append(
            {
                "type": "message_delta",
                "delta": {"stop_reason": stop_reason, "stop_sequence": None},
                "usage": usage,
            }
        )
        events.append({"type": "message_stop"})
        return events

    def _message_start(self, chunk: Mapping[str, Any]) -> dict[str, Any]:
        message = {
            "id": chunk.get("id", ""),
            "type": "message",
            "role": "assistant",
            "model": self._model if self._model is not None else chunk.get("model", ""),
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": {"input_tokens": 0, "output_tokens": 0},
        }
        return {"type": "message_start", "message": message}

    def _open(self, kind: str, block: dict[str, Any]) -> list[dict[str, Any]]:
        events = self._close_block()
        self._open_block = self._next_block
        self._open_kind = kind
        self._next_block += 1
        events.append({"type": "content_block_start", "index": self._open_block, "content_block": block})
        return events

    def _close_block(self) -> list[dict[str, Any]]:
        if self._open_block is None:
            return []
        index, self._open_block, self._open_kind = self._open_block, None, None
        return [{"type": "content_block_stop", "index": index}]

    def _text(self, text: str) -> list[dict[str, Any]]:
        events = [] if self._open_kind == "text" else self._open("text", {"type": "text", "text": ""})
        assert self._open_block is not None
        delta = {"type": "text_delta", "text": text}
        events.append({"type": "content_block_delta", "index": self._open_block, "delta": delta})
        return events

    def _tool_call(self, call: Mapping[str, Any]) -> list[dict[str, Any]]:
        position = call.get("index", 0)
        function = as_mapping(call.get("function") or {})
        events: list[dict[str, Any]] = []
        if position not in self._tool_blocks:
            block: dict[str, Any] = {
                "type": "tool_use",
                "id": call.get("id") or "",
                "name": function.get("name") or "",
                "input": {},
            }
            events = self._open("tool", block)
            assert self._open_block is not None
            self._tool_blocks[position] = self._open_block
        arguments = function.get("arguments")
        if arguments:
            delta = {"type": "input_json_delta", "partial_json": arguments}
            events.append(
                {"type": "content_block_delta", "index": self._tool_blocks[position], "delta": delta}
            )
        return events
