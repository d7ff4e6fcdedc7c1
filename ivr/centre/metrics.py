"""What the contact centre counts in Redis for its metrics (served by ivr/web/metrics.py):
errors of Twilio's REST API, by whichever process or host met them (RQ jobs run in forked
processes, often on other hosts)."""

from __future__ import annotations

import logging

import redis

log = logging.getLogger(__name__)

TWILIO_ERRORS_KEY = "ivr:metrics:twilio_errors"  # hash: HTTP status ("network": none) -> count


def count_twilio_error(r: redis.Redis, status: int | None) -> None:
    """One more failed request to Twilio's REST API (never raises: metrics must not break a
    call)."""
    try:
        r.hincrby(TWILIO_ERRORS_KEY, str(status) if status else "network", 1)
    except redis.RedisError:
        log.warning("could not count a Twilio REST error (Redis unavailable)")


def twilio_errors(r: redis.Redis) -> dict[str, int]:
    """Failed requests to Twilio's REST API so far, by HTTP status ("network": no answer)."""
    raw: dict[str, str] = r.hgetall(TWILIO_ERRORS_KEY)  # type: ignore[assignment]
    return {status: int(count) for status, count in raw.items()}
