"""The ``frugal`` command as a command-line tool: one-line errors and exit codes, --debug, help with
examples, shell completion, whole lines off a terminal, progress."""

from __future__ import annotations

import io
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from frugal.cli import main
from frugal.cli._app import app

POLICIES = Path(__file__).parent / "policies"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def one_line(err: str) -> str:
    assert err.count("\n") == 1, err
    assert "Traceback" not in err
    return err


def test_a_missing_messages_file_is_one_line_and_exit_1(capsys: pytest.CaptureFixture[str]) -> None:
    """`frugal route --messages missing.json` names the file, exit 1, no traceback."""
    code, out, err = run(capsys, "route", "--messages", "missing.json")
    assert (code, out) == (1, "")
    assert one_line(err).startswith("frugal route: missing.json: cannot read the messages file")


def test_a_malformed_messages_file_names_line_and_column(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Invalid JSON is file:line:column; JSON of the wrong shape says what was expected."""
    bad = tmp_path / "m.json"
    bad.write_text('[\n  {"role": "user",\n   "content": "hi"\n', encoding="utf-8")
    code, _, err = run(capsys, "route", "--messages", str(bad))
    assert code == 1
    assert f"{bad}:4:1: not valid JSON" in one_line(err)
    bad.write_text('{"model": "auto"}', encoding="utf-8")
    code, _, err = run(capsys, "route", "--messages", str(bad))
    assert code == 1
    assert "expected a JSON list of chat messages" in one_line(err)


def test_a_missing_or_invalid_policy_is_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """--policy missing.yaml and a policy that does not validate: one line with file:line:column, exit 1."""
    code, _, err = run(capsys, "route", "hi", "--policy", str(tmp_path / "missing.yaml"))
    assert code == 1
    assert "missing.yaml: cannot read the policy" in one_line(err)
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\ntiers: 3\n", encoding="utf-8")
    for command in (["route", "hi", "--policy", str(bad)], ["validate", str(bad)]):
        code, _, err = run(capsys, *command)
        assert code == 1
        assert f"{bad}:2:8: tiers: Input should be a valid list" in one_line(err)


def test_usage_errors_exit_2_with_a_pointer_to_help(capsys: pytest.CaptureFixture[str]) -> None:
    """An unknown option, a missing argument, an unknown command: one line, exit 2, '--help' named."""
    code, _, err = run(capsys, "route", "hi", "--jsn")
    assert code == 2
    assert "Did you mean '--json'?" in one_line(err)
    assert "(see 'frugal route --help')" in err
    code, _, err = run(capsys, "route")
    assert code == 2
    assert "give a PROMPT or --messages FILE.json" in one_line(err)
    code, _, err = run(capsys, "eval")
    assert code == 2
    assert one_line(err).startswith("frugal eval: Missing argument")
    code, _, err = run(capsys, "eval", "x.jsonl")
    assert code == 2
    assert "give one of --policy / --models" in one_line(err)
    code, _, err = run(capsys, "train", "x.jsonl", "--embedder-options", "[1]")
    assert code == 2
    assert "expected a JSON object" in one_line(err)
    assert run(capsys, "nope")[0] == 2


def test_an_unexpected_error_is_one_line_unless_debug(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bug is one line naming it and --debug; with --debug (or FRUGAL_DEBUG=1) the traceback shows."""

    def broken(policy: str | None) -> None:
        raise TypeError("boom")

    monkeypatch.setattr("frugal.cli.route.dry_run_router", broken)
    code, _, err = run(capsys, "route", "hi")
    assert code == 1
    assert "unexpected TypeError: boom" in one_line(err)
    assert "--debug" in err
    with pytest.raises(TypeError, match="boom"):
        main(["--debug", "route", "hi"])
    monkeypatch.setenv("FRUGAL_DEBUG", "1")
    with pytest.raises(TypeError, match="boom"):
        main(["route", "hi"])


def test_report_refuses_a_sqlite_path_that_does_not_exist(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--ledger sqlite:///typo.db is an error naming the path, and no empty database is created."""
    monkeypatch.chdir(tmp_path)
    code, _, err = run(capsys, "report", "--ledger", "sqlite:///typo.db")
    assert code == 1
    assert "sqlite:///typo.db: no ledger at typo.db" in one_line(err)
    assert list(tmp_path.iterdir()) == []


def test_report_with_redis_down_is_one_line_without_the_password(capsys: pytest.CaptureFixture[str]) -> None:
    """A Redis ledger that cannot be reached: one line naming the ledger (password hidden), exit 1."""
    pytest.importorskip("redis")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    code, _, err = run(capsys, "report", "--ledger", f"redis://:secret@127.0.0.1:{port}/0")
    assert code == 1
    assert f"cannot read the ledger redis://:***@127.0.0.1:{port}/0" in one_line(err)
    assert "secret" not in err


def test_cli_runner_sees_the_same_exit_codes() -> None:
    """The click app under CliRunner: 0 on success, 1 for bad input, 2 for usage, errors on stderr."""
    runner = CliRunner()
    ok = runner.invoke(app, ["route", "What is the capital of France?", "--json"])
    assert ok.exit_code == 0
    assert '"model"' in ok.stdout
    bad = runner.invoke(app, ["validate", "missing.yaml"])
    assert bad.exit_code == 1
    assert "missing.yaml" in bad.stderr
    assert runner.invoke(app, ["report", "--top", "0"]).exit_code == 2


@pytest.mark.parametrize(
    "command", ["route", "validate", "schema", "init", "demo", "report", "eval", "calibrate", "train"]
)
def test_every_command_has_help_with_an_example(command: str) -> None:
    """`frugal COMMAND --help` exits 0 and shows at least one example of the command."""
    result = CliRunner().invoke(app, [command, "--help"], terminal_width=200)
    assert result.exit_code == 0
    assert "Example" in result.stdout
    assert f"frugal {command}" in result.stdout.split("Example", 1)[1]


def test_evaluation_options_keep_their_argparse_names_and_defaults() -> None:
    """eval/calibrate/train take their argparse options under click: names, flags, repeats, defaults."""
    [train] = [p for p in app.commands["train"].params if p.name == "exclude_source"]
    assert train.multiple
    [target] = [p for p in app.commands["eval"].params if p.name == "target"]
    assert target.opts == ["--target"]


def test_shell_completion(monkeypatch: pytest.MonkeyPatch) -> None:
    """`frugal completion bash` prints the script; the completion protocol completes commands and options."""
    runner = CliRunner()
    script = runner.invoke(app, ["completion", "bash"])
    assert script.exit_code == 0
    assert "_FRUGAL_COMPLETE" in script.stdout
    env = {"_FRUGAL_COMPLETE": "bash_complete", "COMP_WORDS": "frugal rep", "COMP_CWORD": "1"}
    completed = runner.invoke(app, [], env=env, prog_name="frugal")
    assert "report" in completed.stdout
    env = {"_FRUGAL_COMPLETE": "bash_complete", "COMP_WORDS": "frugal train x --clas", "COMP_CWORD": "3"}
    assert "--classifier" in runner.invoke(app, [], env=env, prog_name="frugal").stdout
    monkeypatch.setenv("SHELL", "/bin/tcsh")
    assert runner.invoke(app, ["completion"]).exit_code == 2


def test_python_m_frugal_cli_works() -> None:
    """`python -m frugal.cli` is the same command (exit codes included)."""
    done = subprocess.run(
        [sys.executable, "-m", "frugal.cli", "route", "--messages", "nowhere.json"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert done.stderr.startswith("frugal route: nowhere.json")


def test_tables_are_whole_when_stdout_is_not_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    """Off a terminal nothing is cut at 80 columns: a long model name is printed whole."""
    from frugal.cli._output import console, table

    name = "claude-opus-4-5-20251101-with-a-very-long-deployment-suffix-" + "x" * 80
    table(console(), "Models", ["Model", "Calls"], [[name, 3]], numeric=["Calls"])
    out = capsys.readouterr().out
    assert name in out
    assert "…" not in out


class Terminal(io.StringIO):
    """A stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def test_progress_is_a_bar_on_a_terminal_and_lines_in_a_log(monkeypatch: pytest.MonkeyPatch) -> None:
    """On a terminal: a rich bar reaching 100 %; in a log: the ten-line printer; a phase of unknown length
    (fitting) says when it starts and how long it took."""
    from frugal.cli._output import progress, working

    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    show = progress("frugal eval", unit="rows")
    assert show is not None
    for done in range(1, 51):
        show(done, 50)
    assert "50/50" in terminal.getvalue()
    assert "100%" in terminal.getvalue()
    log = io.StringIO()
    monkeypatch.setattr(sys, "stderr", log)
    show = progress("frugal eval")
    assert show is not None
    show(10, 10)
    assert log.getvalue() == "frugal eval: 10/10 rows (100%)\n"
    assert progress("x", quiet=True) is None
    with working("frugal train: fitting the model"):
        pass
    lines = log.getvalue().splitlines()[1:]
    assert lines[0] == "frugal train: fitting the model ..."
    assert lines[1].startswith("frugal train: fitting the model: done in ")
