"""The ``frugal`` click application: its commands, one error handler, ``--debug`` and completion."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import Any

import click
import rich_click

from .._version import __version__
from ._errors import describe, report

__all__ = ["app", "evaluation_parser"]

#: Examples shown under ``--help`` of the evaluation commands (their options are defined in cli/eval.py).
_EVAL_EXAMPLES = {
    "eval": """Examples:

\b
  frugal eval data.jsonl --models gpt-5-nano,gpt-5.4-mini,gpt-6.1-sol
  frugal eval data.jsonl --policy frugal.yaml --plot curve.html
  frugal eval data.jsonl --models cheap,strong --cv sources --compare heuristic""",
    "calibrate": """Examples:

\b
  frugal calibrate data.jsonl --policy frugal.yaml --out tuned.yaml
  frugal calibrate data.jsonl --models cheap,strong --price cheap=0.1/0.4 --out p.yaml
  frugal calibrate --from-store sqlite:///frugal.db --policy frugal.yaml --out frugal.yaml""",
    "train": """Examples:

\b
  frugal train data.jsonl --out model.json
  frugal train a.jsonl b.jsonl --cv sources --scores oof.jsonl
  frugal train data.jsonl --classifier knn --out index.json
  frugal train --from-store sqlite:///frugal.db --prior-rows 1000 --out model.json""",
}


class Failure(click.ClickException):
    """An exception a command raised, described in one line (exit code 1)."""

    exit_code = 1


class FrugalGroup(rich_click.RichGroup):
    """The ``frugal`` group: turns whatever a command raises into one line and an exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        """Run the subcommand; an exception it raises becomes a one-line :class:`Failure` unless --debug."""
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort, BrokenPipeError):
            raise
        except Exception as exc:
            if ctx.params.get("debug"):
                raise
            raise Failure(describe(exc)) from exc

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> int:
        """Run the command line; return its exit code (or exit with it when ``standalone_mode``)."""
        name = prog_name or "frugal"
        try:
            result = super().main(args, name, complete_var, standalone_mode=False, **extra)
            code = result if isinstance(result, int) else 0
        except (click.ClickException, click.Abort) as exc:
            code = report(exc, _command_path(args, name))
        except BrokenPipeError:
            # The reader went away (`frugal report | head`): say nothing more, as other tools do.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            code = 1
        if standalone_mode:
            sys.exit(code)
        return code


def _command_path(args: Sequence[str] | None, name: str) -> str:
    """``frugal route`` for an error of ``frugal route ...``: the first word naming a command."""
    for word in sys.argv[1:] if args is None else args:
        if word in app.commands:
            return f"{name} {word}"
    return name


@rich_click.command(
    epilog="""Examples:

\b
  eval "$(frugal completion bash)"      # in ~/.bashrc
  eval "$(frugal completion zsh)"       # in ~/.zshrc
  frugal completion fish > ~/.config/fish/completions/frugal.fish"""
)
@click.argument("shell", required=False, type=click.Choice(["bash", "zsh", "fish"]))
def completion(shell: str | None) -> int:
    """Print the shell completion script of frugal (default: the shell of $SHELL)."""
    from click.shell_completion import get_completion_class

    shell = shell or os.path.basename(os.environ.get("SHELL", ""))
    completer = get_completion_class(shell)
    if completer is None:
        raise click.UsageError(
            f"cannot tell the shell from $SHELL ({shell or 'unset'}): name bash, zsh or fish"
        )
    print(completer(app, {}, "frugal", "_FRUGAL_COMPLETE").source())
    return 0


def evaluation_parser() -> argparse.ArgumentParser:
    """The argparse definitions of ``eval``, ``calibrate`` and ``train`` (cli/eval.py)."""
    from .eval import add_evaluation_commands

    parser = argparse.ArgumentParser(prog="frugal")
    commands = parser.add_subparsers(dest="command", required=True)
    add_evaluation_commands(commands)
    return parser


def _build() -> FrugalGroup:
    from ._bridge import command_from_parser
    from .demo import demo
    from .report import report as report_command
    from .route import init, route, schema, validate

    group = FrugalGroup(
        name="frugal",
        help="Send every LLM call to the cheapest adequate model, see what it cost, cap the spend.\n\n"
        "Every command takes --help, with examples. Errors are one line on stderr: exit code 1 for a bad "
        "input (a file, a policy, a ledger), 2 for a usage error.",
        params=[
            click.Option(
                ["--debug"],
                is_flag=True,
                envvar="FRUGAL_DEBUG",
                help="Show the traceback of an error (also: FRUGAL_DEBUG=1).",
            ),
        ],
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    click.version_option(__version__, "--version", prog_name="frugal", message="%(prog)s %(version)s")(group)
    for command in (route, validate, schema, init, demo, report_command):
        group.add_command(command)
    subparsers = evaluation_parser()._subparsers
    assert subparsers is not None
    for action in subparsers._group_actions:
        helps = {choice.dest: choice.help for choice in getattr(action, "_choices_actions", [])}
        for name, parser in (getattr(action, "choices", None) or {}).items():
            made = command_from_parser(name, parser, epilog=_EVAL_EXAMPLES.get(name, ""))
            summary = helps.get(name) or ""
            made.help = made.help or (summary[:1].upper() + summary[1:] + "." if summary else None)
            group.add_command(made)
    group.add_command(completion)
    return group


app = _build()
