"""Reply-script files: a stub's replies and queued faults written in YAML (or JSON, which is YAML).

A script maps onto the values a test scripts in Python (:class:`~.script.Reply`, :class:`~.script.Fault`,
:class:`~.script.Usage`, :class:`~.script.ToolCall`)::

    models: [gpt-4o-mini, claude-haiku-4-5]   # optional: any other model gets the vendor's 404
    count_tokens: 42                          # optional: what /v1/messages/count_tokens answers
    replies:                                  # the standing reply per model ("*": every other model)
      "*": {text: "Hello from the CI stub."}
      gpt-4o-mini:
        text: Paris.
        usage: {input_tokens: 120, output_tokens: 3, cache_read_tokens: 100}
    queues:                                   # one-shot items, consumed in order before the reply
      gpt-4o-mini:
        - {fault: status, status: 429, retry_after: 0, times: 2}
        - reply: {text: after the retries}

Every mistake is a :class:`~frugal.exceptions.ConfigError` of one line naming the file, line, column,
key and what was expected.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from ..exceptions import ConfigError
from .script import DEFAULT_REPLY, Fault, Reply, ToolCall, Usage

if TYPE_CHECKING:
    from .._yaml import Located
    from .server import VendorStub

__all__ = ["ANY_MODEL", "StubScript", "load_script"]

#: The key that stands for every model without an entry of its own.
ANY_MODEL = "*"
#: The most times one queue item may be repeated (a queue lives in memory).
MAX_TIMES = 100_000

_Path = tuple[str | int, ...]
_T = TypeVar("_T")
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_HEADER_VALUE = re.compile(r"[^\x00-\x08\x0a-\x1f\x7f]*")
_TOP_KEYS = ("count_tokens", "models", "queues", "replies")
_REPLY_KEYS = ("chunk_delay", "delay", "stop_reason", "text", "tool_calls", "usage")
_USAGE_KEYS = (
    "cache_read_tokens",
    "cache_write_1h_tokens",
    "cache_write_tokens",
    "input_tokens",
    "output_tokens",
    "reasoning_tokens",
)
# Fault kind -> (required keys, optional keys), besides `fault` and `times`.
_FAULT_KEYS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "status": (("status",), ("headers", "message", "retry_after")),
    "delay": (("seconds",), ()),
    "reset": ((), ()),
    "malformed_json": ((), ()),
    "truncated_stream": (("after_events",), ("graceful",)),
    "stream_error": ((), ("after_events", "message", "status")),
}


@dataclass(frozen=True, slots=True)
class StubScript:
    """A parsed reply script.

    Attributes:
        models: the only models served (others get a 404), or None for any model.
        count_tokens: what ``/v1/messages/count_tokens`` answers, or None for the stub's own count.
        replies: the standing reply per model (None: every model without its own).
        queues: the one-shot items per model (None: the shared queue), in order.
    """

    models: frozenset[str] | None
    count_tokens: int | None
    replies: Mapping[str | None, Reply]
    queues: Mapping[str | None, tuple[Reply | Fault, ...]]

    def apply(self, stub: VendorStub) -> None:
        """Script ``stub`` with it (added to what the stub already has; ``models`` replaced when set)."""
        if self.models is not None:
            stub.models = self.models
        if self.count_tokens is not None:
            stub.count_tokens_result = self.count_tokens
        for model, reply in self.replies.items():
            stub.reply(model, reply)
        for model, items in self.queues.items():
            stub.queue(model, *items)


def load_script(path: str | os.PathLike[str]) -> StubScript:
    """Read and check a reply-script file.

    Args:
        path: a YAML or JSON file.

    Returns:
        The script.

    Raises:
        ConfigError: the file cannot be read, or is not a valid script (one line: file:line:column, the
            key, what was expected).
    """
    from .._yaml import load_located

    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else f"not UTF-8 text ({exc.reason})"
        raise ConfigError(f"{path}: cannot read the stub script: {reason}") from None
    return _Reader(load_located(text, str(path))).script()


def _shown(value: Any) -> str:
    """How a wrong value is named in a message (short; a mapping or list by its kind)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    text = repr(value)
    return text if len(text) <= 40 else f"{text[:37]}..."


class _Reader:
    """Turns located YAML data into a :class:`StubScript`, failing at the first mistake."""

    def __init__(self, located: Located) -> None:
        self.located = located

    def fail(self, path: _Path, message: str, *, at_key: bool = False) -> ConfigError:
        return self.located.error(path, message, at_key=at_key)

    def expected(self, path: _Path, what: str, value: Any) -> ConfigError:
        return self.fail(path, f"expected {what}, got {_shown(value)}")

    # -- generic values -----------------------------------------------------------------------------

    def mapping(
        self, value: Any, path: _Path, allowed: Collection[str], required: Collection[str] = ()
    ) -> Mapping[str, Any]:
        if not isinstance(value, Mapping):
            raise self.expected(path, f"a mapping with keys from: {', '.join(sorted(allowed))}", value)
        for key in value:
            if key not in allowed:
                raise self.fail(
                    (*path, key), f"unknown key (expected one of: {', '.join(sorted(allowed))})", at_key=True
                )
        for key in required:
            if key not in value:
                raise self.fail(path, f"missing required key {key!r}")
        return value

    def integer(self, value: Any, path: _Path, low: int, high: int) -> int:
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            raise self.expected(path, f"an integer from {low} to {high}", value)
        return value

    def seconds(self, value: Any, path: _Path) -> float:
        if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value):
            raise self.expected(path, "a finite number of seconds >= 0", value)
        if value < 0:
            raise self.expected(path, "a finite number of seconds >= 0", value)
        return float(value)

    def text(self, value: Any, path: _Path, *, optional: bool = False) -> str | None:
        if value is None and optional:
            return None
        if not isinstance(value, str):
            raise self.expected(path, "a string or null" if optional else "a string", value)
        return value

    def flag(self, value: Any, path: _Path) -> bool:
        if not isinstance(value, bool):
            raise self.expected(path, "true or false", value)
        return value

    def build(self, path: _Path, make: Callable[[], _T]) -> _T:
        """Call a value's constructor; its own ValueError becomes a located error."""
        try:
            return make()
        except ValueError as exc:
            raise self.fail(path, str(exc)) from None

    # -- the script ---------------------------------------------------------------------------------

    def script(self) -> StubScript:
        data = self.located.data
        if data is None:
            return StubScript(None, None, {}, {})
        top = self.mapping(data, (), _TOP_KEYS)
        models: frozenset[str] | None = None
        if "models" in top:
            names = top["models"]
            if not isinstance(names, list):
                raise self.expected(("models",), "a list of model names", names)
            models = frozenset(str(self.text(name, ("models", i))) for i, name in enumerate(names))
        count = top.get("count_tokens")
        count_tokens = None if count is None else self.integer(count, ("count_tokens",), 0, 10**9)
        replies = {
            model: self.reply(value, ("replies", key))
            for key, model, value in self.per_model(top.get("replies"), "replies")
        }
        queues: dict[str | None, tuple[Reply | Fault, ...]] = {}
        for key, model, items in self.per_model(top.get("queues"), "queues"):
            if not isinstance(items, list):
                raise self.expected(("queues", key), "a list of queue items", items)
            queues[model] = tuple(
                entry
                for index, item in enumerate(items)
                for entry in self.queue_item(item, ("queues", key, index))
            )
        return StubScript(models, count_tokens, replies, queues)

    def per_model(self, value: Any, section: str) -> list[tuple[str, str | None, Any]]:
        """(key, model or None for "*", value) of a mapping keyed by model name."""
        if value is None:
            return []
        if not isinstance(value, Mapping):
            raise self.expected((section,), f'a mapping of model names (or "{ANY_MODEL}") to entries', value)
        entries = []
        for key, entry in value.items():
            if not isinstance(key, str) or not key:
                raise self.fail((section, key), f"expected a model name, got {_shown(key)}", at_key=True)
            entries.append((key, None if key == ANY_MODEL else key, entry))
        return entries

    def queue_item(self, item: Any, path: _Path) -> list[Reply | Fault]:
        if not isinstance(item, Mapping) or ("reply" in item) == ("fault" in item):
            raise self.expected(path, "a mapping with either 'reply' or 'fault'", item)
        times = self.integer(item.get("times", 1), (*path, "times"), 1, MAX_TIMES)
        entry: Reply | Fault
        if "reply" in item:
            self.mapping(item, path, ("reply", "times"))
            entry = self.reply(item["reply"], (*path, "reply"))
        else:
            entry = self.fault(item, path)
        return [entry] * times

    def reply(self, value: Any, path: _Path) -> Reply:
        fields = self.mapping(value, path, _REPLY_KEYS)
        calls = fields.get("tool_calls", [])
        if not isinstance(calls, list):
            raise self.expected((*path, "tool_calls"), "a list of tool calls", calls)
        usage = fields.get("usage")
        text = self.text(fields.get("text", DEFAULT_REPLY.text), (*path, "text"), optional=True)
        tool_calls = [self.tool_call(call, (*path, "tool_calls", i)) for i, call in enumerate(calls)]
        counts = None if usage is None else self.usage(usage, (*path, "usage"))
        stop_reason = self.text(fields.get("stop_reason"), (*path, "stop_reason"), optional=True)
        delay = self.seconds(fields.get("delay", 0), (*path, "delay"))
        chunk_delay = self.seconds(fields.get("chunk_delay", 0), (*path, "chunk_delay"))
        return self.build(
            path, lambda: Reply(text, tool_calls, counts, stop_reason, delay=delay, chunk_delay=chunk_delay)
        )

    def usage(self, value: Any, path: _Path) -> Usage:
        fields = self.mapping(value, path, _USAGE_KEYS)
        counts = {key: self.integer(count, (*path, key), 0, 10**12) for key, count in fields.items()}
        return self.build(path, lambda: Usage(**counts))

    def tool_call(self, value: Any, path: _Path) -> ToolCall:
        fields = self.mapping(value, path, ("arguments", "id", "name"), required=("name",))
        arguments = fields.get("arguments", {})
        if not isinstance(arguments, Mapping):
            raise self.expected((*path, "arguments"), "a mapping of arguments", arguments)
        name = self.text(fields["name"], (*path, "name"))
        call_id = self.text(fields.get("id"), (*path, "id"), optional=True)
        return self.build(path, lambda: ToolCall(str(name), dict(arguments), call_id))

    def fault(self, item: Mapping[str, Any], path: _Path) -> Fault:
        kind = item["fault"]
        if kind not in _FAULT_KEYS:
            raise self.expected((*path, "fault"), f"one of: {', '.join(_FAULT_KEYS)}", kind)
        required, optional = _FAULT_KEYS[kind]
        fields = self.mapping(item, path, ("fault", "times", *required, *optional), required)

        def status(key: str, default: int) -> int:
            return self.integer(fields.get(key, default), (*path, key), 400, 599)

        def message() -> str | None:
            return self.text(fields.get("message"), (*path, "message"), optional=True)

        if kind == "status":
            retry_after = fields.get("retry_after")
            headers = self.headers(fields.get("headers", {}), (*path, "headers"))
            return Fault.status(
                status("status", 500),
                retry_after=None
                if retry_after is None
                else self.seconds(retry_after, (*path, "retry_after")),
                message=message(),
                headers=headers,
            )
        if kind == "delay":
            return Fault.delay(self.seconds(fields["seconds"], (*path, "seconds")))
        if kind == "reset":
            return Fault.reset()
        if kind == "malformed_json":
            return Fault.malformed_json()
        after = self.integer(fields.get("after_events", 0), (*path, "after_events"), 0, 10**6)
        if kind == "truncated_stream":
            graceful = self.flag(fields.get("graceful", False), (*path, "graceful"))
            return Fault.truncated_stream(after, graceful=graceful)
        return Fault.stream_error(after, status("status", 529), message=message())

    def headers(self, value: Any, path: _Path) -> dict[str, str]:
        if not isinstance(value, Mapping):
            raise self.expected(path, "a mapping of header names to strings", value)
        for name, header in value.items():
            if not isinstance(name, str) or not _TOKEN.fullmatch(name):
                raise self.expected((*path, str(name)), "a header name (letters, digits, '-')", name)
            if not isinstance(header, str) or not _HEADER_VALUE.fullmatch(header):
                raise self.expected((*path, name), "a header value (a string without line breaks)", header)
        return dict(value)
