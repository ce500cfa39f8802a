"""The ledger backends (memory, a real SQLite file, a real redis-server): atomic reservations,
idempotent settlements, records by time, counters, file permissions, the spool."""

from __future__ import annotations

import os
import sqlite3
import stat
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from frugal.budgets.ledger import Check, Hold, Ledger, LedgerRecord, from_nano, open_ledger, to_nano
from frugal.budgets.memory import DEFAULT_MAX_RECORDS, MemoryLedger
from frugal.budgets.spool import Spool
from frugal.exceptions import ConfigError, FrugalWarning

from .redis_server import RedisServer


@pytest.fixture(params=["memory", "sqlite", "redis"])
def ledger(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Ledger]:
    """Each backend, empty."""
    if request.param == "memory":
        store: Ledger = MemoryLedger()
    elif request.param == "sqlite":
        store = open_ledger(f"sqlite:///{tmp_path}/ledger.db")
    else:
        server: RedisServer = request.getfixturevalue("redis_server")
        store = open_ledger(server.url)
    yield store
    store.close()


def check(key: str, limit_usd: float, *, refuse: bool = True, buckets: int = 1) -> Check:
    keys = tuple(f"{key}|{i}" for i in range(buckets))
    return Check(keys=keys, current=keys[-1], limit=to_nano(limit_usd), refuse=refuse, ttl=3600)


def record(number: int, cost: float | None = 0.5, time: float = 1000.0) -> LedgerRecord:
    return LedgerRecord(id=f"r{number}", time=time, operation="chat", team="search", cost_usd=cost)


def test_reserve_refuses_only_what_would_cross_a_refusing_limit(ledger: Ledger) -> None:
    """A reservation that fits is added; one that would cross a refusing limit adds nothing anywhere."""
    a, b = check("a", 1.0), check("b", 10.0)
    first = ledger.reserve([a, b], to_nano(0.6))
    assert (first.refused, first.totals) == (None, (0, 0))
    second = ledger.reserve([b, a], to_nano(0.6))
    assert second.refused == 1, "a would go to $1.20"
    assert second.totals == (to_nano(0.6), to_nano(0.6))
    assert ledger.counters() == {"a|0": to_nano(0.6), "b|0": to_nano(0.6)}, "a refusal adds nothing"
    counted = ledger.reserve([check("a", 1.0, refuse=False)], to_nano(0.6))
    assert counted.refused is None
    assert ledger.counters("a")["a|0"] == to_nano(1.2), "a counting check goes over without refusing"


def test_reserve_sums_every_bucket_of_a_rolling_window(ledger: Ledger) -> None:
    """A check counts the sum of all its keys and adds to the current (last) one."""
    ledger.reserve([Check(("w|1",), "w|1", to_nano(5), True, 60)], to_nano(0.7))
    rolling = Check(("w|0", "w|1", "w|2"), "w|2", to_nano(1), True, 60)
    assert ledger.reserve([rolling], to_nano(0.4)).refused == 0
    assert ledger.reserve([rolling], to_nano(0.3)).refused is None
    assert ledger.counters("w|") == {"w|1": to_nano(0.7), "w|2": to_nano(0.3)}


def test_settle_replaces_the_estimate_and_records_once(ledger: Ledger) -> None:
    """Settling moves the counters by actual minus estimate and appends the record; twice counts once."""
    c = check("t", 5.0)
    ledger.reserve([c], to_nano(1.0))
    hold = Hold(((c.current, c.ttl),), to_nano(1.0))
    ledger.settle(hold, to_nano(0.25), record(1, 0.25))
    ledger.settle(hold, to_nano(0.25), record(1, 0.25))  # a replay
    assert ledger.counters() == {"t|0": to_nano(0.25)}
    assert [r.id for r in ledger.records()] == ["r1"]
    assert ledger.records()[0] == record(1, 0.25), "every field comes back as written"


def test_settle_without_reservation_counts_the_actual_cost(ledger: Ledger) -> None:
    """A hold of 0 (the store was down at reservation time) still adds the actual cost when settled."""
    ledger.settle(Hold((("t|0", 60),), 0), to_nano(0.125), record(2, 0.125))
    assert from_nano(ledger.counters()["t|0"]) == 0.125


def test_records_by_time_range(ledger: Ledger) -> None:
    """records(since, until) returns since <= time < until, oldest first."""
    for number, when in enumerate([30.0, 10.0, 20.0, 40.0]):
        ledger.settle(Hold((), 0), 0, record(number, None, when))
    assert [r.time for r in ledger.records()] == [10.0, 20.0, 30.0, 40.0]
    assert [r.time for r in ledger.records(since=20.0, until=40.0)] == [20.0, 30.0]
    assert ledger.records()[0].cost_usd is None, "an unknown cost stays None, not 0"


def test_memory_keeps_records_as_they_were_settled_in_time_order() -> None:
    """Records kept as columns come back field for field as settled (None, NaN-free money, flags, repeated
    and unique strings), sorted by time even when one arrives late, and range queries see them."""
    store = MemoryLedger()
    full = LedgerRecord(
        id="r1",
        time=20.0,
        operation="messages",
        user="u_1",
        team="search",
        feature="summaries",
        route="cheap",
        requested_model="claude-opus-4-5",
        model="claude-haiku-4-5",
        provider="anthropic",
        tier="small",
        requested_tier="large",
        routed_down=True,
        input_tokens=1200,
        output_tokens=80,
        cache_read_tokens=1000,
        cache_write_tokens=12,
        reasoning_tokens=7,
        cost_usd=0.000123,
        baseline_cost_usd=0.0042,
        savings_usd=0.004077,
        estimated_cost_usd=0.0002,
        outcome="ok",
        error_type=None,
        latency_s=0.25,
        attempts=2,
        trace_id="0af7651916cd43dd8448eb211c80319c",
        downgraded="team=*/day",
        escalations=1,
    )
    store.settle(Hold((), 0), 0, record(0, None, 10.0))
    store.settle(Hold((("t|0", 60),), to_nano(1.0)), to_nano(0.125), record(3, 0.5, 40.0))
    store.settle(Hold((), 0), 0, full)  # arrives late
    store.settle(Hold((), 0), 0, record(2, 0.0, 30.0))
    assert [r.id for r in store.records()] == ["r0", "r1", "r2", "r3"]
    assert store.records()[1] == full
    assert store.records()[0].cost_usd is None, "an unknown cost stays None"
    assert store.records()[2].cost_usd == 0.0, "a zero cost stays zero"
    assert [r.id for r in store.records(since=15.0, until=35.0)] == ["r1", "r2"]
    assert store.counters() == {"t|0": to_nano(0.125) - to_nano(1.0)}


def test_counters_by_prefix(ledger: Ledger) -> None:
    """counters(prefix) lists only the keys under the prefix, glob characters taken literally."""
    ledger.reserve([check("team=*/day|a", 9), check("team=*/day|b", 9), check("other", 9)], 5)
    assert set(ledger.counters("team=*/day|")) == {"team=*/day|a|0", "team=*/day|b|0"}


def test_sqlite_file_is_private_and_in_wal_mode(tmp_path: Path) -> None:
    """The SQLite ledger file and its WAL companions are created with mode 0600, in WAL journal mode."""
    store = open_ledger(f"sqlite:///{tmp_path}/sub/ledger.db")
    store.settle(Hold((), 0), 0, record(1))
    path = tmp_path / "sub" / "ledger.db"
    for name in ("ledger.db", "ledger.db-wal", "ledger.db-shm"):
        mode = stat.S_IMODE(os.stat(path.parent / name).st_mode)
        assert mode == 0o600, (name, oct(mode))
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    store.close()


def test_sqlite_file_of_an_older_frugal_gains_the_new_fields(tmp_path: Path) -> None:
    """A ledger file written before a record field existed is upgraded: old rows read its default."""
    path = tmp_path / "old.db"
    old_fields = [name for name in LedgerRecord._fields if name != "escalations"]
    with sqlite3.connect(path) as db:
        db.execute(f"CREATE TABLE records ({', '.join(old_fields)})")
        db.execute("INSERT INTO records (id, time, operation, cost_usd) VALUES ('old', 1000.0, 'chat', 0.25)")
    store = open_ledger(f"sqlite:///{path}")
    store.settle(Hold((), 0), 0, record(1)._replace(escalations=2))
    assert [(r.id, r.cost_usd, r.escalations) for r in store.records()] == [("old", 0.25, 0), ("r1", 0.5, 2)]
    store.close()


def test_sqlite_url_conventions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """sqlite:///name is relative to the working directory, sqlite:////abs absolute."""
    monkeypatch.chdir(tmp_path)
    relative = open_ledger("sqlite:///relative.db")
    absolute = open_ledger(f"sqlite:///{tmp_path}/absolute.db")
    assert (tmp_path / "relative.db").exists()
    assert (tmp_path / "absolute.db").exists()
    relative.close()
    absolute.close()


def test_memory_keeps_the_newest_records_and_says_so_once() -> None:
    """Past max_records the oldest records go (a tenth of the limit at a time), with one warning; the
    counters, what budgets check, keep every settlement."""
    store = open_ledger("memory://?max_records=10")
    assert isinstance(store, MemoryLedger)
    assert store.url == "memory://?max_records=10"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for number in range(25):
            store.settle(Hold((("t|0", 60),), 0), 1, record(number, time=float(number)))
    [warning] = [w for w in caught if issubclass(w.category, FrugalWarning)]
    assert "keeps the newest 10 records" in str(warning.message)
    # 11 records trim to 9 (a tenth of the limit more than the excess): 16 dropped by the 25th.
    assert [r.id for r in store.records()] == [f"r{n}" for n in range(16, 25)]
    assert store.dropped == 16
    assert store.counters() == {"t|0": 25}
    store.settle(Hold((("t|0", 60),), 0), 1, record(24, time=24.0))  # a replay of a kept record
    assert store.counters() == {"t|0": 25}, "still counted once"


def test_memory_keeps_response_ids_packed_and_forgets_them_with_their_records() -> None:
    """Response ids (unique per call) and shadow_of come back as settled, records arriving late included,
    and leave with their records: a busy process at its cap does not keep every id it ever saw."""
    store = open_ledger("memory://?max_records=100")
    assert isinstance(store, MemoryLedger)

    def answered(number: int, response_id: str | None, shadow_of: str | None = None) -> LedgerRecord:
        return LedgerRecord(
            id=f"r{number}",
            time=float(number),
            operation="chat",
            response_id=response_id,
            shadow_of=shadow_of,
        )

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FrugalWarning)
        for number in range(0, 1000, 2):
            store.settle(Hold((), 0), 0, answered(number, f"chatcmpl-{number:06d}"))
        for number in range(999, 989, -2):  # late, out of order, odd ones: in the middle
            response = None if number % 3 == 0 else ("" if number % 5 == 0 else f"msg_ünï-{number}")
            store.settle(Hold((), 0), 0, answered(number, response, shadow_of=f"chatcmpl-{number - 1:06d}"))
        oldest = store.records()[0]
        store.settle(Hold((), 0), 0, answered(int(oldest.time) - 2, "msg_first"))  # before every kept one
    kept = store.records()
    assert (kept[0].response_id, kept[1].response_id) == ("msg_first", oldest.response_id)
    kept = kept[1:]
    assert [r.time for r in kept] == sorted(r.time for r in kept)
    expected = {
        f"r{n}": (
            (f"chatcmpl-{n:06d}", None)
            if n % 2 == 0
            else (None if n % 3 == 0 else ("" if n % 5 == 0 else f"msg_ünï-{n}"), f"chatcmpl-{n - 1:06d}")
        )
        for n in range(1000)
    }
    assert {r.id: (r.response_id, r.shadow_of) for r in kept} == {r.id: expected[r.id] for r in kept}
    assert len(kept) <= 100
    table = store._rows._strings  # the shared table of repeated strings (models, teams, ...)
    assert len(table) < 10, f"response ids leaked into the string table: {len(table)} strings"


def test_memory_counters_of_ended_windows_are_dropped() -> None:
    """Like Redis's TTLs and SQLite's expiry, the memory store forgets counters whose window has ended
    (looked for when the number of counters has doubled); live ones stay, whatever their number."""
    store = MemoryLedger()
    for number in range(3000):  # yesterday's buckets: their time to live is over
        store.reserve([Check((f"old|{number}",), f"old|{number}", 10**12, True, -1)], 5)
    for number in range(2000):
        store.reserve([Check((f"live|{number}",), f"live|{number}", 10**12, True, 3600)], 7)
    counters = store.counters()
    assert all(key.startswith("live|") for key in counters), "the ended windows were swept"
    assert len(counters) == 2000
    assert set(counters.values()) == {7}
    store.settle(Hold((("live|0", 3600),), 7), 3, record(1))
    assert store.counters("live|0") == {"live|0": 3}


def test_memory_ledger_urls() -> None:
    """memory:// keeps 100,000 records; ?max_records=0 keeps all; anything else is a ConfigError."""
    assert open_ledger("memory://").url == "memory://"
    everything = open_ledger("memory://?max_records=0")
    for number in range(DEFAULT_MAX_RECORDS // 100):
        everything.settle(Hold((), 0), 0, record(number))
    assert everything.url == "memory://?max_records=0"
    for bad in ("memory://x", "memory://?max_records=-1", "memory://?keep=5"):
        with pytest.raises(ConfigError, match=r"only \?max_records=N"):
            open_ledger(bad)


def test_open_ledger_rejects_unknown_urls() -> None:
    """An unknown scheme is a ConfigError naming the accepted ones."""
    with pytest.raises(ConfigError, match="memory://, sqlite:///path or redis://"):
        open_ledger("postgres://db/ledger")


def test_spool_replays_into_the_ledger_once(tmp_path: Path) -> None:
    """Spooled settlements are replayed (counters and records), the file emptied; a replay is idempotent."""
    spool = Spool(tmp_path / "spool", "memory://")
    hold = Hold((("t|0", 60),), 0)
    path = spool.add(hold, to_nano(0.5), record(1))
    spool.add(hold, to_nano(0.25), record(2, 0.25))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    store = MemoryLedger()
    assert Spool(tmp_path / "spool", "memory://").pending, "a new process sees what is left to replay"
    assert spool.replay(store) == 2
    assert not spool.pending
    assert path.read_text() == ""
    assert store.counters() == {"t|0": to_nano(0.75)}
    store.settle(hold, to_nano(0.5), record(1))  # the same record again (a crash between replay and truncate)
    assert len(store.records()) == 2


def test_spool_keeps_what_could_not_be_replayed(tmp_path: Path) -> None:
    """A replay that fails half-way keeps the lines not yet settled, for the next replay."""

    class Flaky(MemoryLedger):
        calls = 0

        def settle(self, hold: Hold, actual: int, record: LedgerRecord) -> None:
            self.calls += 1
            if self.calls == 2:
                raise ConnectionError("down again")
            super().settle(hold, actual, record)

    spool = Spool(tmp_path, "redis://x")
    for number in range(3):
        spool.add(Hold((), 0), 0, record(number))
    store = Flaky()
    with pytest.raises(ConnectionError):
        spool.replay(store)
    assert len(spool.path.read_text().splitlines()) == 2
    assert spool.replay(MemoryLedger()) == 2


def test_memory_keeps_any_id_and_trace_id_and_settles_each_id_once() -> None:
    """frugal's own ids and 32-hex trace ids (kept compactly) and any other ids or trace ids come back as
    settled; a record settled again, even among others of the same time, counts once."""
    store = MemoryLedger()
    own = LedgerRecord(id="0123456789abcdef1f", time=5.0, operation="chat", trace_id="ab" * 16)
    padded = LedgerRecord(id="0123456789abcdef01f", time=5.0, operation="chat", trace_id="not-hex")
    foreign = LedgerRecord(id="call-7", time=5.0, operation="chat", trace_id=None)
    for entry in (own, padded, foreign, own, foreign, padded):
        store.settle(Hold((("k|0", 60),), 0), 1, entry)
    assert store.records() == [own, padded, foreign]
    assert store.counters() == {"k|0": 3}
