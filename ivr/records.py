"""Call records (`ivr:rec:*`): how each queued call ended, and the day's figures per queue.

Written from the queue's finished entries (`queue.take_finished`), each once; kept
`retention_days`. A record is what agents see of a client's previous calls and what the
supervisor's figures are made of.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, date, datetime, tzinfo
from typing import Any

import redis

from ivr import queue
from ivr.queue import Entry

CALL_KEY = "ivr:rec:call:{}"
DAY_KEY = "ivr:rec:day:{}"  # zset: call sids of a day (local), by arrival
CLIENT_KEY = "ivr:rec:client:{}"  # list: a client's calls, newest first
AGENT_KEY = "ivr:rec:agent:{}"  # list: an agent's calls, newest first
STATS_KEY = "ivr:rec:stats:{}:{}"  # hash: a day's counters for a queue
KEEP_PER_PERSON = 50
SERVICE_LEVEL_SECONDS = 60  # "answered within 60 s"


def _moment(value: str | None) -> datetime | None:
    return datetime.fromtimestamp(int(value) / 1000, UTC) if value else None


def record_of(entry: Entry) -> dict[str, Any]:
    """The call record of a finished queue entry."""
    enq, left, answered = (_moment(entry.get(f)) for f in ("enq", "left", "answered"))
    until = answered or left
    return {
        "sid": entry.id, "queue": entry.get("queue"), "outcome": entry.get("outcome"),
        "client_id": entry.get("client_id") or None, "company": entry.get("company") or None,
        "agency": entry.get("agency") or None, "contract": entry.get("contract") or None,
        "caller": entry.get("caller") or None, "lang": entry.get("lang") or None,
        "pressed": [p for p in entry.get("pressed").split(",") if p],
        "agent": entry.get("agent") or None if entry.get("outcome") == "answered" else None,
        "enqueued_at": enq.isoformat() if enq else None,
        "answered_at": answered.isoformat() if answered else None,
        "left_at": left.isoformat() if left else None,
        "waited": int((until - enq).total_seconds()) if until and enq else None,
        "handled": int(entry.get("handled")) if entry.get("handled").isdigit() else None,
    }


def save(r: redis.Redis, entries: Iterable[Entry], tz: tzinfo, retention_days: int) -> int:
    """Write the records and day counters of finished entries, in one round trip."""
    ttl = retention_days * 86400
    pipe = r.pipeline(transaction=False)
    count = 0
    for entry in entries:
        record = record_of(entry)
        enq = _moment(entry.get("enq")) or datetime.now(UTC)
        local = enq.astimezone(tz)
        day, hour = local.date().isoformat(), local.hour
        pipe.set(CALL_KEY.format(entry.id), json.dumps(record, ensure_ascii=False), ex=ttl)
        pipe.zadd(DAY_KEY.format(day), {entry.id: int(enq.timestamp() * 1000)})
        pipe.expire(DAY_KEY.format(day), ttl)
        for key, who in ((CLIENT_KEY, record["client_id"]), (AGENT_KEY, record["agent"])):
            if who:
                pipe.lpush(key.format(who), entry.id)
                pipe.ltrim(key.format(who), 0, KEEP_PER_PERSON - 1)
                pipe.expire(key.format(who), ttl)
        stats = STATS_KEY.format(day, record["queue"])
        outcome = record["outcome"] or "unknown"
        pipe.hincrby(stats, "offered", 1)
        pipe.hincrby(stats, outcome, 1)
        pipe.hincrby(stats, f"hour:{hour:02d}", 1)
        if outcome == "answered" and record["waited"] is not None:
            pipe.hincrby(stats, "wait_sum", record["waited"])
            if record["waited"] <= SERVICE_LEVEL_SECONDS:
                pipe.hincrby(stats, "answered_in_time", 1)
        if record["handled"] is not None:
            pipe.hincrby(stats, "handle_sum", record["handled"])
            pipe.hincrby(stats, "handled", 1)
        pipe.expire(stats, ttl)
        count += 1
    if count:
        pipe.execute()
    return count


def collect(r: redis.Redis, tz: tzinfo, retention_days: int) -> int:
    """Turn every finished queue entry into its record; returns how many."""
    total = 0
    while True:
        entries = queue.take_finished(r)
        if not entries:
            return total
        total += save(r, entries, tz, retention_days)


def day_stats(r: redis.Redis, day: date, queue_name: str) -> dict[str, int]:
    raw: dict[str, str] = r.hgetall(STATS_KEY.format(day.isoformat(), queue_name))  # type: ignore[assignment]
    return {k: int(v) for k, v in raw.items()}


def calls(r: redis.Redis, sids: Iterable[str]) -> list[dict[str, Any]]:
    sids = list(sids)
    if not sids:
        return []
    raws = r.mget([CALL_KEY.format(s) for s in sids])
    return [json.loads(raw) for raw in raws if raw]


def of_client(r: redis.Redis, client_id: str, limit: int = 10) -> list[dict[str, Any]]:
    """A client's previous calls, newest first."""
    return calls(r, r.lrange(CLIENT_KEY.format(client_id), 0, limit - 1))  # type: ignore[arg-type]


def of_agent(r: redis.Redis, agent_id: str, limit: int = 10) -> list[dict[str, Any]]:
    """An agent's recent calls, newest first."""
    return calls(r, r.lrange(AGENT_KEY.format(agent_id), 0, limit - 1))  # type: ignore[arg-type]


def of_day(r: redis.Redis, day: date) -> list[dict[str, Any]]:
    """Every queued call of a day, by arrival."""
    return calls(r, r.zrange(DAY_KEY.format(day.isoformat()), 0, -1))  # type: ignore[arg-type]
