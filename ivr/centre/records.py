"""Call records (`ivr:rec:*`): how each queued call ended, and the day's figures per queue.

Written from the queue's finished entries (`queue.take_finished`), each once; kept
`retention_days`. A record is what agents see of a client's previous calls and what the
supervisor's figures are made of.
"""

from __future__ import annotations

import json
import math
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
TOTALS_KEY = "ivr:rec:totals"  # hash: "<queue>|<outcome>" -> calls ever recorded (/metrics)
KEEP_PER_PERSON = 50
SERVICE_LEVEL_SECONDS = 60  # "answered within 60 s"


def _moment(value: str | None) -> datetime | None:
    return datetime.fromtimestamp(int(value) / 1000, UTC) if value else None


def record_of(entry: Entry) -> dict[str, Any]:
    """The call record of a finished queue entry."""
    enq, left, answered = (_moment(entry.get(f)) for f in ("enq", "left", "answered"))
    until = answered or left
    announced = entry.json("announced") or {}
    told = _moment(str(announced["at"])) if "at" in announced else None
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
        # the first wait estimate the caller was told (s, unrounded), and when
        "announced": announced.get("seconds"),
        "announced_at": told.isoformat() if told else None,
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
        pipe.hincrby(TOTALS_KEY, f"{record['queue']}|{outcome}", 1)
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


def of_day(r: redis.Redis, day: date, chunk: int = 1000) -> list[dict[str, Any]]:
    """Every queued call of a day, by arrival."""
    sids: list[str] = r.zrange(DAY_KEY.format(day.isoformat()), 0, -1)  # type: ignore[assignment]
    return [call for start in range(0, len(sids), chunk)
            for call in calls(r, sids[start:start + chunk])]


def totals(r: redis.Redis) -> dict[tuple[str, str], int]:
    """Calls recorded since the records began, by (queue, outcome): counters for /metrics."""
    raw: dict[str, str] = r.hgetall(TOTALS_KEY)  # type: ignore[assignment]
    found = {}
    for field, count in raw.items():
        queue_name, _, outcome = field.partition("|")
        found[(queue_name, outcome)] = int(count)
    return found


# -- a day's figures -------------------------------------------------------------------------

OUTCOMES = ("answered", "abandoned", "overflow")


def percentile(values: Iterable[int], share: float) -> int | None:
    """The nearest-rank percentile: the smallest value with `share` of the values at or below."""
    ordered = sorted(values)
    if not ordered:
        return None
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def _mean(values: list[int]) -> int | None:
    return round(sum(values) / len(values)) if values else None


def _figures(calls: list[dict[str, Any]], tz: tzinfo) -> dict[str, Any]:
    answered = [c for c in calls if c["outcome"] == "answered"]
    waits = [c["waited"] for c in answered if c["waited"] is not None]
    gave_up = [c["waited"] for c in calls if c["outcome"] == "abandoned"
               and c["waited"] is not None]
    handled = [c["handled"] for c in answered if c["handled"] is not None]
    in_time = sum(1 for w in waits if w <= SERVICE_LEVEL_SECONDS)
    hours = [{"hour": h, "offered": 0, **dict.fromkeys(OUTCOMES, 0)} for h in range(24)]
    for call in calls:
        if call["enqueued_at"]:
            hour = datetime.fromisoformat(call["enqueued_at"]).astimezone(tz).hour
            hours[hour]["offered"] += 1
            if call["outcome"] in OUTCOMES:
                hours[hour][call["outcome"]] += 1
    counts = {outcome: sum(1 for c in calls if c["outcome"] == outcome) for outcome in OUTCOMES}
    return {
        "offered": len(calls), **counts, "answered_in_time": in_time,
        "service_level": round(in_time / len(waits), 3) if waits else None,
        "wait_avg": _mean(waits), "wait_p90": percentile(waits, 0.9),
        "abandon_wait_avg": _mean(gave_up),
        "handle_avg": _mean(handled), "handle_p90": percentile(handled, 0.9),
        "hours": hours,
    }


def day_figures(r: redis.Redis, day: date, tz: tzinfo,
                queues: Iterable[str] = ()) -> dict[str, Any]:
    """A day's figures (local day of `tz`), per queue and in total, from its call records:
    calls offered per hour and by outcome, service level (answered within 60 s, of the
    answered calls), average and 90th-percentile wait to answer, handle time."""
    day_calls = of_day(r, day)
    names = list(dict.fromkeys([*queues, *(c["queue"] for c in day_calls if c["queue"])]))
    return {
        "date": day.isoformat(), "service_level_seconds": SERVICE_LEVEL_SECONDS,
        "queues": [{"queue": name, **_figures([c for c in day_calls if c["queue"] == name], tz)}
                   for name in names],
        "total": _figures(day_calls, tz),
    }
