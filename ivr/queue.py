"""Callers waiting for agents: one line per queue, atomic routing, wait estimates.

The one owner of waiting callers (`ivr:q:*`). Every change is one Lua call of
`ivr/core/lua/routing.lua`, which also holds agents for callers (`ivr/centre/agents.py`: the
roster).
An entry is a caller in a queue; its id is the call's CallSid. Lines are sorted sets ordered
by priority, then arrival, so enqueue, leave, position and "who is next" are O(log n).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import redis

from ivr import waits
from ivr.core.lua import Script
from ivr.waits import Said, Snapshot, estimate_wait, steady

ENTRY_KEY = "ivr:q:e:{}"
LINE_KEY = "ivr:q:line:{}"
PENDING_KEY = "ivr:q:pending"
HANDLED_KEY = "ivr:q:handled:{}"
LEFT_KEY = "ivr:q:left:{}"
FINISHED_KEY = "ivr:q:finished"
PRIORITY_STEP = 10**13  # above any epoch in ms: the priority rank dominates the arrival time
RESERVE_GRACE = 30  # seconds for the call to be taken out of Twilio's queue (REST retries)
RING_GRACE = 15  # seconds beyond an agent's ring time before a reservation is called late
ENTRY_TTL = 6 * 3600


@dataclass(frozen=True)
class Rules:
    """What routing needs of a queue's settings in the flow."""

    queue: str
    skill: str
    priority: tuple[str, ...] = ()  # contract states served first, in order
    max_size: int = 100
    max_wait: int = 0  # seconds; 0: no limit
    reminder: int = 60  # seconds between position announcements
    agency_first: int = 0  # seconds an agency's caller waits for that agency's agents
    agent_timeout: int = 20  # seconds an agent's phone rings
    wrapup: int = 15  # seconds of wrap-up after a call

    def args(self) -> list[object]:
        """The (queue, skill, agency_first ms) triple the routing script takes."""
        return [self.queue, self.skill, self.agency_first * 1000]

    def rank(self, contract: str) -> int:
        return self.priority.index(contract) if contract in self.priority else len(self.priority)


@dataclass(frozen=True)
class Reservation:
    """An agent held for a waiting caller, until the call reaches the agent's phone."""

    entry: str
    agent: str
    res: str
    sid: str


@dataclass(frozen=True)
class Entry:
    """A caller in a queue, as stored."""

    id: str
    fields: Mapping[str, str]

    def __getattr__(self, name: str) -> str:
        try:
            return self.fields[name]
        except KeyError:
            raise AttributeError(name) from None

    @property
    def state(self) -> str:
        return self.fields.get("state", "")

    def get(self, name: str, default: str = "") -> str:
        return self.fields.get(name) or default

    def waited(self, now: datetime) -> int:
        """Seconds since the caller joined."""
        return max(0, int(now.timestamp() - int(self.fields.get("enq", 0)) / 1000))

    def json(self, name: str) -> Any:
        raw = self.fields.get(name)
        return json.loads(raw) if raw else None


@dataclass(frozen=True)
class WaitStatus:
    """What a waiting caller's next wait request should say."""

    state: str  # waiting, reserved, connecting, overflow, ... or unknown
    reason: str = ""  # overflow: full, unstaffed, max_wait
    position: int | None = None  # 1 for the next caller to be answered
    size: int = 0
    staffed: int = 0
    available: int = 0
    estimate: int | None = None  # seconds, None when it cannot be estimated
    remind: bool = False  # time to say the position again
    reservations: tuple[Reservation, ...] = ()
    spread: tuple[float, float] | None = None  # a plausible range around the estimate (s)


def ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def reservations_of(raw: Iterable[Sequence[Any]]) -> tuple[Reservation, ...]:
    """The reservations a script returned (agent, entry, ... as text)."""
    return tuple(Reservation(*(text_of(v) for v in item)) for item in raw or ())


def text_of(value: Any) -> str:
    """A value of a script's reply as text, whether the connection decodes or not."""
    return value.decode() if isinstance(value, bytes) else str(value)


def rules_args(rules: Iterable[Rules]) -> list[object]:
    """The queues' rules as the routing scripts take them, flattened."""
    return [arg for rule in rules for arg in rule.args()]


# -- joining ---------------------------------------------------------------------------------

_JOIN = Script("""
local entry, queue, skill = ARGV[1], ARGV[2], ARGV[3]
local max_size, score, ttl = tonumber(ARGV[4]), ARGV[5], ARGV[6]
local key = E .. entry
local state = redis.call('HGET', key, 'state')
if state and state ~= 'done' and state ~= 'overflow' then return state end
redis.call('DEL', key)
redis.call('HSET', key, unpack(ARGV, 7))
redis.call('EXPIRE', key, ttl)
local reason = ''
if redis.call('ZCARD', LINE .. queue) >= max_size then
  reason = 'full'
elseif redis.call('SCARD', STAFFED .. skill) == 0 then
  reason = 'unstaffed'
end
if reason ~= '' then
  redis.call('HSET', key, 'state', 'overflow', 'reason', reason)
  return 'overflow'
end
redis.call('ZADD', LINE .. queue, score, entry)
redis.call('HSET', key, 'state', 'joining')
return 'joining'
""")


def join(pipe: redis.client.Pipeline, rules: Rules, sid: str, now: datetime,
         details: Mapping[str, str]) -> None:
    """Queue on `pipe` a caller joining `rules.queue` (a repeated join changes nothing).

    A full queue or one with no agent signed in for its skill marks the caller for overflow,
    which their first wait request carries out.
    """
    enq = ms(now)
    score = rules.rank(details.get("contract", "")) * PRIORITY_STEP + enq
    fields = {**details, "sid": sid, "queue": rules.queue, "skill": rules.skill,
              "score": str(score), "enq": str(enq)}
    pairs = [item for pair in fields.items() for item in pair]
    _JOIN.queue(pipe, sid, rules.queue, rules.skill, rules.max_size, score, ENTRY_TTL, *pairs)


# -- waiting ---------------------------------------------------------------------------------

_WAIT = Script("""
local entry, now, grace = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local max_wait, reminder = tonumber(ARGV[4]), tonumber(ARGV[5])
local queue, skill = ARGV[6], ARGV[7]
local key = E .. entry
promote_wrapups(now)
sweep(now)
local state, enq, reminded, reason = unpack(redis.call('HMGET', key, 'state', 'enq', 'reminded',
                                                           'reason'))
if not state then return {'unknown'} end
local out = {}
if state == 'joining' then
  state = 'waiting'
  redis.call('HSET', key, 'state', 'waiting')
end
if state == 'waiting' then
  if max_wait > 0 and now - tonumber(enq) >= max_wait then
    reason = 'max_wait'
  elseif redis.call('SCARD', STAFFED .. skill) == 0 then
    reason = 'unstaffed'
  end
  if reason and reason ~= '' then
    redis.call('ZREM', LINE .. queue, entry)
    redis.call('HSET', key, 'state', 'overflow', 'reason', reason)
    note_left(entry, now, false)
    return {'overflow', reason}
  end
  match(queue, skill, tonumber(ARGV[8]), now, grace, out)
  state = redis.call('HGET', key, 'state')
end
local rank = redis.call('ZRANK', LINE .. queue, entry)
local remind = 0
if state == 'waiting' and (not reminded or now - tonumber(reminded) >= reminder) then
  remind = 1
  redis.call('HSET', key, 'reminded', now)
end
-- for the estimate: each busy agent's talk so far (ms), the recent handle times (s), and for
-- each agent the callers waiting in the other queues they serve (ARGV from 9: queue, skill)
local lines = {}
for i = 9, #ARGV, 2 do
  if ARGV[i] ~= queue then
    lines[#lines + 1] = {ARGV[i + 1], redis.call('ZCARD', LINE .. ARGV[i])}
  end
end
local busy, others = {}, {}
for _, agent in ipairs(redis.call('SMEMBERS', STAFFED .. skill)) do
  local agent_state, since, skills = unpack(redis.call('HMGET', A .. agent, 'state', 'since',
                                                       'skills'))
  if agent_state == 'busy' and since then busy[#busy + 1] = now - tonumber(since) end
  local other = 0
  if #lines > 0 then
    local has = {}
    for _, s in ipairs(split(skills)) do has[s] = true end
    for _, pair in ipairs(lines) do
      if has[pair[1]] then other = other + pair[2] end
    end
  end
  others[#others + 1] = other
end
local said = redis.call('HMGET', key, 'said', 'said_pos', 'said_staffed')
return {state, reason or '', rank or -1, redis.call('ZCARD', LINE .. queue),
        redis.call('SCARD', STAFFED .. skill), redis.call('ZCARD', AVAIL .. skill),
        remind, out, busy, redis.call('LRANGE', HANDLED .. queue, 0, -1), said,
        redis.call('LRANGE', LEFT .. queue, 0, -1), others}
""")


def wait(r: redis.Redis, rules: Rules, entry: str, now: datetime,
         every: Iterable[Rules] = ()) -> WaitStatus:
    """A waiting caller asks again what to hear: position, estimate, or leave for overflow.

    The first request moves the caller from joining to waiting (they are in Twilio's queue
    now), and every request tries to route the queue: an agent may be free for them. `every`
    is the flow's queues: an agent who serves others too frees up for this one only part of
    the time, and the estimate says so.
    """
    pairs = [arg for other in every for arg in (other.queue, other.skill)]
    raw = _WAIT(r, entry, ms(now), RESERVE_GRACE * 1000, rules.max_wait * 1000,
                rules.reminder * 1000, rules.queue, rules.skill, rules.agency_first * 1000,
                *pairs)
    state = text_of(raw[0])
    if state in ("unknown", "overflow"):
        return WaitStatus(state, text_of(raw[1]) if len(raw) > 1 else "")
    rank, size, staffed, available, remind = (int(v) for v in raw[2:7])
    position = rank + 1 if rank >= 0 else None
    seconds, spread = None, None
    if position is not None:
        known = snapshot(position, staffed, available, [int(v) / 1000 for v in raw[8]],
                         [int(v) for v in raw[9]], raw[11],
                         waits.share(size, (int(v) for v in raw[12])))
        seconds = estimate_wait(known)
        if seconds is not None:
            said, said_pos, said_staffed = raw[10]
            last = Said(float(said), int(said_pos), int(said_staffed)) if said else None
            seconds = steady(last, seconds, position, staffed) if remind else seconds
            spread = waits.spread(known, seconds)
            if remind:  # the figure the caller hears: the next one rises only for a reason
                key = ENTRY_KEY.format(entry)
                pipe = r.pipeline(transaction=False)
                pipe.hset(key, mapping={
                    "said": seconds, "said_pos": position, "said_staffed": staffed})
                # the first estimate, unrounded, and when: how right it was (call records)
                pipe.hsetnx(key, "announced", json.dumps({"seconds": seconds, "at": ms(now)}))
                pipe.execute()
    return WaitStatus(
        state, text_of(raw[1]), position, size, staffed, available,
        None if seconds is None else int(round(seconds)), bool(remind), reservations_of(raw[7]),
        spread,
    )


def snapshot(position: int, staffed: int, available: int, busy_elapsed: Sequence[float],
             handled: Sequence[int], left: Iterable[Any] = (), share: float = 1.0) -> Snapshot:
    """The estimator's snapshot from what is stored: handle times come newest first, `left`
    is the queue's record of callers who left the line (`left_line`), `share` the part of
    the agents' work this queue has (`waits.share`)."""
    return Snapshot(position=position, staffed=staffed, available=available,
                    busy_elapsed=list(busy_elapsed),
                    handle_times=[float(h) for h in reversed(handled)],
                    patience=waits.patience(_parse_left(left)), share=share)


def _parse_left(raw: Iterable[Any]) -> list[tuple[float, bool]]:
    """"<ms waited>:<1|0>" items as (seconds waited, hung up)."""
    out = []
    for item in raw:
        waited, _, gone = text_of(item).partition(":")
        out.append((int(waited) / 1000, gone == "1"))
    return out


_HOLD = Script("""
local key, now = E .. ARGV[1], tonumber(ARGV[2])
local state = redis.call('HGET', key, 'state')
if state == 'joining' or state == 'waiting' then
  redis.call('HSET', key, 'state', 'held')
  note_left(ARGV[1], now, false)
  return 'held'
end
return state or ''
""")


def hold(r: redis.Redis, entry: str, now: datetime) -> str:
    """A waiting caller pressed the callback key: their place in the line is kept for their
    callback (`held`, routed to nobody) until it is made, or they hang up. Returns the new
    state; a caller already being put through to an agent stays as they are."""
    return text_of(_HOLD(r, entry, ms(now)))


def fetch_state(pipe: redis.client.Pipeline, entry: str) -> None:
    """Queue on `pipe` the read of an entry's state (parsed by `parse_state`)."""
    pipe.hget(ENTRY_KEY.format(entry), "state")


def parse_state(raw: Any) -> str:
    return text_of(raw) if raw else ""


# -- taking a caller out of the queue to an agent --------------------------------------------

_CONNECT = Script("""
local entry, res, now, deadline = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local key = E .. entry
local state, held, agent = unpack(redis.call('HMGET', key, 'state', 'res', 'agent'))
if held ~= res or (state ~= 'reserved' and state ~= 'connecting') then return {state or ''} end
redis.call('HSET', key, 'state', 'connecting')
redis.call('ZADD', PENDING, now + deadline, entry)
return {'connecting', agent}
""")


def connect(r: redis.Redis, entry: str, res: str, now: datetime, ring: int) -> str | None:
    """The call reached our connect URL: the agent held for it, or None if the reservation
    is no longer valid (released as late, or the caller left)."""
    raw = _CONNECT(r, entry, res, ms(now), (ring + RING_GRACE) * 1000)
    return text_of(raw[1]) if text_of(raw[0]) == "connecting" else None


_ANSWER = Script("""
local entry, res, now = ARGV[1], ARGV[2], tonumber(ARGV[3])
local key = E .. entry
local state, held, agent = unpack(redis.call('HMGET', key, 'state', 'res', 'agent'))
if held ~= res then return 0 end
if state == 'bridged' then return 1 end
if state ~= 'reserved' and state ~= 'connecting' then return 0 end
redis.call('HSET', key, 'state', 'bridged', 'answered', now)
redis.call('ZREM', PENDING, entry)
note_left(entry, now, false)
local agent_state, agent_entry = unpack(redis.call('HMGET', A .. agent, 'state', 'entry'))
if agent_state == 'ringing' and agent_entry == entry then
  redis.call('HSET', A .. agent, 'state', 'busy', 'since', now)
end
return 1
""")


def answered(r: redis.Redis, entry: str, res: str, now: datetime) -> bool:
    """The agent picked up (Twilio asks for the whisper): the caller is bridged, the agent busy."""
    return bool(_ANSWER(r, entry, res, ms(now)))


_DIALED = Script("""
local entry, res, now, status = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4]
local duration, wrapup, grace = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])
local key = E .. entry
local state, held, agent, queue = unpack(redis.call('HMGET', key, 'state', 'res', 'agent',
                                                         'queue'))
local out = {}
if held ~= res then return {'stale', out} end
if state == 'bridged' then
  finish(entry, 'answered', now)
  redis.call('HSET', key, 'handled', duration)
  redis.call('LPUSH', HANDLED .. queue, duration)
  redis.call('LTRIM', HANDLED .. queue, 0, HANDLED_KEEP - 1)
  local agent_state, agent_entry = unpack(redis.call('HMGET', A .. agent, 'state', 'entry'))
  if agent_state == 'busy' and agent_entry == entry then start_wrapup(agent, now, wrapup) end
  return {'answered', route_all(8, now, grace)}
end
if state ~= 'reserved' and state ~= 'connecting' then return {'stale', out} end
if status == 'canceled' then
  note_left(entry, now, true)
  finish(entry, 'abandoned', now)
  free_agent(agent, entry, now)
  return {'abandoned', route_all(8, now, grace)}
end
requeue(entry)
local agent_state, agent_entry = unpack(redis.call('HMGET', A .. agent, 'state', 'entry'))
if agent_state == 'ringing' and agent_entry == entry then
  make_state(agent, 'offline', now, 'did not answer (' .. status .. ')')
  redis.call('HSET', A .. agent, 'entry', '')
end
return {'requeued', route_all(8, now, grace)}
""")


def dialed(r: redis.Redis, entry: str, res: str, status: str, duration: int, now: datetime,
           rules: Rules, every: Iterable[Rules]) -> tuple[str, tuple[Reservation, ...]]:
    """The <Dial> to the agent ended: `answered` (the agent goes to wrap-up), `abandoned`
    (the caller hung up while it rang), `requeued` (the agent did not answer: they go offline
    with the reason, the caller keeps their place) or `stale` (a repeated or late report)."""
    raw = _DIALED(r, entry, res, ms(now), status, duration, rules.wrapup,
                  RESERVE_GRACE * 1000, *rules_args(every))
    return text_of(raw[0]), reservations_of(raw[1])


_ENDED = Script("""
local entry, now, outcome = ARGV[1], tonumber(ARGV[2]), ARGV[3]
local wrapup, grace = tonumber(ARGV[4]), tonumber(ARGV[5])
local key = E .. entry
local state, agent = unpack(redis.call('HMGET', key, 'state', 'agent'))
if not state or state == 'done' then return {state or '', {}} end
if state == 'bridged' then
  finish(entry, 'answered', now)
  local agent_state, agent_entry = unpack(redis.call('HMGET', A .. agent, 'state', 'entry'))
  if agent_state == 'busy' and agent_entry == entry then start_wrapup(agent, now, wrapup) end
elseif state == 'overflow' then
  finish(entry, 'overflow', now)
else
  if outcome == 'abandoned' and (state == 'joining' or state == 'waiting' or state == 'reserved'
                                 or state == 'connecting') then
    note_left(entry, now, true)
  end
  finish(entry, outcome, now)
  free_agent(agent, entry, now)
end
return {state, route_all(6, now, grace)}
""")


def ended(r: redis.Redis, entry: str, now: datetime, outcome: str, rules: Rules | None,
          every: Iterable[Rules]) -> tuple[str, tuple[Reservation, ...]]:
    """The caller left the queue for good (hung up, or their call completed): the entry is
    done with `outcome` unless it was already bridged (answered) or sent to overflow; an
    agent held for it is freed. Returns the state it was in and any new reservations."""
    wrapup = rules.wrapup if rules else 0
    raw = _ENDED(r, entry, ms(now), outcome, wrapup, RESERVE_GRACE * 1000, *rules_args(every))
    return text_of(raw[0]), reservations_of(raw[1])


_ROUTE = Script("""
return route_all(3, tonumber(ARGV[1]), tonumber(ARGV[2]))
""")


def route(r: redis.Redis, now: datetime, every: Iterable[Rules]) -> tuple[Reservation, ...]:
    """Route every queue: ended wrap-ups become available, late reservations are released."""
    return reservations_of(_ROUTE(r, ms(now), RESERVE_GRACE * 1000, *rules_args(every)))


# -- reading ---------------------------------------------------------------------------------


def entry(r: redis.Redis, entry_id: str) -> Entry | None:
    fields: dict[str, str] = r.hgetall(ENTRY_KEY.format(entry_id))  # type: ignore[assignment]
    return Entry(entry_id, fields) if fields else None


def position(r: redis.Redis, queue: str, entry_id: str) -> int | None:
    rank = r.zrank(LINE_KEY.format(queue), entry_id)
    return None if rank is None else int(rank) + 1  # type: ignore[arg-type]


def waiting(r: redis.Redis, queue: str, limit: int = 100) -> list[Entry]:
    """Callers waiting in a queue, in the order they will be answered."""
    ids: list[str] = r.zrange(LINE_KEY.format(queue), 0, limit - 1)  # type: ignore[assignment]
    if not ids:
        return []
    pipe = r.pipeline(transaction=False)
    for entry_id in ids:
        pipe.hgetall(ENTRY_KEY.format(entry_id))
    return [Entry(i, f) for i, f in zip(ids, pipe.execute(), strict=True) if f]


def size(r: redis.Redis, queue: str) -> int:
    return int(r.zcard(LINE_KEY.format(queue)))


def oldest_wait(r: redis.Redis, queue: str, now: datetime) -> int:
    """Seconds the longest-waiting caller of a queue has waited (0 when nobody waits).

    The first in line is not always the oldest: a priority caller goes ahead of earlier
    ones. Each priority band's first entry is its oldest, so one look per band finds it.
    """
    line, low, oldest = LINE_KEY.format(queue), "-inf", None
    for _ in range(100):  # bands: one per priority rank, a handful
        found: list[tuple[str, float]] = r.zrangebyscore(  # type: ignore[assignment]
            line, low, "+inf", start=0, num=1, withscores=True)
        if not found:
            break
        band, enq = divmod(int(found[0][1]), PRIORITY_STEP)
        oldest = enq if oldest is None else min(oldest, enq)
        low = str((band + 1) * PRIORITY_STEP)
    return max(0, int(now.timestamp() - oldest / 1000)) if oldest is not None else 0


def handle_times(r: redis.Redis, queue: str) -> list[int]:
    return [int(v) for v in r.lrange(HANDLED_KEY.format(queue), 0, -1)]


def left_line(r: redis.Redis, queue: str) -> list[str]:
    """The recent callers who left a queue's line, newest first, as stored (for `snapshot`)."""
    return [text_of(v) for v in r.lrange(LEFT_KEY.format(queue), 0, -1)]


def in_progress(r: redis.Redis) -> list[Entry]:
    """Entries being connected to an agent (reserved or ringing), by deadline."""
    ids: list[str] = r.zrange(PENDING_KEY, 0, -1)  # type: ignore[assignment]
    found = (entry(r, i) for i in ids)
    return [e for e in found if e is not None]


def take_finished(r: redis.Redis, limit: int = 500) -> list[Entry]:
    """Entries done since the last call, each handed out once (for the call records)."""
    ids: list[str] | None = r.lpop(FINISHED_KEY, limit)  # type: ignore[assignment]
    if not ids:
        return []
    pipe = r.pipeline(transaction=False)
    for entry_id in ids:
        pipe.hgetall(ENTRY_KEY.format(entry_id))
    return [Entry(i, f) for i, f in zip(ids, pipe.execute(), strict=True) if f]


def left(pipe: redis.client.Pipeline, entry: str, now: datetime, outcome: str) -> None:
    """Queue on `pipe` the end of an entry whose caller left Twilio's queue (overflow or hang
    up); an agent held for it is freed, and the next routing gives them another caller."""
    _ENDED.queue(pipe, entry, ms(now), outcome, 0, RESERVE_GRACE * 1000)
