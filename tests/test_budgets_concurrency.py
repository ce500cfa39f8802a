"""Many processes against one limit (a real SQLite file, a real redis-server), and a Redis that dies."""

from __future__ import annotations

import logging
import math
import multiprocessing
from pathlib import Path
from typing import Any

import pytest

import frugal
from frugal.budgets.ledger import from_nano, open_ledger, to_nano
from frugal.exceptions import FrugalWarning, LedgerUnavailable
from frugal.testing import Reply, Usage, VendorStub

from . import budget_workers
from .budget_helpers import PROMPT, client, policy
from .redis_server import RedisServer

PROCESSES = 8
CALLS = 200
USAGE = Usage(input_tokens=900, output_tokens=300)  # $0.0042 on gpt-4.1, below its ~$0.00515 estimate


@pytest.fixture(params=["sqlite", "redis"])
def shared_ledger(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/shared.db"
    server: RedisServer = request.getfixturevalue("redis_server")
    return server.url


def test_eight_processes_never_overshoot_and_sum_to_the_spans(stub: VendorStub, shared_ledger: str) -> None:
    """8 processes x 200 calls against $1: committed spend never exceeds the limit plus the largest
    in-flight estimate, the limit is reached, and the ledger's costs sum exactly to the spans' costs."""
    stub.reply("gpt-4.1", Reply(usage=USAGE))
    context = multiprocessing.get_context("spawn")
    arguments = [(shared_ledger, stub.openai_base_url, stub.anthropic_base_url, CALLS)] * PROCESSES
    with context.Pool(PROCESSES) as pool:
        results: list[dict[str, Any]] = pool.starmap(budget_workers.run, arguments)
    ledger = open_ledger(shared_ledger)
    records = ledger.records()
    served = [r for r in records if r.outcome == "ok"]
    blocked = sum(result["blocked"] for result in results)
    largest = max(result["max_estimate"] for result in results)
    assert len(records) == PROCESSES * CALLS, "one record per call, blocked ones included"
    assert len(served) + blocked == PROCESSES * CALLS
    assert len(served) == len(stub.requests), "a blocked call sent nothing"
    assert max(result["max_committed"] for result in results) <= 1.0 + largest
    settled = from_nano(sum(ledger.counters("fleet|").values()))
    assert settled == pytest.approx(math.fsum(r.cost_usd or 0 for r in served), abs=1e-9)
    assert settled <= 1.0 + largest
    assert settled >= 1.0 - PROCESSES * largest, "the limit was reached, not starved"
    assert sum(to_nano(r.cost_usd or 0) for r in served) == sum(ledger.counters("fleet|").values())
    span_costs = [cost for result in results for cost in result["span_costs"]]
    assert math.fsum(r.cost_usd or 0 for r in served) == math.fsum(span_costs), "exactly equal"
    assert sorted(r.trace_id or "" for r in served) == sorted(t for res in results for t in res["trace_ids"])
    ledger.close()


def _fleet_policy(url: str, spool: Path, on_error: str) -> Any:
    extra = f"ledger: {{url: '{url}', on_error: {on_error}, spool: '{spool}', retry_after: 0}}\n"
    return policy("  - {limit_usd: 10}\n", extra=extra)


def test_redis_killed_mid_run_fails_open_and_loses_nothing(
    stub: VendorStub, own_redis_server: RedisServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Redis dies: calls go on with one warning, every record is spooled with a log line, and replayed
    into Redis when it is back (the background writer flushed at each step, as close() would)."""
    stub.reply("gpt-4.1", Reply(usage=USAGE))
    spool = tmp_path / "spool"
    c = client(stub, _fleet_policy(own_redis_server.url, spool, "fail_open"))
    for _ in range(3):
        c.chat.completions.create(model="gpt-4.1", messages=PROMPT)
    assert c.flush_ledger()
    own_redis_server.kill()
    with caplog.at_level(logging.WARNING, "frugal"):
        with pytest.warns(FrugalWarning, match="unreachable.*fail_open"):
            c.chat.completions.create(model="gpt-4.1", messages=PROMPT)
        for _ in range(2):
            c.chat.completions.create(model="gpt-4.1", messages=PROMPT)
        assert c.flush_ledger()
    assert len(stub.requests) == 6, "fail open: the calls were served"
    spooled = [m for m in caplog.messages if m.startswith("frugal ledger: record")]
    assert len(spooled) == 3
    assert "cost 0.0042 USD, model gpt-4.1" in spooled[0]
    [spool_file] = spool.glob("*.jsonl")
    assert len(spool_file.read_text().splitlines()) == 3
    own_redis_server.start()  # a new, empty Redis on the same port
    with caplog.at_level(logging.WARNING, "frugal"):
        c.chat.completions.create(model="gpt-4.1", messages=PROMPT)
        assert c.flush_ledger()
    assert any("replayed 3 spooled record(s)" in m for m in caplog.messages)
    assert spool_file.read_text() == ""
    back = open_ledger(own_redis_server.url)
    assert len(back.records()) == 4, "the 3 spooled records and the new one"
    assert from_nano(sum(back.counters().values())) == pytest.approx(4 * 0.0042)
    back.close()


def test_redis_down_fails_closed_before_any_request(
    stub: VendorStub, own_redis_server: RedisServer, tmp_path: Path
) -> None:
    """With on_error: fail_closed, an unreachable Redis raises LedgerUnavailable and nothing is sent."""
    stub.reply("gpt-4.1", Reply(usage=USAGE))
    c = client(stub, _fleet_policy(own_redis_server.url, tmp_path, "fail_closed"))
    c.chat.completions.create(model="gpt-4.1", messages=PROMPT)
    own_redis_server.kill()
    with pytest.warns(FrugalWarning, match="fail_closed"), pytest.raises(LedgerUnavailable) as caught:
        c.chat.completions.create(model="gpt-4.1", messages=PROMPT)
    assert isinstance(caught.value, frugal.FrugalError)
    assert caught.value.__cause__ is not None
    assert len(stub.requests) == 1
