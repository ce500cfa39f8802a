"""The ``frugal`` command's own behaviour: ``init``, and errors that are one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from frugal.cli import main


def test_init_writes_a_policy_that_validates_and_refuses_to_overwrite(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`frugal init DIR` writes frugal.yaml (extending the default) and its schema; it validates; a second
    run refuses in one line (exit 1) unless --force."""
    assert main(["init", str(tmp_path)]) == 0
    policy = tmp_path / "frugal.yaml"
    assert policy.read_text(encoding="utf-8").startswith(
        "# yaml-language-server: $schema=./frugal-policy.schema.json"
    )
    assert (tmp_path / "frugal-policy.schema.json").is_file()
    capsys.readouterr()
    assert main(["validate", str(policy)]) == 0
    assert ": OK (" in capsys.readouterr().out
    policy.write_text("# mine\n", encoding="utf-8")
    assert main(["init", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "--force" in err
    assert policy.read_text(encoding="utf-8") == "# mine\n", "nothing is overwritten"
    assert main(["init", str(tmp_path), "--force"]) == 0
    assert policy.read_text(encoding="utf-8") != "# mine\n"
