"""YAML with positions: the parsed data and, for every key path, where it stands in the file.

Errors in a policy must point at ``file:line:column``; PyYAML's composed node tree knows where each node
starts, so one walk over it records the position of every mapping value and sequence item by path
(``("tiers", 1, "models", 0)``), the same tuples pydantic puts in a validation error's ``loc``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from .exceptions import ConfigError

__all__ = ["Located", "Location", "load_located"]

Path = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class Location:
    """A place in a source file (1-based line and column)."""

    source: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.source}:{self.line}:{self.column}"


@dataclass(frozen=True, slots=True)
class Located:
    """Parsed YAML data and the location of each path in it."""

    data: Any
    source: str
    positions: dict[Path, tuple[int, int]]

    def where(self, path: Sequence[str | int]) -> Location:
        """The location of ``path``, or of its nearest ancestor that has one."""
        key = tuple(path)
        while key not in self.positions and key:
            key = key[:-1]
        line, column = self.positions.get(key, (1, 1))
        return Location(self.source, line, column)

    def where_key(self, path: Sequence[str | int]) -> Location:
        """The location of the key that ends ``path`` (for an unknown key), else :meth:`where`."""
        position = self.positions.get((*path, "__key__"))
        return self.where(path) if position is None else Location(self.source, *position)

    def error(self, path: Sequence[str | int], message: str, *, at_key: bool = False) -> ConfigError:
        """A ConfigError that says where, which key, and what is wrong.

        Args:
            path: the key path of the problem.
            message: what is wrong (and what was expected).
            at_key: point at the key that ends ``path`` rather than at its value.
        """
        dotted = ".".join(str(p) for p in path) or "(top level)"
        where = self.where_key(path) if at_key else self.where(path)
        return ConfigError(f"{where}: {dotted}: {message}")


def load_located(text: str, source: str) -> Located:
    """Parse ``text`` (YAML) and record where every value stands.

    Raises:
        ConfigError: the text is not valid YAML (with the file, line and column of the problem).
    """
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{source}:{mark.line + 1}:{mark.column + 1}" if mark else source
        raise ConfigError(f"{where}: invalid YAML: {exc.problem or exc}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{source}: invalid YAML: {exc}") from None
    positions: dict[Path, tuple[int, int]] = {}
    if node is not None:
        _walk(node, (), positions)
    return Located(data, source, positions)


def _walk(node: yaml.Node, path: Path, positions: dict[Path, tuple[int, int]]) -> None:
    positions[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key: str | int = key_node.value
            if isinstance(key_node, yaml.ScalarNode) and key_node.tag.endswith(":int"):
                key = int(key_node.value)
            _walk(value_node, (*path, key), positions)
            # A missing or misspelt key is reported at the key itself.
            positions.setdefault(
                (*path, key, "__key__"), (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            )
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, (*path, index), positions)
