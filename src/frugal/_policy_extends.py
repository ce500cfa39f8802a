"""``extends:``: a policy built on others (the built-in default, or files), merged before it is validated.

The merge works on the located YAML data, so every value keeps the file, line and column it came from,
and an error in a base policy points into that base. The rules, for each top-level key the extending
file sets:

- ``budgets``, ``rules`` (lists of entries): appended, the bases' entries first;
- ``models``, ``providers``, ``routes`` (entries by name) and ``fallback`` (settings by name): merged key
  by key, an entry the file names replacing the base's entry of that name whole;
- anything else (``name``, ``tiers``, ``thresholds``, ``classifier``, ``ledger``, ...): replaced.

``extends: [a.yaml, b.yaml]`` merges ``b.yaml`` over ``a.yaml``, then the file over both. A base may
extend others in turn; relative paths are resolved against the directory of the file that names them.
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from ._yaml import Located, Location, load_located

__all__ = [
    "APPENDED",
    "BUILTIN_DEFAULT",
    "DEFAULT_SOURCE",
    "MAX_EXTENDS_DEPTH",
    "MERGED_BY_KEY",
    "builtin_default_text",
    "merge",
    "resolve_extends",
]

#: The name ``extends:`` gives the built-in default policy.
BUILTIN_DEFAULT = "default"
#: How errors name the built-in default policy's file.
DEFAULT_SOURCE = "<built-in default policy>"
#: Settings whose lists are appended.
APPENDED = frozenset({"budgets", "rules"})
#: Settings whose mappings are merged key by key.
MERGED_BY_KEY = frozenset({"models", "providers", "routes", "fallback"})
#: How many files a chain of ``extends:`` may go through.
MAX_EXTENDS_DEPTH = 10

_Path = tuple[str | int, ...]


def builtin_default_text() -> str:
    """The built-in default policy's YAML."""
    return resources.files("frugal").joinpath("policies/default.yaml").read_text(encoding="utf-8")


def resolve_extends(located: Located, base_dir: Path, chain: tuple[str, ...] = ()) -> Located:
    """The policy with the bases its ``extends:`` names merged under it (no ``extends`` key left).

    Args:
        located: the policy's located data (a mapping).
        base_dir: the directory relative ``extends:`` paths are resolved against.
        chain: the identities of the files that led here (for cycles).

    Returns:
        The merged located data; ``located`` itself when it extends nothing.

    Raises:
        ConfigError: a base cannot be read or is not a policy, the chain has a cycle or is too deep, or
            ``extends`` is not a name or a list of names (each at its line and column).
    """
    data = located.data
    if not isinstance(data, Mapping) or "extends" not in data:
        return located
    chain = chain or (_identity_of(located.source),)
    merged: Located | None = None
    for path, reference in _references(located):
        identity, source, text = _read(located, path, reference, base_dir)
        if identity in chain:
            cycle = " -> ".join((*chain, identity))
            raise located.error(path, f"extends {reference!r}, which leads back to it: {cycle}")
        if len(chain) >= MAX_EXTENDS_DEPTH:
            raise located.error(path, f"a chain of extends longer than {MAX_EXTENDS_DEPTH} files")
        base = load_located(text, source)
        if not isinstance(base.data, Mapping):
            raise located.error(path, f"{reference!r} is not a policy (a mapping of settings)")
        base_directory = Path(source).parent if identity != BUILTIN_DEFAULT else base_dir
        base = resolve_extends(base, base_directory, (*chain, identity))
        merged = base if merged is None else merge(merged, base)
    own = Located(
        {key: value for key, value in data.items() if key != "extends"},
        located.source,
        {path: where for path, where in located.positions.items() if path[:1] != ("extends",)},
    )
    return own if merged is None else merge(merged, own)


def _references(located: Located) -> list[tuple[_Path, str]]:
    """(path of the item, reference) for each base ``extends:`` names."""
    value = located.data["extends"]
    if isinstance(value, str) and value:
        return [(("extends",), value)]
    if isinstance(value, list) and value and all(isinstance(item, str) and item for item in value):
        return [(("extends", index), item) for index, item in enumerate(value)]
    raise located.error(
        ("extends",), f"expected {BUILTIN_DEFAULT!r} or a policy file's path, or a non-empty list of them"
    )


def _identity_of(source: str) -> str:
    path = Path(source)
    return str(path.resolve()) if path.is_file() else source


def _read(located: Located, path: _Path, reference: str, base_dir: Path) -> tuple[str, str, str]:
    """(identity, source name, text) of a base."""
    if reference == BUILTIN_DEFAULT:
        return BUILTIN_DEFAULT, DEFAULT_SOURCE, builtin_default_text()
    file = (base_dir / reference).expanduser()
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else f"not UTF-8 text ({exc.reason})"
        raise located.error(path, f"cannot read the policy {reference!r} ({file}): {reason}") from None
    return str(file.resolve()), str(file), text


def merge(base: Located, over: Located) -> Located:
    """``over``'s settings merged onto ``base``'s (see the module docstring), positions included."""
    data: dict[str, Any] = dict(base.data)
    base_at = _by_top_key(base.positions)
    over_at = _by_top_key(over.positions)
    positions: dict[_Path, Location] = {**base_at.pop((), {}), **over_at.pop((), {})}
    for key in base.data.keys() - over.data.keys():
        positions.update(base_at.get(key, {}))
    for key, value in over.data.items():
        old = base.data.get(key)
        theirs, ours = base_at.get(key, {}), over_at.get(key, {})
        if key in APPENDED and isinstance(old, list) and isinstance(value, list):
            data[key] = [*old, *value]
            positions.update(theirs)
            positions.update({_shifted(path, len(old)): where for path, where in ours.items()})
        elif key in MERGED_BY_KEY and isinstance(old, Mapping) and isinstance(value, Mapping):
            data[key] = {**old, **value}
            positions.update(
                {path: where for path, where in theirs.items() if path[1:2] not in _names(value)}
            )
            positions.update(ours)
        else:
            data[key] = value
            positions.update(ours)
    return Located(data, over.source, positions)


def _by_top_key(positions: Mapping[_Path, Location]) -> dict[Any, dict[_Path, Location]]:
    """Positions grouped by their path's first key (the root's own under ``()``)."""
    grouped: dict[Any, dict[_Path, Location]] = {}
    for path, where in positions.items():
        grouped.setdefault(path[0] if path else (), {})[path] = where
    return grouped


def _names(mapping: Mapping[Any, Any]) -> set[tuple[Any]]:
    return {(name,) for name in mapping}


def _shifted(path: _Path, offset: int) -> _Path:
    """A list item's path moved ``offset`` places on (``("rules", 0, ...)`` -> ``("rules", 2, ...)``)."""
    if len(path) > 1 and isinstance(path[1], int):
        return (path[0], path[1] + offset, *path[2:])
    return path
