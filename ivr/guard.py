"""Brute-force guard on client ids: failures per caller number and per client id, in Redis.

Times are the call's clock (so simulated calls can travel through a lockout); the Redis TTLs
only clean up. A number's failures are read before a step (the step must know at once
whether the number is locked out); a client id's failures are counted by Redis itself, in
the step's write round trip, and flag the id for admins without ever locking it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import redis

LOCK_KEY = "ivr:guard:lock:{}"
NUMBER_FAILS_KEY = "ivr:guard:fails:number:{}"
ID_FAILS_KEY = "ivr:guard:fails:id:{}"
FLAGGED_KEY = "ivr:guard:flagged"

# KEYS: the id's failures (zset of numbers), the flagged hash
# ARGV: number, time, window start, window seconds, threshold, client id, time (ISO)
_COUNT_ID_FAILURE = """
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[3])
redis.call('EXPIRE', KEYS[1], ARGV[4])
local numbers = redis.call('ZCARD', KEYS[1])
if numbers >= tonumber(ARGV[5]) then
  redis.call('HSET', KEYS[2], ARGV[6], cjson.encode({at = ARGV[7], numbers = numbers}))
end
return numbers
"""


@dataclass(frozen=True)
class Policy:
    failures: int  # failed ids from one number within `window` lock that number out
    window: int  # seconds
    duration: int  # seconds a number stays locked out
    flag_after: int  # distinct numbers failing on one client id within `window` flag it


@dataclass(frozen=True)
class Record:
    """What the guard knows of a caller number, fetched before a step."""

    locked_until: float = 0.0
    number_fails: tuple[float, ...] = ()

    def locked(self, now: datetime) -> bool:
        return now.timestamp() < self.locked_until

    def recent(self, policy: Policy, now: datetime) -> int:
        """Failures from this number within the policy's window."""
        since = now.timestamp() - policy.window
        return sum(1 for score in self.number_fails if score > since)


def fetch(pipe: redis.client.Pipeline, caller: str | None) -> int:
    """Queue the reads for a Record on a pipeline; returns how many results they take."""
    if not caller:
        return 0
    pipe.get(LOCK_KEY.format(caller))
    pipe.zrange(NUMBER_FAILS_KEY.format(caller), 0, -1, withscores=True)
    return 2


def parse(results: list[Any], caller: str | None) -> Record:
    if not caller:
        return Record()
    locked_until, fails = results[0], results[1]
    return Record(float(locked_until or 0), tuple(score for _, score in fails))


def record_failure(pipe: redis.client.Pipeline, policy: Policy, record: Record, now: datetime,
                   caller: str | None, typed: str | None, call_sid: str) -> None:
    """Queue the writes for one failed id on a pipeline (locking the number when due)."""
    ts = now.timestamp()
    since = ts - policy.window
    if caller:
        key = NUMBER_FAILS_KEY.format(caller)
        pipe.zadd(key, {f"{call_sid}:{ts}": ts})
        pipe.zremrangebyscore(key, "-inf", since)
        pipe.expire(key, policy.window)
        if record.recent(policy, now) + 1 >= policy.failures:
            pipe.set(LOCK_KEY.format(caller), ts + policy.duration,
                     ex=policy.duration + policy.window)
    if typed:
        # EVAL, not EVALSHA: a pipeline with registered scripts costs a round trip to check them
        pipe.eval(_COUNT_ID_FAILURE, 2, ID_FAILS_KEY.format(typed), FLAGGED_KEY,
                  caller or f"anonymous:{call_sid}", ts, since, policy.window,
                  policy.flag_after, typed, now.isoformat())


def flagged(r: redis.Redis) -> dict[str, dict[str, Any]]:
    """Client ids attacked from many numbers, for admins."""
    raw: dict[str, str] = r.hgetall(FLAGGED_KEY)  # type: ignore[assignment]
    return {cid: json.loads(value) for cid, value in raw.items()}


def locked_numbers(r: redis.Redis, now: datetime) -> dict[str, datetime]:
    """Caller numbers locked out at `now`, with when each lock ends (for admins)."""
    keys = list(r.scan_iter(LOCK_KEY.format("*"), count=500))
    values = r.mget(keys) if keys else []
    found = {}
    for key, value in zip(keys, values, strict=True):
        until = float(value or 0)
        if until > now.timestamp():
            found[key.split(":", 3)[3]] = datetime.fromtimestamp(until, now.tzinfo)
    return dict(sorted(found.items()))


def unlock(r: redis.Redis, number: str) -> bool:
    """Lift a number's lock-out and forget its failures; False when it was not locked."""
    pipe = r.pipeline(transaction=True)
    pipe.delete(LOCK_KEY.format(number))
    pipe.delete(NUMBER_FAILS_KEY.format(number))
    removed, _ = pipe.execute()
    return bool(removed)
