"""Brute-force guard on client ids: failures per caller number and per client id, in Redis.

Every guess is judged by one Lua script, atomically: a locked number's guess is refused
(right or wrong, without saying which), a wrong guess is counted, and the count reaching the
limit locks the number. Parallel calls from one number therefore never get more guesses
checked than the limit. A failure is taken back when the answer that made it loses to a
concurrent answer to the same step (`refund`); a replayed request is answered from the call's
state and never judged again.

Times are the call's clock (so simulated calls can travel through a lockout); the Redis TTLs
only clean up. A client id's failures flag the id for admins without ever locking it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import redis

LOCK_KEY = "ivr:guard:lock:{}"
NUMBER_FAILS_KEY = "ivr:guard:fails:number:{}"
ID_FAILS_KEY = "ivr:guard:fails:id:{}"
FLAGGED_KEY = "ivr:guard:flagged"

Verdict = Literal["pass", "wrong", "locked", "locked_now"]
# pass: right, not locked; wrong: a failure counted; locked_now: the failure that locks;
# locked: refused (right or wrong), nothing counted

# KEYS: lock, number failures (zset of guesses), id failures (zset of numbers), flagged hash
#       (5: the typed id's client record, when ARGV[7] is 'typed')
# ARGV: 1 now, 2 window start, 3 window, 4 failures, 5 duration, 6 the guess, 7 wrong (0/1;
#       'typed': wrong unless KEYS[5] exists), 8 has caller (0/1), 9 typed id ('' for none),
#       10 id failure member, 11 flag after, 12 now (ISO)
_JUDGE = """
local now = tonumber(ARGV[1])
if ARGV[7] == 'typed' then
  ARGV[7] = redis.call('EXISTS', KEYS[5]) == 1 and '0' or '1'
end
if ARGV[8] == '1' then
  local lock = redis.call('GET', KEYS[1])
  if lock and now < tonumber(string.match(lock, '^%S+')) then
    return 'locked'
  end
end
if ARGV[7] == '0' then
  return 'pass'
end
local verdict = 'wrong'
if ARGV[8] == '1' then
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[2])
  redis.call('ZADD', KEYS[2], now, ARGV[6])
  redis.call('EXPIRE', KEYS[2], ARGV[3])
  if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[4]) then
    local duration = tonumber(ARGV[5])
    redis.call('SET', KEYS[1], tostring(now + duration) .. ' ' .. ARGV[6],
               'EX', duration + tonumber(ARGV[3]))
    verdict = 'locked_now'
  end
end
if ARGV[9] ~= '' then
  redis.call('ZADD', KEYS[3], now, ARGV[10])
  redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', ARGV[2])
  redis.call('EXPIRE', KEYS[3], ARGV[3])
  local numbers = redis.call('ZCARD', KEYS[3])
  if numbers >= tonumber(ARGV[11]) then
    redis.call('HSET', KEYS[4], ARGV[9], cjson.encode({at = ARGV[12], numbers = numbers}))
  end
end
return verdict
"""

# KEYS: lock, number failures; ARGV: the guess whose failure is taken back
_REFUND = """
redis.call('ZREM', KEYS[2], ARGV[1])
local lock = redis.call('GET', KEYS[1])
local tag = ' ' .. ARGV[1]
if lock and string.sub(lock, -string.len(tag)) == tag then
  redis.call('DEL', KEYS[1])
end
"""


@dataclass(frozen=True)
class Policy:
    failures: int  # failed ids from one number within `window` lock that number out
    window: int  # seconds
    duration: int  # seconds a number stays locked out
    flag_after: int  # distinct numbers failing on one client id within `window` flag it


@dataclass(frozen=True)
class Record:
    """What the guard knows of a caller number before a step: until when it is locked."""

    locked_until: float = 0.0

    def locked(self, now: datetime) -> bool:
        return now.timestamp() < self.locked_until


def fetch(pipe: redis.client.Pipeline, caller: str | None) -> int:
    """Queue the reads for a Record on a pipeline; returns how many results they take."""
    if not caller:
        return 0
    pipe.get(LOCK_KEY.format(caller))
    return 1


def parse(results: list[Any], caller: str | None) -> Record:
    if not caller:
        return Record()
    lock = results[0]
    return Record(float(lock.split()[0]) if lock else 0.0)


def judge(r: redis.Redis, policy: Policy, now: datetime, caller: str | None, guess: str,
          right: bool, typed: str | None) -> Verdict:
    """Check one guess against the lock and count it when wrong, in one atomic step.

    `guess` names this answer (unique per request), for a `refund`.
    """
    ts = now.timestamp()
    keys = [LOCK_KEY.format(caller or ""), NUMBER_FAILS_KEY.format(caller or ""),
            ID_FAILS_KEY.format(typed or ""), FLAGGED_KEY]
    args: list[Any] = [ts, ts - policy.window, policy.window, policy.failures, policy.duration,
                       guess, "0" if right else "1", "1" if caller else "0", typed or "",
                       caller or f"anonymous:{guess}", policy.flag_after, now.isoformat()]
    verdict: Verdict = r.eval(_JUDGE, len(keys), *keys, *args)
    return verdict


def queue_judge_typed(pipe: redis.client.Pipeline, policy: Policy, now: datetime,
                      caller: str | None, guess: str, typed: str, client_key: str) -> None:
    """Queue on a step's read pipeline the verdict on a typed client id, judged right when its
    client record exists: the guess is checked and counted in the step's one round trip."""
    ts = now.timestamp()
    keys = [LOCK_KEY.format(caller or ""), NUMBER_FAILS_KEY.format(caller or ""),
            ID_FAILS_KEY.format(typed), FLAGGED_KEY, client_key]
    args: list[Any] = [ts, ts - policy.window, policy.window, policy.failures, policy.duration,
                       guess, "typed", "1" if caller else "0", typed,
                       caller or f"anonymous:{guess}", policy.flag_after, now.isoformat()]
    pipe.eval(_JUDGE, len(keys), *keys, *args)


def refund(r: redis.Redis, caller: str | None, guess: str) -> None:
    """Take back the failure (and the lock) of an answer that lost to a concurrent one."""
    if caller:
        r.eval(_REFUND, 2, LOCK_KEY.format(caller), NUMBER_FAILS_KEY.format(caller), guess)


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
        until = float(value.split()[0]) if value else 0.0  # "until guess" (or a bare time)
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
