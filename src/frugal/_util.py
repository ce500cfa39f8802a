"""Small helpers every layer uses: a warning shown once, did-you-mean suggestions, and the "not given"
sentinel (for arguments where ``None`` is a meaningful value of its own)."""

from __future__ import annotations

import difflib
import logging
import os
import sys
import warnings
from collections.abc import Iterable

from .exceptions import FrugalWarning

__all__ = ["NOT_GIVEN", "NotGiven", "did_you_mean", "log_once", "suggestions", "warn_at_caller", "warn_once"]


class NotGiven:
    """The type of :data:`NOT_GIVEN`: an argument the caller did not give (as httpx's
    ``USE_CLIENT_DEFAULT``), so that ``None`` can mean what it says (``timeout=None``: no timeout)."""

    _instance: NotGiven | None = None

    def __new__(cls) -> NotGiven:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "NOT_GIVEN"


#: An argument the caller did not give.
NOT_GIVEN = NotGiven()

_SHOWN: set[str] = set()
_FRUGAL = os.path.dirname(__file__) + os.sep
_MAX_KEYS = 10_000  # keys come from model names, error types, budget windows: bounded, but never trust it


def _first_time(key: str) -> bool:
    if key in _SHOWN:
        return False
    if len(_SHOWN) >= _MAX_KEYS:
        _SHOWN.clear()
    _SHOWN.add(key)
    return True


def warn_once(
    key: str, message: str, category: type[Warning] = FrugalWarning, *, stacklevel: int = 2
) -> None:
    """``warnings.warn(message)`` the first time ``key`` is seen in this process; nothing after.

    Args:
        key: what makes two warnings the same (a classifier's name, a model, an error type).
        message: the warning's text.
        category: the warning class.
        stacklevel: as for :func:`warnings.warn`, counted from the caller of ``warn_once``.
    """
    if _first_time(f"warn:{key}"):
        warnings.warn(message, category, stacklevel=stacklevel + 1)


def warn_at_caller(key: str, message: str, category: type[Warning] = FrugalWarning) -> None:
    """:func:`warn_once`, pointing at the first line of the caller's own code (outside frugal and the
    vendor SDKs), whatever depth inside frugal it is raised from."""
    # Frames of frugal itself and of the vendor SDKs (whose helpers call frugal's resources) are skipped.
    internal = [_FRUGAL]
    for name in ("openai", "anthropic"):
        path = getattr(sys.modules.get(name), "__file__", None)
        if path:
            internal.append(os.path.dirname(path) + os.sep)
    prefixes = tuple(internal)
    frame = sys._getframe(1)
    level = 1
    while frame.f_back is not None and frame.f_code.co_filename.startswith(prefixes):
        frame = frame.f_back
        level += 1
    warn_once(key, message, category, stacklevel=level + 1)


def log_once(logger: logging.Logger, key: str, message: str, *args: object) -> None:
    """``logger.warning(message, *args)`` the first time ``key`` is seen in this process."""
    if _first_time(f"log:{logger.name}:{key}"):
        logger.warning(message, *args)


def suggestions(name: str, known: Iterable[str], *, count: int = 3, cutoff: float = 0.6) -> list[str]:
    """The names of ``known`` closest to ``name``, best first."""
    return difflib.get_close_matches(name, list(known), n=count, cutoff=cutoff)


def did_you_mean(name: str, known: Iterable[str], *, count: int = 3, cutoff: float = 0.6) -> str:
    """``"; did you mean 'a', 'b'?"`` for the names of ``known`` closest to ``name``, or ``""``."""
    close = suggestions(name, known, count=count, cutoff=cutoff)
    return f"; did you mean {', '.join(map(repr, close))}?" if close else ""
