"""The attribute and metric names frugal's telemetry uses (OpenTelemetry GenAI v1.41, and frugal's own),
and how a request's arguments map onto them (:func:`request_attributes`, :func:`content_attributes`).

Documented as tables in ``docs/telemetry.md``. ``CALL_ATTRIBUTES`` and ``ATTEMPT_ATTRIBUTES`` list what
each kind of span may carry.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

__all__ = [
    "ATTEMPT_ATTRIBUTES",
    "CALL_ATTRIBUTES",
    "DURATION_BUCKETS",
    "ERROR_TYPE",
    "FRUGAL_ATTEMPTS",
    "FRUGAL_CACHE_SAVINGS_USD",
    "FRUGAL_CASCADE_ESCALATED",
    "FRUGAL_CASCADE_ESCALATIONS",
    "FRUGAL_CASCADE_FROM_MODEL",
    "FRUGAL_CASCADE_JUDGE",
    "FRUGAL_CASCADE_REASON",
    "FRUGAL_CASCADE_STEP",
    "FRUGAL_CLASSIFIER_FAILED",
    "FRUGAL_CLASSIFIER_NAME",
    "FRUGAL_CLASSIFIER_SCORE",
    "FRUGAL_COST_BASELINE_USD",
    "FRUGAL_COST_USD",
    "FRUGAL_FEATURE",
    "FRUGAL_POLICY_ID",
    "FRUGAL_ROUTE_BASELINE_MODEL",
    "FRUGAL_ROUTE_MODEL",
    "FRUGAL_ROUTE_NAME",
    "FRUGAL_ROUTE_REASONS",
    "FRUGAL_ROUTE_REQUESTED_MODEL",
    "FRUGAL_ROUTE_TIER",
    "FRUGAL_SAVINGS_USD",
    "FRUGAL_SHADOW_OF",
    "FRUGAL_TEAM",
    "FRUGAL_USER",
    "GENAI_OPERATION",
    "GEN_AI_INPUT_MESSAGES",
    "GEN_AI_OPERATION_NAME",
    "GEN_AI_OUTPUT_MESSAGES",
    "GEN_AI_PROVIDER_NAME",
    "GEN_AI_REQUEST_CHOICE_COUNT",
    "GEN_AI_REQUEST_MAX_TOKENS",
    "GEN_AI_REQUEST_MODEL",
    "GEN_AI_REQUEST_SEED",
    "GEN_AI_REQUEST_STOP_SEQUENCES",
    "GEN_AI_REQUEST_STREAM",
    "GEN_AI_REQUEST_TEMPERATURE",
    "GEN_AI_REQUEST_TOP_P",
    "GEN_AI_RESPONSE_FINISH_REASONS",
    "GEN_AI_RESPONSE_ID",
    "GEN_AI_RESPONSE_MODEL",
    "GEN_AI_SYSTEM_INSTRUCTIONS",
    "GEN_AI_TOKEN_TYPE",
    "GEN_AI_USAGE_CACHE_CREATION",
    "GEN_AI_USAGE_CACHE_READ",
    "GEN_AI_USAGE_CACHE_WRITE",
    "GEN_AI_USAGE_COST",
    "GEN_AI_USAGE_COST_AMOUNT",
    "GEN_AI_USAGE_COST_CURRENCY",
    "GEN_AI_USAGE_COST_SOURCE",
    "GEN_AI_USAGE_INPUT_TOKENS",
    "GEN_AI_USAGE_OUTPUT_TOKENS",
    "GEN_AI_USAGE_REASONING",
    "LLM_COST_TOTAL",
    "LLM_MODEL_NAME",
    "LLM_PROVIDER",
    "LLM_TOKEN_COUNT_CACHE_READ",
    "LLM_TOKEN_COUNT_COMPLETION",
    "LLM_TOKEN_COUNT_PROMPT",
    "LLM_TOKEN_COUNT_TOTAL",
    "METRIC_COST",
    "METRIC_OPERATION_DURATION",
    "METRIC_SAVINGS",
    "METRIC_TIME_TO_FIRST_CHUNK",
    "METRIC_TOKEN_USAGE",
    "OPENINFERENCE_SPAN_KIND",
    "OPERATION_COST",
    "SERVER_ADDRESS",
    "SERVER_PORT",
    "SPAN_CONVENTIONS",
    "TOKEN_BUCKETS",
    "content_attributes",
    "error_type",
    "request_attributes",
]

# -- GenAI semantic conventions (v1.41) -------------------------------------------------------------
GEN_AI_OPERATION_NAME = "gen_ai.operation.name"
GEN_AI_PROVIDER_NAME = "gen_ai.provider.name"
GEN_AI_REQUEST_MODEL = "gen_ai.request.model"
GEN_AI_REQUEST_MAX_TOKENS = "gen_ai.request.max_tokens"
GEN_AI_REQUEST_TEMPERATURE = "gen_ai.request.temperature"
GEN_AI_REQUEST_TOP_P = "gen_ai.request.top_p"
GEN_AI_REQUEST_STREAM = "gen_ai.request.stream"
GEN_AI_REQUEST_STOP_SEQUENCES = "gen_ai.request.stop_sequences"
GEN_AI_REQUEST_SEED = "gen_ai.request.seed"
GEN_AI_REQUEST_CHOICE_COUNT = "gen_ai.request.choice.count"
GEN_AI_RESPONSE_ID = "gen_ai.response.id"
GEN_AI_RESPONSE_MODEL = "gen_ai.response.model"
GEN_AI_RESPONSE_FINISH_REASONS = "gen_ai.response.finish_reasons"
GEN_AI_USAGE_INPUT_TOKENS = "gen_ai.usage.input_tokens"
GEN_AI_USAGE_OUTPUT_TOKENS = "gen_ai.usage.output_tokens"
GEN_AI_USAGE_CACHE_READ = "gen_ai.usage.cache_read.input_tokens"
GEN_AI_USAGE_CACHE_CREATION = "gen_ai.usage.cache_creation.input_tokens"  # v1.41 (what Phoenix reads)
GEN_AI_USAGE_CACHE_WRITE = "gen_ai.usage.cache_write.input_tokens"  # the newer name, emitted too
GEN_AI_USAGE_REASONING = "gen_ai.usage.reasoning.output_tokens"
GEN_AI_INPUT_MESSAGES = "gen_ai.input.messages"  # only when content capture is opted in
GEN_AI_OUTPUT_MESSAGES = "gen_ai.output.messages"
GEN_AI_SYSTEM_INSTRUCTIONS = "gen_ai.system_instructions"
GEN_AI_USAGE_COST_AMOUNT = "gen_ai.usage.cost.amount"  # proposed (semantic-conventions-genai #443)
GEN_AI_USAGE_COST_CURRENCY = "gen_ai.usage.cost.currency"
GEN_AI_USAGE_COST_SOURCE = "gen_ai.usage.cost.source"
SERVER_ADDRESS = "server.address"
SERVER_PORT = "server.port"
ERROR_TYPE = "error.type"

# -- what other backends read (policy ``span_conventions``) ---------------------------------------
GEN_AI_USAGE_COST = "gen_ai.usage.cost"  # USD: Langfuse, OpenLIT (convention "langfuse")
OPERATION_COST = "operation.cost"  # USD: Pydantic Logfire (convention "logfire")
OPENINFERENCE_SPAN_KIND = "openinference.span.kind"  # OpenInference (Arize): convention "openinference"
LLM_MODEL_NAME = "llm.model_name"
LLM_PROVIDER = "llm.provider"
LLM_TOKEN_COUNT_PROMPT = "llm.token_count.prompt"
LLM_TOKEN_COUNT_COMPLETION = "llm.token_count.completion"
LLM_TOKEN_COUNT_TOTAL = "llm.token_count.total"
LLM_TOKEN_COUNT_CACHE_READ = "llm.token_count.prompt_details.cache_read"
LLM_COST_TOTAL = "llm.cost.total"
#: Span conventions besides GenAI v1.41 and frugal's own, each named after who reads it.
SPAN_CONVENTIONS = ("openinference", "langfuse", "logfire")

# -- frugal's own ---------------------------------------------------------------------------------
FRUGAL_COST_USD = "frugal.cost.usd"
FRUGAL_CACHE_SAVINGS_USD = "frugal.cache.savings.usd"  # what prompt caching saved (the call span)
FRUGAL_SHADOW_OF = "frugal.shadow.of"  # a shadow call's span: the id of the call it shadows
FRUGAL_COST_BASELINE_USD = "frugal.cost.baseline_usd"
FRUGAL_SAVINGS_USD = "frugal.savings.usd"
FRUGAL_ATTEMPTS = "frugal.attempts"
FRUGAL_ROUTE_REQUESTED_MODEL = "frugal.route.requested_model"
FRUGAL_ROUTE_MODEL = "frugal.route.model"
FRUGAL_ROUTE_TIER = "frugal.route.tier"
FRUGAL_ROUTE_NAME = "frugal.route.name"
FRUGAL_ROUTE_REASONS = "frugal.route.reasons"
FRUGAL_ROUTE_BASELINE_MODEL = "frugal.route.baseline_model"
FRUGAL_CLASSIFIER_NAME = "frugal.classifier.name"
FRUGAL_CLASSIFIER_SCORE = "frugal.classifier.score"
FRUGAL_CLASSIFIER_FAILED = "frugal.classifier.failed"
FRUGAL_POLICY_ID = "frugal.policy.id"
FRUGAL_USER = "frugal.user"
FRUGAL_TEAM = "frugal.team"
FRUGAL_FEATURE = "frugal.feature"
FRUGAL_CASCADE_ESCALATIONS = "frugal.cascade.escalations"
FRUGAL_CASCADE_STEP = "frugal.cascade.step"
FRUGAL_CASCADE_JUDGE = "frugal.cascade.judge"
#: The call span's event when a cascade escalates, with the reason and the model whose answer failed.
FRUGAL_CASCADE_ESCALATED = "frugal.cascade.escalated"
FRUGAL_CASCADE_REASON = "frugal.cascade.reason"
FRUGAL_CASCADE_FROM_MODEL = "frugal.cascade.from_model"

# -- metrics (v1.41 names and buckets) --------------------------------------------------------------
METRIC_TOKEN_USAGE = "gen_ai.client.token.usage"
METRIC_OPERATION_DURATION = "gen_ai.client.operation.duration"
METRIC_TIME_TO_FIRST_CHUNK = "gen_ai.client.operation.time_to_first_chunk"
METRIC_COST = "frugal.cost"
METRIC_SAVINGS = "frugal.savings"
GEN_AI_TOKEN_TYPE = "gen_ai.token.type"
TOKEN_BUCKETS = (1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864)
DURATION_BUCKETS = (0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92)

#: Attributes of the per-call span.
CALL_ATTRIBUTES = (
    FRUGAL_ROUTE_REQUESTED_MODEL,
    FRUGAL_ROUTE_MODEL,
    FRUGAL_ROUTE_TIER,
    FRUGAL_ROUTE_NAME,
    FRUGAL_ROUTE_REASONS,
    FRUGAL_ROUTE_BASELINE_MODEL,
    FRUGAL_CLASSIFIER_NAME,
    FRUGAL_CLASSIFIER_SCORE,
    FRUGAL_CLASSIFIER_FAILED,
    FRUGAL_POLICY_ID,
    FRUGAL_ATTEMPTS,
    FRUGAL_COST_USD,
    FRUGAL_COST_BASELINE_USD,
    FRUGAL_SAVINGS_USD,
    FRUGAL_CACHE_SAVINGS_USD,
    FRUGAL_SHADOW_OF,
    FRUGAL_USER,
    FRUGAL_TEAM,
    FRUGAL_FEATURE,
    FRUGAL_CASCADE_ESCALATIONS,
)
#: Attributes of the per-attempt span.
ATTEMPT_ATTRIBUTES = (
    GEN_AI_OPERATION_NAME,
    GEN_AI_PROVIDER_NAME,
    GEN_AI_REQUEST_MODEL,
    SERVER_ADDRESS,
    SERVER_PORT,
    GEN_AI_REQUEST_MAX_TOKENS,
    GEN_AI_REQUEST_TEMPERATURE,
    GEN_AI_REQUEST_TOP_P,
    GEN_AI_REQUEST_STREAM,
    GEN_AI_REQUEST_STOP_SEQUENCES,
    GEN_AI_REQUEST_SEED,
    GEN_AI_REQUEST_CHOICE_COUNT,
    GEN_AI_RESPONSE_ID,
    GEN_AI_RESPONSE_MODEL,
    GEN_AI_RESPONSE_FINISH_REASONS,
    GEN_AI_USAGE_INPUT_TOKENS,
    GEN_AI_USAGE_OUTPUT_TOKENS,
    GEN_AI_USAGE_CACHE_READ,
    GEN_AI_USAGE_CACHE_CREATION,
    GEN_AI_USAGE_CACHE_WRITE,
    GEN_AI_USAGE_REASONING,
    GEN_AI_USAGE_COST_AMOUNT,
    GEN_AI_USAGE_COST_CURRENCY,
    GEN_AI_USAGE_COST_SOURCE,
    FRUGAL_COST_USD,
    FRUGAL_CASCADE_STEP,
    FRUGAL_CASCADE_JUDGE,
    ERROR_TYPE,
)


GENAI_OPERATION = {
    "chat": "chat",
    "messages": "chat",
    "responses": "chat",
    "embeddings": "embeddings",
    "count_tokens": "count_tokens",
}


def _parts(content: Any) -> list[dict[str, Any]]:
    """Semantic-convention parts of a message content (text kept, other parts named by type)."""
    if isinstance(content, str):
        return [{"type": "text", "content": content}]
    parts: list[dict[str, Any]] = []
    for part in content or ():
        part = part if isinstance(part, Mapping) else getattr(part, "model_dump", dict)()
        kind = part.get("type")
        if kind in ("text", "input_text", "output_text"):
            parts.append({"type": "text", "content": part.get("text", "")})
        elif kind is not None:
            parts.append({"type": str(kind)})
    return parts


def content_attributes(operation: str, params: Mapping[str, Any]) -> dict[str, str]:
    """gen_ai.input.messages and gen_ai.system_instructions, as JSON strings (content capture only)."""
    system: list[dict[str, Any]] = []
    messages: list[dict[str, Any]] = []
    if operation == "responses":
        if params.get("instructions"):
            system = _parts(params["instructions"])
        raw = params.get("input")
        items = [{"role": "user", "content": raw}] if isinstance(raw, str) else list(raw or ())
    else:
        if operation == "messages" and params.get("system"):
            system = _parts(params["system"])
        items = list(params.get("messages") or ())
    for item in items:
        item = item if isinstance(item, Mapping) else getattr(item, "model_dump", dict)()
        role = item.get("role", "user")
        if role in ("system", "developer"):
            system.extend(_parts(item.get("content")))
        else:
            messages.append({"role": role, "parts": _parts(item.get("content"))})
    attributes = {GEN_AI_INPUT_MESSAGES: json.dumps(messages, ensure_ascii=False)}
    if system:
        attributes[GEN_AI_SYSTEM_INSTRUCTIONS] = json.dumps(system, ensure_ascii=False)
    return attributes


def request_attributes(
    operation: str, provider: str, kind: str, model: str, params: Mapping[str, Any], server: Any
) -> dict[str, Any]:
    """The GenAI attributes of one vendor request (an attempt span's, as it starts)."""
    attributes: dict[str, Any] = {
        GEN_AI_OPERATION_NAME: GENAI_OPERATION.get(operation, operation),
        GEN_AI_PROVIDER_NAME: kind if provider == kind else provider,
        GEN_AI_REQUEST_MODEL: model,
    }
    if server is not None:
        host, port = server
        attributes[SERVER_ADDRESS] = host
        if port is not None:
            attributes[SERVER_PORT] = port
    limit = params.get("max_completion_tokens") or params.get("max_tokens") or params.get("max_output_tokens")
    if isinstance(limit, int):
        attributes[GEN_AI_REQUEST_MAX_TOKENS] = limit
    for key, name in (("temperature", GEN_AI_REQUEST_TEMPERATURE), ("top_p", GEN_AI_REQUEST_TOP_P)):
        value = params.get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            attributes[name] = float(value)
    if params.get("stream"):
        attributes[GEN_AI_REQUEST_STREAM] = True
    stop = params.get("stop") or params.get("stop_sequences")
    if isinstance(stop, str):
        attributes[GEN_AI_REQUEST_STOP_SEQUENCES] = [stop]
    elif isinstance(stop, (list, tuple)) and all(isinstance(item, str) for item in stop):
        attributes[GEN_AI_REQUEST_STOP_SEQUENCES] = list(stop)
    seed = params.get("seed")
    if isinstance(seed, int) and not isinstance(seed, bool):
        attributes[GEN_AI_REQUEST_SEED] = seed
    choices = params.get("n")
    if isinstance(choices, int) and choices != 1:
        attributes[GEN_AI_REQUEST_CHOICE_COUNT] = choices
    return attributes


def error_type(error: BaseException) -> str:
    """The ``error.type`` of a failed request: the vendor's error type when its body says, else the class."""
    body = getattr(error, "body", None)
    if isinstance(body, dict):
        inner = body.get("error")
        code = (inner if isinstance(inner, dict) else body).get("type")
        if isinstance(code, str):
            return code
    return type(error).__name__
