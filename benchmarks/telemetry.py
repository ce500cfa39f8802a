"""Telemetry costs: with no OpenTelemetry SDK configured, and with the real SDK and a BatchSpanProcessor.

Run: ``python -m benchmarks.telemetry [--rounds 15]``

- zero configuration: the telemetry steps of one call (call span, attempt span, answer recorded, ends)
  with the API's no-op tracer, µs per call;
- traced: a frugal call (honour policy, so routing is not measured here) exporting through the real SDK
  and a BatchSpanProcessor into an in-memory exporter, vs the raw SDK; both on the same in-memory HTTP
  transport, so the difference is frugal's own work, telemetry included (µs per call, paired rounds);
- the OpenTelemetry SDK's floor: the same two spans, with the very attributes frugal exported, created
  and ended straight through the SDK (no frugal code), timed in the same rounds. What the traced
  overhead adds to it is frugal's own telemetry and call-path work.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

import httpx2
import openai
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import frugal
from benchmarks._timing import median_difference, paired
from benchmarks.overhead import _CHAT, GPT, HONOR, MESSAGES


def _client(handler: Callable[[httpx2.Request], httpx2.Response]) -> openai.OpenAI:
    http = httpx2.Client(transport=httpx2.MockTransport(handler))
    return openai.OpenAI(api_key="k", base_url="http://stub/v1", max_retries=0, http_client=http)


def zero_configuration(rounds: int) -> float:
    """µs of the telemetry steps of one call with no SDK configured (the API's no-op tracer)."""
    client = frugal.Client(policy=HONOR, openai={"api_key": "k"}, anthropic={"api_key": "k"})
    answer = openai.types.chat.ChatCompletion.model_validate(_CHAT)
    params: dict[str, Any] = {"model": GPT, "messages": MESSAGES}
    candidate = client._router.place(GPT)
    telemetry = client._telemetry

    def steps() -> None:
        call = telemetry.start_call("chat", None, params)
        attempt = call.attempt("openai", "openai", GPT, candidate.info, params, None)
        attempt.succeed(answer)
        call.finish()

    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(5000):
            steps()
        samples.append((time.perf_counter() - start) / 5000 * 1e6)
    return statistics.median(samples)


def traced(calls: int, rounds: int) -> dict[str, float]:
    def handler(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(200, json=_CHAT)

    provider = TracerProvider()
    exporter = InMemorySpanExporter()
    provider.add_span_processor(BatchSpanProcessor(exporter))
    raw = _client(handler)
    client = frugal.Client(
        policy=HONOR, openai=_client(handler), anthropic={"api_key": "k"}, tracer_provider=provider
    )
    client.chat.completions.create(model=GPT, messages=MESSAGES)
    provider.force_flush()
    floor = _sdk_floor(provider, exporter.get_finished_spans())
    samples = paired(
        {
            "raw": lambda: raw.chat.completions.create(model=GPT, messages=MESSAGES),
            "frugal, traced": lambda: client.chat.completions.create(model=GPT, messages=MESSAGES),
            "sdk floor": floor,
        },
        calls,
        rounds,
    )
    provider.shutdown()
    assert exporter.get_finished_spans(), "spans were exported"
    return {
        "overhead_us": median_difference(samples, "frugal, traced", "raw"),
        "raw_us": statistics.median(samples["raw"]),
        "floor_us": statistics.median(samples["sdk floor"]),
    }


def _sdk_floor(provider: TracerProvider, spans: Any) -> Callable[[], None]:
    """Create and end the two spans of one frugal call with their exported attributes, SDK only."""
    from opentelemetry import trace
    from opentelemetry.trace import SpanKind

    by_kind = {span.kind: span for span in spans}
    call, attempt = by_kind[SpanKind.INTERNAL], by_kind[SpanKind.CLIENT]
    call_attributes, attempt_attributes = dict(call.attributes), dict(attempt.attributes)
    tracer = provider.get_tracer("benchmark")

    def replay() -> None:
        parent = tracer.start_span(call.name, attributes=call_attributes)
        child = tracer.start_span(
            attempt.name,
            kind=SpanKind.CLIENT,
            context=trace.set_span_in_context(parent),
            attributes=attempt_attributes,
        )
        child.end()
        parent.end()

    return replay


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    print(f"telemetry with no OpenTelemetry SDK: {zero_configuration(args.rounds):.1f} µs per call")
    result = traced(200, args.rounds)
    print(
        f"traced call (SDK + BatchSpanProcessor) vs raw SDK, in-process: {result['overhead_us']:+.1f} µs "
        f"over {result['raw_us']:.0f} µs"
    )
    print(
        f"  of which the OpenTelemetry SDK's own floor (the same two spans and attributes, SDK only): "
        f"{result['floor_us']:.1f} µs; frugal's share: {result['overhead_us'] - result['floor_us']:+.1f} µs"
    )


if __name__ == "__main__":
    main()
