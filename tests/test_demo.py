"""`frugal demo` tells the story against the stub: routing, cost vs baseline, a budget stopping a team, the
report, the drop-in."""

from __future__ import annotations

import json

import pytest

from frugal.cli import main


def test_demo_json_has_every_act(capsys: pytest.CaptureFixture[str]) -> None:
    """Routing rows save against the baseline (a premium ceiling served lower); a budget blocks team 'ads'
    while 'search' goes on; the drop-in rows come last."""
    assert main(["demo", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["act"] for r in rows][-5:] == ["drop-in"] * 5
    routing = [r for r in rows if r["act"] == "routing"]
    assert sum(r["cost_usd"] for r in routing) < sum(r["baseline_usd"] for r in routing)
    [greeting] = [r for r in routing if r["model"] == "claude-opus-5-5"]
    assert (greeting["tier"], greeting["savings_usd"] > 0) == ("small", True)
    budget = [r for r in rows if r["act"] == "budget"]
    blocked = [r for r in budget if "error" in r]
    assert blocked
    assert {r["team"] for r in blocked} == {"ads"}
    assert "budget 'team-daily' for team 'ads'" in blocked[0]["error"]
    assert budget[-1]["team"] == "search"
    assert "error" not in budget[-1]


def test_demo_text_tells_the_story_and_ends_with_the_report(capsys: pytest.CaptureFixture[str]) -> None:
    """The text story has its four acts in order, the BudgetExceeded line and the report's tables."""
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    acts = ["1. Routing", "2. A budget stops a team", "3. The report", "4. The drop-in"]
    assert [out.index(act) for act in acts] == sorted(out.index(act) for act in acts)
    assert "BudgetExceeded: budget 'team-daily' for team 'ads'" in out
    assert "nothing was sent to the vendor" in out
    assert "Premium model asked for a simple prompt: 1 call cost" in out
    assert "Budgets in their current window" in out
    assert "routing saved" in out
