"""How rows are held out: leave one ``source`` out (the honest protocol), or k random folds (in-domain).

A *source* is the unit that must not leak: a benchmark, a product feature, a customer. Leaving one out
and training on every other one says what a classifier gives on traffic it has never seen, which is
what a new user's traffic is. Random k-fold keeps every source on both sides of the split: its figures
are in-domain, and say only what a classifier gives on more rows like the ones it was trained on.

Between the two, *adaptation* (``--cv sources --adapt 0.2``): each source is judged by a model trained on
every other source plus a random share of its own rows (what a team that labels a little of its traffic
gets), on the rest of its rows only; the adaptation rows are never judged.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from ..exceptions import ConfigError
from .data import Row

__all__ = ["SOURCES", "Folds", "adapt_folds", "folds_for", "k_folds", "parse_cv", "source_folds"]

#: The ``--cv`` value of the leave-one-source-out protocol.
SOURCES = "sources"


@dataclass(frozen=True, slots=True)
class Folds:
    """A partition of rows into folds, each scored by a classifier trained without it.

    Attributes:
        kind: ``"sources"`` (leave one source out) or ``"k-fold"`` (random folds, in-domain).
        names: each fold's name: its source, or ``"fold 1"``, ...
        of_row: each row's fold (an index into ``names``).
        adapt: per row, True for an adaptation row: trained on by its own fold's model too, and never
            scored (empty: no adaptation).
        adapt_share: the share of each fold's rows used to adapt (0: none).
    """

    kind: str
    names: tuple[str, ...]
    of_row: tuple[int, ...]
    adapt: tuple[bool, ...] = ()
    adapt_share: float = 0.0

    @property
    def in_domain(self) -> bool:
        """True when every fold's sources are also in its training rows (k-fold)."""
        return self.kind != SOURCES

    @property
    def label(self) -> str:
        """How the figures were made, for a report's header."""
        if self.in_domain:
            return f"{len(self.names)}-fold cross-validation (in-domain: every source on both sides)"
        if self.adapt:
            share, rest = f"{self.adapt_share:.0%}", f"{1 - self.adapt_share:.0%}"
            return (
                f"leave one source out, adapted ({len(self.names)} sources, each scored by a model trained "
                f"on the others and a random {share} of its own rows; judged on its other {rest})"
            )
        return f"leave one source out ({len(self.names)} sources, each scored by a model trained without it)"

    def adapted(self, row: int) -> bool:
        """True for an adaptation row (trained on by its own fold's model, never scored)."""
        return bool(self.adapt) and self.adapt[row]

    def rows_of(self, fold: int) -> list[int]:
        """The rows of one fold that are scored, in order (adaptation rows are not)."""
        return [i for i, f in enumerate(self.of_row) if f == fold and not self.adapted(i)]

    def adaptation_rows(self, fold: int) -> list[int]:
        """The fold's own rows its model is trained on too (none without adaptation)."""
        return [i for i, f in enumerate(self.of_row) if f == fold and self.adapted(i)]

    def training_rows(self, fold: int) -> list[int]:
        """The rows the fold's model is trained on: every other fold's, and its own adaptation rows."""
        return [i for i, f in enumerate(self.of_row) if f != fold or self.adapted(i)]


def parse_cv(text: str) -> str | int:
    """``--cv``: ``sources``, or a number of folds (2 or more).

    Raises:
        ConfigError: neither.
    """
    if text == SOURCES:
        return SOURCES
    try:
        folds = int(text)
    except ValueError:
        folds = 0
    if folds < 2:
        raise ConfigError(
            f"--cv {text!r}: expected 'sources' (leave one source out) or a number of folds >= 2"
        )
    return folds


def source_folds(rows: Sequence[Row]) -> Folds:
    """One fold per ``source``, in the order sources are first seen.

    Raises:
        ConfigError: fewer than two sources, or rows without a source (named by ``file:line``).
    """
    unnamed = [row for row in rows if not row.source]
    if unnamed:
        raise ConfigError(
            f"{unnamed[0].where}: --cv sources needs a 'source' on every row "
            f"({len(unnamed):,} rows have none)"
        )
    names = list(dict.fromkeys(row.source for row in rows))
    if len(names) < 2:
        raise ConfigError(f"--cv sources needs rows from two sources or more; found only {names[0]!r}")
    index = {name: i for i, name in enumerate(names)}
    return Folds(SOURCES, tuple(names), tuple(index[row.source] for row in rows))


def k_folds(rows: Sequence[Row], k: int, seed: int = 0) -> Folds:
    """Rows shuffled with ``seed`` and dealt into ``k`` folds.

    Raises:
        ConfigError: fewer than 2 folds, or more folds than rows.
    """
    if not 2 <= k <= len(rows):
        raise ConfigError(
            f"--cv {k}: the number of folds must lie between 2 and the number of rows ({len(rows)})"
        )
    order = list(range(len(rows)))
    random.Random(seed).shuffle(order)
    of_row = [0] * len(rows)
    for position, row in enumerate(order):
        of_row[row] = position % k
    return Folds("k-fold", tuple(f"fold {i + 1}" for i in range(k)), tuple(of_row))


def adapt_folds(folds: Folds, share: float, seed: int = 0) -> Folds:
    """The same folds, each with a random ``share`` of its rows (seeded) moved to its training side.

    Each fold keeps at least one row to judge and gives at least one to adapt on.

    Raises:
        ConfigError: ``share`` outside (0, 1), k-fold folds (already in-domain), or a fold of one row.
    """
    if not 0.0 < share < 1.0:
        raise ConfigError(f"--adapt {share!r}: expected a share of each source's rows in (0, 1), e.g. 0.2")
    if folds.in_domain:
        raise ConfigError("--adapt needs --cv sources (k-fold folds already train on every source)")
    rng = random.Random(seed)
    adapt = [False] * len(folds.of_row)
    for fold, name in enumerate(folds.names):
        members = [i for i, f in enumerate(folds.of_row) if f == fold]
        if len(members) < 2:
            raise ConfigError(f"--adapt: source {name!r} has {len(members)} row: nothing left to judge")
        count = min(len(members) - 1, max(1, round(share * len(members))))
        for i in rng.sample(members, count):
            adapt[i] = True
    return Folds(folds.kind, folds.names, folds.of_row, tuple(adapt), share)


def folds_for(rows: Sequence[Row], cv: str | int, seed: int = 0) -> Folds:
    """The folds ``--cv`` asks for (see :func:`parse_cv`)."""
    return source_folds(rows) if cv == SOURCES else k_folds(rows, int(cv), seed)
