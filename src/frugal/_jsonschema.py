"""A small JSON Schema validator for checking model answers: the subset that structured outputs use.

The vendors' structured-output and tool schemas keep to a subset of JSON Schema (``type``,
``properties``, ``required``, ``additionalProperties``, ``items``, ``enum``, ``const``, ``anyOf``, numeric
bounds (exclusive ones too) and length bounds, local ``$ref`` into ``$defs``). That subset is checked
here; any other keyword is ignored (so an answer is never rejected for a keyword this module does not
know). No dependency: a cascade check runs on every answer, and a full validator library would be a
heavy import for it. The policy tests use it too, to check the policy schema against real policies.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["first_violation"]

_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,),
    "array": (list,),
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "null": (type(None),),
}


def first_violation(value: Any, schema: Any, path: str = "$") -> str | None:
    """Where and how ``value`` breaks ``schema``, or None when it conforms (or the schema is not a dict).

    The message names the JSON path and the keyword (``$.items[2]: expected integer``), never the value:
    an answer's content must not reach logs or spans.
    """
    return _check(value, schema, path, schema if isinstance(schema, Mapping) else {}, 0)


def _check(value: Any, schema: Any, path: str, root: Mapping[str, Any], depth: int) -> str | None:
    if not isinstance(schema, Mapping) or depth > 64:
        return None
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/"):
        target: Any = root
        for part in ref[2:].split("/"):
            target = target.get(part) if isinstance(target, Mapping) else None
        return _check(value, target, path, root, depth + 1)
    expected = schema.get("type")
    if expected is not None and not _is_type(value, expected):
        names = expected if isinstance(expected, str) else " or ".join(map(str, expected))
        return f"{path}: expected {names}"
    if "enum" in schema and isinstance(schema["enum"], list) and value not in schema["enum"]:
        return f"{path}: not one of the allowed values"
    if "const" in schema and value != schema["const"]:
        return f"{path}: not the required constant"
    any_of = schema.get("anyOf") or schema.get("oneOf")
    if (
        isinstance(any_of, list)
        and any_of
        and all(_check(value, option, path, root, depth + 1) is not None for option in any_of)
    ):
        return f"{path}: matches none of the allowed schemas"
    if isinstance(value, dict):
        return _check_object(value, schema, path, root, depth)
    if isinstance(value, list):
        items = schema.get("items")
        for index, item in enumerate(value):
            problem = _check(item, items, f"{path}[{index}]", root, depth + 1)
            if problem is not None:
                return problem
        return _bounds(len(value), schema, path, "minItems", "maxItems")
    if isinstance(value, str):
        return _bounds(len(value), schema, path, "minLength", "maxLength")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _bounds(value, schema, path, "minimum", "maximum") or _exclusive_bounds(value, schema, path)
    return None


def _check_object(
    value: dict[str, Any], schema: Mapping[str, Any], path: str, root: Mapping[str, Any], depth: int
) -> str | None:
    properties = schema.get("properties")
    properties = properties if isinstance(properties, Mapping) else {}
    for key in schema.get("required") or ():
        if key not in value:
            return f"{path}: missing required property {key!r}"
    extra = schema.get("additionalProperties", True)
    for key, item in value.items():
        if key in properties:
            problem = _check(item, properties[key], f"{path}.{key}", root, depth + 1)
        elif extra is False:
            return f"{path}: unexpected property"  # the key is the model's text: not named
        else:
            problem = _check(item, extra, f"{path}.<extra>", root, depth + 1)
        if problem is not None:
            return problem
    return None


def _bounds(size: float, schema: Mapping[str, Any], path: str, low: str, high: str) -> str | None:
    minimum, maximum = schema.get(low), schema.get(high)
    if isinstance(minimum, (int, float)) and size < minimum:
        return f"{path}: below {low} {minimum}"
    if isinstance(maximum, (int, float)) and size > maximum:
        return f"{path}: above {high} {maximum}"
    return None


def _is_type(value: Any, expected: Any) -> bool:
    names = [expected] if isinstance(expected, str) else expected if isinstance(expected, list) else []
    for name in names:
        types = _TYPES.get(name)
        if types is None:
            return True  # a type this validator does not know: do not reject
        if isinstance(value, bool) and name not in ("boolean",):
            continue  # JSON booleans are not numbers, though Python's bool is an int
        if name == "integer" and isinstance(value, float):
            if value.is_integer():
                return True
            continue
        if isinstance(value, types):
            return True
    return not names


def _exclusive_bounds(value: float, schema: Mapping[str, Any], path: str) -> str | None:
    above, below = schema.get("exclusiveMinimum"), schema.get("exclusiveMaximum")
    if isinstance(above, (int, float)) and not isinstance(above, bool) and value <= above:
        return f"{path}: not above exclusiveMinimum {above}"
    if isinstance(below, (int, float)) and not isinstance(below, bool) and value >= below:
        return f"{path}: not below exclusiveMaximum {below}"
    return None
