"""The audit log: who did what, when, with the state before and after, in Redis."""

from __future__ import annotations

import json
import logging
import secrets
from datetime import datetime
from typing import Any

import redis

log = logging.getLogger(__name__)
AUDIT_KEY = "ivr:audit"  # sorted set: score = time of the action, member = the entry as JSON
MAX_ENTRIES = 100_000  # the oldest go beyond this


def write(pipe: redis.Redis | redis.client.Pipeline, now: datetime, who: str, action: str,
          what: str, before: Any = None, after: Any = None) -> None:
    """Queue one entry (on the action's own transaction when it has one)."""
    entry = {"id": secrets.token_hex(6), "at": now.isoformat(), "who": who, "action": action,
             "what": what, "before": before, "after": after}
    pipe.zadd(AUDIT_KEY, {json.dumps(entry, ensure_ascii=False, default=str): now.timestamp()})
    pipe.zremrangebyrank(AUDIT_KEY, 0, -MAX_ENTRIES - 1)


def record(r: redis.Redis, now: datetime, who: str, action: str, what: str,
           before: Any = None, after: Any = None) -> None:
    """Write one entry now; a failure is logged, never raised (the action itself is done)."""
    try:
        pipe = r.pipeline(transaction=True)
        write(pipe, now, who, action, what, before, after)
        pipe.execute()
    except redis.RedisError:
        log.exception("audit entry lost: %s %s %s", who, action, what)


def entries(r: redis.Redis, who: str | None = None, action: str | None = None,
            since: datetime | None = None, until: datetime | None = None,
            limit: int = 200) -> list[dict[str, Any]]:
    """Entries newest first; `action` matches a prefix (`flow` finds `flow.publish`),
    `since` is included and `until` excluded."""
    high = f"({until.timestamp()}" if until else "+inf"
    low = since.timestamp() if since else "-inf"
    found: list[dict[str, Any]] = []
    offset, page = 0, 500
    while len(found) < limit:
        raw = r.zrevrangebyscore(AUDIT_KEY, high, low, start=offset, num=page)
        if not raw:
            break
        offset += page
        for item in raw:
            entry = json.loads(item)  # type: ignore[arg-type]
            if who and entry["who"] != who:
                continue
            if action and not (entry["action"] == action
                               or entry["action"].startswith(action.rstrip(".") + ".")):
                continue
            found.append(entry)
            if len(found) == limit:
                break
    return found


def actions(r: redis.Redis) -> list[str]:
    """The action names found in the latest entries (for the page's filter)."""
    raw = r.zrevrange(AUDIT_KEY, 0, 999)
    return sorted({json.loads(item)["action"] for item in raw})  # type: ignore[arg-type]
