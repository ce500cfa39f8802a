"""Retries and fallback: the same model on transient errors, then the next model of the decision's chain.

What is transient is decided from the vendor exception alone (both SDKs share the names and statuses):
connection errors (the SDKs' ``APIConnectionError``, or httpx2's own ``TransportError`` that some SDK
releases let out of a stream's iterator), timeouts, 408, 409, 429, 5xx and Anthropic's 529 are retried
with capped exponential backoff and jitter, honouring ``retry-after``; a model-not-found (404) moves
straight on to the next candidate; 400, 401, 403, 422 and everything else is raised at once. When every
attempt fails, the last vendor exception is raised unchanged. The SDK clients frugal builds have their
own retries switched off, so retries never multiply.

:class:`Backoff` only says how long to wait: the call plan (:mod:`frugal._plan`) asks for the sleep, and
the client carries it out, so tests drive retries without waiting.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from .exceptions import UnsupportedFeature

if TYPE_CHECKING:
    from .policy import FallbackSpec

__all__ = ["Backoff", "Verdict", "retry_after_seconds", "verdict"]

Verdict = Literal["retry", "next", "raise"]

_RETRY_STATUS = frozenset({408, 409, 429})
# A connection dropped while a stream was read: anthropic >= 2.13 wraps it in APIConnectionError, older
# releases (and openai < 3.1) let httpx2.RemoteProtocolError out. Both mean the same: retry before the
# first chunk reached the caller (after it, nothing is retried: the error reaches the caller's loop).
_TRANSIENT_NAMES = frozenset({"APIConnectionError", "APITimeoutError", "TransportError"})
_TRANSIENT_STREAM_ERRORS = frozenset(
    {"overloaded_error", "api_error", "rate_limit_error", "server_error", "requests", "rate_limit_exceeded"}
)


def verdict(exc: BaseException) -> Verdict:
    """What to do after ``exc``: retry the same model, move on to the next one, or raise."""
    if isinstance(exc, UnsupportedFeature):
        return "next"
    names = {cls.__name__ for cls in type(exc).__mro__}
    if names & _TRANSIENT_NAMES:
        return "retry"
    status = getattr(exc, "status_code", None)
    if status is None or status == 200:
        # An error event inside a stream: Anthropic's {"type": "error", "error": {...}} (status 200) or
        # OpenAI's {"error": {...}} chunk (an APIError without status). Transient kinds are retried.
        body = getattr(exc, "body", None)
        if isinstance(body, dict):
            inner = body.get("error")
            kind = (inner if isinstance(inner, dict) else body).get("type")
            return "retry" if kind in _TRANSIENT_STREAM_ERRORS else "raise"
        return "raise"
    if not isinstance(status, int):
        return "raise"
    if status in _RETRY_STATUS or status >= 500:
        return "retry"
    if status == 404:
        return "next"
    return "raise"


def retry_after_seconds(exc: BaseException) -> float | None:
    """The vendor's ``retry-after-ms`` / ``retry-after`` (seconds or HTTP date), when it sent one."""
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    if headers is None:
        return None
    raw_ms = headers.get("retry-after-ms")
    if raw_ms:
        try:
            return max(0.0, float(raw_ms) / 1000)
        except ValueError:
            pass
    raw = headers.get("retry-after")
    if not raw:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        from email.utils import parsedate_to_datetime  # an HTTP date: rare, and a 12 ms import

        try:
            return max(0.0, parsedate_to_datetime(raw).timestamp() - time.time())
        except (TypeError, ValueError):
            return None


@dataclass(frozen=True, slots=True)
class Backoff:
    """How many times, and how long between, attempts on one model (the policy's ``fallback``).

    Pure: :meth:`wait` says how long to sleep before the next retry; the call plan does the sleeping.
    """

    retries: int
    initial: float
    maximum: float
    jitter: bool

    @classmethod
    def from_spec(cls, spec: FallbackSpec, retries: int | None = None) -> Backoff:
        """From the policy's fallback settings (``retries`` overrides the policy's count)."""
        count = spec.retries if retries is None else retries
        return cls(count if spec.enabled else 0, spec.initial_backoff, spec.max_backoff, spec.jitter)

    def wait(self, retry: int, error: BaseException) -> float | None:
        """Seconds to wait before retry number ``retry`` (1 for the first) of a model after ``error``, or
        None when that model is not retried: the retries are spent, or the vendor asks for a longer pause
        than ``maximum`` (waiting that long helps nobody: the next candidate serves the call now).

        Capped exponential backoff (``initial`` doubling, at most ``maximum``), with jitter (a random share
        between half and all of it) when asked; a ``retry-after`` from the vendor wins.
        """
        if retry > self.retries:
            return None
        asked = retry_after_seconds(error)
        if asked is not None:
            return None if asked > self.maximum else asked
        backoff = min(self.maximum, self.initial * float(2 ** (retry - 1)))
        if self.jitter and backoff > 0:
            backoff *= 0.5 + random.random() / 2
        return backoff
