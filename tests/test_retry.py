"""What is retried, what moves on, what is raised; retry-after parsing; the dual exception class."""

from __future__ import annotations

import anthropic
import httpx2
import openai
import pytest

from frugal import UnsupportedFeature
from frugal._retry import RetryPlan, retry_after_seconds, verdict
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


def test_retry_plan_waits_with_backoff_and_retry_after() -> None:
    """Retries sleep through the injected sleep: backoff doubles, retry-after wins, attempts are capped."""
    slept: list[float] = []
    plan = RetryPlan.from_spec(
        FallbackSpec(retries=3, initial_backoff=0.5, max_backoff=8, jitter=False), sleep=slept.append
    )
    failures = [
        status_error(openai.RateLimitError, 429),
        status_error(openai.RateLimitError, 429, {"retry-after": "3"}),
    ]

    def attempt() -> str:
        if failures:
            raise failures.pop(0)
        return "ok"

    assert plan.run(attempt) == "ok"
    assert slept == [0.5, 3.0]


def test_retry_plan_gives_up_with_the_last_error() -> None:
    """After the retries, the last vendor exception is raised unchanged."""
    plan = RetryPlan.from_spec(FallbackSpec(retries=2, initial_backoff=0, jitter=False), sleep=lambda s: None)
    calls: list[int] = []
    last = status_error(openai.InternalServerError, 503)

    def attempt() -> None:
        calls.append(1)
        raise last

    with pytest.raises(openai.InternalServerError) as info:
        plan.run(attempt)
    assert info.value is last
    assert len(calls) == 3


def test_long_retry_after_gives_up_at_once() -> None:
    """A retry-after beyond max_backoff is not waited for: the error is raised for the next candidate."""
    slept: list[float] = []
    plan = RetryPlan.from_spec(FallbackSpec(retries=3, max_backoff=2), sleep=slept.append)
    error = status_error(openai.RateLimitError, 429, {"retry-after": "60"})

    def attempt() -> None:
        raise error

    with pytest.raises(openai.RateLimitError):
        plan.run(attempt)
    assert slept == []


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
