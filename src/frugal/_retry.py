"""Retries and fallback: the same model on transient errors, then the next model of the decision's chain.

What is transient is decided from the vendor exception alone (both SDKs share the names and statuses):
connection errors (the SDKs' ``APIConnectionError``, or httpx2's own ``TransportError`` that some SDK
releases let out of a stream's iterator), timeouts, 408, 409, 429, 5xx and Anthropic's 529 are retried
with capped exponential backoff and jitter, honouring ``retry-after``; a model-not-found (404) moves
straight on to the next candidate; 400, 401, 403, 422 and everything else is raised at once. When every
attempt fails, the last vendor exception is raised unchanged. The SDK clients frugal builds have their
own retries switched off, so retries never multiply.

The schedule is tenacity's (``Retrying`` / ``AsyncRetrying``); ``sleep`` is injected so tests never wait.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any, Literal

from tenacity import AsyncRetrying, RetryCallState, Retrying, retry_if_exception, stop_after_attempt

from .exceptions import UnsupportedFeature

if TYPE_CHECKING:
    from .policy import FallbackSpec

__all__ = ["RetryPlan", "Verdict", "retry_after_seconds", "verdict"]

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
        try:
            return max(0.0, parsedate_to_datetime(raw).timestamp() - time.time())
        except (TypeError, ValueError):
            return None


class _GiveUp(Exception):
    """Raised by the wait strategy when the vendor asks for a longer pause than the policy allows."""


def _cause(give_up: _GiveUp) -> BaseException:
    """The vendor error behind a give-up (raised unchanged to the caller's loop)."""
    return give_up.__cause__ or give_up


@dataclass(frozen=True, slots=True)
class RetryPlan:
    """How many times, and how long between, attempts on one model."""

    retries: int
    initial_backoff: float
    max_backoff: float
    jitter: bool
    sleep: Callable[[float], None] = time.sleep
    async_sleep: Callable[[float], Awaitable[None]] = asyncio.sleep

    @classmethod
    def from_spec(cls, spec: FallbackSpec, retries: int | None = None, **sleepers: Any) -> RetryPlan:
        """From the policy's fallback settings (``retries`` overrides the policy's count)."""
        count = spec.retries if retries is None else retries
        return cls(
            count if spec.enabled else 0, spec.initial_backoff, spec.max_backoff, spec.jitter, **sleepers
        )

    def _wait(self, state: RetryCallState) -> float:
        growth = float(2 ** (state.attempt_number - 1))
        backoff = min(self.max_backoff, self.initial_backoff * growth)
        if self.jitter and backoff > 0:
            backoff *= 0.5 + random.random() / 2
        exc = state.outcome.exception() if state.outcome is not None else None
        asked: float | None = retry_after_seconds(exc) if exc is not None else None
        if asked is None:
            return backoff
        if asked > self.max_backoff:
            # Waiting that long helps nobody: let the next candidate serve the call now.
            raise _GiveUp from exc
        return max(asked, 0.0)

    def _options(self) -> dict[str, Any]:
        return {
            "stop": stop_after_attempt(self.retries + 1),
            "wait": self._wait,
            "retry": retry_if_exception(lambda exc: verdict(exc) == "retry"),
            "reraise": True,
        }

    def run(self, attempt: Callable[[], Any]) -> Any:
        """Call ``attempt`` until it succeeds, is not retryable, or the retries are spent.

        The first try is a plain call: tenacity's machinery (tens of µs) only runs once something failed.
        """
        try:
            return attempt()
        except Exception as exc:
            if self.retries == 0 or verdict(exc) != "retry":
                raise
            replay: list[BaseException] = [exc]

        def again() -> Any:
            if replay:
                raise replay.pop()  # tenacity's attempt 1 is the try that already failed
            return attempt()

        try:
            return Retrying(sleep=self.sleep, **self._options())(again)
        except _GiveUp as give_up:
            raise _cause(give_up) from None

    async def run_async(self, attempt: Callable[[], Awaitable[Any]]) -> Any:
        """Async twin of :meth:`run`."""
        try:
            return await attempt()
        except Exception as exc:
            if self.retries == 0 or verdict(exc) != "retry":
                raise
            replay: list[BaseException] = [exc]

        async def again() -> Any:
            if replay:
                raise replay.pop()
            return await attempt()

        try:
            return await AsyncRetrying(sleep=self.async_sleep, **self._options())(again)
        except _GiveUp as give_up:
            raise _cause(give_up) from None
