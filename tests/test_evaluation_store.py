"""``frugal train --from-store`` and ``frugal calibrate --from-store``: learning from the feedback store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from frugal import cli
from frugal.classifiers.learned import LearnedClassifier, load_model
from frugal.evaluation.store_train import StoreTrainOptions, fit_from_labels
from frugal.exceptions import ConfigError
from frugal.feedback import Label, SQLiteLabels, hashed_features
from frugal.feedback.store import open_labels
from frugal.policy import load_policy
from frugal.request import RoutingRequest

from .redis_server import RedisServer

pytest.importorskip("numpy")

HARD = "Prove that the zorblax integral of x^2 converges, and explain why each step holds."
EASY = "hello there, thanks a lot for the quick reply"
POLICY = """version: 1
name: store-test
classifier: {name: learned}
tiers:
  - {name: small, models: [gpt-5-nano]}
  - {name: large, models: [gpt-6.1-sol]}
thresholds: [0.3]
"""


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def request(prompt: str) -> RoutingRequest:
    return RoutingRequest.from_prompt(prompt)


def label(i: int, prompt: str, good: float, **extra: object) -> Label:
    return Label(
        id=f"l{i}",
        time=1_000.0 + i,
        source="shadow",
        good=good,
        method="judge",
        model="gpt-5-nano",
        reference_model="gpt-6.1-sol",
        features=hashed_features(request(prompt)),
        **extra,  # type: ignore[arg-type]
    )


def store_of(path: Path, labels: list[Label]) -> str:
    url = f"sqlite:///{path}"
    store = SQLiteLabels(url)
    for one in labels:
        store.add(one)
    store.close()
    return url


def teaching_labels() -> list[Label]:
    """Hard prompts (with a made-up word) the cheap model failed, easy ones it passed."""
    found = []
    for i in range(40):
        found.append(label(2 * i, f"{HARD} Case {i}.", 0.0))
        found.append(label(2 * i + 1, f"{EASY} number {i}", 1.0))
    return found


def test_train_from_store_writes_a_hashed_model_a_policy_loads(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Labels written through the feedback store's API train a version 3 model (hashed words) that a
    policy names, and whose word buckets move the score of a prompt holding a word of the labels."""
    url = store_of(tmp_path / "feedback.db", teaching_labels())
    out = tmp_path / "model.json"
    code, printed, err = run(
        capsys, "train", "--from-store", url, "--out", str(out), "--min-df", "2", "--json"
    )
    assert code == 0, err
    summary = json.loads(printed)
    assert summary["labels_used"] == 80
    assert summary["words"] > 0
    document = json.loads(out.read_text(encoding="utf-8"))
    assert document["version"] == 3
    assert document["word_buckets"] == 1 << 18
    assert all(key.isdigit() for key in document["words"])
    assert document["training"]["prior_share"] == round(1000 / 1080, 4)
    policy_file = tmp_path / "policy.yaml"
    policy_file.write_text(POLICY.replace("{name: learned}", f"{{name: learned, options: {{model: {out}}}}}"))
    assert run(capsys, "validate", str(policy_file))[0] == 0
    classifier = LearnedClassifier(model=load_model(out))
    assert classifier.classify(request(HARD)).score > classifier.classify(request(EASY)).score
    with_word = classifier.logit(request("What does zorblax mean?"))[1]
    assert with_word.get("words", 0.0) > 0.0


def test_the_prior_holds_a_model_trained_on_few_labels() -> None:
    """With 20 labels, --prior-rows 1000 keeps the dense weights near the prior's; 0 lets them go."""
    prior = load_model("v2")
    few = teaching_labels()[:20]
    alone = fit_from_labels(few, prior, StoreTrainOptions(prior_rows=0, words=False))
    mixed = fit_from_labels(few, prior, StoreTrainOptions(prior_rows=1000, words=False))

    def distance(model: object) -> float:
        dense = model.dense  # type: ignore[attr-defined]
        return sum((dense[k] - prior.dense[k]) ** 2 for k in prior.dense)

    assert 0.0 < distance(mixed) < distance(alone) / 4
    assert mixed.training["prior_share"] == round(1000 / 1020, 4)


def test_labels_without_features_are_skipped_and_counted(tmp_path: Path) -> None:
    """A label recorded without the request's features is skipped (counted); none at all is an error."""
    bare = Label(id="x", time=1.0, source="feedback", good=0.0, method="user")
    model = fit_from_labels([*teaching_labels()[:10], bare], load_model("v2"), StoreTrainOptions(words=False))
    assert model.training["labels_skipped"] == {"no_features": 1}
    with pytest.raises(Exception, match="none of the 1 labels carries"):
        fit_from_labels([bare], load_model("v2"))


def test_calibrate_from_store_writes_thresholds_into_the_policy(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """The store's labels (score, tier, verdict) choose the policy's thresholds, written where the policy
    reads them; the written policy validates and keeps the rest of the file."""
    labels = [
        label(i, EASY, 1.0 if i < 50 else 0.0, score=i / 100, classifier="learned", tier="small")
        for i in range(100)
    ]
    labels.append(label(200, EASY, 1.0, score=0.1, classifier="heuristic", tier="small"))
    url = store_of(tmp_path / "feedback.db", labels)
    policy_file = tmp_path / "policy.yaml"
    policy_file.write_text(POLICY, encoding="utf-8")
    out = tmp_path / "tuned.yaml"
    args = ["calibrate", "--from-store", url, "--policy", str(policy_file), "--target", "0.95"]
    code, printed, err = run(capsys, *args, "--out", str(out), "--json")
    assert code == 0, err
    result = json.loads(printed)
    assert result["labels"] == 100
    assert result["skipped"] == {"other_classifier": 1}
    (threshold,) = result["threshold"]
    assert 0.5 < threshold <= 0.56  # the 50 good labels, and 5 % of bad ones at most
    written = load_policy(out)[0]
    assert [float(t) for t in written.thresholds] == [threshold]
    assert "name: store-test" in out.read_text(encoding="utf-8")
    assert run(capsys, "validate", str(out))[0] == 0


def test_train_and_calibrate_read_a_redis_store(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, redis_server: RedisServer
) -> None:
    """--from-store redis://: the same labels, written through the Redis label store on a real
    redis-server, train the same model and choose thresholds."""
    fleet = open_labels(redis_server.url)
    for one in teaching_labels():
        fleet.add(one)
    fleet.close()
    out = tmp_path / "model.json"
    code, printed, err = run(
        capsys, "train", "--from-store", redis_server.url, "--out", str(out), "--min-df", "2", "--json"
    )
    assert code == 0, err
    assert json.loads(printed)["labels_used"] == 80
    sqlite_out = tmp_path / "from-sqlite.json"
    url = store_of(tmp_path / "feedback.db", teaching_labels())
    assert run(capsys, "train", "--from-store", url, "--out", str(sqlite_out), "--min-df", "2")[0] == 0
    assert load_model(out).words == load_model(sqlite_out).words, "the store's backend changes nothing"
    scored = [
        label(300 + i, EASY, 1.0 if i < 50 else 0.0, score=i / 100, classifier="learned", tier="small")
        for i in range(100)
    ]
    fleet = open_labels(redis_server.url)
    for one in scored:
        fleet.add(one)
    fleet.close()
    policy_file = tmp_path / "policy.yaml"
    policy_file.write_text(POLICY, encoding="utf-8")
    chosen = []
    for store in (redis_server.url, store_of(tmp_path / "scored.db", [*teaching_labels(), *scored])):
        args = [
            "calibrate",
            "--from-store",
            store,
            "--policy",
            str(policy_file),
            "--target",
            "0.95",
            "--json",
        ]
        code, printed, err = run(capsys, *args)
        assert code == 0, err
        result = json.loads(printed)
        assert (result["labels"], result["skipped"]) == (100, {"no_score": 80})
        chosen.append(result["threshold"])
    assert chosen[0] == chosen[1]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["train", "--from-store", "http://example.com", "--out", "m.json"], "expected sqlite:///PATH"),
        (["train", "--from-store", "sqlite:///{tmp}/missing.db", "--out", "m.json"], "no store at"),
        (["train", "--from-store", "sqlite:///{tmp}/empty.db", "--out", "m.json"], "holds no label"),
        (["train", "--out", "m.json"], "expected DATA.jsonl files of labelled rows (or --from-store URL)"),
        (["calibrate", "--from-store", "sqlite:///{tmp}/empty.db", "--policy", "{tmp}/p.yaml"], "no label"),
        (["train", "--from-store", "sqlite:///{tmp}/empty.db", "x.jsonl", "--out", "m.json"], "not both"),
    ],
)
def test_a_bad_store_is_one_line_naming_what_was_expected(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, args: list[str], message: str
) -> None:
    """A URL of no store, a missing SQLite file, an empty store, no input at all: one line, exit 1."""
    SQLiteLabels(f"sqlite:///{tmp_path}/empty.db").close()
    (tmp_path / "p.yaml").write_text(POLICY, encoding="utf-8")
    code, _, err = run(capsys, *(a.replace("{tmp}", str(tmp_path)) for a in args))
    assert code == 1
    assert message in err
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err


def test_a_model_file_with_word_buckets_needs_version_3(tmp_path: Path) -> None:
    """word_buckets is a version 3 field, and its words must be bucket numbers below it."""
    document = load_model("v2").to_dict()
    path = tmp_path / "m.json"
    path.write_text(json.dumps({**document, "word_buckets": 16}), encoding="utf-8")
    with pytest.raises(ConfigError, match="needs model format version 3"):
        load_model(path)
    path.write_text(json.dumps({**document, "version": 3, "word_buckets": 16, "words": {"17": 1.0}}))
    with pytest.raises(ConfigError, match="bucket number below 16"):
        load_model(path)
