"""The quality audit: its arithmetic (Wilson intervals, small samples), and ``frugal report`` reading labels
that real shadow comparisons, cascades and ``client.feedback()`` left in SQLite, beside a ledger whose
shadow calls are kept out of the spend; ``frugal demo --shadow``."""

from __future__ import annotations

import json
import math
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

import frugal
from frugal.budgets.ledger import LedgerRecord, open_ledger
from frugal.budgets.report_quality import NO_LABELS, measured, percent, quality_claim
from frugal.cli import main
from frugal.feedback import Label, open_labels
from frugal.feedback.audit import build_audit, estimate, wilson
from frugal.testing import Reply, Usage, VendorStub

from .budget_helpers import Clock
from .conftest import vendor_options
from .redis_server import RedisServer

NOW = datetime(2026, 12, 1, 12, tzinfo=timezone.utc).timestamp()
QUESTION: Any = [{"role": "user", "content": "What is the capital of France?"}]
USAGE = Usage(input_tokens=100, output_tokens=10)
POLICY = """
classifier: {{name: 'tests.helpers:MetadataScore'}}
tiers:
  - {{name: small, models: [gpt-4o-mini]}}
  - {{name: large, models: [gpt-4.1]}}
thresholds: [0.5]
ledger: {ledger}
shadow: {{sample: 1.0, compare: normalized}}
{extra}
"""


# -- arithmetic ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("successes", "n", "low", "high"),
    [(81, 263, 0.2553, 0.3662), (15, 148, 0.0624, 0.1605), (0, 20, 0.0, 0.1611), (1, 29, 0.0061, 0.1718)],
)
def test_wilson_matches_newcombes_table(successes: int, n: int, low: float, high: float) -> None:
    """The Wilson score interval at 95 % agrees with Newcombe (1998), table II, to four decimals."""
    found = wilson(successes, n, 0.95)
    assert found == pytest.approx((low, high), abs=5e-5)


def test_wilson_at_ninety_percent_and_at_the_edges() -> None:
    """The audit's 90 % interval (z = 1.6449); all or none of a sample gives a bound of exactly 1 or 0."""
    z = 1.6448536269514722
    half = z / (1 + z * z / 10) * math.sqrt(0.25 / 10 + z * z / 400)
    assert wilson(5, 10) == pytest.approx((0.5 - half, 0.5 + half))
    assert wilson(5, 10) == pytest.approx((0.26927, 0.73073), abs=1e-5)
    assert wilson(0, 10)[0] == 0.0
    assert wilson(10, 10)[1] == 1.0
    with pytest.raises(ValueError, match="got 3 of 0"):
        wilson(3, 0)
    with pytest.raises(ValueError, match="got 4 of 3"):
        wilson(4, 3)


def test_a_share_is_claimed_only_with_its_sample() -> None:
    """Under 30 labels a share is shown and flagged too few to claim; fractional scores get the normal
    interval; no labels, no share."""
    small = estimate([1.0] * 28 + [0.0])
    assert (small["n"], small["enough"], small["interval"]) == (29, False, "wilson")
    assert measured(small) == "97% (n=29: too few to claim)"
    enough = estimate([1.0] * 27 + [0.0] * 3)
    assert (enough["n"], enough["share"], enough["enough"]) == (30, 0.9, True)
    assert (enough["low"], enough["high"]) == wilson(27, 30)
    assert measured(enough) == f"90% ({percent(enough['low'])}–{percent(enough['high'])})"
    assert measured(enough, of=True).startswith("90% of 30 (")
    scored = estimate([0.25, 0.75, 1.0, 0.5])
    assert scored["interval"] == "normal"
    assert scored["share"] == 0.625
    assert estimate([])["share"] is None
    assert measured(estimate([])) == "not measured"
    assert (percent(0.999), percent(0.001), percent(1.0)) == ("99.9%", "0.1%", "100%")


def _record(id: str, **fields: Any) -> LedgerRecord:
    return LedgerRecord(id=id, time=NOW, operation="chat", route="default", **fields)


def _labelled(id: str, source: Any, good: float, method: str, **fields: Any) -> Label:
    return Label(id=id, time=NOW, source=source, good=good, method=method, route="default", **fields)


def test_the_audit_by_route_and_tier() -> None:
    """Rows follow the policy's tier order; a shadow call's cost goes to the row of the call it shadows and
    never into the calls or savings; a cascade's answer counts once per tier it was checked at (failed
    and kept at the top: once, as failed)."""
    records = [
        _record("a", tier="small", cost_usd=0.1, baseline_cost_usd=1.0, savings_usd=0.9, response_id="r1"),
        _record("b", tier="large", cost_usd=1.0, baseline_cost_usd=1.0, savings_usd=0.0, response_id="r2"),
        _record("c", tier="large", model="gpt-4.1", cost_usd=0.7, shadow_of="r1"),
        _record("d", tier="small", outcome="blocked"),
    ]
    labels = [
        _labelled("s1", "shadow", 1.0, "normalized", tier="small", call_id="r1", model="m"),
        _labelled("s2", "shadow", 0.0, "judge", tier="small", call_id="r3", model="m"),
        _labelled("c1", "cascade", 0.0, "escalated", tier="small", call_id="x"),
        _labelled("c2", "cascade", 0.0, "escalated", tier="large", call_id="x"),
        _labelled("c3", "cascade", 1.0, "accepted", tier="large", call_id="x"),
        _labelled("c4", "cascade", 1.0, "accepted", tier="small", call_id="y"),
        _labelled("f1", "feedback", 0.5, "user", tier="large"),
    ]
    audit = build_audit(labels, records, tiers=["small", "large"], store="sqlite:///x.db")
    small, large = audit["rows"]
    assert (small["tier"], small["calls"], small["savings_usd"], small["shadow_cost_usd"]) == (
        "small",
        1,
        0.9,
        0.7,
    )
    assert (small["shadow"]["n"], small["shadow"]["share"]) == (2, 0.5)
    assert small["shadow"]["by_method"] == {
        "judge": {"n": 1, "share": 0.0},
        "normalized": {"n": 1, "share": 1.0},
    }
    assert (small["cascade"]["n"], small["cascade"]["escalated"]) == (2, 1)
    assert (large["cascade"]["n"], large["cascade"]["escalated"]) == (1, 1)
    assert (large["feedback"]["n"], large["feedback"]["share"]) == (1, 0.5)
    assert (audit["shadow_calls"], audit["shadow_cost_usd"], audit["savings_usd"]) == (1, 0.7, 0.9)
    assert (audit["labels"], audit["cascade"]["n"], audit["cascade"]["escalated"]) == (7, 3, 2)


def test_the_claim_in_one_sentence() -> None:
    """No labels: how to get some; too few compared: no claim; enough: the share, its interval, its n."""
    period = {"since": "2026-11-01T00:00:00+00:00", "until": "2026-12-01T00:00:00+00:00"}
    totals = {"savings_usd": 12.5}
    none = build_audit([], [])
    assert quality_claim(period, totals, none) == NO_LABELS
    few = build_audit([_labelled(f"s{i}", "shadow", 1.0, "exact") for i in range(5)], [])
    assert quality_claim(period, totals, few) == (
        "routing saved $12.50 from 2026-11-01 to 2026-12-01; only 5 calls routed to a cheaper model were "
        "compared with the baseline (100% as good): too few to claim (at least 30)"
    )
    many = build_audit([_labelled(f"s{i}", "shadow", float(i >= 6), "exact") for i in range(60)], [])
    low, high = wilson(54, 60)
    assert quality_claim(period, totals, many) == (
        "routing saved $12.50 from 2026-11-01 to 2026-12-01, and on a measured sample of 60 calls routed "
        "to a cheaper model the routed answers were as good as the baseline's in 90% of cases (90% "
        f"interval {percent(low)}–{percent(high)})"
    )


# -- frugal report, from a real client's ledger and labels ----------------------------------------------


@pytest.fixture
def shadowed(stub: VendorStub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Four calls routed to the small model on a fixed clock, each shadowed by the large one (three answers
    match, one does not), and one ``client.feedback()``: the ledger in one SQLite file, the labels in
    another (the policy's ``feedback.store``)."""
    monkeypatch.setattr("frugal.cli.report._now", lambda: NOW + 3600)
    ledger, labels = f"sqlite:///{tmp_path}/ledger.db", f"sqlite:///{tmp_path}/labels.db"
    policy_file = tmp_path / "policy.yaml"
    policy_file.write_text(POLICY.format(ledger=ledger, extra=f"feedback: {{store: '{labels}'}}"))
    stub.reply("gpt-4.1", Reply(text="Paris.", usage=USAGE))
    stub.queue("gpt-4o-mini", *[Reply(text="paris", usage=USAGE)] * 3, Reply(text="Lyon.", usage=USAGE))
    c = frugal.Client(**vendor_options(stub, policy=policy_file, clock=Clock(NOW)))  # type: ignore[arg-type]
    answers = []
    for _ in range(4):
        with c.with_context(score=0.1, team="search"):
            answers.append(c.chat.completions.create(model="auto", messages=QUESTION))
    c.feedback(answers[0], good=True)
    assert c.flush_shadows(timeout=30)
    c.close()
    return {"policy": policy_file, "ledger": ledger, "labels": labels, "tmp": tmp_path}


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["report", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_json_has_the_audit_and_keeps_shadow_calls_out_of_the_spend(
    shadowed: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    """--json: the calls' totals leave the shadow calls out (counted apart as shadow spend); ``quality``
    has the period's labels from the policy's label store, by route and tier, every share with its n."""
    code, out, _ = run(capsys, "--policy", str(shadowed["policy"]), "--since", "2026-11-30", "--json")
    assert code == 0
    report = json.loads(out)
    records = open_ledger(shadowed["ledger"]).records()
    own = [r for r in records if r.shadow_of is None]
    shadows = [r for r in records if r.shadow_of is not None]
    assert (len(own), len(shadows)) == (4, 4)
    totals = report["totals"]
    assert (totals["calls"], totals["shadow_calls"]) == (4, 4)
    assert totals["cost_usd"] == round(math.fsum(r.cost_usd or 0 for r in own), 6)
    assert totals["shadow_cost_usd"] == round(math.fsum(r.cost_usd or 0 for r in shadows), 6)
    assert [row["name"] for row in report["by_model"]] == ["gpt-4o-mini"]
    quality = report["quality"]
    assert (quality["store"], quality["labels"]) == (shadowed["labels"], 5)
    assert (quality["shadow"]["n"], quality["shadow"]["share"], quality["shadow"]["enough"]) == (
        4,
        0.75,
        False,
    )
    (row,) = quality["rows"]
    assert (row["route"], row["tier"], row["calls"]) == ("default", "small", 4)
    assert row["models"] == {"gpt-4o-mini": 4}
    assert row["reference_models"] == {"gpt-4.1": 4}
    assert row["shadow_cost_usd"] == totals["shadow_cost_usd"]
    assert row["savings_usd"] == totals["savings_usd"]
    assert (row["feedback"]["n"], row["feedback"]["share"]) == (1, 1.0)
    assert "too few to claim" in quality["claim"]


def test_tables_and_html_show_the_audit(shadowed: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    """The terminal and the HTML page both show the shadow spend apart and the audit, flagged as too few."""
    page = shadowed["tmp"] / "report.html"
    code, out, _ = run(
        capsys, "--policy", str(shadowed["policy"]), "--since", "2026-11-30", "--html", str(page)
    )
    assert code == 0
    for text in ("Quality audit", "75% (n=4: too few to claim)", "shadow comparisons cost", "normalized 4"):
        assert text in out
    assert out.index("shadow comparisons cost") < out.index("Quality audit")
    html = page.read_text()
    assert "<h2>Quality audit</h2>" in html
    assert "75% (n=4: too few to claim)" in html
    assert "shadow comparisons cost" in html


def test_labels_option_reads_another_store(
    shadowed: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    """--labels names the label store; without it (and without feedback.store) the ledger's file is read,
    here holding no labels; a store that cannot exist or be read is a one-line error."""
    bare = shadowed["tmp"] / "bare.yaml"
    bare.write_text(POLICY.format(ledger=shadowed["ledger"], extra=""))
    args = ["--policy", str(bare), "--since", "2026-11-30", "--json"]
    code, out, _ = run(capsys, *args)
    assert code == 0
    quality = json.loads(out)["quality"]
    assert (quality["store"], quality["labels"], quality["claim"]) == (shadowed["ledger"], 0, NO_LABELS)
    code, out, _ = run(capsys, *args, "--labels", shadowed["labels"])
    assert code == 0
    assert json.loads(out)["quality"]["shadow"]["n"] == 4
    assert len(open_labels(shadowed["labels"]).labels()) == 5
    code, _, err = run(capsys, *args, "--labels", "memory://")
    assert code == 2
    assert "an in-memory label store dies with its process" in err
    code, _, err = run(capsys, *args, "--labels", f"sqlite:///{shadowed['tmp']}/nowhere.db")
    assert code == 1
    assert "no label store at" in err


def test_labels_option_reads_a_redis_store(
    shadowed: dict[str, Any], capsys: pytest.CaptureFixture[str], redis_server: RedisServer
) -> None:
    """--labels redis://: a fleet's label store, on a real redis-server; an unreachable one is one line
    that names it without its password."""
    fleet = open_labels(redis_server.url)
    for one in open_labels(shadowed["labels"]).labels():
        fleet.add(one)
    fleet.close()
    args = ["--policy", str(shadowed["policy"]), "--since", "2026-11-30", "--json"]
    code, out, _ = run(capsys, *args, "--labels", redis_server.url)
    assert code == 0
    quality = json.loads(out)["quality"]
    assert (quality["store"], quality["labels"], quality["shadow"]["n"]) == (redis_server.url, 5, 4)
    code, _, err = run(capsys, *args, "--labels", "redis://:hunter2@127.0.0.1:1/0")
    assert code == 1
    assert len(err.strip().splitlines()) == 1
    assert "127.0.0.1:1" in err
    assert "hunter2" not in err
    assert "Traceback" not in err


def test_the_audit_reads_only_the_period(
    shadowed: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    """Labels outside the period are not counted, like the ledger's records."""
    code, out, _ = run(
        capsys,
        "--policy",
        str(shadowed["policy"]),
        "--since",
        "2026-01-01",
        "--until",
        "2026-02-01",
        "--json",
    )
    assert code == 0
    report = json.loads(out)
    assert (report["totals"]["calls"], report["totals"]["shadow_calls"], report["quality"]["labels"]) == (
        0,
        0,
        0,
    )


# -- frugal demo --shadow ------------------------------------------------------------------------------


def test_demo_shadow_json_is_the_report_with_its_audit(capsys: pytest.CaptureFixture[str]) -> None:
    """The story's scripted verdicts come out of the audit: 37 of 40 small answers as good as the
    baseline's (claimed), 7 of 8 medium ones (too few), 3 of 12 cascade answers escalated, 6 feedbacks;
    the shadow calls are spend apart."""
    assert main(["demo", "--shadow", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["totals"]["calls"], report["totals"]["shadow_calls"]) == (62, 48)
    rows = {(r["route"], r["tier"]): r for r in report["quality"]["rows"]}
    small, medium = rows["default", "small"], rows["default", "medium"]
    assert (small["shadow"]["n"], small["shadow"]["share"], small["shadow"]["enough"]) == (40, 37 / 40, True)
    assert (small["shadow"]["low"], small["shadow"]["high"]) == pytest.approx(wilson(37, 40))
    assert (medium["shadow"]["n"], medium["shadow"]["enough"]) == (8, False)
    assert rows["default", "large"]["shadow"]["n"] == 0, "the baseline is not compared with itself"
    assert (rows["support", "small"]["cascade"]["n"], rows["support", "small"]["cascade"]["escalated"]) == (
        12,
        3,
    )
    assert report["quality"]["feedback"]["n"] == 6
    training = report["training"]
    assert training["trained"], "the demo trains from its SQLite label store"
    assert training["labels"] == training["labels_used"] == 69
    assert 0 < training["prior_share"] < 1
    assert training["small_prompts_score_after"] < training["small_prompts_score_before"], (
        "labels saying the small tier was good enough lower the small prompts' scores"
    )
    assert all(r["savings_usd"] > 0 for key, r in rows.items() if key != ("default", "large"))


def test_demo_shadow_prints_the_audit(capsys: pytest.CaptureFixture[str]) -> None:
    """The text story ends with the audit: the claim with its interval and sample, the flagged rows."""
    assert main(["demo", "--shadow"]) == 0
    out = capsys.readouterr().out
    assert "Quality audit" in out
    assert "2. Training from the label store" in out
    assert "on a measured sample of 48 calls routed to a cheaper model" in out
    assert "88% (n=8: too few to claim)" in out
    assert "shadow comparisons cost" in out
