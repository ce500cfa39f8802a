"""The ``frugal`` command (click, with rich help): one module per command family.

- ``frugal route "PROMPT"``, ``frugal validate FILE``, ``frugal schema``, ``frugal init``
  (:mod:`~frugal.cli.route`): which model the policy chooses for a prompt, why, and what it saves (no API
  key needed); whether a policy file is valid (errors name file:line:column); the policy JSON Schema; a
  starter policy.
- ``frugal demo`` (:mod:`~frugal.cli.demo`): the story against the loopback vendor stub.
- ``frugal report`` (:mod:`~frugal.cli.report`): spend, savings and budget status from the ledger.
- ``frugal eval``, ``frugal calibrate``, ``frugal train`` (:mod:`~frugal.cli.eval`): offline evaluation on
  labelled rows. Their options are argparse definitions, presented through click like the others.
- ``frugal completion [bash|zsh|fish]``: the shell completion script.

Errors are one line on stderr, never a traceback (``frugal --debug ...`` shows it): exit code 1 for a bad
input, 2 for a usage error (:mod:`~frugal.cli._errors`).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    """The argparse definitions of ``eval``, ``calibrate`` and ``train`` (cli/eval.py)."""
    from ._app import evaluation_parser

    return evaluation_parser()


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``frugal`` console script: run the command line, return its exit code.

    Args:
        argv: the arguments (default: ``sys.argv[1:]``).
    """
    from ._app import app

    return app.main(argv, prog_name="frugal", standalone_mode=False)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
