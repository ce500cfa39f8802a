"""``frugal report`` from a ledger filled by routed calls against the stub: JSON, tables, HTML, errors."""

from __future__ import annotations

import json
import math
import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from frugal.budgets.ledger import open_ledger
from frugal.budgets.report import parse_period, usd
from frugal.cli import main
from frugal.exceptions import BudgetExceeded
from frugal.testing import Reply, Usage, VendorStub

from .budget_helpers import PROMPT, TIERS, Clock, client
from .budget_helpers import policy as make_policy

NOW = datetime(2026, 12, 1, 12, tzinfo=timezone.utc).timestamp()
BUDGETS = "budgets:\n  - {name: team-day, scope: team, limit_usd: 0.0009, window: day}\n"


@pytest.fixture
def filled(stub: VendorStub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, Path]:
    """A SQLite ledger with routed calls of two teams (one of them blocked once) and its policy file.

    The calls run on a fixed clock and the report is made an hour later by the same clock, so the tests
    do not depend on the day they run (a run across midnight once failed them)."""
    monkeypatch.setattr("frugal.cli.report._now", lambda: NOW + 3600)
    url = f"sqlite:///{tmp_path}/ledger.db"
    policy_file = tmp_path / "policy.yaml"
    policy_file.write_text(TIERS.format(mode="ceiling") + BUDGETS + f"ledger: {url}\n")
    stub.reply(None, Reply(usage=Usage(900, 300)))
    c = client(stub, make_policy(BUDGETS.split("\n", 1)[1], mode="ceiling"), ledger=url, clock=Clock(NOW))
    hello = [{"role": "user", "content": "hi"}]
    with c.with_context(team="search", user="ann", feature="chat"):
        c.chat.completions.create(model="gpt-4.1", messages=hello)  # premium asked, small served
        c.chat.completions.create(model="gpt-4o-mini", messages=hello)
    with c.with_context(team="ads", user="bo", feature="agent"):
        for _ in range(3):
            try:
                c.chat.completions.create(model="gpt-4.1", messages=PROMPT, max_tokens=400)
            except BudgetExceeded:
                pass
    return url, policy_file


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["report", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_json_report_sums_the_ledger(filled: tuple[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    """--json: totals, groups, premium-for-simple calls and budget status agree with the ledger's records."""
    url, policy_file = filled
    code, out, _ = run(
        capsys, "--ledger", url, "--policy", str(policy_file), "--since", "2026-11-30", "--json"
    )
    assert code == 0
    report = json.loads(out)
    records = open_ledger(url).records()
    served = [r for r in records if r.outcome != "blocked"]
    totals = report["totals"]
    assert (totals["calls"], totals["served"], totals["blocked"]) == (len(records), len(served), 1)
    assert totals["cost_usd"] == math.fsum(r.cost_usd or 0 for r in served)
    assert totals["savings_usd"] == math.fsum(r.savings_usd or 0 for r in served)
    assert {row["name"]: row["calls"] for row in report["by_team"]} == {"search": 2, "ads": 2}
    assert [row["name"] for row in report["by_model"]] == ["gpt-4o-mini"]
    premium = report["premium_for_simple"]
    assert premium["calls"] >= 1
    top = premium["top"][0]
    assert (top["requested_model"], top["requested_tier"], top["tier"]) == ("gpt-4.1", "large", "small")
    assert top["savings_usd"] > 0
    assert report["daily"][-1]["day"] == "2026-12-01"
    [ads, search] = report["budgets"]
    assert (ads["budget"], ads["value"], ads["limit_usd"]) == ("team-day", "ads", 0.0009)
    assert search["value"] == "search"


def test_period_excludes_calls_outside_it(
    filled: tuple[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """--since/--until select records by time: a window before the calls is empty."""
    url, policy_file = filled
    code, out, _ = run(
        capsys,
        "--ledger",
        url,
        "--policy",
        str(policy_file),
        "--since",
        "2026-01-01",
        "--until",
        "2026-02-01",
        "--json",
    )
    assert code == 0
    assert json.loads(out)["totals"]["calls"] == 0


def test_tables_and_html(
    filled: tuple[str, Path], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Without --json: rich tables; --html writes one self-contained page with inline SVG charts."""
    _, policy_file = filled
    page = tmp_path / "report.html"
    code, out, _ = run(capsys, "--policy", str(policy_file), "--since", "2026-11-30", "--html", str(page))
    assert code == 0, "the ledger comes from the policy"
    for text in ("By team", "search", "Premium model asked for a simple prompt", "team-day", f"wrote {page}"):
        assert text in out
    html = page.read_text()
    assert html.startswith("<!doctype html>")
    assert html.count("<svg") == 3
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html), "nothing is loaded from elsewhere"
    assert "<script" not in html
    assert "Premium model asked for a simple prompt" in html


def test_a_budget_in_a_new_window_is_shown_at_nothing_spent(
    filled: tuple[str, Path], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The day after the calls the team budget has no spend in its window: one row for every team, $0."""
    url, policy_file = filled
    monkeypatch.setattr("frugal.cli.report._now", lambda: NOW + 86_400)
    code, out, _ = run(capsys, "--ledger", url, "--policy", str(policy_file), "--json")
    assert code == 0
    report = json.loads(out)
    assert report["totals"]["calls"] == 5, "yesterday's calls are in the last 30 days"
    assert report["budgets"] == [
        {
            "budget": "team-day",
            "scope": "team",
            "value": "*",
            "action": "block",
            "limit_usd": 0.0009,
            "spent_usd": 0.0,
            "limit_calls": None,
            "calls": None,
            "used_share": 0.0,
            "reset_at": "2026-12-03T00:00:00+00:00",
        }
    ]


def test_html_escapes_what_callers_put_in_metadata(stub: VendorStub, tmp_path: Path, capsys: Any) -> None:
    """Team names reach the page escaped."""
    url = f"sqlite:///{tmp_path}/l.db"
    stub.reply(None, Reply(usage=Usage(10, 5)))
    c = client(stub, make_policy(extra=f"ledger: {url}\n"))
    with c.with_context(team="<script>alert(1)</script>"):
        c.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
    page = tmp_path / "r.html"
    assert run(capsys, "--ledger", url, "--html", str(page), "--json")[0] == 0
    assert "<script>" not in page.read_text()
    assert "&lt;script&gt;" in page.read_text()


def test_no_ledger_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    """Without a ledger (or with an in-memory one) the command says what to do and exits 2."""
    code, _, err = run(capsys)
    assert code == 2
    assert "no ledger to read: give --ledger" in err
    assert run(capsys, "--ledger", "memory://")[0] == 2
    code, _, err = run(capsys, "--ledger", "sqlite:///x.db", "--period", "fortnight")
    assert code == 2
    assert "--period must be day, week, month" in err


def test_periods() -> None:
    """--period day/week/month is the current calendar one; 7d/24h/4w the last so many; default 30 days."""
    monday = datetime(2026, 11, 30, tzinfo=timezone.utc).timestamp()
    assert parse_period("week", None, None, now=NOW).since == monday
    assert (
        parse_period("day", None, None, now=NOW).since
        == datetime(2026, 12, 1, tzinfo=timezone.utc).timestamp()
    )
    assert (
        parse_period("month", None, None, now=NOW).since
        == datetime(2026, 12, 1, tzinfo=timezone.utc).timestamp()
    )
    assert parse_period("24h", None, None, now=NOW).since == NOW - 86_400
    assert parse_period("2w", None, None, now=NOW).since == NOW - 14 * 86_400
    assert parse_period(None, None, None, now=NOW).since == NOW - 30 * 86_400
    assert (
        parse_period(None, "2026-11-01T06:00+01:00", "2026-11-02", now=NOW).since
        == datetime(2026, 11, 1, 5, tzinfo=timezone.utc).timestamp()
    )
    with pytest.raises(ValueError, match="not an ISO date"):
        parse_period(None, "yesterday", None)


def test_usd_formatting() -> None:
    """Money is shown with the precision its size needs; unknown is n/a, never $0."""
    assert [usd(v) for v in (None, 0.0, 0.00042, 0.0694, 3.14159, 12345.678)] == [
        "n/a",
        "$0",
        "$0.000420",
        "$0.0694",
        "$3.14",
        "$12,345.68",
    ]
