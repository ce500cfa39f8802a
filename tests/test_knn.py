"""The knn classifier: embedders (built-in, plug-in, endpoint), index files, the search, training, the CLI."""

from __future__ import annotations

import builtins
import json
import math
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

import frugal
from frugal import cli
from frugal.classifiers import available_classifiers, load_classifier
from frugal.classifiers.embedders import EndpointEmbedder, HashingEmbedder, load_embedder
from frugal.classifiers.knn import KnnClassifier, KnnIndex, KnnOptions, load_index
from frugal.exceptions import ConfigError
from frugal.policy import parse_policy
from frugal.request import RoutingRequest
from frugal.testing import VendorStub

from .conftest import vendor_options


def dot(a: Sequence[float], b: Sequence[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


class AxisEmbedder:
    """A fake embedder: a text's vector is [count of 'hard', count of 'easy', 1]."""

    name = "axis"

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        return [[t.count("hard"), t.count("easy"), 1.0] for t in texts]


def axis_index(k: int = 2) -> KnnIndex:
    """Three 'hard' prompts labelled 1, three 'easy' ones labelled 0."""
    embedder = AxisEmbedder()
    texts = ["hard", "hard hard", "hard hard hard", "easy", "easy easy", "easy easy easy"]
    return KnnIndex.from_vectors(embedder, k, embedder.embed(texts), [1.0, 1.0, 1.0, 0.0, 0.0, 0.0])


# -- the built-in embedder -------------------------------------------------------------------------


def test_hashing_embedder_gives_unit_vectors_closer_for_shared_words() -> None:
    """Vectors have length 1; texts sharing words are closer than texts sharing none."""
    embedder = HashingEmbedder(dims=128)
    a, b, c, empty = embedder.embed(
        ["prove the bound on primes", "prove a bound for the primes", "bake a chocolate cake", ""]
    )
    assert len(a) == 128
    assert math.isclose(dot(a, a), 1.0)
    assert dot(a, b) > dot(a, c) + 0.2
    assert empty == [0.0] * 128


def test_hashing_embedder_reads_scripts_without_spaces_by_character_pairs() -> None:
    """Chinese clauses sharing characters are close although no word (space-separated run) is shared."""
    embedder = HashingEmbedder()
    a, b, c = embedder.embed(["运行中变压器温度最高的部分是", "变压器温度最高的是哪里", "今天天气很好"])
    assert dot(a, b) > dot(a, c) + 0.2


def test_hashing_embedder_is_the_same_in_every_process() -> None:
    """The projection depends on a stable hash, not on Python's per-process string hashing."""
    code = (
        "from frugal.classifiers.embedders import HashingEmbedder; "
        "print(HashingEmbedder(dims=16).embed(['Design a rate limiter, then explain it'])[0])"
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", code],
            check=True,
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
        ).stdout
        for seed in ("1", "2")
    }
    assert len(outputs) == 1
    assert HashingEmbedder(dims=16, seed=1).embed(["x y"]) != HashingEmbedder(dims=16, seed=2).embed(["x y"])


# -- embedders by name -----------------------------------------------------------------------------


def test_embedders_load_by_name_or_dotted_path_and_fail_clearly() -> None:
    """Known names and dotted paths build embedders; unknown names, missing libraries, bad objects fail."""
    assert isinstance(load_embedder("hashing", {"dims": 32}), HashingEmbedder)
    assert load_embedder(f"{__name__}:AxisEmbedder").name == "axis"
    with pytest.raises(ConfigError, match="unknown embedder 'nope'"):
        load_embedder("nope")
    with pytest.raises(ConfigError, match="bad options"):
        load_embedder("hashing", {"dimz": 3})
    with pytest.raises(ConfigError, match="is not an embedder"):
        load_embedder(f"{__name__}:KnnOptions")
    with pytest.raises(ConfigError, match="dims must be >= 8"):
        load_embedder("hashing", {"dims": 2})


@pytest.mark.parametrize(
    ("name", "package"),
    [
        ("fastembed", "fastembed"),
        ("model2vec", "model2vec"),
        ("sentence-transformers", "sentence-transformers"),
    ],
)
def test_adapters_say_which_library_to_install(
    monkeypatch: pytest.MonkeyPatch, name: str, package: str
) -> None:
    """An adapter whose library is not installed is a ConfigError with the pip command."""
    real_import = builtins.__import__

    def no_library(module: str, *args: Any, **kwargs: Any) -> Any:
        if module.split(".")[0] in ("fastembed", "model2vec", "sentence_transformers"):
            raise ImportError(module)
        return real_import(module, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_library)
    with pytest.raises(ConfigError, match=rf"needs the {package} package: pip install {package}"):
        load_embedder(name)


class FakeEmbeddings:
    """The embeddings namespace of a fake client: records each call."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def create(self, **params: Any) -> Any:
        self.calls.append(params)
        data = [type("Item", (), {"embedding": [float(len(t)), 1.0]})() for t in params["input"]]
        return type("Response", (), {"data": data})()


def test_endpoint_embedder_calls_through_the_client_and_caches() -> None:
    """The endpoint embedder sends only texts it has not seen, with its model; unbound, it raises."""
    embedder = EndpointEmbedder(model="text-embedding-3-small", dimensions=2, cache_size=2)
    with pytest.raises(RuntimeError, match="has no client"):
        embedder.embed(["a"])
    client = type("Client", (), {"embeddings": FakeEmbeddings()})()
    embedder.bind_client(client)
    assert embedder.embed(["ab", "abc", "ab"]) == [[2.0, 1.0], [3.0, 1.0], [2.0, 1.0]]
    assert embedder.embed(["abc"]) == [[3.0, 1.0]]
    calls = client.embeddings.calls
    assert calls == [{"model": "text-embedding-3-small", "input": ["ab", "abc"], "dimensions": 2}]
    embedder.embed(["abcd"])  # a third text: the least recently used ("ab") leaves the cache
    embedder.embed(["ab"])
    assert [c["input"] for c in calls[1:]] == [["abcd"], ["ab"]]


def test_endpoint_embedder_through_a_frugal_client_is_an_accounted_call(stub: VendorStub) -> None:
    """Bound to a frugal.Client, the endpoint embedder's call goes to the vendor and into the ledger."""
    policy = "version: 1\ntiers:\n  - {name: only, models: [gpt-4o-mini]}\nledger: memory://\n"
    client = frugal.Client(**vendor_options(stub, policy=parse_policy(policy)[0]))  # type: ignore[arg-type]
    vectors = [[1.0] + [0.0] * 7, [0.0] * 7 + [1.0]]  # the stub's vectors have 8 dimensions
    index = KnnIndex.from_vectors(AxisEmbedder(), 1, vectors, [1.0, 0.0])
    classifier = KnnClassifier(index=index, embedder=EndpointEmbedder())
    classifier.bind_client(client)
    classifier.classify(RoutingRequest.from_prompt("hello there"))
    classifier.classify(RoutingRequest.from_prompt("hello there"))  # cached: no second call
    assert [r.operation for r in client.ledger.records()] == ["embeddings"]
    assert len(stub.requests_for("text-embedding-3-small")) == 1


# -- index files and the search --------------------------------------------------------------------


def test_score_is_the_shrunk_mean_of_the_nearest_labels() -> None:
    """Score = (sum of the k nearest labels + the mean label) / (k + 1), by hand."""
    classifier = KnnClassifier(index=axis_index(k=2), embedder=AxisEmbedder())
    hard = classifier.classify(RoutingRequest.from_prompt("hard hard"))
    easy = classifier.classify(RoutingRequest.from_prompt("easy"))
    assert hard.score == pytest.approx((1 + 1 + 0.5) / 3)
    assert easy.score == pytest.approx((0 + 0 + 0.5) / 3)
    assert hard.classifier == "knn"
    assert hard.reasons == ("similar labelled prompts (2): above the mean",)


def test_index_files_round_trip_and_bad_ones_are_config_errors(tmp_path: Path) -> None:
    """save() then load_index() gives the same index; broken files name the file and the problem."""
    index = axis_index()
    path = tmp_path / "index.json"
    index.save(path)
    loaded = load_index(path)
    assert loaded.steps == index.steps
    assert loaded.labels == index.labels
    assert (loaded.embedder, loaded.k, loaded.dims) == ("axis", 2, 3)
    assert all(-127 <= s <= 127 for row in loaded.steps for s in row)
    document = json.loads(path.read_text(encoding="utf-8"))
    for broken, message in [
        ("{", "not a knn index: invalid JSON"),
        (json.dumps({"format": "x"}), 'not a knn index \\(no "format"'),
        (json.dumps({**document, "version": 9}), "knn index version 9 is not supported"),
        (json.dumps({**document, "rows": 7}), "invalid knn index: 7 rows of 3 dims do not match"),
        (json.dumps({**document, "vectors": "!!"}), "invalid knn index"),
    ]:
        path.write_text(broken, encoding="utf-8")
        with pytest.raises(ConfigError, match=f"index.json: {message}"):
            load_index(path)
    with pytest.raises(ConfigError, match="cannot read the knn index"):
        load_index(tmp_path / "missing.json")


def test_pure_python_and_numpy_searches_find_the_same_neighbours(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without numpy the search finds the same neighbours in the same order, ties included."""
    embedder = HashingEmbedder(dims=32)
    texts = [f"item {i % 7} about {'cats' if i % 3 else 'dogs'} {i % 5}" for i in range(60)]
    index = KnnIndex.from_vectors(embedder, 5, embedder.embed(texts), [i / 60 for i in range(60)])
    with_numpy = KnnClassifier(index=index, embedder=embedder)
    real_import = builtins.__import__

    def no_numpy(module: str, *args: Any, **kwargs: Any) -> Any:
        if module == "numpy":
            raise ImportError(module)
        return real_import(module, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_numpy)
    pure = KnnClassifier(index=index, embedder=embedder)
    assert pure._search._numpy is None
    assert with_numpy._search._numpy is not None
    for text in [*texts[:10], "item 3 about dogs", "nothing shared"]:
        query = embedder.embed([text])[0]
        from frugal.classifiers.knn import _unit_steps

        steps = _unit_steps(query)
        assert pure._search.nearest(steps, 5) == with_numpy._search.nearest(steps, 5), text


def test_knn_is_registered_and_needs_an_index(tmp_path: Path) -> None:
    """`knn` is a registered built-in; without an index it says how to make one."""
    assert "knn" in available_classifiers()
    with pytest.raises(ConfigError, match="needs an index file"):
        load_classifier("knn")
    path = tmp_path / "i.json"
    KnnIndex.from_vectors(HashingEmbedder(dims=16), 1, [[1.0] * 16], [0.5]).save(path)
    classifier = load_classifier("knn", {"index": str(path), "k": 1})
    assert isinstance(classifier, KnnClassifier)
    assert classifier.classify(RoutingRequest.from_prompt("anything")).score == pytest.approx(0.5)
    assert KnnOptions().k is None


def test_knn_inference_needs_no_numpy(tmp_path: Path) -> None:
    """An index is read and searched without numpy (the built-in embedder needs none either)."""
    path = tmp_path / "i.json"
    embedder = HashingEmbedder(dims=16)
    KnnIndex.from_vectors(embedder, 1, embedder.embed(["a b", "c d"]), [0.0, 1.0]).save(path)
    code = (
        "import sys; sys.modules['numpy'] = None\n"
        "from frugal.classifiers import load_classifier; from frugal.request import RoutingRequest\n"
        f"c = load_classifier('knn', {{'index': {str(path)!r}}})\n"
        "print(c.classify(RoutingRequest.from_prompt('c d')).score)"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    assert float(out) == pytest.approx((1.0 + 0.5) / 2)


# -- training and the CLI --------------------------------------------------------------------------


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_train_knn_writes_an_index_that_eval_uses(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """`frugal train --classifier knn` writes an index with its scale; `eval --classifier knn` reads it."""
    from .test_evaluation_cv import planted_sources

    data, index = planted_sources(tmp_path), tmp_path / "index.json"
    code, out, err = run(
        capsys,
        "train",
        str(data),
        "--classifier",
        "knn",
        "--embedder-options",
        '{"dims": 64}',
        "--k",
        "5",
        "--out",
        str(index),
        "--json",
        "--quiet",
    )
    assert code == 0, err
    summary = json.loads(out)
    assert (summary["rows_used"], summary["dims"], summary["embedder"]) == (120, 64, "hashing")
    loaded = load_index(index)
    assert len(loaded.quantiles) == 21
    assert loaded.training["recipe"]["k"] == 5
    options = json.dumps({"index": str(index)})
    code, out, err = run(
        capsys,
        "eval",
        str(data),
        "--models",
        "cheap,strong",
        "--classifier",
        "knn",
        "--classifier-options",
        options,
        "--json",
        "--quiet",
    )
    assert code == 0, err
    report = json.loads(out)
    assert report["classifier"] == "knn"
    assert report["apgr"] > 0.7  # in sample: each source's word is in the index
    assert 0 < report["configured"]["threshold"][0] < 1  # the index's own scale


def test_knn_is_refitted_per_fold_without_its_source(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Under --cv sources knn is re-indexed without each source: a source's own word is no neighbour."""
    from .test_evaluation_cv import planted_sources

    data = planted_sources(tmp_path)
    base = [str(data), "--models", "cheap,strong", "--classifier", "knn", "--bootstrap", "10", "--json"]
    # 1,024 dimensions: few enough hash collisions that no other word stands in for a source's own.
    base += ["--classifier-options", '{"k": 5, "embedder_options": {"dims": 1024}}', "--quiet"]
    code, out, err = run(capsys, "eval", *base, "--cv", "sources")
    assert code == 0, err
    across = json.loads(out)["classifiers"][0]
    code, out, _ = run(capsys, "eval", *base, "--cv", "4")
    within = json.loads(out)["classifiers"][0]
    assert across["refitted"] is True
    assert all(s["apgr"] < 0.65 for s in across["sources"])
    assert all(s["apgr"] > 0.7 for s in within["sources"])


def test_train_knn_cv_reports_each_source(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """`frugal train --classifier knn --cv sources` scores each row without its source and reports it."""
    from .test_evaluation_cv import planted_sources

    data, scores = planted_sources(tmp_path), tmp_path / "oof.jsonl"
    code, out, err = run(
        capsys,
        "train",
        str(data),
        "--classifier",
        "knn",
        "--cv",
        "sources",
        "--scores",
        str(scores),
        "--quiet",
    )
    assert code == 0, err
    assert "leave one source out (3 sources" in out
    assert "calib. error" in out
    assert len(scores.read_text(encoding="utf-8").splitlines()) == 120


def test_bind_client_reaches_the_endpoint_embedder_and_refuses_async_clients() -> None:
    """base.bind_client hands the client to a knn classifier's embedder; an async client is refused."""
    from frugal.classifiers.base import bind_client

    embedder = EndpointEmbedder()
    classifier = KnnClassifier(index=axis_index(), embedder=embedder)
    fake = type("Client", (), {"embeddings": FakeEmbeddings()})()
    bind_client(classifier, fake)
    assert embedder._client is fake
    bind_client(HashingEmbedder(), fake)  # nothing to bind: nothing happens

    class AsyncEmbeddings:
        async def create(self, **params: Any) -> Any:
            raise AssertionError("never awaited")

    bind_client(classifier, type("AsyncClient", (), {"embeddings": AsyncEmbeddings()})())
    with pytest.raises(TypeError, match=r"needs a synchronous frugal\.Client"):
        embedder.embed(["x"])


def test_a_client_binds_itself_to_a_policys_endpoint_embedder(stub: VendorStub, tmp_path: Path) -> None:
    """A policy whose classifier embeds through the provider's endpoint works with no code: the client
    hands itself to the classifier when it is built, and the embeddings call is in its ledger next to the
    call it routed."""
    vectors = [[1.0] + [0.0] * 7, [0.0] * 7 + [1.0]]  # the stub's vectors have 8 dimensions
    index = KnnIndex.from_vectors(EndpointEmbedder(), 1, vectors, [1.0, 0.0])
    index.save(tmp_path / "index.json")
    policy = (
        "version: 1\ntiers:\n  - {name: small, models: [gpt-4o-mini]}\n  - {name: large, models: [gpt-4.1]}\n"
        f"classifier: {{name: knn, options: {{index: '{tmp_path / 'index.json'}'}}}}\nledger: memory://\n"
    )
    client = frugal.Client(**vendor_options(stub, policy=parse_policy(policy)[0]))  # type: ignore[arg-type]
    decision = client.route(messages=[{"role": "user", "content": "hello there"}])
    assert not decision.classifier_failed
    assert decision.classifier == "knn"
    assert [r.operation for r in client.ledger.records()] == ["embeddings"]
