"""Callbacks an agent is held for, waiting to be dialled (`ivr:cb:ready`), taken a batch at a
time by a placer job.

Routing's reservations of callbacks land here (`add`), and one placer job is on its way while
`ivr:cb:placer` stands, so a thousand reservations make a handful of RQ jobs, not a thousand.
`take` claims each callback of a batch atomically before anyone dials it (`cb_claim` in
`ivr/core/lua/callbacks.lua`, the same claim as one at a time): a job run twice, retried, or re-run
after its worker was killed finds them claimed and dials none again. What a lost job leaves
here is found by the sweeper (`oldest`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import redis

from callbacks.store.records import LIBS
from ivr.core.lua import Script
from ivr.queue import Reservation, ms, text_of

READY_KEY = "ivr:cb:ready"
PLACER_KEY = "ivr:cb:placer"
PLACER_TTL = 30  # seconds: a placer job lost before it ran no longer holds the next one back


def callback_of(entry: str) -> str | None:
    """The callback id of a queue entry, None for a caller's entry."""
    cb_id = entry.removeprefix("cb-")
    return cb_id if cb_id != entry and cb_id.isdigit() else None


@dataclass(frozen=True)
class Claim:
    """What taking one ready callback came to: `dial` (the caller must dial now, attempt
    number `attempt`), `dialling` (claimed already: never dial again), `closed` (its schedule
    is closed: due again at `opens`) or `stale` (nobody can use the reservation)."""

    id: str
    res: str
    outcome: str
    number: str
    attempt: int = 0
    opens: datetime | None = None


@dataclass(frozen=True)
class Taken:
    """A batch: its claims, and the next callback still ready ('<id>-<res>', '' when none),
    for which the caller makes the next placer job."""

    claims: tuple[Claim, ...]
    next: str = ""


_ADD = Script("""
local now, ttl = tonumber(ARGV[1]), tonumber(ARGV[2])
for i = 3, #ARGV do redis.call('ZADD', CB_READY, 'NX', now, ARGV[i]) end
if redis.call('SET', CB_PLACER, '1', 'NX', 'EX', ttl) then return 1 end
return 0
""", LIBS)


def add(r: redis.Redis, held: Iterable[Reservation], now: datetime) -> bool:
    """Callbacks reserved for agents, to be dialled: True when no placer job is on its way
    (the caller makes one)."""
    members = [f"{callback_of(h.entry)}:{h.res}" for h in held if callback_of(h.entry)]
    if not members:
        return False
    return bool(_ADD(r, ms(now), PLACER_TTL, *members))


_TAKE = Script("""
local now, watch, hold = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local limit, ttl, only = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local members = {}
for i = 7, 6 + only do members[#members + 1] = ARGV[i] end
local opens = {}  -- schedule -> when it opens again, '' while open ('' names the fallback)
for i = 7 + only, #ARGV, 2 do opens[ARGV[i]] = ARGV[i + 1] end
if only == 0 then members = redis.call('ZRANGE', CB_READY, 0, limit - 1) end
local out = {}
for _, member in ipairs(members) do
  redis.call('ZREM', CB_READY, member)
  local id, res = string.match(member, '^(%d+):(%d+)$')
  if id then
    local state, schedule, number = unpack(redis.call('HMGET', CB .. id, 'state', 'schedule',
                                                      'number'))
    local closed_until = opens[schedule or ''] or opens[''] or ''
    local outcome
    if state == 'due' and closed_until ~= '' then  -- never dialled while closed
      local moved = cb_closed(id, res, now, tonumber(closed_until))
      outcome = {moved and 'closed' or 'stale', closed_until}
    else
      outcome = cb_claim(id, res, now, watch, hold)
    end
    out[#out + 1] = {id, res, outcome[1], outcome[2], number or ''}
  end
end
if only > 0 then return {'', out} end
local left = redis.call('ZRANGE', CB_READY, 0, 0)[1]
if left then
  redis.call('SET', CB_PLACER, '1', 'EX', ttl)  -- the caller makes the next job
  local following = string.gsub(left, ':', '-')
  return {following, out}
end
redis.call('DEL', CB_PLACER)
return {'', out}
""", LIBS)


def take(r: redis.Redis, now: datetime, watch: datetime, hold: datetime,
         closed: Mapping[str, datetime | None], limit: int = 50,
         only: Sequence[tuple[str, str]] = ()) -> Taken:
    """Claim up to `limit` ready callbacks (or exactly `only`: (callback id, reservation)
    pairs), each in the same atomic step as its removal from the ready set. `closed` gives
    each schedule's next opening when it is closed now, None when open ('' for a schedule no
    longer in the flow). A claimed callback is watched by the sweeper from `watch`; its
    agent stays held until `hold`."""
    schedules = [item for name, opens in closed.items()
                 for item in (name, str(ms(opens)) if opens else "")]
    members = [f"{cb_id}:{res}" for cb_id, res in only]
    raw = _TAKE(r, ms(now), ms(watch), ms(hold), limit, PLACER_TTL, len(members), *members,
                *schedules)
    claims = []
    for item in raw[1]:
        cb_id, res, outcome, detail, number = (text_of(v) if v else "" for v in item)
        claims.append(Claim(
            cb_id, res, outcome, number, attempt=int(detail) if outcome == "dial" else 0,
            opens=datetime.fromtimestamp(int(detail) / 1000, UTC)
            if outcome == "closed" else None))
    return Taken(tuple(claims), text_of(raw[0]) if raw[0] else "")


_DIALLED = Script("""
for i = 1, #ARGV, 3 do cb_dialled(ARGV[i], ARGV[i + 1], ARGV[i + 2]) end
return 0
""", LIBS)


def dialled(r: redis.Redis, calls: Iterable[tuple[str, str, str]]) -> None:
    """Note the CallSids of calls placed: (callback id, reservation, CallSid) each."""
    args = [value for call in calls for value in call]
    if args:
        _DIALLED(r, *args)


def oldest(r: redis.Redis) -> tuple[str, datetime] | None:
    """The callback ready the longest ('<id>-<reservation>') and since when, if any."""
    first: list[tuple[str, float]] = r.zrange(READY_KEY, 0, 0,  # type: ignore[assignment]
                                              withscores=True)
    if not first:
        return None
    member, since = first[0]
    return member.replace(":", "-"), datetime.fromtimestamp(since / 1000, UTC)
