"""A small box-constrained minimiser for the smooth convex fits of ``frugal train`` (numpy)."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    Vector = npt.NDArray[np.float64]

__all__ = ["minimise_in_box", "numpy"]


def numpy() -> Any:
    """The numpy module, or a ConfigError saying how to install it."""
    from ..exceptions import ConfigError

    try:
        import numpy
    except ImportError:
        raise ConfigError("frugal train needs numpy: pip install 'frugal-router[train]'") from None
    return numpy


def minimise_in_box(
    function: Callable[[Vector], tuple[float, Vector]],
    x: Vector,
    lower: Vector,
    upper: Vector,
    iterations: int,
) -> Vector:
    """Minimise a smooth convex function over the box [lower, upper].

    Accelerated projected gradient (FISTA) with a backtracking step and a restart whenever the value goes
    up; stops when an iteration gains less than 1e-13 (relative). Deterministic.
    """
    np = numpy()
    value, _ = function(x)
    point, momentum, lipschitz = x.copy(), 1.0, 1.0
    for _ in range(iterations):
        at, gradient = function(point)
        while True:
            candidate = np.clip(point - gradient / lipschitz, lower, upper)
            step = candidate - point
            new_value, _ = function(candidate)
            if new_value <= at + float(gradient @ step) + 0.5 * lipschitz * float(step @ step) + 1e-15:
                break
            lipschitz *= 2.0
        if new_value > value:  # the momentum overshot: restart from the best point
            point, momentum = x.copy(), 1.0
            continue
        following = (1.0 + math.sqrt(1.0 + 4.0 * momentum * momentum)) / 2.0
        point = candidate + (momentum - 1.0) / following * (candidate - x)
        done = value - new_value < 1e-13 * max(1.0, abs(value))
        x, value, momentum = candidate, new_value, following
        if done:
            break
    return x
