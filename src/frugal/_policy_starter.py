"""The files ``frugal init`` writes: a commented starter policy extending the default, and its schema."""

from __future__ import annotations

import json
import os
from importlib import resources
from pathlib import Path

from .policy import LOCAL_FILE, policy_json_schema

__all__ = ["SCHEMA_FILE", "schema_text", "write_starter_policy"]

#: The schema's file name beside a starter policy.
SCHEMA_FILE = "frugal-policy.schema.json"


def schema_text() -> str:
    """The policy JSON Schema as the text of a ``.json`` file (what ``policies/policy.schema.json`` holds)."""
    return json.dumps(policy_json_schema(), indent=2) + "\n"


def write_starter_policy(
    directory: str | os.PathLike[str] = ".",
    *,
    policy_name: str = LOCAL_FILE,
    schema_name: str = SCHEMA_FILE,
    overwrite: bool = False,
) -> tuple[Path, Path]:
    """Write a commented starter policy that extends the built-in default, and its JSON Schema beside it.

    What ``frugal init`` does. The policy's first line is the editor modeline
    (``# yaml-language-server: $schema=./frugal-policy.schema.json``) pointing at the schema written beside
    it, so editors that speak the YAML language server complete and check it.

    Args:
        directory: where to write both files (created if missing).
        policy_name: the policy's file name.
        schema_name: the schema's file name.
        overwrite: replace files that exist.

    Returns:
        The paths of the policy and the schema.

    Raises:
        FileExistsError: a file exists and ``overwrite`` is false (nothing is written then).
    """
    folder = Path(directory)
    policy_path, schema_path = folder / policy_name, folder / schema_name
    if not overwrite:
        for path in (policy_path, schema_path):
            if path.exists():
                raise FileExistsError(f"{path} exists (overwrite it explicitly, or choose another name)")
    body = resources.files("frugal").joinpath("policies/starter.yaml").read_text(encoding="utf-8")
    folder.mkdir(parents=True, exist_ok=True)
    schema_path.write_text(schema_text(), encoding="utf-8")
    policy_path.write_text(f"# yaml-language-server: $schema=./{schema_name}\n{body}", encoding="utf-8")
    return policy_path, schema_path
