"""Brute-force guard on client ids: failures per caller number and per client id, in Redis.

Times are the call's clock (so simulated calls can travel through a lockout); the Redis TTLs
only clean up.
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


@dataclass(frozen=True)
class Policy:
    failures: int  # failed ids from one number within `window` lock that number out
    window: int  # seconds
    duration: int  # seconds a number stays locked out
    flag_after: int  # distinct numbers failing on one client id within `window` flag it


@dataclass(frozen=True)
class Record:
    """What the guard knows of a caller number and a typed id, fetched before a step."""

    locked_until: float = 0.0
    number_fails: tuple[float, ...] = ()
    id_fail_numbers: tuple[tuple[str, float], ...] = ()

    def locked(self, now: datetime) -> bool:
        return now.timestamp() < self.locked_until

    def recent(self, policy: Policy, now: datetime) -> int:
        """Failures from this number within the policy's window."""
        since = now.timestamp() - policy.window
        return sum(1 for score in self.number_fails if score > since)


def fetch(pipe: redis.client.Pipeline, caller: str | None, typed: str | None) -> int:
    """Queue the reads for a Record on a pipeline; returns how many results they take."""
    count = 0
    if caller:
        pipe.get(LOCK_KEY.format(caller))
        pipe.zrange(NUMBER_FAILS_KEY.format(caller), 0, -1, withscores=True)
        count += 2
    if typed:
        pipe.zrange(ID_FAILS_KEY.format(typed), 0, -1, withscores=True)
        count += 1
    return count


def parse(results: list[Any], caller: str | None, typed: str | None) -> Record:
    results = list(results)
    locked_until, number_fails, id_fails = 0.0, [], []
    if caller:
        locked_until = float(results.pop(0) or 0)
        number_fails = [score for _, score in results.pop(0)]
    if typed:
        id_fails = [(member, score) for member, score in results.pop(0)]
    return Record(locked_until, tuple(number_fails), tuple(id_fails))


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
        key = ID_FAILS_KEY.format(typed)
        member = caller or f"anonymous:{call_sid}"
        pipe.zadd(key, {member: ts})
        pipe.zremrangebyscore(key, "-inf", since)
        pipe.expire(key, policy.window)
        numbers = {m for m, score in record.id_fail_numbers if score > since} | {member}
        if len(numbers) >= policy.flag_after:
            pipe.hset(FLAGGED_KEY, typed, json.dumps({"at": now.isoformat(),
                                                      "numbers": len(numbers)}))


def flagged(r: redis.Redis) -> dict[str, dict[str, Any]]:
    """Client ids attacked from many numbers, for admins."""
    raw: dict[str, str] = r.hgetall(FLAGGED_KEY)  # type: ignore[assignment]
    return {cid: json.loads(value) for cid, value in raw.items()}
