"""Numbers that texted STOP: no SMS is sent to them until they text START. Kept in Redis
(`ivr:sms:stop`, the one owner of that key), each change audited."""

from __future__ import annotations

import json
from datetime import datetime

import redis

from ivr.admin import audit
from ivr.core.phones import mask

STOP_KEY = "ivr:sms:stop"  # hash: number -> {"at": ISO time, "by": who}


def is_stopped(r: redis.Redis, number: str) -> bool:
    return bool(r.hexists(STOP_KEY, number))


def stop(r: redis.Redis, number: str, now: datetime, by: str) -> bool:
    """Stop every SMS to `number`; True when it was not stopped yet (audited then: two STOPs
    at once make one entry)."""
    if not r.hsetnx(STOP_KEY, number, json.dumps({"at": now.isoformat(), "by": by})):
        return False
    audit.record(r, now, by, "sms.stop", f"SMS to {mask(number)}", before="allowed",
                 after="stopped")
    return True


def start(r: redis.Redis, number: str, now: datetime, by: str) -> bool:
    """Allow SMS to `number` again; True when it was stopped (audited then)."""
    if not r.hdel(STOP_KEY, number):
        return False
    audit.record(r, now, by, "sms.start", f"SMS to {mask(number)}", before="stopped",
                 after="allowed")
    return True


def stopped(r: redis.Redis) -> dict[str, dict[str, str]]:
    """Every stopped number, with when and by whom."""
    return {str(number): json.loads(raw) for number, raw in r.hgetall(STOP_KEY).items()}
