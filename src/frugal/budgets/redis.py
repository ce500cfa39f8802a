"""The Redis ledger: a fleet of hosts counting against the same limits.

A reservation and a settlement are each one Lua script, so Redis runs them atomically with respect to
every other client: the reservation reads the window's counters, checks every limit and adds the
estimate; the settlement appends the record (``HSETNX`` on its id, so a replayed record counts once),
indexes it by time and corrects the counters by actual minus estimate. Counters are integers
(nano-dollars, ``INCRBY``) with a TTL of their window plus a day. Every key carries the hash tag
``{frugal}`` so the scripts also run on Redis Cluster (all keys in one slot).

Both scripts go over one connection that the ledger keeps (one per process; a thread that finds it busy
uses redis-py's pool), sent as ``EVALSHA`` without redis-py's per-command machinery, which on loopback
costs more than the round trip. The client settles through :meth:`RedisLedger.settle_many` on its
background writer (:mod:`~frugal.budgets.writer`), several settlements per round trip.

Needs the ``redis`` package (``pip install "frugal-router[redis]"``), imported when the ledger is opened.
URL options are redis-py's (``redis://host:6379/0?socket_timeout=0.5``); the defaults here are a
1-second connect and read timeout, so an unreachable Redis is detected quickly.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any, cast

from ..exceptions import ConfigError
from ..routing.warmth import Warm, encode_fleet, parse_fleet
from .ledger import Admission, Check, Hold, LedgerRecord

__all__ = ["RedisLedger"]

PREFIX = "{frugal}:"
_RECORDS = PREFIX + "records"
_TIMES = PREFIX + "times"
_COUNTER = PREFIX + "c:"
_WARM = PREFIX + "warm:"
# Add warm prefixes (ARGV[3:]: field, value, ...), drop those gone cold (a value is "tokens|expires"),
# and keep the key at least ARGV[1] seconds.
_WARM_WRITE = """
local now = tonumber(ARGV[2])
local old = redis.call('HGETALL', KEYS[1])
for i = 1, #old, 2 do
  local expires = tonumber(string.match(old[i + 1], '|(.*)$'))
  if expires == nil or expires < now then redis.call('HDEL', KEYS[1], old[i]) end
end
redis.call('HSET', KEYS[1], unpack(ARGV, 3))
if redis.call('TTL', KEYS[1]) < tonumber(ARGV[1]) then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return 1
"""

# KEYS: every check's keys, one check after the other. ARGV: number of checks, then per check
# (number of keys, limit, refuse 0/1, ttl, amount). Returns {refused check (0-based) or -1, totals...}.
_RESERVE = """
local n = tonumber(ARGV[1])
local totals, current, ttls, amounts = {}, {}, {}, {}
local refused = -1
local pos = 1
for c = 1, n do
  local base = 1 + (c - 1) * 5
  local count = tonumber(ARGV[base + 1])
  local total = 0
  for _, value in ipairs(redis.call('MGET', unpack(KEYS, pos, pos + count - 1))) do
    if value then total = total + tonumber(value) end
  end
  totals[c] = total
  current[c] = KEYS[pos + count - 1]
  ttls[c] = ARGV[base + 4]
  amounts[c] = ARGV[base + 5]
  if refused < 0 and ARGV[base + 3] == '1' and total + tonumber(amounts[c]) > tonumber(ARGV[base + 2]) then
    refused = c - 1
  end
  pos = pos + count
end
if refused < 0 then
  for c = 1, n do
    redis.call('INCRBY', current[c], amounts[c])
    redis.call('EXPIRE', current[c], ttls[c])
  end
end
local reply = {refused}
for c = 1, n do reply[c + 1] = totals[c] end
return reply
"""

# KEYS: records hash, times index, held counters. ARGV: id, time, record JSON, delta, ttl per counter.
_SETTLE = """
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[3]) == 0 then return 0 end
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
if ARGV[4] ~= '0' then
  for i = 3, #KEYS do
    redis.call('INCRBY', KEYS[i], ARGV[4])
    if redis.call('TTL', KEYS[i]) < 0 then redis.call('EXPIRE', KEYS[i], ARGV[i + 2]) end
  end
end
return 1
"""

_SHA = {script: hashlib.sha1(script.encode()).hexdigest() for script in (_RESERVE, _SETTLE)}


class RedisLedger:
    """Counters and records in Redis, shared by every host that uses the same URL."""

    blocking = True

    def __init__(self, url: str) -> None:
        try:
            import redis
            from redis.exceptions import ConnectionError as RedisConnectionError
            from redis.exceptions import NoScriptError, ResponseError
        except ImportError:
            raise ConfigError(
                f"the ledger {url!r} needs the redis package: pip install 'frugal-router[redis]'"
            ) from None
        self.url = url
        options: dict[str, Any] = {}
        if "socket_timeout" not in url:
            options["socket_timeout"] = 1.0
        if "socket_connect_timeout" not in url:
            options["socket_connect_timeout"] = 1.0
        self._redis = redis.Redis.from_url(url, **options)
        self._no_script: type[Exception] = NoScriptError
        self._response_error: type[Exception] = ResponseError
        self._connection_error: type[Exception] = RedisConnectionError
        # The hot path: one connection of the pool kept by this ledger and used by one thread at a time,
        # with the commands packed here. On loopback, redis-py's per-command machinery (pool, retries,
        # health checks, reply callbacks) costs more than the round trip itself. A thread that finds the
        # connection busy goes through the pool as usual.
        self._lock = threading.Lock()
        self._connection: Any = None
        self._pid = 0

    def reserve(self, checks: Sequence[Check], amount: int) -> Admission:
        keys: list[str] = []
        args: list[str | int] = [len(checks)]
        for check in checks:
            keys.extend([_COUNTER + key for key in check.keys])
            add = amount if check.amount is None else check.amount
            args.extend((len(check.keys), check.limit, 1 if check.refuse else 0, check.ttl, add))
        [reply] = self._run([(_RESERVE, [len(keys), *keys, *args])])
        refused = int(reply[0])
        return Admission(None if refused < 0 else refused, tuple([int(total) for total in reply[1:]]))

    def settle(self, hold: Hold, actual: int, record: LedgerRecord) -> None:
        self._run([_settlement(hold, actual, record)])

    def settle_many(self, settlements: Sequence[tuple[Hold, int, LedgerRecord]]) -> None:
        """Several settlements in one round trip (each atomic and idempotent on its own)."""
        for start in range(0, len(settlements), 100):
            self._run([_settlement(*item) for item in settlements[start : start + 100]])

    def _run(self, commands: list[tuple[str, list[str | int]]]) -> list[Any]:
        """Run Lua scripts (each ``(script, [number of keys, keys..., args...])``) in one round trip.

        A script Redis does not know (it restarted) is sent in full. A connection that broke before any
        reply came is opened again and the scripts sent once more: Redis closes a connection between
        commands, never inside a script, and a settlement sent twice counts once. A timeout is not retried
        (the script may have run).
        """
        if not self._lock.acquire(blocking=False):
            return [self._pooled(script, args) for script, args in commands]
        try:
            for attempt in (0, 1):
                if self._connection is None or self._pid != os.getpid():  # after a fork: our own connection
                    self._connection = self._redis.connection_pool.get_connection()
                    self._pid = os.getpid()
                connection = self._connection
                try:
                    return self._exchange(connection, commands)
                except self._connection_error:
                    connection.disconnect()
                    if attempt or not self._retryable(commands):
                        raise
                except BaseException:
                    connection.disconnect()  # interrupted mid-reply: the connection's state is unknown
                    raise
            raise AssertionError("unreachable")  # pragma: no cover
        finally:
            self._lock.release()

    def _pooled(self, script: str, args: list[str | int]) -> Any:
        run: Any = self._redis.execute_command  # untyped in redis-py
        try:
            return run("EVALSHA", _SHA[script], *args)
        except self._no_script:
            return run("EVAL", script, *args)

    @staticmethod
    def _retryable(commands: list[tuple[str, list[str | int]]]) -> bool:
        # Only settlements are idempotent: a reservation that Redis ran before the connection broke would
        # be counted twice.
        return all(script is _SETTLE for script, _args in commands)

    def _exchange(self, connection: Any, commands: list[tuple[str, list[str | int]]]) -> list[Any]:
        packed = connection.pack_commands([("EVALSHA", _SHA[script], *args) for script, args in commands])
        connection.send_packed_command(packed, check_health=False)
        replies: list[Any] = []
        missing: list[int] = []
        error: Exception | None = None
        for index in range(len(commands)):
            try:
                replies.append(connection.read_response())
            except self._no_script:
                replies.append(None)
                missing.append(index)
            except self._response_error as exc:  # every reply is read first: the connection stays usable
                replies.append(None)
                error = error or exc
        if error is not None:
            raise error
        for index in missing:
            script, args = commands[index]
            connection.send_packed_command(connection.pack_command("EVAL", script, *args), check_health=False)
            replies[index] = connection.read_response()
        return replies

    def records(self, since: float | None = None, until: float | None = None) -> list[LedgerRecord]:
        low = "-inf" if since is None else repr(since)
        high = "+inf" if until is None else f"({until!r}"
        ids = cast("list[bytes]", self._redis.zrangebyscore(_TIMES, low, high))
        found: list[LedgerRecord] = []
        for start in range(0, len(ids), 1000):
            for body in self._redis.hmget(_RECORDS, ids[start : start + 1000]):
                if body is not None:
                    found.append(LedgerRecord.from_dict(json.loads(body)))
        found.sort(key=lambda record: (record.time, record.id))
        return found

    def counters(self, prefix: str = "") -> dict[str, int]:
        pattern = _COUNTER + _glob_escape(prefix) + "*"
        keys = list(self._redis.scan_iter(match=pattern, count=1000))
        values = self._redis.mget(keys) if keys else []
        return {
            key.decode()[len(_COUNTER) :]: int(value)
            for key, value in zip(keys, values, strict=True)
            if value is not None
        }

    def warm_read(self, roots: Sequence[str]) -> list[Warm]:
        """The fleet's warm prompt prefixes under ``roots`` (cache-aware routing), in one round trip."""
        pipe = self._redis.pipeline(transaction=False)
        for root in roots:
            pipe.hgetall(_WARM + root)
        return [entry for fields in pipe.execute() for entry in parse_fleet(fields)]

    def warm_write(self, entries: Mapping[str, Sequence[Warm]]) -> None:
        """Record warm prefixes by root; each root's key lives as long as its longest-lived entry, and
        entries gone cold are dropped as new ones come."""
        now = time.time()
        pipe = self._redis.pipeline(transaction=False)
        for root, warm in entries.items():
            seconds = max(1, math.ceil(max(e.expires for e in warm) - now))
            fields = [item for pair in encode_fleet(warm).items() for item in pair]
            pipe.eval(_WARM_WRITE, 1, _WARM + root, seconds, repr(now), *fields)
        pipe.execute()

    def close(self) -> None:
        with self._lock:
            if self._connection is not None and self._pid == os.getpid():
                self._connection.disconnect()
            self._connection = None
        self._redis.close()


def _settlement(hold: Hold, actual: int, record: LedgerRecord) -> tuple[str, list[str | int]]:
    counters = hold.counters
    args: list[str | int] = [2 + len(counters), _RECORDS, _TIMES]
    args.extend([_COUNTER + key for key, _ttl in counters])
    args.extend((record.id, repr(record.time), json.dumps(record._asdict(), separators=(",", ":"))))
    args.append(actual - hold.amount)
    args.extend([ttl for _key, ttl in counters])
    return _SETTLE, args


def _glob_escape(text: str) -> str:
    return "".join("\\" + ch if ch in "*?[]\\" else ch for ch in text)
