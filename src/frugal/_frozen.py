"""Frozen dataclasses built on the call path without the frozen ``__init__``'s per-field cost.

A frozen dataclass's ``__init__`` sets each field through ``object.__setattr__``, which on CPython 3.11
costs about as much as a small function call per field: ~20k machine instructions for a 12-field
``RoutingRequest``, ~25k for a ``Decision``, more than the router's whole candidate scan. :func:`builder`
returns a positional constructor that fills a plain twin class with the same slots (ordinary attribute
stores) and then gives the object its real class. The result is a genuine instance of the frozen class:
equality, ``repr``, hashing and ``FrozenInstanceError`` on assignment are the class's own.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["builder"]

T = TypeVar("T")


def builder(cls: type[T], *, valid: bool = False) -> Callable[..., T]:
    """A constructor for the frozen, slotted dataclass ``cls`` taking every field, positionally, in order.

    No defaults and no ``__post_init__``: meant for the few hot places that already have every value.

    Args:
        cls: the dataclass.
        valid: the caller's values always pass ``cls.__post_init__`` (a check that changes nothing), so
            skipping it is allowed. Without it, a class with a ``__post_init__`` is refused.

    Raises:
        TypeError: ``cls`` is not a frozen dataclass with slots whose fields are all set by ``__init__``,
            or it has a ``__post_init__`` and ``valid`` is not set.
    """
    params = getattr(cls, "__dataclass_params__", None)
    fields = dataclasses.fields(cls) if params is not None else ()  # type: ignore[arg-type]
    names = tuple(f.name for f in fields)
    if (
        params is None
        or not params.frozen
        or cls.__dict__.get("__slots__") != names
        or not all(f.init for f in fields)
        or (hasattr(cls, "__post_init__") and not valid)
    ):
        raise TypeError(f"{cls.__name__} is not a frozen, slotted dataclass without __post_init__")
    twin: Any = dataclasses.make_dataclass(
        f"_{cls.__name__}Builder", names, slots=True, eq=False, repr=False, match_args=False
    )

    def build(*values: object) -> T:
        obj = twin(*values)
        obj.__class__ = cls  # same slots, same layout: CPython allows it, and checks it each time
        return obj  # type: ignore[no-any-return]

    build.__doc__ = f"A {cls.__name__} from all its fields, positionally."
    return build
