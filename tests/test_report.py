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
    assert report["schema_version"] == 2
    assert totals["cost_usd"] == round(math.fsum(r.cost_usd or 0 for r in served), 6)
    assert totals["savings_usd"] == round(math.fsum(r.savings_usd or 0 for r in served), 6)
    assert {row["name"]: row["calls"] for row in report["by_team"]} == {"search": 2, "ads": 2}
    assert [row["name"] for row in report["by_model"]] == ["gpt-4o-mini"]
    premium = report["premium_for_simple"]
    assert premium["calls"] >= 1
    top = premium["top"][0]
    assert (top["requested_model"], top["requested_tier"], top["tier"]) == ("gpt-4.1", "large", "small")
    assert top["savings_usd"] > 0
    assert report["daily"][-1]["day"] == "2026-12-01"
    [ads, search] = report["budgets"]  # over the limit first
    assert (ads["budget"], ads["value"], ads["limit_usd"]) == ("team-day", "ads", 0.0009)
    assert search["value"] == "search"
    assert ads["used_share"] >= search["used_share"]


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
    for text in (
        "By team",
        "search",
        "Premium model asked for a simple prompt",
        "team-day",
        "routing saved",
        f"wrote {page}",
    ):
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
            "over_limit": False,
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


def record(**fields: Any) -> Any:
    """A ledger record with the given fields (ok, priced, at NOW - 1 h unless said)."""
    from frugal.budgets.ledger import LedgerRecord

    values: dict[str, Any] = {
        "id": fields.pop("id", "r"),
        "time": NOW - 3600,
        "operation": "chat",
        "model": "gpt-4o-mini",
        "provider": "openai",
        "outcome": "ok",
        "cost_usd": 0.001,
        "baseline_cost_usd": 0.01,
        "savings_usd": 0.009,
    }
    values.update(fields)
    return LedgerRecord(**values)


def test_premium_for_simple_is_grouped_by_team_feature_and_requested_model() -> None:
    """The finance view: premium-for-simple calls as groups with counts and dollars, largest saving first."""
    from frugal.budgets.report import Period, build_report

    premium = {"routed_down": True, "requested_model": "gpt-4.1"}
    records = [
        record(id="a", team="search", feature="chat", **premium),
        record(id="b", team="search", feature="chat", **premium, model="claude-haiku-4-5"),
        record(id="c", team="ads", feature="agent", **premium, savings_usd=0.001),
        record(id="d", team="ads", feature="agent"),  # not routed down
    ]
    report = build_report(records, Period(NOW - 86_400, NOW), top=1)
    groups = report["premium_for_simple"]["groups"]
    assert [(g["team"], g["feature"], g["requested_model"], g["calls"]) for g in groups] == [
        ("search", "chat", "gpt-4.1", 2),
        ("ads", "agent", "gpt-4.1", 1),
    ]
    assert groups[0]["savings_usd"] == 0.018
    assert groups[0]["served_by"] == {"claude-haiku-4-5": 1, "gpt-4o-mini": 1}
    assert report["premium_for_simple"]["calls"] == 3
    assert len(report["premium_for_simple"]["top"]) == 1


def test_money_in_json_is_rounded_to_micro_dollars() -> None:
    """Every *_usd figure is rounded to 6 decimals; shares and counts are left as they are."""
    from frugal.budgets.report import Period, build_report

    records = [
        record(id=str(i), cost_usd=0.1 / 3, baseline_cost_usd=0.2 / 3, savings_usd=0.1 / 3) for i in range(3)
    ]
    report = build_report(records, Period(NOW - 86_400, NOW))
    assert report["totals"]["cost_usd"] == 0.1
    assert report["by_model"][0]["baseline_usd"] == 0.2
    assert report["daily"][-1]["cost_usd"] == 0.1
    text = json.dumps(report)
    assert not re.search(r"_usd\": -?\d+\.\d{7,}", text), "no figure finer than a micro-dollar"


def test_previous_period_and_month_end_projection() -> None:
    """The change against the period just before, and the month's spend so far projected to its end."""
    from frugal.budgets.report import Period, build_report, render_terminal

    # NOW is 2026-12-01 12:00: half a day into December, too early to project; 2026-12-11 12:00 is not.
    later = NOW + 10 * 86_400
    period = Period(later - 7 * 86_400, later)
    this_week = [record(id=f"n{i}", time=later - 3600 * (i + 1)) for i in range(4)]
    last_week = [record(id=f"o{i}", time=later - 8 * 86_400) for i in range(2)]
    month = [*this_week, record(id="m", time=NOW - 3600)]
    report = build_report(this_week, period, previous=last_week, month=month, now=later)
    before = report["previous"]
    assert (before["calls"], before["cost_change"], before["calls_change"]) == (2, 1.0, 1.0)
    assert before["until"] == "2026-12-04T12:00:00+00:00"
    projection = report["projection"]
    assert projection["month"] == "2026-12"
    assert projection["month_to_date_usd"] == 0.005
    assert projection["days_in_month"] == 31
    assert projection["projected_usd"] == pytest.approx(0.005 / 10.5 * 31, abs=1e-6)
    early = build_report(this_week, period, month=month, now=NOW)
    assert early["projection"]["projected_usd"] is None, "less than a day into the month: no projection"
    from rich.console import Console

    console = Console(width=200, record=True)
    render_terminal(report, console)
    text = console.export_text()
    assert "against the previous period" in text
    assert "spend +100%" in text
    assert "month-end projection $0.0148 at this rate" in text


def test_budgets_are_sorted_over_limit_first_and_capped() -> None:
    """Budgets: over the limit first, then by share used; tables and the page show `top` and '+N more'."""
    from rich.console import Console

    from frugal.budgets.report import Period, build_report, render_terminal
    from frugal.budgets.report_html import render_html
    from frugal.budgets.rules import BudgetStatus

    reset = datetime(2026, 12, 2, tzinfo=timezone.utc)

    def status(name: str, spent: float) -> BudgetStatus:
        return BudgetStatus(name, "team", name, "block", 1.0, spent, reset)

    statuses = [status("low", 0.1), status("over", 1.5), status("high", 0.9), status("mid", 0.5)]
    report = build_report([], Period(NOW - 86_400, NOW), statuses=statuses)
    assert [b["budget"] for b in report["budgets"]] == ["over", "high", "mid", "low"]
    assert [b["over_limit"] for b in report["budgets"]] == [True, False, False, False]
    console = Console(width=200, record=True)
    render_terminal(report, console, top=2)
    text = console.export_text()
    assert "1 of 4 over the limit" in text
    assert "150% OVER" in text
    assert "+2 more" in text
    assert "low" not in text.split("Budgets in their current window", 1)[1]
    page = render_html(report, top=2)
    assert "over limit</span>" in page
    assert '<p class="more">+2 more</p>' in page


def test_an_empty_previous_period_and_no_premium_calls_read_plainly() -> None:
    """Nothing before is one line saying so; no premium-for-simple call is 'none', not an empty table."""
    from rich.console import Console

    from frugal.budgets.report import Period, build_report, render_terminal

    report = build_report([record()], Period(NOW - 86_400, NOW), previous=[])
    console = Console(width=200, record=True)
    render_terminal(report, console)
    text = console.export_text()
    assert "nothing recorded in the previous period (2026-11-29 → 2026-11-30)" in text
    assert "Premium model asked for a simple prompt: none" in text
