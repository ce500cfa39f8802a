"""Click commands made from argparse sub-parsers: the evaluation commands keep their argparse definitions
(``cli/eval.py``, where their options are added) and get the same help, completion and errors as the
other commands.

Each argparse action becomes a click parameter of the same name and default; the command's callback
rebuilds the ``argparse.Namespace`` the argparse code expects (``command`` included) and calls its
``run``. argparse has no public way to list a parser's actions: ``_actions`` and
``_mutually_exclusive_groups`` are read, as argcomplete and sphinx-argparse read them.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import click
import rich_click

__all__ = ["command_from_parser"]

#: Names of options and arguments that take a file path (completed as paths by the shells).
_PATH_WORDS = ("FILE", ".json", ".yaml", ".jsonl", ".png", ".html")
_PATH_DESTS = frozenset({"data", "policy", "out", "scores", "plot"})


if TYPE_CHECKING:
    _ParamType = click.ParamType[Any]  # generic from click 8.2 on
else:
    _ParamType = click.ParamType


class _Converted(_ParamType):
    """An argparse ``type=`` callable as a click type (its ``ArgumentTypeError`` is a bad parameter)."""

    def __init__(self, convert: Callable[[str], Any]) -> None:
        self._convert = convert
        self.name = getattr(convert, "__name__", "value").strip("_")

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if not isinstance(value, str):
            return value
        try:
            return self._convert(value)
        except (argparse.ArgumentTypeError, ValueError) as exc:
            self.fail(str(exc), param, ctx)


def _type(action: argparse.Action) -> _ParamType | None:
    if action.choices is not None:
        return click.Choice([str(c) for c in action.choices])
    if action.type is int:
        return click.INT
    if action.type is float:
        return click.FLOAT
    if callable(action.type):
        return _Converted(action.type)
    metavar = action.metavar if isinstance(action.metavar, str) else ""
    if action.dest in _PATH_DESTS or any(word in metavar for word in _PATH_WORDS):
        return click.Path(dir_okay=False)
    return None


def _parameter(action: argparse.Action) -> click.Parameter | None:
    """The click parameter of one argparse action (None for --help and --version)."""
    if isinstance(action, (argparse._HelpAction, argparse._VersionAction)):
        return None
    help_text = None if action.help is argparse.SUPPRESS else action.help
    if not action.option_strings:
        many = action.nargs in ("+", "*")
        return click.Argument(
            [action.dest],
            nargs=-1 if many else 1,
            required=action.nargs not in ("?", "*"),
            type=_type(action),
            metavar=action.metavar if isinstance(action.metavar, str) else None,
        )
    declarations = [*action.option_strings, action.dest]
    if isinstance(action, (argparse._StoreTrueAction, argparse._StoreFalseAction)):
        return click.Option(declarations, is_flag=True, default=False, help=help_text)
    multiple = isinstance(action, argparse._AppendAction)
    return click.Option(
        declarations,
        type=_type(action),
        multiple=multiple,
        default=None,
        help=help_text,
        metavar=action.metavar if isinstance(action.metavar, str) else None,
        show_default=False,
    )


def _namespace(parser: argparse.ArgumentParser, name: str, params: Mapping[str, Any]) -> argparse.Namespace:
    """The namespace argparse would have made: its defaults where click got nothing."""
    values: dict[str, Any] = {"command": name, **parser._defaults}
    for action in parser._actions:
        if action.dest in (argparse.SUPPRESS, "help"):
            continue
        value = params.get(action.dest)
        if isinstance(action, (argparse._StoreTrueAction, argparse._StoreFalseAction)):
            value = bool(value) if isinstance(action, argparse._StoreTrueAction) else not value
        elif value in (None, ()):
            default = action.default
            value = list(default) if isinstance(default, list) else default
        elif isinstance(value, tuple):
            value = list(value)
        values[action.dest] = value
    return argparse.Namespace(**values)


def _check_groups(parser: argparse.ArgumentParser, params: Mapping[str, Any]) -> None:
    """argparse's mutually exclusive groups, which click has no notion of."""
    for group in parser._mutually_exclusive_groups:
        given = [a for a in group._group_actions if params.get(a.dest) not in (None, (), False)]
        names = " / ".join(a.option_strings[0] for a in group._group_actions)
        if len(given) > 1:
            raise click.UsageError(f"give one of {names}, not several")
        if group.required and not given:
            raise click.UsageError(f"give one of {names}")


def command_from_parser(name: str, parser: argparse.ArgumentParser, *, epilog: str = "") -> click.Command:
    """A click command presenting ``parser`` (a sub-parser whose defaults hold ``run(namespace) -> int``).

    Args:
        name: the command's name (``eval``).
        parser: the argparse sub-parser defining its arguments.
        epilog: examples shown at the end of ``--help``.
    """
    run: Callable[[argparse.Namespace], int] = parser._defaults["run"]

    def callback(**params: Any) -> int:
        _check_groups(parser, params)
        return run(_namespace(parser, name, params))

    parameters = [p for p in map(_parameter, parser._actions) if p is not None]
    return rich_click.RichCommand(
        name=name,
        params=parameters,
        callback=callback,
        help=parser.description,
        short_help=getattr(parser, "_frugal_help", None),
        epilog=epilog or None,
    )
