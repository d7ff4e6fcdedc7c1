"""Numbers that texted STOP (or an admin stopped): no SMS is sent to them until they text
START (or an admin allows them again). Kept in Redis (`ivr:sms:stop`, the one owner of that
key), each change audited; two changes at once make one (HSETNX, HDEL)."""

from __future__ import annotations

import json
from datetime import datetime

import redis

from ivr.admin import audit
from ivr.core.exceptions import ActionError
from ivr.core.phones import mask, parse_phone

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


def stopped(r: redis.Redis, query: str = "") -> dict[str, dict[str, str]]:
    """Every stopped number, with when and by whom, the latest first; with `query`, those
    whose number holds its digits in any usual form ('06 12 34' finds +33612345678)."""
    found = {str(number): json.loads(raw) for number, raw in r.hgetall(STOP_KEY).items()}
    digits = "".join(c for c in query if c.isdigit())
    if query.strip():
        exact = parse_phone(query[:40])
        national = digits[1:] if digits.startswith("0") else digits
        found = {n: v for n, v in found.items()
                 if n == exact or (national and national in n)}
    return dict(sorted(found.items(), key=lambda item: item[1].get("at", ""), reverse=True))


def number_of(text: str) -> str:
    """A number an admin typed, in any usual form, as E.164; ActionError when it is none."""
    number = parse_phone(text[:40]) if text.strip() else None
    if number is None:
        raise ActionError(f"not a phone number: {text[:40]!r} (e.g. 06 12 34 56 78 or "
                          "+33612345678)")
    return number


def stop_by_hand(r: redis.Redis, text: str, now: datetime, by: str) -> str:
    """An admin stops every SMS to a number (typed in any usual form): its E.164 form.
    Refused when it is not a number, or already stopped (two admins at once: one wins)."""
    number = number_of(text)
    if not stop(r, number, now, by):
        raise ActionError(f"SMS to {number} are already stopped")
    return number


def start_by_hand(r: redis.Redis, text: str, now: datetime, by: str) -> str:
    """An admin allows SMS to a stopped number again: its E.164 form. Refused when it is not
    a number, or not stopped (two admins at once: one wins)."""
    number = number_of(text)
    if not start(r, number, now, by):
        raise ActionError(f"SMS to {number} are not stopped")
    return number
