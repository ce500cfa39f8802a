"""The ``learned`` classifier's pydantic models: :class:`LearnedOptions` and the model file's schema.

A module of its own so that the classifier (:mod:`frugal.classifiers.learned`, which re-exports
``LearnedOptions``) holds no pydantic model and can be compiled (mypyc); this one stays interpreted.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..exceptions import ConfigError

__all__ = ["LearnedOptions", "validate_weights"]


class LearnedOptions(BaseModel):
    """Options of the ``learned`` classifier."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    model: str | None = Field(
        None,
        description="A model file made by 'frugal train', or a shipped model's name: 'v2' (the default) "
        "or 'v1' (the previous default).",
    )


class _Weights(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    format: str
    version: int
    scan_chars: int = Field(500, ge=100)
    bias: float
    dense: dict[str, float]
    words: dict[str, float] = Field(default_factory=dict)
    shape: dict[str, float] = Field(default_factory=dict)
    neutral: dict[str, float] = Field(default_factory=dict)
    quantiles: list[float] = Field(default_factory=list)
    training: dict[str, Any] = Field(default_factory=dict)
    word_buckets: int = Field(0, ge=0)


def validate_weights(data: dict[str, Any], source: str) -> _Weights:
    """The model file's document ``data`` checked against its schema.

    Raises:
        ConfigError: a field is missing, of the wrong type or unknown (the first three problems, with
            ``source``, the file's name).
    """
    try:
        return _Weights.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or '(top level)'}: {e['msg']}"
            for e in exc.errors(include_url=False)[:3]
        )
        raise ConfigError(f"{source}: invalid learned-classifier model: {problems}") from None
