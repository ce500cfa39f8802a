"""Finding classifiers: by registered name (entry-point group ``frugal.classifiers``) or by dotted path.

Loading happens once, when a policy is compiled; every failure is a :class:`~frugal.exceptions.ConfigError`
that says what was wrong, so a bad policy fails when the client is built and never in the middle of a call.
"""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Iterable, Mapping
from functools import cache
from importlib.metadata import entry_points
from typing import Any

from pydantic import BaseModel, ValidationError

from ..exceptions import ConfigError
from .base import Classifier

__all__ = ["ENTRY_POINT_GROUP", "available_classifiers", "load_classifier", "resolve_object"]

ENTRY_POINT_GROUP = "frugal.classifiers"

# The built-ins are registered in frugal's own pyproject.toml like any plug-in. This copy only serves a
# source tree used without being installed (no package metadata); an installed entry point wins.
_BUILTINS = {
    "heuristic": "frugal.classifiers.heuristic:HeuristicClassifier",
    "learned": "frugal.classifiers.learned:LearnedClassifier",
    "knn": "frugal.classifiers.knn:KnnClassifier",
}


@cache
def _registered() -> dict[str, str]:
    """Registered name -> ``module:attribute``. Reading package metadata is slow, so it is read once."""
    found = dict(_BUILTINS)
    found.update((ep.name, ep.value) for ep in entry_points(group=ENTRY_POINT_GROUP))
    return found


def available_classifiers() -> list[str]:
    """The registered classifier names (built-ins included), sorted."""
    return sorted(_registered())


def load_classifier(spec: str, options: Mapping[str, Any] | None = None) -> Classifier:
    """Build the classifier named by ``spec`` with validated ``options``.

    Args:
        spec: a registered name (``"heuristic"``), or a dotted path to a class (or a ready instance):
            ``"package.module:Class"`` or ``"package.module.Class"``.
        options: the policy's options for it, validated by the class's ``Options`` pydantic model; the
            class is then built as ``Class(options)``, else as ``Class()``.

    Raises:
        ConfigError: an unknown name (with the closest registered ones), a path that does not import, an
            object that is not a :class:`Classifier`, or options that do not validate (each named).
    """
    registered = _registered()
    if spec in registered:
        target = resolve_object(registered[spec], f"classifier {spec!r} (registered as {registered[spec]!r})")
    elif ":" in spec or "." in spec:
        target = resolve_object(spec, f"classifier {spec!r}")
    else:
        close = difflib.get_close_matches(spec, list(registered), n=3, cutoff=0.6)
        hint = f"; did you mean {' or '.join(map(repr, close))}?" if close else ""
        raise ConfigError(
            f"unknown classifier {spec!r}{hint} (registered: {', '.join(sorted(registered)) or 'none'}; "
            "a classifier of your own is named by dotted path, 'package.module:Class')"
        )
    instance = _build(target, dict(options or {}), f"classifier {spec!r}")
    if not isinstance(instance, Classifier) or not isinstance(getattr(instance, "name", None), str):
        raise ConfigError(
            f"classifier {spec!r}: {_describe(instance)} is not a classifier: it needs a 'name' string "
            "and a 'classify(request) -> Classification' method"
        )
    return instance


def resolve_object(path: str, what: str) -> Any:
    """The object at ``package.module:attr.attr`` or ``package.module.attr``.

    Raises:
        ConfigError: the path is malformed, its module does not import, or an attribute is missing; the
            message starts with ``what``.
    """
    module_name, colon, attributes = path.partition(":")
    if not colon:
        module_name, _, attributes = path.rpartition(".")
    if not module_name or not attributes:
        raise ConfigError(f"{what}: expected a registered name or a dotted path 'package.module:Class'")
    try:
        target: Any = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        missing = f"no module named {exc.name!r}" if exc.name else str(exc)
        raise ConfigError(f"{what}: cannot import module {module_name!r}: {missing}") from None
    except Exception as exc:  # whatever the module raises while importing: report it, do not crash
        raise ConfigError(
            f"{what}: importing module {module_name!r} failed: {type(exc).__name__}: {exc}"
        ) from None
    for attribute in attributes.split("."):
        try:
            target = getattr(target, attribute)
        except AttributeError:
            raise ConfigError(f"{what}: {_describe(target)} has no attribute {attribute!r}") from None
    return target


def _build(target: Any, options: dict[str, Any], what: str) -> Any:
    if not isinstance(target, type):
        if options:
            raise ConfigError(f"{what} is an instance, not a class: it takes no options")
        return target
    model = getattr(target, "Options", None)
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        model = None
        if options:
            raise ConfigError(
                f"{what} takes no options (it declares no Options model); got {_names(options)}"
            )
    elif model.model_config.get("extra") in (None, "ignore"):
        # An Options model that would drop unknown keys silently: a typo in a policy must not pass.
        known = set(model.model_fields) | {f.alias for f in model.model_fields.values() if f.alias}
        if unknown := sorted(set(options) - known):
            raise ConfigError(
                f"{what}: unknown option {_names(unknown)} (known: {_names(model.model_fields)})"
            )
    try:
        return target() if model is None else target(model.model_validate(options))
    except ValidationError as exc:
        raise ConfigError(f"{what}: {_option_problems(exc, model)}") from None
    except ConfigError as exc:  # the classifier says itself what is wrong (a bad model file, ...)
        raise ConfigError(f"{what}: {exc}") from None
    except Exception as exc:  # a constructor that fails: the policy is wrong, say so when it loads
        raise ConfigError(f"{what}: building it failed: {type(exc).__name__}: {exc}") from None


def _option_problems(exc: ValidationError, model: type[BaseModel] | None) -> str:
    problems = []
    for error in exc.errors(include_url=False):
        name = ".".join(map(str, error["loc"])) or "(options)"
        if error["type"] == "extra_forbidden" and model is not None:
            problems.append(f"unknown option {name!r} (known: {_names(model.model_fields)})")
        elif error["type"] == "missing":
            problems.append(f"option {name!r} is required")
        else:
            problems.append(f"option {name!r}: {error['msg']} (got {error.get('input')!r})")
    return "; ".join(problems)


def _names(names: Iterable[str]) -> str:
    return ", ".join(map(repr, sorted(names)))


def _describe(obj: Any) -> str:
    if isinstance(obj, type):
        return f"class {obj.__module__}.{obj.__qualname__}"
    if hasattr(obj, "__spec__") and hasattr(obj, "__name__"):
        return f"module {obj.__name__!r}"
    return f"{type(obj).__name__} object"
