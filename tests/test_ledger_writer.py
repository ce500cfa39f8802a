"""Settlements written in the background (the Redis default): flushed on close, ``with`` exit, explicit
``flush_ledger()`` and interpreter exit; a Redis that fails meanwhile → spooled with a warning; async."""

from __future__ import annotations

import logging
import subprocess
import sys
import textwrap
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

import frugal
from frugal.budgets import writer as writer_module
from frugal.budgets.ledger import Hold, LedgerRecord, from_nano, open_ledger, to_nano
from frugal.budgets.redis import RedisLedger
from frugal.budgets.writer import Writer
from frugal.exceptions import FrugalWarning
from frugal.testing import Reply, Usage, VendorStub

from .budget_helpers import PROMPT, client, policy
from .redis_server import RedisServer

USAGE = Usage(input_tokens=900, output_tokens=300)  # $0.0042 on gpt-4.1
COST = 0.0042


def _policy(url: str, spool: Path, settle: str = "auto") -> Any:
    extra = f"ledger: {{url: '{url}', spool: '{spool}', retry_after: 0, settle: {settle}}}\n"
    return policy("  - {name: team, scope: team, limit_usd: 10}\n", extra=extra)


def _spent(url: str) -> tuple[int, float]:
    """Records and settled spend in the ledger at ``url``, read by a separate connection."""
    ledger = open_ledger(url)
    try:
        return len(ledger.records()), from_nano(sum(ledger.counters("team|").values()))
    finally:
        ledger.close()


def _calls(c: frugal.Client, count: int) -> None:
    with c.with_context(team="search"):
        for _ in range(count):
            c.chat.completions.create(model="gpt-4.1", messages=PROMPT)


def test_redis_settles_in_the_background_and_close_flushes(
    stub: VendorStub, own_redis_server: RedisServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With Redis the settlement is queued, not written on the call path; close() writes every one."""
    monkeypatch.setattr(writer_module, "INTERVAL", 3600.0)  # the writer waits for a flush
    stub.reply("gpt-4.1", Reply(usage=USAGE))
    c = client(stub, _policy(own_redis_server.url, own_redis_server.directory))
    assert c._setup.budgets is not None
    assert c._setup.budgets.store.background, "auto: background for Redis"
    _calls(c, 20)
    records, _spent_usd = _spent(own_redis_server.url)
    assert records == 0, "queued: the calls returned before their settlements were written"
    c.close()
    assert _spent(own_redis_server.url) == (20, pytest.approx(20 * COST))
    ledger = open_ledger(own_redis_server.url)
    assert sum(ledger.counters("team|").values()) == 20 * to_nano(COST), "estimates replaced by costs"
    ledger.close()


def test_with_block_exit_and_flush_ledger_write_everything(
    stub: VendorStub, own_redis_server: RedisServer
) -> None:
    """flush_ledger() returns once every call so far is in Redis; leaving the with block flushes too."""
    stub.reply("gpt-4.1", Reply(usage=USAGE))
    url = own_redis_server.url
    with client(stub, _policy(url, own_redis_server.directory)) as c:
        _calls(c, 5)
        assert c.flush_ledger(timeout=30)
        assert _spent(url) == (5, pytest.approx(5 * COST))
        _calls(c, 3)
    assert _spent(url) == (8, pytest.approx(8 * COST))


def test_interpreter_exit_flushes_the_writer(stub: VendorStub, own_redis_server: RedisServer) -> None:
    """A script that makes calls and exits without close() still has every call in the ledger."""
    stub.reply("gpt-4.1", Reply(usage=USAGE))
    script = textwrap.dedent(
        f"""
        import frugal
        from frugal.policy import parse_policy
        text = '''
        name: exit
        tiers: [{{name: large, models: [gpt-4.1]}}]
        requested_model: honor
        ledger: {{url: '{own_redis_server.url}', spool: '{own_redis_server.directory}'}}
        budgets: [{{name: team, scope: team, limit_usd: 10}}]
        '''
        c = frugal.Client(
            policy=parse_policy(text, "exit.yaml")[0],
            openai={{"api_key": "sk-test", "base_url": "{stub.openai_base_url}"}},
            anthropic={{"api_key": "sk-ant-test", "base_url": "{stub.anthropic_base_url}"}},
            max_retries=0,
        )
        with c.with_context(team="search"):
            for _ in range(7):
                c.chat.completions.create(model="gpt-4.1", messages=[{{"role": "user", "content": "hi"}}])
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert _spent(own_redis_server.url) == (7, pytest.approx(7 * COST))


class _DiesOnSettle(RedisLedger):
    """A real Redis ledger whose server is killed just as the background writer settles."""

    server: RedisServer

    def settle_many(self, settlements: Sequence[tuple[Hold, int, LedgerRecord]]) -> None:
        if self.server.process is not None:
            self.server.kill()
        super().settle_many(settlements)


def test_redis_failing_during_background_settlement_spools_with_a_warning(
    stub: VendorStub,
    own_redis_server: RedisServer,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Redis dies while the writer settles: every queued record is spooled with a warning and a log line
    giving its numbers, and replayed once Redis is back."""
    monkeypatch.setattr(writer_module, "INTERVAL", 3600.0)  # all three settlements in one batch
    stub.reply("gpt-4.1", Reply(usage=USAGE))
    spool = tmp_path / "spool"
    ledger = _DiesOnSettle(own_redis_server.url)
    ledger.server = own_redis_server
    c = client(stub, _policy(own_redis_server.url, spool, settle="background"), ledger=ledger)
    _calls(c, 3)
    with caplog.at_level(logging.WARNING, "frugal"), pytest.warns(FrugalWarning, match="unreachable"):
        assert c.flush_ledger(timeout=30)
    spooled = [m for m in caplog.messages if m.startswith("frugal ledger: record")]
    assert len(spooled) == 3
    assert f"cost {COST} USD, model gpt-4.1, team search" in spooled[0]
    [spool_file] = spool.glob("*.jsonl")
    assert len(spool_file.read_text().splitlines()) == 3
    own_redis_server.start()  # an empty Redis: the records and the corrections come from the spool
    replayed = open_ledger(own_redis_server.url)
    assert c._setup.budgets is not None
    assert c._setup.budgets.store.spool.replay(replayed) == 3
    records = replayed.records()
    assert [r.cost_usd for r in records] == [COST] * 3
    reserved = sum(to_nano(r.estimated_cost_usd or 0, up=True) for r in records)
    assert sum(replayed.counters().values()) == 3 * to_nano(COST) - reserved, "actual minus estimate"
    replayed.close()
    c.close()


def test_inline_setting_writes_on_the_call_path(
    stub: VendorStub, own_redis_server: RedisServer, tmp_path: Path
) -> None:
    """ledger.settle: inline: each call's record is in Redis when the call returns, no writer thread."""
    stub.reply("gpt-4.1", Reply(usage=USAGE))
    c = client(stub, _policy(own_redis_server.url, tmp_path, settle="inline"))
    assert c._setup.budgets is not None
    assert not c._setup.budgets.store.background
    _calls(c, 2)
    assert _spent(own_redis_server.url) == (2, pytest.approx(2 * COST))
    c.close()


def test_threads_sharing_a_client_settle_every_call_once(
    stub: VendorStub, own_redis_server: RedisServer, tmp_path: Path
) -> None:
    """Four threads on one client (the kept connection busy: the pool serves the others): every call
    reserved and settled exactly once."""
    stub.reply("gpt-4.1", Reply(usage=USAGE))
    c = client(stub, _policy(own_redis_server.url, tmp_path))
    workers = [threading.Thread(target=_calls, args=(c, 25)) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    c.close()
    assert _spent(own_redis_server.url) == (100, pytest.approx(100 * COST))
    ledger = open_ledger(own_redis_server.url)
    assert sum(ledger.counters().values()) == 100 * to_nano(COST)
    ledger.close()


async def test_async_client_settles_off_the_loop_and_flushes(
    stub: VendorStub, own_redis_server: RedisServer, tmp_path: Path
) -> None:
    """The async client queues settlements (no worker thread per call for them); flush_ledger() and
    close() wait in a worker thread and leave every call in Redis."""
    stub.reply("gpt-4.1", Reply(usage=USAGE))
    c = client(stub, _policy(own_redis_server.url, tmp_path), cls=frugal.AsyncClient)
    assert c._setup.budgets is not None
    assert c._setup.budgets.store.ledger.blocking, "the reservation is awaited in a worker thread"
    assert not c._setup.budgets.store.settles_inline, "the settlement is queued: no worker thread for it"
    with c.with_context(team="search"):
        for _ in range(4):
            await c.chat.completions.create(model="gpt-4.1", messages=PROMPT)
    assert await c.flush_ledger(timeout=30)
    assert _spent(own_redis_server.url) == (4, pytest.approx(4 * COST))
    with c.with_context(team="search"):
        await c.chat.completions.create(model="gpt-4.1", messages=PROMPT)
    await c.close()
    assert _spent(own_redis_server.url) == (5, pytest.approx(5 * COST))


def test_writer_keeps_order_and_flush_waits_for_what_came_before() -> None:
    """The writer hands settlements over in order, in batches; flush returns after those queued before it."""
    written: list[str] = []
    gate = threading.Event()

    def sink(batch: Sequence[tuple[Hold, int, LedgerRecord]]) -> None:
        gate.wait()
        written.extend(record.id for _hold, _actual, record in batch)

    writer = Writer(sink)
    for number in range(50):
        writer.put(Hold((), 0), 0, LedgerRecord(id=str(number), time=0.0, operation="chat"))
    assert not writer.flush(timeout=0.05), "the sink is held: the flush times out, nothing is lost"
    gate.set()
    assert writer.flush(timeout=30)
    assert written == [str(number) for number in range(50)]
    assert writer.close(timeout=30)
    assert writer._thread is None
    writer.put(Hold((), 0), 0, LedgerRecord(id="after", time=0.0, operation="chat"))
    assert writer.close(timeout=30), "a put after close starts the writer again"
    assert written[-1] == "after"
