"""The ``frugal`` command: one module per command family.

- ``frugal route "PROMPT"``, ``frugal validate FILE``, ``frugal schema`` (:mod:`~frugal.cli.route`): which
  model the policy chooses for a prompt, why, and what it saves (no API key needed); whether a policy file
  is valid (errors name file:line:column); the policy JSON Schema, for editors.
- ``frugal demo`` (:mod:`~frugal.cli.demo`): the drop-in client against the loopback vendor stub.
- ``frugal report`` (:mod:`~frugal.cli.report`): spend, savings and budget status from the ledger.
- ``frugal eval``, ``frugal calibrate``, ``frugal train`` (:mod:`~frugal.cli.eval`): offline evaluation on
  labelled rows.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from .._version import __version__

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    from . import demo, report, route
    from .eval import add_evaluation_commands

    parser = argparse.ArgumentParser(
        prog="frugal", description="Send every LLM call to the cheapest adequate model."
    )
    parser.add_argument("--version", action="version", version=f"frugal {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    route.add_parsers(commands)
    demo.add_parser(commands)
    report.add_parser(commands)
    add_evaluation_commands(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``frugal`` console script."""
    args = _parser().parse_args(argv)
    code: int = args.run(args)
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
