"""What is retried, what moves on, what is raised; retry-after parsing; the dual exception class."""

from __future__ import annotations

import anthropic
import httpx2
import openai
import pytest

from frugal import UnsupportedFeature
from frugal._retry import Backoff, retry_after_seconds, verdict
from frugal.policy import FallbackSpec
from frugal.providers.errors import as_caller_error

REQUEST = httpx2.Request("POST", "http://127.0.0.1/v1/messages")


def status_error(
    cls: type, status: int, headers: dict[str, str] | None = None, body: object = None
) -> Exception:
    response = httpx2.Response(status, headers=headers or {}, request=REQUEST)
    return cls("boom", response=response, body=body)  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (status_error(openai.RateLimitError, 429), "retry"),
        (status_error(anthropic.OverloadedError, 529), "retry"),
        (status_error(openai.InternalServerError, 503), "retry"),
        (status_error(openai.ConflictError, 409), "retry"),
        (openai.APITimeoutError(request=REQUEST), "retry"),
        (anthropic.APIConnectionError(request=REQUEST), "retry"),
        (
            httpx2.RemoteProtocolError("peer closed connection", request=REQUEST),
            "retry",
        ),  # older SDKs' streams
        (httpx2.ReadError("connection reset", request=REQUEST), "retry"),
        (status_error(openai.NotFoundError, 404), "next"),
        (UnsupportedFeature("n > 1", "anthropic"), "next"),
        (status_error(openai.BadRequestError, 400), "raise"),
        (status_error(anthropic.AuthenticationError, 401), "raise"),
        (status_error(openai.PermissionDeniedError, 403), "raise"),
        (status_error(openai.UnprocessableEntityError, 422), "raise"),
        (status_error(anthropic.APIStatusError, 200, body={"error": {"type": "overloaded_error"}}), "retry"),
        (
            status_error(anthropic.APIStatusError, 200, body={"error": {"type": "invalid_request_error"}}),
            "raise",
        ),
        (ValueError("not a vendor error"), "raise"),
    ],
)
def test_verdicts(exc: Exception, expected: str) -> None:
    """Transient errors are retried, model-not-found moves on, client errors are raised."""
    assert verdict(exc) == expected


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [
        ({"retry-after": "2"}, 2.0),
        ({"retry-after-ms": "1500"}, 1.5),
        ({}, None),
        ({"retry-after": "soon"}, None),
    ],
)
def test_retry_after(headers: dict[str, str], seconds: float | None) -> None:
    """retry-after (seconds) and retry-after-ms are read; garbage is ignored."""
    assert retry_after_seconds(status_error(openai.RateLimitError, 429, headers)) == seconds


def test_backoff_doubles_and_retry_after_wins() -> None:
    """The wait before each retry doubles from initial_backoff; a vendor's retry-after replaces it."""
    backoff = Backoff.from_spec(FallbackSpec(retries=3, initial_backoff=0.5, max_backoff=8, jitter=False))
    plain = status_error(openai.RateLimitError, 429)
    assert [backoff.wait(retry, plain) for retry in (1, 2, 3)] == [0.5, 1.0, 2.0]
    assert backoff.wait(2, status_error(openai.RateLimitError, 429, {"retry-after": "3"})) == 3.0


def test_backoff_is_capped_and_jittered() -> None:
    """Waits never exceed max_backoff; jitter takes between half and all of the wait."""
    capped = Backoff.from_spec(FallbackSpec(retries=10, initial_backoff=1, max_backoff=4, jitter=False))
    error = status_error(openai.InternalServerError, 503)
    assert capped.wait(8, error) == 4
    jittered = Backoff.from_spec(FallbackSpec(retries=10, initial_backoff=1, max_backoff=4, jitter=True))
    waits = [jittered.wait(3, error) for _ in range(200)]
    assert all(w is not None and 2 <= w <= 4 for w in waits)
    assert len(set(waits)) > 1


def test_backoff_gives_up_after_the_retries() -> None:
    """After ``retries`` retries the model is not retried again (the next candidate, or the error)."""
    backoff = Backoff.from_spec(FallbackSpec(retries=2, initial_backoff=0, jitter=False))
    error = status_error(openai.InternalServerError, 503)
    assert [backoff.wait(retry, error) for retry in (1, 2, 3)] == [0, 0, None]
    assert Backoff.from_spec(FallbackSpec(retries=5, enabled=False)).wait(1, error) is None
    assert Backoff.from_spec(FallbackSpec(retries=5), retries=0).wait(1, error) is None


def test_long_retry_after_gives_up_at_once() -> None:
    """A retry-after beyond max_backoff is not waited for: the next candidate serves the call now."""
    backoff = Backoff.from_spec(FallbackSpec(retries=3, max_backoff=2))
    assert backoff.wait(1, status_error(openai.RateLimitError, 429, {"retry-after": "60"})) is None


def test_caller_error_is_both_vendors_class() -> None:
    """A cross-vendor error keeps its class and attributes and is also the caller SDK's class."""
    original = status_error(anthropic.RateLimitError, 429, {"request-id": "req_1"})
    converted = as_caller_error(original, openai)
    assert isinstance(converted, anthropic.RateLimitError)
    assert isinstance(converted, openai.RateLimitError)
    assert converted.status_code == 429  # type: ignore[attr-defined]
    assert str(converted) == str(original)
    same = as_caller_error(status_error(openai.RateLimitError, 429), openai)
    assert type(same) is openai.RateLimitError
    assert as_caller_error(ValueError("x"), openai).__class__ is ValueError


def test_stream_error_events_are_judged_by_their_type() -> None:
    """In-stream errors: transient types (overloaded, server_error) retry; others raise."""
    openai_transient = openai.APIError("boom", request=REQUEST, body={"message": "x", "type": "server_error"})
    openai_fatal = openai.APIError(
        "boom", request=REQUEST, body={"message": "x", "type": "invalid_request_error"}
    )
    assert verdict(openai_transient) == "retry"
    assert verdict(openai_fatal) == "raise"
