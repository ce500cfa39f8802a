"""The ``frugal`` command's one error handler: a bad input is one line on stderr, never a traceback.

Exit codes: 0 success, 1 bad input (a file that is missing or malformed, a policy that does not validate,
a ledger that cannot be read), 2 a usage error (an unknown option, a missing argument, a value of the
wrong form), 130 interrupted. ``frugal --debug ...`` (or ``FRUGAL_DEBUG=1``) shows the traceback instead.
"""

from __future__ import annotations

import json
import os
import sys

import rich_click as click

__all__ = ["BAD_INPUT", "USAGE", "CliError", "describe", "report"]

BAD_INPUT, USAGE, INTERRUPTED = 1, 2, 130


class CliError(click.ClickException):
    """A bad input: printed as ``frugal COMMAND: message`` and exit code 1."""

    exit_code = BAD_INPUT


def describe(exc: BaseException) -> str:
    """One line saying what was wrong with an input, from an exception a command raised."""
    from ..exceptions import FrugalError

    if isinstance(exc, FrugalError):
        return str(exc)
    if isinstance(exc, json.JSONDecodeError):
        return f"line {exc.lineno}, column {exc.colno}: not valid JSON ({exc.msg})"
    if isinstance(exc, UnicodeDecodeError):
        return f"not UTF-8 text ({exc.reason} at byte {exc.start})"
    if isinstance(exc, OSError) and exc.filename is not None:
        return f"{os.fsdecode(exc.filename)}: {exc.strerror or exc}"
    if isinstance(exc, (ValueError, OSError)):
        return str(exc)
    return (
        f"unexpected {type(exc).__name__}: {exc} "
        "(a bug in frugal: 'frugal --debug ...' shows the traceback; please report it)"
    )


def report(exc: click.ClickException | click.Abort, command: str) -> int:
    """Print ``exc`` as one line on stderr and return the exit code."""
    if isinstance(exc, click.Abort):
        print(f"{command}: interrupted", file=sys.stderr)
        return INTERRUPTED
    if isinstance(exc, click.UsageError):
        where = exc.ctx.command_path if exc.ctx is not None else command
        print(f"{where}: {exc.format_message()} (see '{where} --help')", file=sys.stderr)
        return USAGE
    print(f"{command}: {exc.format_message()}", file=sys.stderr)
    return exc.exit_code
