"""The pytest plugin installed with frugal: users get `frugal_stub`, `deny_network` and `frugal_client`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

USER_TESTS = """
import socket

import openai
import pytest


def test_stub_and_client(frugal_stub, frugal_client):
    from frugal.testing import Reply

    frugal_stub.reply("gpt-4o-mini", Reply(text="Paris."))
    client = frugal_client(policy="policy.yaml")
    answer = client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "Capital of France?"}]
    )
    assert answer.choices[0].message.content == "Paris."
    assert len(frugal_stub.requests) == 1


def test_stub_is_reset_between_tests(frugal_stub):
    assert frugal_stub.requests == []


def test_sdk_against_the_stub(frugal_stub, deny_network):
    client = openai.OpenAI(api_key="sk-test", base_url=frugal_stub.openai_base_url, max_retries=0)
    reply = client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
    assert reply.choices[0].message.content == "Hello from stub."


def test_network_is_denied(deny_network):
    from frugal.testing import NetworkBlocked

    with pytest.raises(NetworkBlocked):
        socket.create_connection(("198.51.100.7", 443), timeout=1)
    deny_network.violations.clear()


def test_a_network_attempt_fails_the_test(deny_network):
    try:
        socket.create_connection(("198.51.100.7", 443), timeout=1)
    except Exception:
        pass
"""

POLICY = "tiers:\n  - {name: all, models: [gpt-4o-mini]}\nrequested_model: honor\n"


def test_users_get_the_fixtures_without_importing_anything(tmp_path: Path) -> None:
    """A user's test module (no conftest, no import of frugal's fixtures) gets them from the entry point;
    a test that tries the network fails, naming the address."""
    (tmp_path / "test_user.py").write_text(USER_TESTS, encoding="utf-8")
    (tmp_path / "policy.yaml").write_text(POLICY, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_user.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "5 passed, 1 error" in done.stdout, done.stdout + done.stderr
    assert "ERROR at teardown of test_a_network_attempt_fails_the_test" in done.stdout
    assert "the test tried to reach the network" in done.stdout
    assert "198.51.100.7" in done.stdout


def test_the_plugin_can_be_turned_off(tmp_path: Path) -> None:
    """`-p no:frugal` removes the fixtures."""
    (tmp_path / "test_off.py").write_text("def test_x(frugal_stub):\n    pass\n", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:frugal", "test_off.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "fixture 'frugal_stub' not found" in done.stdout
