"""Placing a model name on a provider.

A model name is placed, in this order, by: the client's explicit ``models={name: provider}`` map; a
``provider/model`` prefix naming a configured provider; the vendors' naming conventions (``gpt-*``,
``o1``/``o3``/``o4*``, ``text-embedding-*`` → openai; ``claude-*`` → anthropic). A name none of these
place raises :class:`~frugal.exceptions.UnknownModelError` with the closest known names, before any
request is sent, so a model is never sent to the wrong vendor.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from .exceptions import UnknownModelError

__all__ = ["KNOWN_MODELS", "Placement", "place_model", "suggest_models"]

# Names by vendor convention. A regular expression per provider *kind*; the default provider of that
# kind ("openai", "anthropic") serves names that match.
_CONVENTIONS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "openai",
        re.compile(
            r"^(gpt-|chatgpt-|o\d(?:$|-)|text-embedding-|omni-moderation|codex-|computer-use-|davinci|babbage)"
        ),
    ),
    ("anthropic", re.compile(r"^claude-")),
)

#: Current model names, used for did-you-mean suggestions (not a whitelist: any conventional name works).
KNOWN_MODELS: tuple[str, ...] = (
    "gpt-6-luna",
    "gpt-6-sol",
    "gpt-6.1-sol",
    "gpt-5.4-mini",
    "gpt-5.4-nano",
    "gpt-5",
    "gpt-5-mini",
    "gpt-5-nano",
    "gpt-5.1",
    "gpt-4.1",
    "gpt-4.1-mini",
    "gpt-4.1-nano",
    "gpt-4o",
    "gpt-4o-mini",
    "o3",
    "o3-mini",
    "o4-mini",
    "text-embedding-3-small",
    "text-embedding-3-large",
    "claude-haiku-5-5",
    "claude-sonnet-5-5",
    "claude-opus-5-5",
    "claude-opus-4-5",
    "claude-opus-4-1",
    "claude-sonnet-4-5",
    "claude-sonnet-4",
    "claude-haiku-4-5",
    "claude-3-5-haiku-latest",
)


@dataclass(frozen=True, slots=True)
class Placement:
    """Where a requested model name goes.

    Attributes:
        provider: the name of the configured provider that serves it.
        model: the model name to send to that provider (a ``provider/`` prefix removed).
    """

    provider: str
    model: str


def place_model(
    model: str,
    *,
    providers: Mapping[str, str],
    models: Mapping[str, str],
) -> Placement:
    """Place ``model`` on a provider.

    Args:
        model: the name the caller asked for.
        providers: configured provider name → provider kind (``"openai"`` or ``"anthropic"``).
        models: explicit model name → provider name map.

    Raises:
        UnknownModelError: nothing places the name.
    """
    explicit = models.get(model)
    if explicit is not None:
        return Placement(explicit, model)
    prefix, sep, rest = model.partition("/")
    if sep and prefix in providers and rest:
        return Placement(prefix, rest)
    for kind, pattern in _CONVENTIONS:
        if pattern.match(model) and kind in providers:
            return Placement(kind, model)
    raise UnknownModelError(model, suggest_models(model, models.keys()))


def suggest_models(model: str, extra: Iterable[str] = ()) -> list[str]:
    """The known model names closest to ``model``, best first (at most three)."""
    candidates = list(dict.fromkeys([*extra, *KNOWN_MODELS]))
    return difflib.get_close_matches(model, candidates, n=3, cutoff=0.5)
