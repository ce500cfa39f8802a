"""The fast builder of frozen dataclasses: genuine, immutable instances, equal to the constructor's."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from frugal._frozen import builder
from frugal._request import RoutingRequest
from frugal.classifiers.base import Classification
from frugal.routing import Decision

requests = st.tuples(
    st.text(max_size=20),
    st.text(max_size=5),
    st.text(max_size=5),
    st.integers(-1, 50),
    st.integers(-1, 5),
    st.booleans(),
    st.integers(-1, 5),
    st.booleans(),
    st.none() | st.integers(),
    st.sampled_from(["chat", "messages", "responses", "prompt"]),
    st.none() | st.text(max_size=8),
    st.dictionaries(st.text(max_size=4), st.text(max_size=4), max_size=3),
    st.integers(0, 100),
    st.none() | st.integers(0, 100),
)


@settings(max_examples=200, deadline=None)
@given(values=requests)
def test_built_request_equals_the_constructed_one(values: tuple[Any, ...]) -> None:
    """Same type, fields, equality and repr as RoutingRequest(*values); assignment still raises."""
    built = builder(RoutingRequest)(*values)
    made = RoutingRequest(*values)
    assert type(built) is RoutingRequest
    assert built == made
    assert repr(built) == repr(made)
    assert dataclasses.astuple(built) == dataclasses.astuple(made)
    with pytest.raises(dataclasses.FrozenInstanceError):
        built.prompt = "changed"  # type: ignore[misc]


def test_built_decision_is_hashable_like_the_constructed_one() -> None:
    """A Decision from the builder hashes and compares like one from its constructor."""
    values = (
        "m",
        "p",
        (),
        "small",
        0.5,
        ("r",),
        "heuristic",
        False,
        "default",
        "auto",
        1.0,
        "b",
        2.0,
        10,
        20,
    )
    built = builder(Decision)(*values)
    assert built == Decision(*values)
    assert hash(built) == hash(Decision(*values))
    assert built.estimated_savings_usd == 1.0


def test_builder_refuses_what_it_cannot_build_faithfully() -> None:
    """Not frozen, no slots, a field set outside __init__, or a __post_init__ the caller did not vouch for."""

    @dataclasses.dataclass(slots=True)
    class Mutable:
        a: int

    @dataclasses.dataclass(frozen=True)
    class NoSlots:
        a: int

    @dataclasses.dataclass(frozen=True, slots=True)
    class Derived:
        a: int
        b: int = dataclasses.field(init=False, default=0)

    for cls in (Mutable, NoSlots, Derived, Classification, int):
        with pytest.raises(TypeError, match="frozen, slotted dataclass"):
            builder(cls)
    assert builder(Classification, valid=True)(0.5, ("r",), "c") == Classification(0.5, ("r",), "c")
