"""Labelled rows: reading and checking the JSON Lines files of ``frugal eval``, ``calibrate`` and ``train``.

One JSON object per line (blank lines are skipped)::

    {"id": "gsm8k.12", "source": "gsm8k", "prompt": "text of the user turn",
     "quality": {"model-a": 1.0, "model-b": 0.0}, "cost_usd": {"model-a": 0.0031, "model-b": 0.00004}}

``prompt`` may instead be ``messages`` (OpenAI chat shape). ``quality`` is 0..1 per model; ``cost_usd``
(optional, per model, USD) is what the call cost. ``responses`` (optional, ``{model: answer text}``) and
``finish_reasons`` (optional, ``{model: reason}``, e.g. ``"stop"``, ``"length"``) record what each model
answered, for cascades replayed offline (``frugal eval --strategy cascade``) and the learned answer check
(``frugal train --answers``). Other keys are ignored. Every problem is a
:class:`~frugal.exceptions.DataError` naming ``file:line`` and the key; a prompt or an answer is never
quoted.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..exceptions import DataError
from ..request import RoutingRequest

__all__ = ["Row", "load_rows", "load_scores", "models_in"]


@dataclass(frozen=True, slots=True)
class Row:
    """One labelled prompt.

    Attributes:
        id: the row's ``id`` (``file:line`` when it has none).
        source: the row's ``source`` ("" when it has none).
        file: the file it was read from (its name, as given).
        line: its line number in that file (1-based).
        request: the vendor-neutral view of the call, built the way the client builds it.
        quality: 0..1 per model.
        cost_usd: recorded USD per model (models without a recorded cost are absent).
        responses: recorded answer text per model (models without one are absent).
        finish_reasons: recorded finish reason per model (models without one are absent).
    """

    id: str
    source: str
    file: str
    line: int
    request: RoutingRequest = field(repr=False)
    quality: Mapping[str, float]
    cost_usd: Mapping[str, float]
    responses: Mapping[str, str] = field(default_factory=dict, repr=False)
    finish_reasons: Mapping[str, str] = field(default_factory=dict)

    @property
    def where(self) -> str:
        """``file:line``, for messages."""
        return f"{self.file}:{self.line}"


def load_rows(paths: Iterable[str | os.PathLike[str]]) -> list[Row]:
    """Read and check every row of the given JSON Lines files, in order.

    Raises:
        DataError: a file that cannot be read, a line that is not a JSON object, a missing or malformed
            ``prompt`` / ``messages`` / ``quality`` / ``cost_usd`` / ``responses`` / ``finish_reasons``, a
            quality outside [0, 1], a negative or non-finite cost, an id used twice, or no rows at all.
    """
    rows: list[Row] = []
    seen: dict[str, str] = {}
    names = []
    for path in paths:
        name = os.fspath(path)
        names.append(name)
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise DataError(f"{name}: cannot read the data file: {exc.strerror}") from None
        except UnicodeDecodeError as exc:
            raise DataError(f"{name}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
        for number, line in enumerate(text.split("\n"), 1):  # not splitlines(): U+2028 is valid JSON
            if not line.strip():
                continue
            row = _row(line, name, number)
            first = seen.setdefault(row.id, row.where)
            if first != row.where:
                raise DataError(f"{row.where}: id {row.id!r} is used twice (first at {first})")
            rows.append(row)
    if not rows:
        raise DataError(f"{', '.join(names) or 'no data file given'}: no rows")
    return rows


def models_in(rows: Sequence[Row]) -> list[str]:
    """Every model named in the rows' ``quality``, in the order first seen."""
    found: dict[str, None] = {}
    for row in rows:
        for model in row.quality:
            found.setdefault(model)
    return list(found)


def load_scores(path: str | os.PathLike[str]) -> dict[str, float]:
    """Precomputed scores (``--scores``): one ``{"id": ..., "score": 0..1}`` object per line, by row id.

    Raises:
        DataError: the file cannot be read, or a line is not such an object (naming ``file:line``).
    """
    scores: dict[str, float] = {}
    try:
        lines = Path(path).read_text(encoding="utf-8").split("\n")
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: cannot read the scores file: {getattr(exc, 'strerror', exc)}") from None
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DataError(f"{path}:{number}: not valid JSON ({exc.msg})") from None
        score = item.get("score") if isinstance(item, dict) else None
        if not isinstance(item, dict) or "id" not in item or not isinstance(score, (int, float)):
            raise DataError(f'{path}:{number}: expected {{"id": ..., "score": number}}')
        if not 0.0 <= score <= 1.0:
            raise DataError(f"{path}:{number}: score must lie in [0, 1], got {score!r}")
        scores[str(item["id"])] = float(score)
    return scores


def _row(text: str, name: str, number: int) -> Row:
    where = f"{name}:{number}"
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataError(f"{where}: not valid JSON ({exc.msg}, column {exc.colno})") from None
    if not isinstance(data, dict):
        raise DataError(f"{where}: expected a JSON object, got {_kind(data)}")
    row_id = data.get("id", where)
    if not isinstance(row_id, (str, int)) or isinstance(row_id, bool):
        raise DataError(f"{where}: id: expected a string, got {_kind(row_id)}")
    source = data.get("source", "")
    if not isinstance(source, str):
        raise DataError(f"{where}: source: expected a string, got {_kind(source)}")
    quality = _numbers(data, "quality", where, required=True, upper=1.0)
    if not quality:
        raise DataError(f"{where}: quality: expected at least one model")
    return Row(
        id=str(row_id),
        source=source,
        file=name,
        line=number,
        request=_request(data, where),
        quality=quality,
        cost_usd=_numbers(data, "cost_usd", where, required=False, upper=math.inf),
        responses=_texts(data, "responses", where, "answer text"),
        finish_reasons=_texts(data, "finish_reasons", where, "finish reason"),
    )


def _request(data: dict[str, Any], where: str) -> RoutingRequest:
    prompt, messages = data.get("prompt"), data.get("messages")
    if prompt is not None and messages is not None:
        raise DataError(f"{where}: give either 'prompt' or 'messages', not both")
    if isinstance(prompt, str):
        return RoutingRequest.from_prompt(prompt)
    if prompt is not None:
        raise DataError(f"{where}: prompt: expected a string, got {_kind(prompt)}")
    if messages is None:
        raise DataError(f"{where}: expected a 'prompt' string or a 'messages' list")
    if not isinstance(messages, list) or not all(
        isinstance(m, dict) and isinstance(m.get("role"), str) for m in messages
    ):
        raise DataError(f"{where}: messages: expected a list of chat messages, each with a 'role'")
    if not any(m["role"] == "user" for m in messages):
        raise DataError(f"{where}: messages: no 'user' message")
    return RoutingRequest.from_call("chat", {"messages": messages}, {})


def _numbers(data: dict[str, Any], key: str, where: str, *, required: bool, upper: float) -> dict[str, float]:
    value = data.get(key)
    if value is None:
        if required:
            raise DataError(f"{where}: {key}: missing (expected {{model: number}})")
        return {}
    if not isinstance(value, dict):
        raise DataError(f"{where}: {key}: expected {{model: number}}, got {_kind(value)}")
    out = {}
    for model, number in value.items():
        if isinstance(number, bool) or not isinstance(number, (int, float)):
            raise DataError(f"{where}: {key}.{model}: expected a number, got {_kind(number)}")
        if not (0.0 <= number <= upper and math.isfinite(number)):  # NaN fails this too
            bounds = "between 0 and 1" if upper == 1.0 else "a finite number >= 0"
            raise DataError(f"{where}: {key}.{model}: expected {bounds}, got {number!r}")
        out[model] = float(number)
    return out


def _texts(data: dict[str, Any], key: str, where: str, what: str) -> dict[str, str]:
    """An optional ``{model: string}`` object (the strings are never quoted in errors)."""
    value = data.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise DataError(f"{where}: {key}: expected {{model: {what}}}, got {_kind(value)}")
    for model, text in value.items():
        if not isinstance(text, str):
            raise DataError(f"{where}: {key}.{model}: expected a string ({what}), got {_kind(text)}")
    return dict(value)


def _kind(value: object) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}.get(
        type(value), "null" if value is None else type(value).__name__
    )
