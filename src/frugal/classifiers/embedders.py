"""Embedders turn texts into vectors for the ``knn`` classifier: a built-in one, adapters, and the endpoint.

- ``hashing`` (built-in, no dependency): the words, word pairs and (in scripts written without spaces)
  character pairs of a text, each projected onto ``dims`` dimensions by a fixed random ±1 projection (a
  stable hash of the n-gram picks its coordinates and signs, so the projection matrix is never stored),
  counts damped by a logarithm, the vector scaled to length 1. Deterministic across processes and
  machines.
- ``fastembed``, ``model2vec``, ``sentence-transformers``: adapters to those libraries, imported when
  the embedder is built (``pip install fastembed`` / ``model2vec`` / ``sentence-transformers``).
- ``endpoint``: the embeddings endpoint of the provider the policy configures, called through the frugal
  client itself (so the call is priced, counted in the ledger and put on a span like any other), cached
  per process. It needs the client: see :meth:`EndpointEmbedder.bind_client`.
- A class of your own, by dotted path: anything with a ``name`` and an ``embed(texts)`` method.
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
import itertools
import math
import re
import zlib
from collections import Counter, OrderedDict
from collections.abc import Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

from ..exceptions import ConfigError

__all__ = [
    "EMBEDDERS",
    "Embedder",
    "EndpointEmbedder",
    "FastEmbedEmbedder",
    "HashingEmbedder",
    "Model2VecEmbedder",
    "SentenceTransformerEmbedder",
    "load_embedder",
]


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into vectors of one fixed length (any scale: the ``knn`` classifier normalises them)."""

    name: str

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """One vector per text, in order."""
        ...


_HEAD, _TAIL = 1500, 500  # characters of a text read: its head and its tail, where the question sits
_WORD = re.compile(r"[^\W_]+")  # runs of letters and digits, in any script


class HashingEmbedder:
    """The built-in embedder: hashed n-grams and a fixed random projection (see the module docstring).

    Args:
        dims: the vectors' length.
        seed: picks the projection; vectors of different seeds are not comparable.
    """

    name = "hashing"

    def __init__(self, dims: int = 256, seed: int = 0) -> None:
        if dims < 8:
            raise ConfigError(f"embedder 'hashing': dims must be >= 8, got {dims}")
        self.dims = dims
        self.seed = seed
        self._start = zlib.crc32(seed.to_bytes(8, "little", signed=False))  # the seed picks the hash

    def options(self) -> dict[str, Any]:
        """What rebuilds this embedder (recorded in an index file)."""
        return {"dims": self.dims, "seed": self.seed}

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """One unit vector per text (the zero vector for a text without a word)."""
        return [self._embed(text) for text in texts]

    def _embed(self, text: str) -> list[float]:
        if len(text) > _HEAD + _TAIL:
            text = text[:_HEAD] + " " + text[-_TAIL:]
        vector = [0.0] * self.dims
        for gram, count in Counter(_grams(text)).items():
            weight = 1.0 + math.log(count)
            # Two coordinates per n-gram, each with its own sign: collisions cost less than with one.
            code = zlib.crc32(gram, self._start)
            vector[code % self.dims] += weight if code & 0x80000000 else -weight
            code = zlib.crc32(gram, code)
            vector[code % self.dims] += weight if code & 0x80000000 else -weight
        norm = math.sqrt(sum(v * v for v in vector))
        return [v / norm for v in vector] if norm else vector


# Lower-case ASCII letters, keep digits, blank the rest: an ASCII text's words in one C-level pass.
_FOLD = bytes(b + 32 if 65 <= b <= 90 else b if (97 <= b <= 122 or 48 <= b <= 57) else 32 for b in range(256))


def _grams(text: str) -> list[bytes]:
    """Words and consecutive word pairs; character pairs inside runs of a script written without spaces."""
    raw = text.encode("utf-8", "surrogatepass")
    if raw.isascii():
        words = raw.translate(_FOLD).split()
        return words + [a + b" " + b for a, b in itertools.pairwise(words)]
    found = _WORD.findall(text.lower())
    words = [w.encode("utf-8", "surrogatepass") for w in found]
    grams = words + [a + b" " + b for a, b in itertools.pairwise(words)]
    for word, encoded in zip(found, words, strict=True):
        if len(word) > 2 and len(encoded) >= 3 * len(word):
            # CJK and similar scripts: a "word" is a whole clause; its character pairs carry the meaning.
            grams += [word[i : i + 2].encode("utf-8", "surrogatepass") for i in range(len(word) - 1)]
    return grams


class FastEmbedEmbedder:
    """``fastembed`` (ONNX, CPU): ``pip install fastembed``. Downloads the model on first use."""

    name = "fastembed"

    def __init__(self, model: str = "BAAI/bge-small-en-v1.5") -> None:
        module = _import("fastembed", "fastembed")
        self.model = model
        self._model = module.TextEmbedding(model_name=model)

    def options(self) -> dict[str, Any]:
        """What rebuilds this embedder."""
        return {"model": self.model}

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """The model's vectors."""
        return [[float(x) for x in vector] for vector in self._model.embed(list(texts))]


class Model2VecEmbedder:
    """``model2vec`` static embeddings (fast, small): ``pip install model2vec``."""

    name = "model2vec"

    def __init__(self, model: str = "minishlab/potion-base-8M") -> None:
        module = _import("model2vec", "model2vec")
        self.model = model
        self._model = module.StaticModel.from_pretrained(model)

    def options(self) -> dict[str, Any]:
        """What rebuilds this embedder."""
        return {"model": self.model}

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """The model's vectors."""
        return [[float(x) for x in vector] for vector in self._model.encode(list(texts))]


class SentenceTransformerEmbedder:
    """``sentence-transformers``: ``pip install sentence-transformers``."""

    name = "sentence-transformers"

    def __init__(self, model: str = "sentence-transformers/all-MiniLM-L6-v2") -> None:
        module = _import("sentence_transformers", "sentence-transformers")
        self.model = model
        self._model = module.SentenceTransformer(model)

    def options(self) -> dict[str, Any]:
        """What rebuilds this embedder."""
        return {"model": self.model}

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """The model's vectors."""
        return [[float(x) for x in vector] for vector in self._model.encode(list(texts))]


class EndpointEmbedder:
    """The provider's embeddings endpoint, called through a frugal client (opt-in; see the module docstring).

    Every call goes through ``client.embeddings.create``: it is priced, counted in the ledger and traced
    like any call the application makes. Vectors are cached per process (``cache_size`` texts, least
    recently used first out), keyed by the model and a hash of the text: a repeated prompt costs nothing.

    Args:
        model: the embedding model (an OpenAI-compatible name the policy's providers serve).
        dimensions: ask the endpoint for vectors of this length (models that support it).
        cache_size: texts whose vectors are kept.
    """

    name = "endpoint"

    def __init__(
        self, model: str = "text-embedding-3-small", dimensions: int | None = None, cache_size: int = 4096
    ):
        self.model = model
        self.dimensions = dimensions
        self.cache_size = cache_size
        self._client: Any = None
        self._cache: OrderedDict[bytes, list[float]] = OrderedDict()

    def options(self) -> dict[str, Any]:
        """What rebuilds this embedder."""
        return {"model": self.model, "dimensions": self.dimensions}

    def bind_client(self, client: Any) -> None:
        """Call the endpoint through ``client`` (a ``frugal.Client``, or any object with the OpenAI SDK's
        ``embeddings.create``). The client binds itself when it is built (see docs/classifiers.md)."""
        self._client = client

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """The endpoint's vectors, from the cache where it has them.

        Raises:
            RuntimeError: no client is bound (the call then goes to the policy's default tier).
        """
        keys = [hashlib.sha256(f"{self.model}\0{t}".encode("utf-8", "surrogatepass")).digest() for t in texts]
        missing = list(dict.fromkeys(k for k in keys if k not in self._cache))
        if missing:
            if self._client is None:
                raise RuntimeError(
                    "the 'endpoint' embedder has no client: it is bound by frugal.Client when the policy "
                    "names it, or by embedder.bind_client(client)"
                )
            text_of = dict(zip(keys, texts, strict=True))
            params: dict[str, Any] = {"model": self.model, "input": [text_of[k] for k in missing]}
            if self.dimensions is not None:
                params["dimensions"] = self.dimensions
            response = self._client.embeddings.create(**params)
            if inspect.isawaitable(response):
                close = getattr(response, "close", None)
                if callable(close):
                    close()  # never awaited: close it rather than leave a warning behind
                raise TypeError(
                    "the 'endpoint' embedder was bound to an async client: a classifier runs synchronously, "
                    "so it needs a synchronous frugal.Client (made with the same configuration)"
                )
            for key, item in zip(missing, response.data, strict=True):
                self._cache[key] = [float(x) for x in item.embedding]
        vectors = []
        for key in keys:
            self._cache.move_to_end(key)
            vectors.append(self._cache[key])
        while len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)
        return vectors


#: The embedders known by name.
EMBEDDERS: Mapping[str, type[Any]] = {
    "hashing": HashingEmbedder,
    "fastembed": FastEmbedEmbedder,
    "model2vec": Model2VecEmbedder,
    "sentence-transformers": SentenceTransformerEmbedder,
    "endpoint": EndpointEmbedder,
}


def load_embedder(name: str, options: Mapping[str, Any] | None = None) -> Embedder:
    """Build the embedder ``name`` (a known name or a dotted path ``package.module:Class``) with options.

    Raises:
        ConfigError: an unknown name, a missing library (with the pip command), bad options, or an object
            that is not an embedder.
    """
    options = dict(options or {})
    cls = EMBEDDERS.get(name)
    if cls is None:
        if ":" not in name and "." not in name:
            raise ConfigError(
                f"unknown embedder {name!r} (known: {', '.join(EMBEDDERS)}; one of your own is named by "
                "dotted path, 'package.module:Class')"
            )
        from .registry import resolve_object

        cls = resolve_object(name, f"embedder {name!r}")
    try:
        embedder = cls(**options)
    except ConfigError:
        raise
    except TypeError as exc:
        raise ConfigError(f"embedder {name!r}: bad options {sorted(options)}: {exc}") from None
    if not isinstance(embedder, Embedder):
        raise ConfigError(
            f"embedder {name!r} is not an embedder: it needs a 'name' and an 'embed(texts)' method"
        )
    return embedder


def embedder_options(embedder: Embedder) -> dict[str, Any]:
    """The options that rebuild ``embedder`` (its ``options()`` when it has one, else none)."""
    options = getattr(embedder, "options", None)
    return dict(options()) if callable(options) else {}


def _import(module: str, package: str) -> Any:
    try:
        return importlib.import_module(module)
    except ImportError:
        raise ConfigError(
            f"embedder {package!r} needs the {package} package: pip install {package}"
        ) from None
