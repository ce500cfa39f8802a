"""``python -m frugal.testing``: the vendor stub as a service (a CI job's background process, a benchmark's
child process).
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType

from ..exceptions import ConfigError
from .address import RemoteHostRefused
from .server import VendorStub

__all__ = ["main"]

_DESCRIPTION = """\
Serve the frugal vendor stub: a loopback HTTP server speaking the OpenAI (/v1/chat/completions,
/v1/responses, /v1/embeddings) and Anthropic (/v1/messages, /v1/messages/count_tokens) wire formats,
streams included. It serves until SIGTERM or SIGINT (Ctrl-C), then exits 0.

On start it prints its URLs on standard output, one KEY=VALUE line each, ready for a shell's `export`
or a CI job's environment file:

  FRUGAL_STUB_URL=http://127.0.0.1:PORT
  OPENAI_BASE_URL=http://127.0.0.1:PORT/v1
  ANTHROPIC_BASE_URL=http://127.0.0.1:PORT

The SDKs read OPENAI_BASE_URL and ANTHROPIC_BASE_URL; any API key is accepted.
"""

_EPILOG = """\
reply script (YAML or JSON; every key optional):

  models: [gpt-4o-mini, claude-haiku-4-5]   # other models get the vendor's 404
  count_tokens: 42                          # what /v1/messages/count_tokens answers
  replies:                                  # the standing reply per model; "*" for any other
    "*": {text: "Hello from the CI stub."}
    gpt-4o-mini:
      text: Paris.
      usage: {input_tokens: 120, output_tokens: 3, cache_read_tokens: 100}
      tool_calls: [{name: get_weather, arguments: {city: Paris}}]
      stop_reason: stop                     # stop, length, tool_calls, content_filter, or a vendor's own
  queues:                                   # one-shot items, consumed in order before the reply
    gpt-4o-mini:
      - {fault: status, status: 429, retry_after: 0, times: 2}
      - {fault: delay, seconds: 5}
      - {fault: reset}
      - {fault: malformed_json}
      - {fault: truncated_stream, after_events: 3, graceful: false}
      - {fault: stream_error, after_events: 2, status: 529}
      - reply: {text: after the faults}

A bad script is one line on standard error (file:line:column, the key, what was expected) and exit 1.
Full reference: docs/testing.md.
"""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m frugal.testing",
        description=_DESCRIPTION,
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--port", type=int, default=0, help="port to listen on (default: 0, a free one)")
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="IP address to listen on (default: 127.0.0.1); must be loopback unless --allow-remote",
    )
    parser.add_argument(
        "--allow-remote",
        action="store_true",
        help="allow a --host that is not loopback (the stub answers anyone who can reach it)",
    )
    parser.add_argument("--script", metavar="FILE", help="a reply script (YAML or JSON) to load at start")
    parser.add_argument(
        "--prompt-cache",
        action="store_true",
        help="simulate the vendors' prompt caches: replies without a scripted usage are billed from the "
        "request (input, cache reads and writes) and their own text (output)",
    )
    parser.add_argument(
        "--stop-on-eof",
        action="store_true",
        help="also stop when standard input closes (a parent process that dies takes the stub with it)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Serve a stub until SIGTERM/SIGINT (or end of input with ``--stop-on-eof``).

    Args:
        argv: the arguments (default: ``sys.argv[1:]``).

    Returns:
        The exit status: 0 after a signal, 1 for a bad script or an address that cannot be served.
    """
    args = _parser().parse_args(argv)
    try:
        stub = VendorStub(
            port=args.port, host=args.host, allow_remote=args.allow_remote, prompt_cache=args.prompt_cache
        )
        if args.script is not None:
            stub.load_script(args.script)
        stub.start()
    except ConfigError as exc:
        return _fail(str(exc))
    except RemoteHostRefused as exc:
        return _fail(f"--host: {exc}; add --allow-remote to serve on it anyway")
    except ValueError as exc:
        return _fail(f"--host: {exc}")
    except OSError as exc:
        return _fail(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}")
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        del signum, frame
        stop.set()

    # Installed before the URLs are printed: whoever reads them may signal at once.
    previous = {signum: signal.signal(signum, on_signal) for signum in (signal.SIGTERM, signal.SIGINT)}
    try:
        if args.stop_on_eof:
            threading.Thread(target=_wait_for_eof, args=(stop,), name="stub-stdin", daemon=True).start()
        print(f"FRUGAL_STUB_URL={stub.url}", flush=True)
        print(f"OPENAI_BASE_URL={stub.openai_base_url}", flush=True)
        print(f"ANTHROPIC_BASE_URL={stub.anthropic_base_url}", flush=True)
        print(f"frugal stub: serving on {stub.url} until SIGTERM or Ctrl-C", file=sys.stderr, flush=True)
        stop.wait()
    finally:
        stub.stop()
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return 0


def _wait_for_eof(stop: threading.Event) -> None:
    sys.stdin.read()
    stop.set()


def _fail(message: str) -> int:
    # One line, whatever the message holds: a CI log reader greps for it.
    print(f"python -m frugal.testing: error: {' '.join(message.split())}", file=sys.stderr)
    return 1
