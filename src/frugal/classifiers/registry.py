"""Finding classifiers by name (entry points, group ``frugal.classifiers``) or dotted path."""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Mapping
from functools import cache
from importlib.metadata import EntryPoint, entry_points
from typing import Any

from pydantic import BaseModel, ValidationError

from ..exceptions import ConfigError
from .base import Classifier

__all__ = ["ENTRY_POINT_GROUP", "available_classifiers", "load_classifier"]

ENTRY_POINT_GROUP = "frugal.classifiers"


@cache
def _entry_points() -> dict[str, EntryPoint]:
    return {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}


def available_classifiers() -> list[str]:
    """Names of the registered classifiers (built-ins included)."""
    return sorted(_entry_points())


def _import_path(spec: str) -> Any:
    module_name, sep, attribute = spec.partition(":")
    if not sep:
        module_name, _, attribute = spec.rpartition(".")
    if not module_name or not attribute:
        raise ConfigError(f"classifier {spec!r}: expected a registered name or 'package.module:Class'")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ConfigError(f"classifier {spec!r}: cannot import module {module_name!r} ({exc})") from None
    try:
        return getattr(module, attribute)
    except AttributeError:
        raise ConfigError(
            f"classifier {spec!r}: module {module_name!r} has no attribute {attribute!r}"
        ) from None


def load_classifier(spec: str, options: Mapping[str, Any] | None = None) -> Classifier:
    """Build the classifier ``spec`` (a registered name or a dotted path) with validated ``options``.

    Raises:
        ConfigError: unknown name (with the closest registered names), bad path, bad options, or an object
            that is not a :class:`Classifier`.
    """
    registered = _entry_points()
    if spec in registered:
        target = registered[spec].load()
    elif ":" in spec or "." in spec:
        target = _import_path(spec)
    else:
        close = difflib.get_close_matches(spec, list(registered), n=3, cutoff=0.5)
        hint = f"; did you mean {', '.join(map(repr, close))}?" if close else ""
        raise ConfigError(
            f"unknown classifier {spec!r}{hint} (registered: {', '.join(sorted(registered)) or 'none'}; "
            "or give a dotted path 'package.module:Class')"
        )
    options = dict(options or {})
    model = getattr(target, "Options", None)
    try:
        if isinstance(model, type) and issubclass(model, BaseModel):
            instance = target(model.model_validate(options))
        elif options:
            raise ConfigError(f"classifier {spec!r} takes no options, got: {', '.join(sorted(options))}")
        else:
            instance = target() if isinstance(target, type) else target
    except ConfigError:
        raise
    except ValidationError as exc:
        problems = "; ".join(
            f"option {'.'.join(map(str, e['loc'])) or '(all)'}: {e['msg']}"
            for e in exc.errors(include_url=False)
        )
        raise ConfigError(f"classifier {spec!r}: {problems}") from None
    except Exception as exc:
        raise ConfigError(f"classifier {spec!r}: building it failed: {type(exc).__name__}: {exc}") from None
    if not isinstance(instance, Classifier):
        raise ConfigError(
            f"classifier {spec!r}: {type(instance).__name__} has no 'name' and 'classify(request)'"
        )
    return instance
