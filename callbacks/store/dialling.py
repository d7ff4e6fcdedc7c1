"""Placing a callback, step by step (`ivr:cb:*`, with its entry in `ivr:q:*`): each step is
one atomic Lua call that checks the reservation it belongs to, so a job run twice, a webhook
repeated or a sweeper racing a webhook changes nothing the second time.

due -> dialling (`start`, or `ready.take` for a batch: only the first claim of a reservation
may dial)
dialling -> connected (`pressed`), scheduled or failed (`attempt_failed`)
connected -> completed or due (`settle`, from how the entry ended)
due -> scheduled (`ready.take`: never dialled while closed); scheduled -> due (`wake`)
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

import redis

from callbacks.policy import Policy
from callbacks.store.records import LIBS, SCHED_KEY, WATCH_KEY
from ivr.core.lua import Script
from ivr.queue import ENTRY_TTL, ms, text_of

SCHED_GRACE = 60  # seconds a scheduled callback may be late before the sweeper wakes it
SETTLE_EVERY = 300  # seconds between checks of a connected callback whose reports were lost


def _moment(value: object) -> datetime | None:
    text = text_of(value) if value else ""
    return datetime.fromtimestamp(int(text) / 1000, UTC) if text.isdigit() else None


_WAKE = Script("""
local id, now, open = ARGV[1], tonumber(ARGV[2]), ARGV[3] == '1'
local next_open, score, ttl = tonumber(ARGV[4]), ARGV[5], tonumber(ARGV[6])
local state, due, held = unpack(redis.call('HMGET', CB .. id, 'state', 'due', 'score'))
if state ~= 'scheduled' then return {state or 'unknown', ''} end
if tonumber(due) > now then return {'early', due} end
if not open then
  cb_schedule(id, now, next_open, 'closed')
  return {'scheduled', tostring(next_open)}
end
cb_make_due(id, now, (held and held ~= '') and held or score, ttl)
return {'due', tostring(now)}
""", LIBS)


def wake(r: redis.Redis, cb_id: str, now: datetime, *, open_now: bool, next_open: datetime,
         score: int) -> tuple[str, datetime | None]:
    """A scheduled callback's time has come: due (in its line: its kept place, else `score`),
    or scheduled again at `next_open` when closed. Returns the state and when it is due; a
    wake before its time ('early') or of a callback no longer scheduled changes nothing."""
    raw = _WAKE(r, cb_id, ms(now), "1" if open_now else "0", ms(next_open), score, ENTRY_TTL)
    return text_of(raw[0]), _moment(raw[1])


_START = Script("""
return cb_claim(ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]))
""", LIBS)


def start(r: redis.Redis, cb_id: str, res: str, now: datetime, watch: datetime,
          hold: datetime) -> tuple[str, int]:
    """Claim the dialling of one due callback for reservation `res` (placer jobs claim by
    batches, `ready.take`, with the same claim): ('dial', attempt) for the one caller who
    must place the call now; ('dialling', 0) if it was claimed already (never dial again);
    ('stale', 0) otherwise. The sweeper looks at it again at `watch`; the agent stays held
    until `hold`."""
    raw = _START(r, cb_id, res, ms(now), ms(watch), ms(hold))
    outcome = text_of(raw[0])
    return outcome, int(text_of(raw[1])) if outcome == "dial" else 0


_DIALLED = Script("""
return cb_dialled(ARGV[1], ARGV[2], ARGV[3]) and 1 or 0
""", LIBS)


def dialled(r: redis.Redis, cb_id: str, res: str, call_sid: str) -> bool:
    """Note the CallSid of the call placed for reservation `res` (its answer tells it too)."""
    return bool(_DIALLED(r, cb_id, res, call_sid))


_PRESSED = Script("""
local id, res, now, watch = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local state, held = unpack(redis.call('HMGET', CB .. id, 'state', 'res'))
if held ~= res then return 'stale' end
if state == 'connected' then return 'connected' end
if state ~= 'dialling' then return 'stale' end
redis.call('ZADD', CB_WATCH, watch, id)
cb_note(id, 'connected', now, '')
return 'connected'
""", LIBS)


def pressed(r: redis.Redis, cb_id: str, res: str, now: datetime, watch: datetime) -> bool:
    """The client answered and pressed 1: they are put through to the agent held for them."""
    return text_of(_PRESSED(r, cb_id, res, ms(now), ms(watch))) == "connected"


_FAILED = Script("""
local id, res, now, reason = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4]
local state, held, attempts, most = unpack(redis.call('HMGET', CB .. id, 'state', 'res',
                                                      'attempts', 'max_attempts'))
if state ~= 'dialling' or held ~= res then return {'stale', ''} end
local attempt = tonumber(attempts) or 1
if attempt >= (tonumber(most) or 1) then
  drop(cb_entry(id), 'callback_failed', now)
  cb_end(id, 'failed', now, reason)
  return {'failed', ''}
end
local delay = tonumber(ARGV[5 + math.min(attempt, #ARGV - 4) - 1])
withdraw(cb_entry(id), now)
cb_schedule(id, now, now + delay * 1000, reason)
return {'scheduled', tostring(now + delay * 1000)}
""", LIBS)


def attempt_failed(r: redis.Redis, cb_id: str, res: str, now: datetime, reason: str,
                   policy: Policy) -> tuple[str, datetime | None]:
    """The call placed for `res` reached nobody (busy, no-answer, failed, no key...): the
    agent is freed, and the callback is scheduled again after the policy's delay, or failed
    when no attempt is left. ('stale', None) if that attempt was settled already."""
    raw = _FAILED(r, cb_id, res, ms(now), reason, *policy.retry_delays)
    return text_of(raw[0]), _moment(raw[1])


_SETTLE = Script("""
local id, now, every = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
if redis.call('HGET', CB .. id, 'state') ~= 'connected' then
  return redis.call('HGET', CB .. id, 'state') or 'unknown'
end
local state, outcome, res = unpack(entry_state(cb_entry(id)))
if not state or state == 'done' then
  cb_end(id, 'completed', now, outcome or 'gone')
  return 'completed'
end
local held = redis.call('HGET', CB .. id, 'res')
if state == 'waiting' or (state == 'reserved' and res ~= held) then
  redis.call('HSET', CB .. id, 'res', '')
  redis.call('ZREM', CB_WATCH, id)
  cb_note(id, 'due', now, 'the agent did not answer')
  return 'due'
end
redis.call('ZADD', CB_WATCH, now + every, id)
return 'connected'
""", LIBS)


def settle(r: redis.Redis, cb_id: str, now: datetime) -> str:
    """A connected callback follows its entry: completed once the entry is done (answered,
    abandoned), due again when the agent did not answer (the entry is back at its place)."""
    return text_of(_SETTLE(r, cb_id, ms(now), SETTLE_EVERY * 1000))


# -- what the sweeper looks at ---------------------------------------------------------------


def overdue(r: redis.Redis, now: datetime, limit: int = 200) -> list[str]:
    """Scheduled callbacks whose wake-up is late by more than SCHED_GRACE (a lost job)."""
    return list(r.zrangebyscore(SCHED_KEY, "-inf", ms(now) - SCHED_GRACE * 1000,  # type: ignore[arg-type]
                                start=0, num=limit))


def watched(r: redis.Redis, now: datetime, limit: int = 200) -> list[str]:
    """Callbacks dialling or connected whose reports are late."""
    return list(r.zrangebyscore(WATCH_KEY, "-inf", ms(now), start=0, num=limit))  # type: ignore[arg-type]


def scheduled_ids(r: redis.Redis) -> Iterable[str]:
    return r.zrange(SCHED_KEY, 0, -1)  # type: ignore[return-value]


def unwatch(r: redis.Redis, cb_id: str) -> None:
    """Stop watching a callback that is neither dialling nor connected any more."""
    r.zrem(WATCH_KEY, cb_id)
