"""Anthropic raw stream events -> OpenAI Responses stream events, one event at a time.

The sequence is the one OpenAI sends::

    response.created, response.in_progress
    per text run:   response.output_item.added (message)
                    per text block: response.content_part.added, response.output_text.delta ...,
                                    response.output_text.done, response.content_part.done
                    response.output_item.done
    per tool_use:   response.output_item.added (function_call), response.function_call_arguments.delta ...,
                    response.function_call_arguments.done, response.output_item.done
    response.completed (or response.incomplete), carrying the whole response with its usage

Every event has its ``type`` and an increasing ``sequence_number``. The items, their ids and the final
response are built by :mod:`.responses_answer`, so the streamed answer accumulates to exactly what the
non-streamed translation returns. Deltas are passed on as they arrive; the text and arguments are also
kept, because the Responses protocol repeats them whole in its ``.done`` events.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Mapping
from typing import Any

from .common import as_mapping, dump_tool_input, responses_usage_from_anthropic
from .responses_answer import (
    function_call_item,
    incomplete_reason,
    message_item,
    response_object,
    text_part,
)


class MessagesStreamToResponsesEvents:
    """Anthropic raw stream events -> OpenAI Responses stream event dicts.

    Args:
        model: the model name to report (None: the model Anthropic names).
        request: the caller's ``responses.create`` arguments, repeated on the response objects.
    """

    def __init__(self, *, model: str | None, request: Mapping[str, Any]) -> None:
        self._model = model
        self._request = request
        self._sequence = 0
        self._id = ""
        self._created = int(time.time())
        self._usage: dict[str, Any] = {}
        self._stop_reason: str | None = None
        self._items: list[dict[str, Any]] = []  # every output item so far, in order
        self._open_item: int | None = None  # the output index of the item not yet done
        # Anthropic block index -> (output index, content index) of the text part or function call it
        # became; thinking blocks are not listed (they are dropped).
        self._blocks: dict[int, tuple[int, int]] = {}
        # Anthropic block index -> the input given on content_block_start, for tool_use blocks that got no
        # input_json_delta (their arguments are then sent whole when the block stops).
        self._pending_input: dict[int, Any] = {}

    def feed(self, event: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Translate one Anthropic event into zero or more Responses events."""
        event = as_mapping(event)
        kind = event.get("type")
        if kind == "message_start":
            message = as_mapping(event["message"])
            self._id = message["id"]
            if self._model is None:
                self._model = message.get("model")
            self._usage = dict(message.get("usage") or {})
            started = self._response(in_progress=True)
            return [
                self._event("response.created", response=started),
                self._event("response.in_progress", response=copy.deepcopy(started)),
            ]
        if kind == "content_block_start":
            return self._block_start(event["index"], as_mapping(event["content_block"]))
        if kind == "content_block_delta":
            return self._block_delta(event["index"], as_mapping(event["delta"]))
        if kind == "content_block_stop":
            return self._block_stop(event["index"])
        if kind == "message_delta":
            # message_delta usage counts are cumulative totals: they replace the message_start ones.
            for key, value in (event.get("usage") or {}).items():
                if value is not None:
                    self._usage[key] = value
            self._stop_reason = (event.get("delta") or {}).get("stop_reason") or self._stop_reason
            return []
        if kind == "message_stop":
            return self._finish()
        # ping and anything newer carry nothing a Responses caller could receive.
        return []

    # -- the pieces ------------------------------------------------------------------------------------

    def _event(self, event_type: str, **fields: Any) -> dict[str, Any]:
        event = {"type": event_type, "sequence_number": self._sequence, **fields}
        self._sequence += 1
        return event

    def _response(self, *, in_progress: bool) -> dict[str, Any]:
        return response_object(
            response_id=self._id,
            model=self._model or "",
            created_at=self._created,
            output=[] if in_progress else copy.deepcopy(self._items),
            usage=None if in_progress else responses_usage_from_anthropic(self._usage),
            stop_reason=self._stop_reason,
            request=self._request,
            in_progress=in_progress,
        )

    def _open(self, item: dict[str, Any]) -> list[dict[str, Any]]:
        """Close the open item (if any) and add ``item`` as the next one."""
        events = self._close("completed")
        self._open_item = len(self._items)
        self._items.append(item)
        added = copy.deepcopy(item)
        added["status"] = "in_progress"
        events.append(self._event("response.output_item.added", output_index=self._open_item, item=added))
        return events

    def _close(self, status: str) -> list[dict[str, Any]]:
        """``response.output_item.done`` for the open item, with ``status``."""
        if self._open_item is None:
            return []
        index, self._open_item = self._open_item, None
        self._items[index]["status"] = status
        item = copy.deepcopy(self._items[index])
        return [self._event("response.output_item.done", output_index=index, item=item)]

    def _where(self, output_index: int) -> dict[str, Any]:
        return {"item_id": self._items[output_index]["id"], "output_index": output_index}

    # -- content blocks ----------------------------------------------------------------------------------

    def _block_start(self, index: int, block: Mapping[str, Any]) -> list[dict[str, Any]]:
        kind = block.get("type")
        if kind == "text":
            events: list[dict[str, Any]] = []
            open_item = self._open_item
            if open_item is None or self._items[open_item]["type"] != "message":
                events = self._open(message_item(self._id, len(self._items), [], "in_progress"))
            output_index = self._open_item
            assert output_index is not None
            parts = self._items[output_index]["content"]
            content_index = len(parts)
            parts.append(text_part(""))
            self._blocks[index] = (output_index, content_index)
            events.append(
                self._event(
                    "response.content_part.added",
                    **self._where(output_index),
                    content_index=content_index,
                    part=text_part(""),
                )
            )
            if block.get("text"):
                events.extend(self._text(index, block["text"]))
            return events
        if kind == "tool_use":
            events = self._open(function_call_item(block["id"], block["name"], "", "in_progress"))
            assert self._open_item is not None
            self._blocks[index] = (self._open_item, 0)
            self._pending_input[index] = block.get("input")
            return events
        return []  # thinking and redacted_thinking are dropped

    def _block_delta(self, index: int, delta: Mapping[str, Any]) -> list[dict[str, Any]]:
        kind = delta.get("type")
        if kind == "text_delta" and index in self._blocks and delta.get("text"):
            return self._text(index, delta["text"])
        if kind == "input_json_delta" and index in self._blocks and delta.get("partial_json"):
            self._pending_input.pop(index, None)
            return self._arguments(index, delta["partial_json"])
        return []

    def _block_stop(self, index: int) -> list[dict[str, Any]]:
        if index not in self._blocks:
            return []
        output_index, content_index = self._blocks[index]
        item = self._items[output_index]
        where = self._where(output_index)
        if item["type"] == "message":
            part = item["content"][content_index]
            return [
                self._event(
                    "response.output_text.done",
                    **where,
                    content_index=content_index,
                    text=part["text"],
                    logprobs=[],
                ),
                self._event(
                    "response.content_part.done", **where, content_index=content_index, part=dict(part)
                ),
            ]
        events = []
        if index in self._pending_input:
            events = self._arguments(index, dump_tool_input(self._pending_input.pop(index)))
        events.append(
            # ``name`` too: older openai releases (3.0.0) require it on this event; newer ones ignore it.
            self._event(
                "response.function_call_arguments.done",
                **where,
                name=item["name"],
                arguments=item["arguments"],
            )
        )
        return events

    def _text(self, index: int, text: str) -> list[dict[str, Any]]:
        output_index, content_index = self._blocks[index]
        self._items[output_index]["content"][content_index]["text"] += text
        return [
            self._event(
                "response.output_text.delta",
                **self._where(output_index),
                content_index=content_index,
                delta=text,
                logprobs=[],
            )
        ]

    def _arguments(self, index: int, fragment: str) -> list[dict[str, Any]]:
        output_index, _ = self._blocks[index]
        self._items[output_index]["arguments"] += fragment
        return [
            self._event("response.function_call_arguments.delta", **self._where(output_index), delta=fragment)
        ]

    def _finish(self) -> list[dict[str, Any]]:
        """Close the last item and send the whole response: ``response.completed`` or ``.incomplete``."""
        incomplete = incomplete_reason(self._stop_reason) is not None
        # The last item is the one that was being written when the answer stopped (as in the
        # non-streamed translation).
        events = self._close("incomplete" if incomplete else "completed")
        final = "response.incomplete" if incomplete else "response.completed"
        events.append(self._event(final, response=self._response(in_progress=False)))
        return events
