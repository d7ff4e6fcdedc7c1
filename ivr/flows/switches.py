"""Switches admins turn on without a deploy: the emergency closure and announcements.

All of them sit in one Redis hash, read with every webhook in the step's first round trip;
each carries its own end (`until`, on the call's clock), so it goes away by itself.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import redis

from ivr.hours import Emergency

log = logging.getLogger(__name__)
LIVE_KEY = "ivr:live"
EMERGENCY = "emergency"
ANNOUNCEMENT = "announcement:{}"


@dataclass(frozen=True)
class Live:
    """The live switches as read from Redis."""

    emergency: Emergency | None = None
    announcements: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    @classmethod
    def from_hash(cls, raw: Mapping[str, str]) -> Live:
        emergency = None
        announcements: dict[str, dict[str, Any]] = {}
        for key, value in raw.items():
            try:
                data = json.loads(value)
                if key == EMERGENCY:
                    since = data.get("since")
                    emergency = Emergency(datetime.fromisoformat(data["until"]),
                                          data.get("reason", ""),
                                          datetime.fromisoformat(since) if since else None)
                elif key.startswith("announcement:"):
                    data["until"] = datetime.fromisoformat(data["until"])
                    announcements[key.split(":", 1)[1]] = data
            except (ValueError, KeyError, TypeError):
                log.warning("ignoring malformed live setting %r", key)
        return cls(emergency, announcements)


def read(r: redis.Redis) -> Live:
    raw: dict[str, str] = r.hgetall(LIVE_KEY)  # type: ignore[assignment]
    return Live.from_hash(raw)


def close_emergency(r: redis.Redis, since: datetime, until: datetime, reason: str) -> None:
    """Close the line from `since` (now) until `until` (it reopens by itself)."""
    r.hset(LIVE_KEY, EMERGENCY, json.dumps({"since": since.isoformat(),
                                            "until": until.isoformat(), "reason": reason}))


def end_emergency(r: redis.Redis) -> None:
    r.hdel(LIVE_KEY, EMERGENCY)


def announce(r: redis.Redis, name: str, texts: Mapping[str, str], until: datetime) -> None:
    """Play `texts` (one per language) at the announcement node `name` until `until`."""
    r.hset(LIVE_KEY, ANNOUNCEMENT.format(name),
           json.dumps({"text": dict(texts), "until": until.isoformat()}, ensure_ascii=False))


def withdraw(r: redis.Redis, name: str) -> None:
    r.hdel(LIVE_KEY, ANNOUNCEMENT.format(name))
