"""Reading callbacks: one, the lists agents and admins see, a number's pending one."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import redis

from callbacks.store.records import (
    CLIENT_KEY,
    DONE_KEY,
    FAILED_KEY,
    HISTORY_KEY,
    NUMBER_KEY,
    OPEN_KEY,
    RECORD_KEY,
    Callback,
)
from ivr.core.lua import Script
from ivr.queue import ms, text_of

KEEP_DAYS = 30


def get(r: redis.Redis, cb_id: str) -> Callback | None:
    if not cb_id.isdigit() or len(cb_id) > 18:
        return None
    fields: dict[str, str] = r.hgetall(RECORD_KEY.format(cb_id))  # type: ignore[assignment]
    return Callback(cb_id, fields) if fields else None


def _many(r: redis.Redis, ids: Iterable[str]) -> list[Callback]:
    ids = list(ids)
    if not ids:
        return []
    pipe = r.pipeline(transaction=False)
    for cb_id in ids:
        pipe.hgetall(RECORD_KEY.format(cb_id))
    return [Callback(i, f) for i, f in zip(ids, pipe.execute(), strict=True) if f]


def pending(r: redis.Redis, limit: int = 1000) -> list[Callback]:
    """Callbacks not over yet, oldest request first."""
    return _many(r, r.zrange(OPEN_KEY, 0, limit - 1))  # type: ignore[arg-type]


def failed(r: redis.Redis, limit: int = 200) -> list[Callback]:
    """Callbacks that could not reach their client, newest first: for agents to follow up."""
    return _many(r, r.zrevrange(FAILED_KEY, 0, limit - 1))  # type: ignore[arg-type]


def finished(r: redis.Redis, limit: int = 200) -> list[Callback]:
    """Completed and cancelled callbacks, newest first."""
    return _many(r, r.zrevrange(DONE_KEY, 0, limit - 1))  # type: ignore[arg-type]


def history(r: redis.Redis, cb_id: str) -> list[dict[str, Any]]:
    """A callback's states, oldest first: {at (ms), state, reason}."""
    items: list[str] = r.lrange(HISTORY_KEY.format(cb_id), 0, -1)  # type: ignore[assignment]
    return [json.loads(item) for item in items]


def of_number(r: redis.Redis, number: str) -> Callback | None:
    """The pending callback of a number, if any."""
    cb_id = r.get(NUMBER_KEY.format(number))
    found = get(r, str(cb_id)) if cb_id else None
    return found if found and found.pending else None


# small and on its own (no library): it is sent whole with a step's reads, on every call
_PENDING_OF = Script("""
local function pending(index)
  local id = index ~= '' and redis.call('GET', index)
  if not id then return false end
  local state = redis.call('HGET', ARGV[3] .. id, 'state')
  if state == 'scheduled' or state == 'due' or state == 'dialling' or state == 'connected'
      or state == 'requested' then
    return id
  end
  return false
end
local id = pending(ARGV[1]) or pending(ARGV[2])
if not id then return false end
return {id, unpack(redis.call('HMGET', ARGV[3] .. id, 'state', 'due', 'schedule'))}
""", ())


def fetch_pending(pipe: redis.client.Pipeline, number: str | None, client_id: str = "") -> None:
    """Queue on `pipe` the read of the pending callback of a number (or client)."""
    _PENDING_OF.queue(pipe, NUMBER_KEY.format(number) if number else "",
                      CLIENT_KEY.format(client_id) if client_id else "", RECORD_KEY.format(""))


def parse_pending(raw: Any) -> Callback | None:
    if not raw:
        return None
    cb_id, state, due, schedule = (text_of(v) if v else "" for v in raw)
    return Callback(cb_id, {"state": state, "due": due, "schedule": schedule})


def trim(r: redis.Redis, now: datetime) -> None:
    """Forget callbacks over for longer than KEEP_DAYS (their records expire by themselves)."""
    cutoff = ms(now) - KEEP_DAYS * 86400 * 1000
    pipe = r.pipeline(transaction=False)
    pipe.zremrangebyscore(FAILED_KEY, "-inf", cutoff)
    pipe.zremrangebyscore(DONE_KEY, "-inf", cutoff)
    pipe.execute()
