"""The ``knn`` classifier's options (a module of its own, as for the other built-ins: no pydantic model in
the classifier's module)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["KnnOptions"]


class KnnOptions(BaseModel):
    """Options of the ``knn`` classifier.

    In a policy only ``index`` is needed: the index file records its embedder and ``k``. The other
    options are the recipe ``frugal eval --cv`` refits an index with when it is given none.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    index: str | None = Field(None, description="Index file made by 'frugal train --classifier knn'.")
    k: int | None = Field(None, ge=1, description="Neighbours that vote (default: the index's, else 30).")
    embedder: str = Field("hashing", description="Embedder of a refitted index (with --cv, no index).")
    embedder_options: dict[str, Any] = Field(default_factory=dict, description="Its options.")
