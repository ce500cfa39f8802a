"""What the installed vendor SDKs do where their releases differ, in one place.

CI runs the suite on the newest ``openai``/``anthropic`` and on the oldest that ``pyproject.toml`` allows
(``.ci/constraints-oldest.txt``). Tests that assert an SDK's own behaviour ask here what the installed
release does, so each behaviour is asserted exactly (not "either of two") and a new change fails loudly.
"""

from __future__ import annotations

import anthropic
import httpx2
import openai


def release(module: object) -> tuple[int, ...]:
    """``module.__version__`` as a tuple of its leading numbers (``"3.60.0"`` -> ``(3, 60, 0)``)."""
    parts: list[int] = []
    for part in str(getattr(module, "__version__", "0")).split("."):
        digits = "".join(c for c in part if c.isdigit()) if part[:1].isdigit() else ""
        if not digits:
            break
        parts.append(int(digits))
    return tuple(parts)


OPENAI = release(openai)
ANTHROPIC = release(anthropic)


def dropped_stream_error(sdk: object) -> type[BaseException]:
    """What a connection dropped in the middle of a stream raises from the SDK's stream iterator.

    openai 3.14 and anthropic 2.17 began wrapping httpx2's ``RemoteProtocolError`` in the SDK's own
    ``APIConnectionError`` (the httpx2 error kept as ``__cause__``); older releases let it out unwrapped.
    """
    if sdk is openai:
        return openai.APIConnectionError if OPENAI >= (3, 14) else httpx2.RemoteProtocolError
    if sdk is anthropic:
        return anthropic.APIConnectionError if ANTHROPIC >= (2, 17) else httpx2.RemoteProtocolError
    raise ValueError(f"not a vendor SDK: {sdk!r}")


def openai_lets_connect_errors_out() -> bool:
    """Whether an exception raised by the socket layer while connecting escapes openai unwrapped.

    From 3.15, openai re-raises exceptions that are not ``httpx2`` errors (``NetworkBlocked``); older
    releases wrap everything in ``APIConnectionError``.
    """
    return OPENAI >= (3, 15)


def status_error_message_is_the_vendors() -> bool:
    """Whether ``APIStatusError.message`` is the vendor's own message (openai >= 3.38), not the whole body."""
    return OPENAI >= (3, 38)
