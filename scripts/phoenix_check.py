"""scripts/phoenix-check's Python half: a routed workload through frugal, then checks through Phoenix's API.

The workload runs frugal against the loopback vendor stub (same-vendor, cross-vendor, a retry and fallback,
a stream) and exports the spans over OTLP/HTTP to the Phoenix at the URL given. It then asks Phoenix's
GraphQL API for the spans and checks that every trace arrived, that the attempt spans are LLM spans with
token counts and frugal's cost, and that the call spans carry the routing decision and the savings.
Prints the Phoenix URL of the fallback trace (for the screenshot). Exit status 1 when a check fails.
"""

from __future__ import annotations

import json
import sys
import time
import urllib.request
from pathlib import Path

from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import frugal
from frugal.testing import Reply, Usage, VendorStub

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(
    0, str(ROOT)
)  # the routing test policy scores with tests.helpers:MetadataScore (deterministic)
POLICY = ROOT / "tests" / "policies" / "routing.yaml"
QUESTION = [{"role": "user", "content": "What is the capital of France?"}]


def workload(endpoint: str) -> set[str]:
    """Run the calls; return the trace ids produced."""
    provider = TracerProvider(resource=Resource.create({"service.name": "frugal-phoenix-check"}))
    provider.add_span_processor(SimpleSpanProcessor(OTLPSpanExporter(endpoint=f"{endpoint}/v1/traces")))
    seen = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(seen))
    usage = Usage(input_tokens=1200, output_tokens=150, cache_read_tokens=800)
    with VendorStub() as stub:
        stub.reply(None, Reply(text="Paris.", usage=usage))
        client = frugal.Client(
            policy=POLICY,
            openai={"api_key": "sk-phoenix", "base_url": stub.openai_base_url},
            anthropic={"api_key": "sk-ant-phoenix", "base_url": stub.anthropic_base_url},
            tracer_provider=provider,
        )
        with client.with_context(score=0.1, team="search", feature="phoenix-check"):
            client.chat.completions.create(model="auto", messages=QUESTION)  # same vendor
            client.messages.create(model="auto", max_tokens=100, messages=QUESTION)  # cross-vendor
            stub.fail("small-text", 503, times=2, retry_after=0)
            client.chat.completions.create(model="auto", messages=QUESTION)  # retry, then fallback
            stream = client.chat.completions.create(model="auto", messages=QUESTION, stream=True)
            "".join(c.choices[0].delta.content or "" for c in stream if c.choices)  # streamed
    provider.force_flush()
    return {format(s.context.trace_id, "032x") for s in seen.get_finished_spans()}


def graphql(endpoint: str, query: str) -> dict[str, object]:
    request = urllib.request.Request(
        f"{endpoint}/graphql",
        data=json.dumps({"query": query}).encode(),
        headers={"content-type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        data: dict[str, object] = json.load(response)["data"]
    return data


SPANS = """{ projects { edges { node { id name spans(first: 200) { edges { node {
  name spanKind tokenCountPrompt tokenCountCompletion attributes context { traceId } } } } } } } }"""


def check(endpoint: str, traces: set[str]) -> str:
    """Assert what Phoenix received; return the URL of the fallback trace."""
    for _ in range(30):  # ingestion is asynchronous
        project = graphql(endpoint, SPANS)["projects"]["edges"][0]["node"]  # type: ignore[index]
        spans = [edge["node"] for edge in project["spans"]["edges"]]
        if traces <= {s["context"]["traceId"] for s in spans}:
            break
        time.sleep(1)
    else:
        raise SystemExit(f"phoenix-check: traces missing in Phoenix: {sorted(traces)}")
    spans = [s for s in spans if s["context"]["traceId"] in traces]
    attempts = [s for s in spans if s["spanKind"] == "llm"]
    calls = [s for s in spans if s["name"].startswith("frugal ")]
    ok = [s for s in attempts if s["tokenCountPrompt"]]
    failures = []
    if len(calls) != 4:
        failures.append(f"expected 4 call spans, got {len(calls)}")
    if len(attempts) != 6:
        failures.append(f"expected 6 LLM (attempt) spans, got {len(attempts)}")
    if len(ok) != 4:
        failures.append(f"expected 4 attempt spans with token counts, got {len(ok)}")
    for span in ok:
        attributes = json.loads(span["attributes"])
        if not attributes.get("frugal", {}).get("cost", {}).get("usd"):
            failures.append(f"{span['name']}: no frugal.cost.usd")
        if span["tokenCountPrompt"] != 1200 or span["tokenCountCompletion"] != 150:
            failures.append(
                f"{span['name']}: token counts {span['tokenCountPrompt']}/{span['tokenCountCompletion']}"
            )
    for span in calls:
        frugal_attributes = json.loads(span["attributes"]).get("frugal", {})
        if "savings" not in frugal_attributes or "route" not in frugal_attributes:
            failures.append(f"{span['name']}: no frugal.savings.usd / frugal.route.*")
    if failures:
        raise SystemExit("phoenix-check: " + "; ".join(failures))
    fallback = next(s["context"]["traceId"] for s in attempts if s["name"] == "chat small-vision")
    print(
        f"phoenix-check: {len(traces)} traces, {len(calls)} call spans, {len(attempts)} LLM spans "
        f"({len(ok)} with tokens and frugal.cost.usd) arrived in Phoenix",
        file=sys.stderr,
    )
    return f"{endpoint}/projects/{project['id']}/traces/{fallback}"


if __name__ == "__main__":
    url = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:6006"
    print(check(url, workload(url)))
