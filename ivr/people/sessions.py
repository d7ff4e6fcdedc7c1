"""Signed-in sessions and the sign-in throttle, in Redis.

A session is a random id (kept in Flask's signed cookie) naming a Redis record; it ends when
idle too long, when too old, at sign-out, or when its user is removed or their password or
role changes. Times are the app's clock; the Redis TTLs only clean up.

Failed sign-ins are counted per user name (known or not) and per address; past a few, each
further attempt must wait longer (1 s, 2 s, 4 s... up to a cap), with the same message for
every name, so the throttle tells nothing about which users exist.
"""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass
from datetime import datetime

import redis

from ivr.core.exceptions import SignInRefused
from ivr.people import users
from ivr.people.users import User

SESSION_KEY = "ivr:session:{}"  # hash: user, created, seen
USER_SESSIONS_KEY = "ivr:sessions:{}"  # set of a user's session ids
FAILS_KEY = "ivr:session:fails:{}:{}"  # zset of failure times, per ("user"|"addr", value)

WRONG = "Wrong user name or password."


@dataclass(frozen=True)
class Lifetime:
    idle: int  # seconds without a request before a session ends
    max_age: int  # seconds after sign-in when it ends anyway


@dataclass(frozen=True)
class Throttle:
    free: int = 3  # failures (per name, or per address: `free_addr`) before any delay
    free_addr: int = 10
    window: int = 900  # seconds a failure is remembered
    max_delay: int = 300



THROTTLE = Throttle()


# -- sessions --------------------------------------------------------------------------------


def open_session(r: redis.Redis, user: User, now: datetime, life: Lifetime) -> str:
    """A new session for `user`; returns its id (for the cookie)."""
    sid = secrets.token_urlsafe(32)
    ts = now.timestamp()
    pipe = r.pipeline(transaction=True)
    pipe.hset(SESSION_KEY.format(sid), mapping={"user": user.name, "created": ts, "seen": ts})
    pipe.expire(SESSION_KEY.format(sid), life.max_age)
    pipe.sadd(USER_SESSIONS_KEY.format(user.name), sid)
    pipe.expire(USER_SESSIONS_KEY.format(user.name), life.max_age)
    pipe.execute()
    return sid


def resume(r: redis.Redis, sid: str, now: datetime, life: Lifetime) -> User | None:
    """The user of a live session (marking it seen now), or None when it has ended."""
    if not sid or len(sid) > 64:
        return None
    key = SESSION_KEY.format(sid)
    record: dict[str, str] = r.hgetall(key)  # type: ignore[assignment]
    if not record:
        return None
    ts = now.timestamp()
    if ts - float(record["seen"]) > life.idle or ts - float(record["created"]) > life.max_age:
        close(r, sid)
        return None
    user = users.get(r, record["user"])
    if user is None:
        close(r, sid)
        return None
    r.hset(key, "seen", ts)
    return user


def close(r: redis.Redis, sid: str) -> None:
    """End one session (sign-out)."""
    name = r.hget(SESSION_KEY.format(sid), "user")
    pipe = r.pipeline(transaction=True)
    pipe.delete(SESSION_KEY.format(sid))
    if name:
        pipe.srem(USER_SESSIONS_KEY.format(name), sid)
    pipe.execute()


def close_all(r: redis.Redis, name: str) -> int:
    """End every session of a user (removed, new password, new role); how many ended."""
    sids: set[str] = r.smembers(USER_SESSIONS_KEY.format(name))  # type: ignore[assignment]
    pipe = r.pipeline(transaction=True)
    for sid in sids:
        pipe.delete(SESSION_KEY.format(sid))
    pipe.delete(USER_SESSIONS_KEY.format(name))
    pipe.execute()
    return len(sids)


# -- sign-in ---------------------------------------------------------------------------------


# KEYS: failures of the name, failures of the address
# ARGV: now, window, free (name), free (address), max delay, member for this attempt
# Counts the attempt as a failure up front (a success takes it back), so that attempts racing
# in parallel cannot all pass the check before any of them is counted.
_ATTEMPT = """
local wait = 0
local frees = {tonumber(ARGV[3]), tonumber(ARGV[4])}
for i, key in ipairs(KEYS) do
  redis.call('ZREMRANGEBYSCORE', key, '-inf', ARGV[1] - ARGV[2])
  local n = redis.call('ZCARD', key)
  if n >= frees[i] then
    local last = tonumber(redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')[2])
    local delay = math.min(2 ^ (n - frees[i]), tonumber(ARGV[5]))
    wait = math.max(wait, last + delay - ARGV[1])
  end
end
if wait > 0 then return tostring(wait) end
for _, key in ipairs(KEYS) do
  redis.call('ZADD', key, ARGV[1], ARGV[6])
  redis.call('EXPIRE', key, ARGV[2])
end
return '0'
"""


def sign_in(r: redis.Redis, name: str, password: str, address: str, now: datetime,
            throttle: Throttle = THROTTLE) -> User:
    """The user whose password this is, or SignInRefused with one message for every failure."""
    name = name.strip().lower()[:64]
    keys = (FAILS_KEY.format("user", name), FAILS_KEY.format("addr", address[:64]))
    attempt = f"{now.timestamp()}:{secrets.token_hex(4)}"
    wait = float(r.eval(_ATTEMPT, 2, *keys, now.timestamp(), throttle.window,
                        throttle.free, throttle.free_addr, throttle.max_delay, attempt))
    if wait > 0:
        seconds = math.ceil(wait)
        raise SignInRefused(f"Too many failed sign-ins: wait {seconds} s, then try again.",
                            seconds)
    user = users.verify(r, name, password)
    if user is None:
        raise SignInRefused(WRONG)
    pipe = r.pipeline(transaction=True)
    pipe.delete(keys[0])
    pipe.zrem(keys[1], attempt)
    pipe.execute()
    return user
