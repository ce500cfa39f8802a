"""A policy's validation errors as located lines, worded from the policy's JSON Schema.

pydantic says *what* failed and *where in the data* (``loc``); the located YAML says where that is in the
file; the JSON Schema says what was expected: the keys a mapping accepts, the bounds of a number. Using
the schema for the wording keeps the messages and the schema editors show saying the same thing.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import ValidationError

from ._yaml import Located
from .exceptions import ConfigError

__all__ = ["config_error", "schema_at"]

#: At most this many errors are listed; the rest are counted.
MAX_LISTED = 5
# pydantic error types about a number: their message is replaced by the schema's bounds.
_NUMERIC_ERRORS = frozenset(
    {
        "greater_than",
        "greater_than_equal",
        "less_than",
        "less_than_equal",
        "finite_number",
        "int_parsing",
        "int_type",
        "int_from_float",
        "float_parsing",
        "float_type",
    }
)


def config_error(exc: ValidationError, located: Located, schema: Mapping[str, Any]) -> ConfigError:
    """One line per validation error (at most :data:`MAX_LISTED`): ``file:line:column: key: what``.

    Args:
        exc: pydantic's error.
        located: the data's positions.
        schema: the JSON Schema of the validated model (with ``$defs``).

    Returns:
        The ConfigError to raise.
    """
    errors = exc.errors(include_url=False)
    lines = []
    for error in errors[:MAX_LISTED]:
        loc = [part for part in error["loc"] if not (isinstance(part, str) and part.startswith("function-"))]
        dotted = ".".join(map(str, loc)) or "(top level)"
        if error["type"] == "extra_forbidden":
            parent = schema_at(schema, loc[:-1])
            allowed = sorted(parent.get("properties", ())) if parent is not None else []
            hint = f" (expected one of: {', '.join(allowed)})" if allowed else ""
            lines.append(f"{located.where_key(loc)}: {dotted}: unknown key{hint}")
            continue
        message = error["msg"]
        if error["type"] == "value_error":
            message = message.removeprefix("Value error, ")  # our validators' own words
        elif error["type"] in _NUMERIC_ERRORS:
            expected = _bounds(schema_at(schema, loc, numeric=True))
            if expected is not None:
                message = f"expected {expected}, got {_shown(error.get('input'))}"
        lines.append(f"{located.where(loc)}: {dotted}: {message}")
    if len(errors) > MAX_LISTED:
        lines.append(f"... and {len(errors) - MAX_LISTED} more")
    return ConfigError("\n".join(lines))


def schema_at(
    root: Mapping[str, Any], path: Sequence[str | int], *, numeric: bool = False
) -> Mapping[str, Any] | None:
    """The subschema that describes the value at ``path``, or None when the schema does not say.

    ``$ref`` is followed; of an ``anyOf`` the first branch that can hold the next step is taken (at the
    end of the path, with ``numeric``, the first number or integer branch).

    Args:
        root: the whole schema.
        path: key path into the data.
        numeric: at the end of the path, prefer a numeric branch.

    Returns:
        The subschema, or None.
    """
    node: Mapping[str, Any] | None = root
    for part in path:
        node = _branch(root, node, lambda b, p=part: _step(b, p) is not None)
        node = _step(node, part) if node is not None else None
        if node is None:
            return None
    if numeric:
        return _branch(root, node, lambda b: b.get("type") in ("integer", "number"))
    return _branch(root, node, lambda b: True)


def _step(node: Mapping[str, Any], part: str | int) -> Mapping[str, Any] | None:
    if isinstance(part, int):
        items = node.get("items")
        return items if isinstance(items, Mapping) else None
    properties = node.get("properties", {})
    if part in properties:
        found: Mapping[str, Any] = properties[part]
        return found
    extra = node.get("additionalProperties")
    return extra if isinstance(extra, Mapping) else None


def _branch(root: Mapping[str, Any], node: Mapping[str, Any] | None, fits: Any) -> Mapping[str, Any] | None:
    """Resolve ``$ref`` and choose among ``anyOf`` branches."""
    for _ in range(32):  # a $ref chain is short; a loop in a schema must not hang
        if node is None:
            return None
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            node = root.get("$defs", {}).get(ref.rsplit("/", 1)[1])
            continue
        branches = node.get("anyOf")
        if isinstance(branches, list) and "type" not in node:  # alternatives, not a constraint on a type
            resolved = [_branch(root, branch, fits) for branch in branches]
            return next((branch for branch in resolved if branch is not None and fits(branch)), None)
        return node
    return None


def _bounds(leaf: Mapping[str, Any] | None) -> str | None:
    """ "an integer from 0 to 10", "a number strictly between 0 and 1", ... or None without bounds."""
    if leaf is None or leaf.get("type") not in ("integer", "number"):
        return None
    kind = "an integer" if leaf["type"] == "integer" else "a number"
    low, high = leaf.get("minimum"), leaf.get("maximum")
    above, below = leaf.get("exclusiveMinimum"), leaf.get("exclusiveMaximum")
    if low is not None and high is not None:
        return f"{kind} from {_number(low)} to {_number(high)}"
    if above is not None and below is not None:
        return f"{kind} strictly between {_number(above)} and {_number(below)}"
    parts = [
        f"at least {_number(low)}"
        if low is not None
        else f"greater than {_number(above)}"
        if above is not None
        else None,
        f"at most {_number(high)}"
        if high is not None
        else f"less than {_number(below)}"
        if below is not None
        else None,
    ]
    shown = [part for part in parts if part is not None]
    return f"{kind} {' and '.join(shown)}" if shown else None


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(value)


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _number(value) if math.isfinite(value) else str(value)
    text = repr(value)
    return text if len(text) <= 40 else f"{text[:37]}..."
