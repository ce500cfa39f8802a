"""YAML with positions, safe on untrusted text: the parsed data and where each key path stands in the file.

Errors in a policy must point at ``file:line:column``. The loader records, while it composes the node
tree, the position of every mapping value and sequence item by path (``("tiers", 1, "models", 0)``, the
tuples pydantic puts in a validation error's ``loc``) and of every key (``(..., key, "__key__")``).

The text may come from anyone, so the loader's work is linear in the text and its output is bounded:

- an alias is recorded once, where it is used (never walked again), and the values it stands for are
  counted through a per-node memo: a document that expands to more than :data:`MAX_VALUES` values (a
  "billion laughs" alias bomb) is refused at the node that crosses the limit, before anything is built;
- nesting deeper than :data:`MAX_DEPTH`, an integer longer than :data:`MAX_INT_CHARS` characters, a
  recursive alias, a duplicate key, and control characters (raw or escaped) are refused, each at its
  line and column.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml

from .exceptions import ConfigError

__all__ = ["MAX_DEPTH", "MAX_INT_CHARS", "MAX_VALUES", "Located", "Location", "load_located"]

Path = tuple[str | int, ...]

#: Values (scalars, lists and mappings, keys included) a document may expand to, aliases expanded.
MAX_VALUES = 100_000
#: How deeply lists and mappings may nest.
MAX_DEPTH = 64
#: The longest integer literal, in characters (Python refuses to parse ones past 4,300 digits).
MAX_INT_CHARS = 64
# C0 controls but tab and newline, DEL, C1 controls, and the bidirectional overrides that can make text
# read differently from what it is (as in "Trojan Source").
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_INT_TAG = "tag:yaml.org,2002:int"


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
    """Parsed YAML data and the location of each path in it.

    Attributes:
        data: the parsed data.
        source: the file it came from (the top file when several were merged).
        positions: where each key path stands; ``(*path, "__key__")`` is where the key ending ``path``
            stands. A path under an alias is not recorded: it is reported where the alias is used.
    """

    data: Any
    source: str
    positions: Mapping[Path, Location] = field(default_factory=dict)

    def where(self, path: Sequence[str | int]) -> Location:
        """The location of ``path``, or of its nearest ancestor that has one."""
        key = tuple(path)
        while key not in self.positions and key:
            key = key[:-1]
        return self.positions.get(key) or Location(self.source, 1, 1)

    def where_key(self, path: Sequence[str | int]) -> Location:
        """The location of the key that ends ``path`` (for an unknown key), else :meth:`where`."""
        return self.positions.get((*path, "__key__")) or self.where(path)

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
    """Parse ``text`` (YAML, or JSON) and record where every value stands.

    Args:
        text: the document (one document; an empty text is None).
        source: the file name errors name.

    Returns:
        The data and its positions.

    Raises:
        ConfigError: the text is not valid YAML, or is refused (see the module docstring); the message
            names the file, line and column.
    """
    try:
        loader = _Loader(text, source)
    except yaml.reader.ReaderError as exc:
        line, column = _line_and_column(text, exc.position)
        raise ConfigError(
            f"{source}:{line}:{column}: invalid YAML: control character U+{exc.character:04X} is not "
            'allowed (inside a double-quoted string, write it as an escape such as "\\t")'
        ) from None
    try:
        node = loader.get_single_node()
        data = None if node is None else loader.construct_document(node)
    except _Refused as exc:
        raise ConfigError(f"{_where(source, exc.mark)}: {exc.message}") from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise ConfigError(f"{_where(source, mark)}: invalid YAML: {exc.problem or exc}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{source}: invalid YAML: {' '.join(str(exc).split())}") from None
    except RecursionError:
        # Only when the caller's stack was already deep: MAX_DEPTH keeps the loader's own recursion short.
        raise ConfigError(f"{_where(source, loader.get_mark())}: nesting too deep to read") from None
    finally:
        loader.dispose()
    return Located(data, source, loader.positions)


def _where(source: str, mark: yaml.Mark | None) -> str:
    return f"{source}:{mark.line + 1}:{mark.column + 1}" if mark is not None else source


def _line_and_column(text: str, position: int) -> tuple[int, int]:
    line_start = text.rfind("\n", 0, position) + 1
    return text.count("\n", 0, position) + 1, position - line_start + 1


class _Refused(Exception):
    """A document the loader will not read, and where."""

    def __init__(self, mark: Any, message: str) -> None:
        super().__init__(message)
        self.mark = mark
        self.message = message


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader, recording positions by path while it composes, within the module's bounds."""

    def __init__(self, text: str, source: str) -> None:
        super().__init__(text)
        self.source = source
        self.positions: dict[Path, Location] = {}
        self._path: list[str | int] = []
        self._depth = 0
        # id(node) -> how many values the node stands for, aliases expanded; only complete nodes.
        self._sizes: dict[int, int] = {}

    def _location(self, mark: Any) -> Location:
        return Location(self.source, mark.line + 1, mark.column + 1)

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node:
        if isinstance(parent, yaml.MappingNode) and index is None:
            return self._compose(parent, index, record=False)  # a key: recorded with its value
        if isinstance(parent, yaml.MappingNode):
            component: str | int = self._key_of(index)
            key_path = (*self._path, component, "__key__")
            self.positions[key_path] = self._location(index.start_mark)
        elif isinstance(parent, yaml.SequenceNode):
            component = index
        else:
            return self._compose(parent, index, record=True)  # the root
        self._path.append(component)
        try:
            return self._compose(parent, index, record=True)
        finally:
            self._path.pop()

    def _compose(self, parent: yaml.Node | None, index: Any, *, record: bool) -> yaml.Node:
        event: yaml.Event = self.peek_event()  # type: ignore[no-untyped-call]  # untyped in types-PyYAML
        if record:
            self.positions[tuple(self._path)] = self._location(event.start_mark)
        if isinstance(event, yaml.AliasEvent):
            target = self.anchors.get(event.anchor)
            if target is not None and id(target) not in self._sizes:
                raise _Refused(
                    event.start_mark,
                    f"the alias *{event.anchor} is inside the value it names (a recursive alias)",
                )
            return self._super_compose(parent, index)  # the anchored node, shared: not walked again
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise _Refused(event.start_mark, f"nested more than {MAX_DEPTH} levels deep")
        try:
            node = self._super_compose(parent, index)
        finally:
            self._depth -= 1
        self._sizes[id(node)] = size = self._size_of(node)
        if size > MAX_VALUES:
            raise _Refused(
                node.start_mark,
                f"this value expands to more than {MAX_VALUES:,} values through YAML aliases "
                "(each alias repeats its anchor's content)",
            )
        return node

    def _super_compose(self, parent: yaml.Node | None, index: Any) -> yaml.Node:
        node = super().compose_node(parent, index)
        assert node is not None  # None only for an empty document, which never reaches compose_node
        return node

    def _key_of(self, node: yaml.Node) -> str | int:
        """A mapping key as a path component (an integer as an int, as it will be in the data)."""
        if not isinstance(node, yaml.ScalarNode):
            return "<complex key>"
        if node.tag == _INT_TAG:
            value: int = self.construct_yaml_int(node)  # short: checked when the key was composed
            return value
        return str(node.value)

    def _size_of(self, node: yaml.Node) -> int:
        if isinstance(node, yaml.ScalarNode):
            self._check_scalar(node)
            return 1
        if isinstance(node, yaml.SequenceNode):
            return 1 + sum(self._sizes[id(item)] for item in node.value)
        seen: dict[tuple[str, str], yaml.Node] = {}
        for key, _ in node.value:
            if isinstance(key, yaml.ScalarNode) and key.tag != "tag:yaml.org,2002:merge":
                first = seen.setdefault((key.tag, key.value), key)
                if first is not key:
                    raise _Refused(
                        key.start_mark,
                        f"duplicate key {key.value!r} (first at line {first.start_mark.line + 1})",
                    )
        return 1 + sum(self._sizes[id(key)] + self._sizes[id(value)] for key, value in node.value)

    def _check_scalar(self, node: yaml.ScalarNode) -> None:
        control = _CONTROL.search(node.value)
        if control is not None:
            raise _Refused(
                node.start_mark,
                f"character U+{ord(control.group()):04X} in a string: control and bidirectional-override "
                "characters are not allowed (tab and newline are)",
            )
        if node.tag == _INT_TAG and len(node.value) > MAX_INT_CHARS:
            raise _Refused(
                node.start_mark, f"an integer of {len(node.value)} characters (at most {MAX_INT_CHARS})"
            )
