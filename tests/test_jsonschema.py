"""The small JSON Schema validator: exclusive numeric bounds (the policy schema's thresholds use them)."""

from __future__ import annotations

import pytest

from frugal._jsonschema import first_violation

FRACTION = {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1}


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        (0.5, None),
        (0, "$: not above exclusiveMinimum 0"),
        (-0.1, "$: not above exclusiveMinimum 0"),
        (1, "$: not below exclusiveMaximum 1"),
        (7, "$: not below exclusiveMaximum 1"),
    ],
)
def test_exclusive_bounds(value: float, problem: str | None) -> None:
    """exclusiveMinimum and exclusiveMaximum refuse the bound itself and anything past it."""
    assert first_violation(value, FRACTION) == problem


def test_exclusive_bounds_inside_items_and_any_of() -> None:
    """The bounds apply to list items and to the numeric branch of an anyOf."""
    assert first_violation([0.2, 1.0], {"type": "array", "items": FRACTION}) == (
        "$[1]: not below exclusiveMaximum 1"
    )
    assert first_violation(None, {"anyOf": [FRACTION, {"type": "null"}]}) is None
    assert (
        first_violation(2, {"anyOf": [FRACTION, {"type": "null"}]})
        == "$: matches none of the allowed schemas"
    )
