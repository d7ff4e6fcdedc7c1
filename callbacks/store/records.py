"""Asking for and cancelling callbacks: the records, their keys, the request script."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any

import redis

from callbacks.policy import Policy
from ivr.core.lua import Script
from ivr.queue import ENTRY_TTL, RESERVE_GRACE, Reservation, Rules, ms, reservations_of, text_of

RECORD_KEY = "ivr:cb:r:{}"
HISTORY_KEY = "ivr:cb:h:{}"
OPEN_KEY = "ivr:cb:open"
SCHED_KEY = "ivr:cb:sched"
JOBLESS_KEY = "ivr:cb:jobless"
WATCH_KEY = "ivr:cb:watch"
FAILED_KEY = "ivr:cb:failed"
DONE_KEY = "ivr:cb:done"
CLIENT_KEY = "ivr:cb:client:{}"
NUMBER_KEY = "ivr:cb:number:{}"
CAP_KEY = "ivr:cb:cap:{}:{}"
CALL_KEY = "ivr:cb:call:{}"  # the outcome of the request a call made, for its next step
LIBS = ("routing", "callbacks")
PENDING = ("requested", "scheduled", "due", "dialling", "connected")
TERMINAL = ("completed", "failed", "cancelled")


@dataclass(frozen=True)
class Callback:
    """A callback as stored."""

    id: str
    fields: Mapping[str, str]

    def get(self, name: str, default: str = "") -> str:
        return self.fields.get(name) or default

    @property
    def state(self) -> str:
        return self.get("state")

    @property
    def number(self) -> str:
        return self.get("number")

    @property
    def entry(self) -> str:
        return f"cb-{self.id}"

    @property
    def pending(self) -> bool:
        return self.state in PENDING

    def moment(self, name: str) -> datetime | None:
        value = self.get(name)
        return datetime.fromtimestamp(int(value) / 1000, UTC) if value.isdigit() else None

    def as_json(self, tz: tzinfo) -> dict[str, Any]:
        def when(name: str) -> str | None:
            moment = self.moment(name)
            return moment.astimezone(tz).isoformat(timespec="seconds") if moment else None

        return {
            "id": self.id, "state": self.state, "number": self.number,
            "client_id": self.get("client_id") or None, "company": self.get("company") or None,
            "queue": self.get("queue"), "due": when("due"), "created": when("created"),
            "updated": when("updated"), "attempts": int(self.get("attempts", "0")),
            "max_attempts": int(self.get("max_attempts", "0")), "reason": self.get("reason"),
            "source": self.get("source"), "lang": self.get("lang"),
            "trial": self.get("trial") == "1",
        }


@dataclass(frozen=True)
class Request:
    """A client asks to be called back on `number` (already checked), from `queue`."""

    number: str
    queue: str
    skill: str
    schedule: str
    lang: str
    version: str
    source: str  # closed, queue, overflow, cli, api
    client_id: str = ""
    company: str = ""
    agency: str = ""
    contract: str = ""
    from_entry: str = ""  # the caller's queue entry whose place the callback takes
    trial: bool = False  # asked by a simulated call: kept and listed, never dialled


@dataclass(frozen=True)
class Outcome:
    """What became of a request: created, updated, in_progress (being dialled) or refused."""

    status: str
    id: str = ""
    state: str = ""
    due: datetime | None = None
    refused: str | None = None
    number: str = ""

    @property
    def accepted(self) -> bool:
        return self.status in ("created", "updated", "in_progress")

    def dumps(self) -> str:
        return json.dumps({"status": self.status, "id": self.id, "state": self.state,
                           "due": self.due.isoformat() if self.due else None,
                           "refused": self.refused})

    @classmethod
    def loads(cls, raw: str | bytes) -> Outcome:
        data = json.loads(raw)
        due = datetime.fromisoformat(data["due"]) if data.get("due") else None
        return cls(data["status"], data.get("id", ""), data.get("state", ""), due,
                   data.get("refused"))


# -- asking ----------------------------------------------------------------------------------

_REQUEST = Script("""
local now, client, number = tonumber(ARGV[1]), ARGV[2], ARGV[3]
local cap, cap_key, cap_ttl = tonumber(ARGV[4]), ARGV[5], tonumber(ARGV[6])
local open, due, score = ARGV[7] == '1', tonumber(ARGV[8]), ARGV[9]
local from_entry, ttl = ARGV[10], tonumber(ARGV[11])
local skill, agency_first, grace = ARGV[12], tonumber(ARGV[13]), tonumber(ARGV[14])
local fields = {}
for i = 15, #ARGV do fields[#fields + 1] = ARGV[i] end

-- a callback that joins a line now may be the one a free agent was waiting for
local function routed(id)
  local out = {}
  local state, queue, own_skill = unpack(redis.call('HMGET', CB .. id, 'state', 'queue', 'skill'))
  if state == 'due' then match(queue, own_skill or skill, agency_first, now, grace, out) end
  return out
end

local function place()
  if from_entry ~= '' then return hand_place(from_entry, now) or score end
  return score
end

local by_client = client ~= '' and cb_pending(CB_CLIENT .. client) or false
local by_number = cb_pending(CB_NUMBER .. number)
local id = by_client or by_number
if id then
  local state = redis.call('HGET', CB .. id, 'state')
  if state == 'dialling' or state == 'connected' then
    return {'in_progress', id, state, redis.call('HGET', CB .. id, 'due'), {}}
  end
  if by_client and by_number and by_client ~= by_number then
    cb_cancel(by_number, now, 'replaced by callback ' .. by_client)
  end
  cb_unindex(id)
  -- a callback in a line stays in that line
  local keep = state == 'due' and {queue = true, skill = true} or {}
  for i = 1, #fields, 2 do
    if not keep[fields[i]] then redis.call('HSET', CB .. id, fields[i], fields[i + 1]) end
  end
  cb_index(id, client, number)
  if open and state == 'scheduled' then
    cb_make_due(id, now, place(), ttl)
  elseif state == 'due' then
    local held = redis.call('HGET', CB .. id, 'score')
    join_callback(cb_entry(id), redis.call('HGET', CB .. id, 'queue'), held, ttl,
                  cb_entry_fields(id, now))
  end
  state = redis.call('HGET', CB .. id, 'state')
  redis.call('RPUSH', CB_HISTORY .. id, cjson.encode({at = now, state = state,
                                                     reason = 'asked again'}))
  return {'updated', id, state, redis.call('HGET', CB .. id, 'due'), routed(id)}
end

if redis.call('INCR', cap_key) > cap then
  redis.call('DECR', cap_key)
  return {'refused', '', 'too_many', '', {}}
end
redis.call('EXPIRE', cap_key, cap_ttl)
id = tostring(redis.call('INCR', CB_SEQ))
redis.call('HSET', CB .. id, 'id', id, 'created', now, 'attempts', 0, 'res', '', 'call_sid', '',
           unpack(fields))
cb_index(id, client, number)
redis.call('ZADD', CB_OPEN, now, id)
cb_note(id, 'requested', now, redis.call('HGET', CB .. id, 'source'))
if open then
  cb_make_due(id, now, place(), ttl)
else
  cb_schedule(id, now, due, 'closed')
end
return {'created', id, redis.call('HGET', CB .. id, 'state'), redis.call('HGET', CB .. id, 'due'),
        routed(id)}
""", LIBS)


def request(r: redis.Redis, ask: Request, policy: Policy, now: datetime, *, open_now: bool,
            due: datetime, score: int, day: str,
            rules: Rules | None = None) -> tuple[Outcome, tuple[Reservation, ...]]:
    """Ask for a callback on a checked number: due now at its place in `ask.queue` when
    `open_now` (the caller's own place when they hand it over, else `score`), otherwise
    scheduled at `due`. Updates the client's or the number's pending callback instead of
    making a second one; refused ('too_many') past the number's daily cap (`day` is the
    local date). A callback due now is routed at once with its queue's `rules`: the agents
    held for it come back with the outcome."""
    fields = {
        "client_id": ask.client_id, "company": ask.company, "agency": ask.agency,
        "contract": ask.contract, "number": ask.number, "queue": ask.queue, "skill": ask.skill,
        "schedule": ask.schedule, "lang": ask.lang, "version": ask.version,
        "source": ask.source, "max_attempts": str(policy.attempts),
        "trial": "1" if ask.trial else "",
    }
    pairs = [item for pair in fields.items() for item in pair]
    raw = _REQUEST(r, ms(now), ask.client_id, ask.number, policy.daily_cap,
                   CAP_KEY.format(day, ask.number), 2 * 86400, "1" if open_now else "0",
                   ms(due), score, ask.from_entry, ENTRY_TTL, ask.skill,
                   rules.agency_first * 1000 if rules else 0, RESERVE_GRACE * 1000, *pairs)
    status, cb_id, state, when = (text_of(v) if v else "" for v in raw[:4])
    if status == "refused":
        return Outcome("refused", refused=state, number=ask.number), ()
    moment = datetime.fromtimestamp(int(when) / 1000, UTC) if when.isdigit() else None
    return Outcome(status, cb_id, state, moment, number=ask.number), reservations_of(raw[4])


def jobless(r: redis.Redis, limit: int = 500) -> list[tuple[str, str, datetime]]:
    """(member, callback id, due) of scheduled callbacks whose RQ job is yet to be made."""
    raw: list[tuple[str, float]] = r.zrange(JOBLESS_KEY, 0, limit - 1,  # type: ignore[assignment]
                                            withscores=True)
    return [(member, member.partition(":")[0], datetime.fromtimestamp(score / 1000, UTC))
            for member, score in raw]


def job_made(r: redis.Redis, member: str) -> None:
    r.zrem(JOBLESS_KEY, member)


def remember_outcome(r: redis.Redis, call_sid: str, outcome: Outcome) -> None:
    """Keep what a call's request came to, for the flow's next step of that call."""
    r.set(CALL_KEY.format(call_sid), outcome.dumps(), ex=3600)


def fetch_outcome(pipe: redis.client.Pipeline, call_sid: str) -> None:
    pipe.get(CALL_KEY.format(call_sid))


def parse_outcome(raw: Any) -> Outcome | None:
    return Outcome.loads(raw) if raw else None


# -- cancelling ------------------------------------------------------------------------------

_CANCEL = Script("""
local id, now, by = ARGV[1], tonumber(ARGV[2]), ARGV[3]
local state = redis.call('HGET', CB .. id, 'state')
if not state then return {0, 'unknown'} end
if state == 'dialling' or state == 'connected' or not CB_PENDING[state] then return {0, state} end
cb_cancel(id, now, 'cancelled by ' .. by)
return {1, 'cancelled'}
""", LIBS)


def cancel(r: redis.Redis, cb_id: str, now: datetime, by: str) -> tuple[bool, str]:
    """Cancel a pending callback: (True, 'cancelled'), or (False, the state that prevents it:
    'unknown', 'dialling' or 'connected' while its client is called, or a state over)."""
    if not cb_id.isdigit() or len(cb_id) > 18:
        return False, "unknown"
    done, state = _CANCEL(r, cb_id, ms(now), by)
    return bool(done), text_of(state)


def cancel_on(pipe: redis.client.Pipeline, cb_id: str, now: datetime, by: str) -> None:
    """Queue a cancellation on `pipe` (a caller cancelling from the flow)."""
    _CANCEL.queue(pipe, cb_id, ms(now), by)
