"""``TokenUsage``: the tokens of a call, vendor-neutral, read from either vendor's usage.

Kept apart from :mod:`frugal.catalog` (prices, which load pydantic and genai-prices) so that reading an
answer's usage loads nothing heavy.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["TokenUsage"]


@dataclass(frozen=True, slots=True)
class TokenUsage:
    """Tokens of a call, vendor-neutral (the OpenTelemetry convention).

    Attributes:
        input_tokens: ALL input tokens, cache reads and cache writes included.
        output_tokens: all output tokens, reasoning tokens included.
        cache_read_tokens: input tokens read from the prompt cache.
        cache_write_tokens: input tokens written to the cache with the 5-minute TTL.
        cache_write_1h_tokens: input tokens written to the cache with the 1-hour TTL.
        reasoning_tokens: output tokens spent on reasoning (already inside ``output_tokens``).
    """

    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    cache_write_1h_tokens: int = 0
    reasoning_tokens: int = 0

    def __add__(self, other: TokenUsage) -> TokenUsage:
        return TokenUsage(
            input_tokens=self.input_tokens + other.input_tokens,
            output_tokens=self.output_tokens + other.output_tokens,
            cache_read_tokens=self.cache_read_tokens + other.cache_read_tokens,
            cache_write_tokens=self.cache_write_tokens + other.cache_write_tokens,
            cache_write_1h_tokens=self.cache_write_1h_tokens + other.cache_write_1h_tokens,
            reasoning_tokens=self.reasoning_tokens + other.reasoning_tokens,
        )

    @classmethod
    def from_openai_chat(cls, usage: object) -> TokenUsage:
        """From an OpenAI chat ``usage`` (object or dict): ``prompt_tokens`` already includes cached ones."""
        prompt = _get(usage, "prompt_tokens")
        details = _sub(usage, "prompt_tokens_details")
        completion = _sub(usage, "completion_tokens_details")
        return cls(
            input_tokens=prompt,
            output_tokens=_get(usage, "completion_tokens"),
            cache_read_tokens=_get(details, "cached_tokens"),
            cache_write_tokens=_get(details, "cache_write_tokens"),  # OpenAI has one cache TTL
            reasoning_tokens=_get(completion, "reasoning_tokens"),
        )

    @classmethod
    def from_openai_responses(cls, usage: object) -> TokenUsage:
        """From an OpenAI Responses ``usage``: ``input_tokens`` already includes cached ones."""
        details = _sub(usage, "input_tokens_details")
        output = _sub(usage, "output_tokens_details")
        return cls(
            input_tokens=_get(usage, "input_tokens"),
            output_tokens=_get(usage, "output_tokens"),
            cache_read_tokens=_get(details, "cached_tokens"),
            cache_write_tokens=_get(details, "cache_write_tokens"),  # OpenAI has one cache TTL
            reasoning_tokens=_get(output, "reasoning_tokens"),
        )

    @classmethod
    def from_anthropic(cls, usage: object) -> TokenUsage:
        """From an Anthropic ``usage``: ``input_tokens`` EXCLUDES cache reads and writes, which are added."""
        read = _get(usage, "cache_read_input_tokens")
        written = _get(usage, "cache_creation_input_tokens")
        split = _sub(usage, "cache_creation")
        one_hour = _get(split, "ephemeral_1h_input_tokens")
        five_minutes = _get(split, "ephemeral_5m_input_tokens") if split is not None else written
        if five_minutes + one_hour != written:  # an inconsistent split: trust the total, as 5-minute writes
            five_minutes, one_hour = (
                written - one_hour if one_hour <= written else written,
                min(one_hour, written),
            )
        thinking = _get(_sub(usage, "output_tokens_details"), "thinking_tokens")
        return cls(
            input_tokens=_get(usage, "input_tokens") + read + written,
            output_tokens=_get(usage, "output_tokens"),
            cache_read_tokens=read,
            cache_write_tokens=five_minutes,
            cache_write_1h_tokens=one_hour,
            reasoning_tokens=thinking,
        )


def _field(obj: object, key: str) -> object:
    """``obj[key]`` of a mapping, ``obj.key`` of an SDK object; None when absent (or ``obj`` is None)."""
    if obj is None:
        return None
    if isinstance(obj, Mapping):
        return obj.get(key)
    return getattr(obj, key, None)


def _get(obj: object, key: str) -> int:
    """An integer field of a usage object or mapping (0 when absent or not an int)."""
    value = _field(obj, key)
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _sub(obj: object, key: str) -> object:
    """A nested usage object or mapping (None when absent)."""
    return _field(obj, key)


# -- policy overrides ----------------------------------------------------------------------------
