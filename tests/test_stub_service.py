"""`python -m frugal.testing` as a service: flags, reply-script files, signals, and one-line errors."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anthropic
import openai
import pytest

from frugal import ConfigError
from frugal._stub import cli
from frugal._stub.address import RemoteHostRefused, bind_address
from frugal._stub.script_file import load_script
from frugal.testing import Fault, Reply, ToolCall, Usage, VendorStub, stub_process

HI: Any = [{"role": "user", "content": "hi"}]
GPT = "gpt-4o-mini"
CLAUDE = "claude-haiku-4-5"

SCRIPT = """\
# a CI job's stub
models: [gpt-4o-mini, claude-haiku-4-5]
count_tokens: 42
replies:
  "*": {text: "anyone"}
  gpt-4o-mini:
    text: Paris.
    usage: {input_tokens: 120, output_tokens: 3, cache_read_tokens: 100}
  claude-haiku-4-5:
    text: null
    tool_calls:
      - {name: get_weather, arguments: {city: Paris}, id: toolu_given}
queues:
  gpt-4o-mini:
    - {fault: status, status: 429, retry_after: 0, times: 2}
    - reply: {text: after the retries, stop_reason: length}
  "*":
    - {fault: stream_error, after_events: 1, status: 529, message: busy}
"""


def serve(*args: str, stdin: int = subprocess.DEVNULL) -> tuple[subprocess.Popen[str], dict[str, str]]:
    """Start `python -m frugal.testing ARGS` and read the KEY=VALUE lines it prints."""
    child = subprocess.Popen(
        [sys.executable, "-m", "frugal.testing", *args],
        stdin=stdin,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    urls = dict(child.stdout.readline().strip().partition("=")[::2] for _ in range(3))
    return child, urls


@pytest.fixture
def service(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], dict[str, str]]]:
    """The stub as a CI service: a fixed port, a script file, standard input at end of file."""
    script = tmp_path / "stub.yaml"
    script.write_text(SCRIPT)
    child, urls = serve("--port", str(free_port()), "--script", str(script))
    try:
        yield child, urls
    finally:
        if child.poll() is None:
            child.kill()
        child.wait()
        for stream in (child.stdout, child.stderr):
            assert stream is not None
            stream.close()


def free_port() -> int:
    """A port nothing listens on (yet)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def one_line_error(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    """Run the service's main in-process; assert exit 1 and a single line on stderr; return it."""
    assert cli.main(argv) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("python -m frugal.testing: error: ")
    return lines[0]


# -- the service --------------------------------------------------------------------------------


def test_service_serves_a_script_to_both_sdks_until_sigterm(
    service: tuple[subprocess.Popen[str], dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """With stdin at EOF it keeps serving the script to the SDKs (configured from its env lines); SIGTERM
    stops it with exit 0."""
    child, urls = service
    assert set(urls) == {"FRUGAL_STUB_URL", "OPENAI_BASE_URL", "ANTHROPIC_BASE_URL"}
    for name in ("OPENAI_BASE_URL", "ANTHROPIC_BASE_URL"):
        monkeypatch.setenv(name, urls[name])
    with anthropic.Anthropic(api_key="sk-ant-test", max_retries=0, _strict_response_validation=True) as an:
        with pytest.raises(anthropic.APIStatusError) as overloaded:
            list(an.messages.create(model=CLAUDE, max_tokens=5, messages=HI, stream=True))
        message = an.messages.create(model=CLAUDE, max_tokens=5, messages=HI)
        counted = an.messages.count_tokens(model=CLAUDE, messages=HI)
    with openai.OpenAI(api_key="sk-test", max_retries=2, _strict_response_validation=True) as oa:
        retried = oa.chat.completions.create(model=GPT, messages=HI)
        standing = oa.chat.completions.create(model=GPT, messages=HI)
        with pytest.raises(openai.NotFoundError):
            oa.chat.completions.create(model="gpt-unlisted", messages=HI)
    assert (retried.choices[0].message.content, retried.choices[0].finish_reason) == (
        "after the retries",
        "length",
    )
    assert standing.choices[0].message.content == "Paris."
    assert standing.usage is not None
    assert standing.usage.prompt_tokens_details is not None
    assert (standing.usage.prompt_tokens, standing.usage.prompt_tokens_details.cached_tokens) == (120, 100)
    body: Any = overloaded.value.body
    assert (body["error"]["type"], body["error"]["message"]) == ("overloaded_error", "busy")
    assert message.stop_reason == "tool_use"
    assert message.content[0].type == "tool_use"
    assert (message.content[0].id, message.content[0].input) == ("toolu_given", {"city": "Paris"})
    assert counted.input_tokens == 42
    assert child.poll() is None  # still serving: standard input at EOF did not stop it
    child.send_signal(signal.SIGTERM)
    assert child.wait(timeout=10) == 0  # a bound against a hang, not a timing assertion


def test_service_stops_on_sigint_and_on_eof_when_asked() -> None:
    """SIGINT (Ctrl-C) exits 0 without a traceback; with --stop-on-eof closing standard input stops it."""
    child, urls = serve()
    assert urls["FRUGAL_STUB_URL"].startswith("http://127.0.0.1:")
    child.send_signal(signal.SIGINT)
    _, err = child.communicate(timeout=10)
    assert child.returncode == 0
    assert "Traceback" not in err
    child, _ = serve("--stop-on-eof", stdin=subprocess.PIPE)
    child.communicate(timeout=10)  # closes standard input, then waits
    assert child.returncode == 0


def test_help_documents_the_service() -> None:
    """--help names every flag, the signals, the printed variables and the script's keys."""
    result = subprocess.run(
        [sys.executable, "-m", "frugal.testing", "--help"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0
    for text in (
        "--port",
        "--host",
        "--allow-remote",
        "--script",
        "--stop-on-eof",
        "SIGTERM",
        "OPENAI_BASE_URL=",
        "ANTHROPIC_BASE_URL=",
        "replies:",
        "queues:",
        "fault: status",
        "truncated_stream",
    ):
        assert text in result.stdout, text


def test_stub_process_loads_a_script(tmp_path: Path) -> None:
    """stub_process(script=...) serves the file's replies from the child."""
    script = tmp_path / "s.json"
    script.write_text('{"replies": {"*": {"text": "from JSON"}}}')
    with (
        stub_process(script) as endpoints,
        openai.OpenAI(api_key="k", base_url=endpoints.openai_base_url, max_retries=0) as client,
    ):
        answer = client.chat.completions.create(model=GPT, messages=HI)
    assert answer.choices[0].message.content == "from JSON"


def test_stub_process_says_why_the_child_failed(tmp_path: Path) -> None:
    """A child that cannot start raises RuntimeError carrying its one-line error."""
    script = tmp_path / "bad.yaml"
    script.write_text("replies: [1]\n")
    with (
        pytest.raises(RuntimeError, match=r"bad.yaml:1:10: replies: expected a mapping"),
        stub_process(script),
    ):
        pass


# -- one-line errors ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "where", "message"),
    [
        (
            "replies:\n  gpt: {txt: hi}\n",
            "2:9",
            "replies.gpt.txt: unknown key (expected one of: chunk_delay,",
        ),
        (
            "queues:\n  gpt:\n    - {fault: boom}\n",
            "3:15",
            "queues.gpt.0.fault: expected one of: status, delay",
        ),
        (
            "queues:\n  gpt:\n    - {fault: status, status: 200}\n",
            "3:31",
            "expected an integer from 400 to 599",
        ),
        ("queues:\n  gpt:\n    - {fault: status}\n", "3:7", "missing required key 'status'"),
        ("queues:\n  gpt:\n    - {text: hi}\n", "3:7", "expected a mapping with either 'reply' or 'fault'"),
        (
            "queues:\n  gpt:\n    - {reply: {}, times: 0}\n",
            "3:26",
            "times: expected an integer from 1 to 100000",
        ),
        ("queues:\n  gpt: {reply: {}}\n", "2:8", "queues.gpt: expected a list of queue items"),
        (
            "replies:\n  gpt:\n    usage: {input_tokens: 5, cache_read_tokens: 9}\n",
            "3:12",
            "replies.gpt.usage: Usage: cache reads and writes (9) are part of input_tokens (5)",
        ),
        ("replies:\n  gpt: {stop_reason: finished}\n", "2:8", "Reply.stop_reason 'finished' is not one of"),
        ("replies:\n  gpt: {delay: -1}\n", "2:16", "delay: expected a finite number of seconds >= 0, got -1"),
        ("replies:\n  gpt: {tool_calls: [{arguments: {}}]}\n", "2:22", "missing required key 'name'"),
        (
            'queues:\n  gpt:\n    - {fault: status, status: 500, headers: {x-a: "1\\nset-cookie: a"}}\n',
            "3:51",
            "headers.x-a: expected a header value (a string without line breaks)",
        ),
        ("replies:\n  1: {}\n", "2:3", "replies.1: expected a model name, got 1"),
        ("models: gpt\n", "1:9", "models: expected a list of model names, got 'gpt'"),
        ("[1, 2]\n", "1:1", "(top level): expected a mapping with keys from: count_tokens, models"),
        ("replies: {gpt: {text: [}\n", "1:24", "invalid YAML"),
    ],
)
def test_bad_scripts_are_one_located_line_and_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, where: str, message: str
) -> None:
    """Each mistake in a script: exit 1 and one line naming file:line:column, the key and what was
    expected."""
    script = tmp_path / "s.yaml"
    script.write_text(text)
    line = one_line_error(["--script", str(script)], capsys)
    assert f"{script}:{where}: " in line
    assert message in line


def test_a_missing_script_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A script that cannot be read: its path and the reason."""
    line = one_line_error(["--script", str(tmp_path / "nope.yaml")], capsys)
    assert line.endswith(f"{tmp_path / 'nope.yaml'}: cannot read the stub script: No such file or directory")


def test_a_bad_script_from_a_real_process_has_no_traceback(tmp_path: Path) -> None:
    """Run as a process, a bad script prints exactly one line on stderr (no traceback) and exits 1."""
    script = tmp_path / "s.yaml"
    script.write_text("queues: {gpt: [{fault: reset, status: 500}]}\n")
    result = subprocess.run(
        [sys.executable, "-m", "frugal.testing", "--script", str(script)],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr.splitlines() == [
        f"python -m frugal.testing: error: {script}:1:31: queues.gpt.0.status: unknown key "
        "(expected one of: fault, times)"
    ]


def test_a_taken_port_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    """A port something already listens on: one line naming the address, exit 1."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        line = one_line_error(["--port", str(port)], capsys)
    assert f"cannot listen on 127.0.0.1:{port}: " in line


# -- loopback only, unless explicitly allowed -----------------------------------------------------


@pytest.mark.parametrize("host", ["0.0.0.0", "192.0.2.10", "::", "example.com"])
def test_non_loopback_hosts_are_refused(host: str, capsys: pytest.CaptureFixture[str]) -> None:
    """--host must be a loopback IP unless --allow-remote; VendorStub refuses it the same way."""
    line = one_line_error(["--host", host], capsys)
    if host == "example.com":
        assert "is not an IP address" in line
        return
    assert f"host {host} is not a loopback address" in line
    assert "add --allow-remote" in line
    with pytest.raises(RemoteHostRefused):
        VendorStub(host=host)


def test_allow_remote_binds_any_address_and_urls_stay_usable() -> None:
    """With allow_remote the unspecified address is accepted; its URLs name loopback, which reaches it."""
    assert bind_address("0.0.0.0", allow_remote=True).url_host == "127.0.0.1"
    assert bind_address("::", allow_remote=True).url_host == "[::1]"
    assert bind_address("192.0.2.10", allow_remote=True).url_host == "192.0.2.10"
    assert bind_address("localhost").ip == "127.0.0.1"
    with pytest.raises(ValueError, match="not an IP address"):
        bind_address("example.com", allow_remote=True)


def test_ipv6_loopback_serves_the_sdks() -> None:
    """--host ::1 serves on the IPv6 loopback with bracketed URLs."""
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError:
        pytest.skip("no IPv6 loopback here")
    with VendorStub(host="::1") as stub:
        assert stub.url.startswith("http://[::1]:")
        with openai.OpenAI(api_key="k", base_url=stub.openai_base_url, max_retries=0) as client:
            answer = client.chat.completions.create(model=GPT, messages=HI)
    assert answer.choices[0].message.content == "Hello from stub."


# -- the script format maps onto the Python values ----------------------------------------------


def test_script_file_maps_onto_reply_fault_usage_and_tool_call(tmp_path: Path) -> None:
    """Each script entry becomes the Reply, Fault, Usage or ToolCall a test would write in Python."""
    script = tmp_path / "s.yaml"
    script.write_text(
        SCRIPT
        + """\
  claude-haiku-4-5:
    - {fault: delay, seconds: 0.5}
    - {fault: reset}
    - {fault: malformed_json}
    - {fault: truncated_stream, after_events: 3, graceful: true}
    - {fault: status, status: 503, message: down, headers: {x-why: maintenance}}
    - reply: {delay: 0.1, chunk_delay: 0.2}
"""
    )
    loaded = load_script(script)
    assert loaded.models == {GPT, CLAUDE}
    assert loaded.count_tokens == 42
    assert loaded.replies == {
        None: Reply(text="anyone"),
        GPT: Reply(text="Paris.", usage=Usage(input_tokens=120, output_tokens=3, cache_read_tokens=100)),
        CLAUDE: Reply(text=None, tool_calls=[ToolCall("get_weather", {"city": "Paris"}, "toolu_given")]),
    }
    assert loaded.queues == {
        GPT: (
            Fault.status(429, retry_after=0),
            Fault.status(429, retry_after=0),
            Reply(text="after the retries", stop_reason="length"),
        ),
        None: (Fault.stream_error(1, 529, message="busy"),),
        CLAUDE: (
            Fault.delay(0.5),
            Fault.reset(),
            Fault.malformed_json(),
            Fault.truncated_stream(3, graceful=True),
            Fault.status(503, message="down", headers={"x-why": "maintenance"}),
            Reply(delay=0.1, chunk_delay=0.2),
        ),
    }


def test_load_script_adds_to_a_running_stub(tmp_path: Path) -> None:
    """VendorStub.load_script applies a file to a stub in-process; a bad file raises a located
    ConfigError and applies nothing."""
    good = tmp_path / "good.yaml"
    good.write_text(
        "replies: {'*': {text: scripted}}\nqueues: {gpt-4o-mini: [{fault: status, status: 500}]}\n"
    )
    bad = tmp_path / "bad.yaml"
    bad.write_text("replies: {'*': {text: never}}\nqueues: {gpt-4o-mini: [{fault: nope}]}\n")
    with VendorStub() as stub:
        with pytest.raises(ConfigError, match=r"bad.yaml:2:32: queues.gpt-4o-mini.0.fault"):
            stub.load_script(bad)
        assert stub.pending(GPT) == 0
        stub.load_script(good)
        assert stub.pending(GPT) == 1
        with openai.OpenAI(api_key="k", base_url=stub.openai_base_url, max_retries=0) as client:
            with pytest.raises(openai.InternalServerError):
                client.chat.completions.create(model=GPT, messages=HI)
            answer = client.chat.completions.create(model=GPT, messages=HI)
    assert answer.choices[0].message.content == "scripted"


def test_an_empty_script_changes_nothing(tmp_path: Path) -> None:
    """An empty file is a valid script: the default reply to every model."""
    empty = tmp_path / "empty.yaml"
    empty.write_text("# nothing scripted yet\n")
    loaded = load_script(empty)
    assert (loaded.models, loaded.count_tokens, loaded.replies, loaded.queues) == (None, None, {}, {})
