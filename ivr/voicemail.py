"""Voicemail messages left by callers, kept in Redis for the agents."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import redis

VOICEMAILS_KEY = "ivr:voicemails"
KEEP = 5000


def save(r: redis.Redis, params: Mapping[str, str], call: Mapping[str, Any] | None,
         now: datetime, lang: str) -> dict[str, Any] | None:
    """Keep a finished recording (Twilio's recording status callback) for the agents."""
    if params.get("RecordingStatus", "completed") != "completed" or not params.get("RecordingUrl"):
        return None
    try:
        duration = int(params.get("RecordingDuration") or 0)
    except ValueError:
        duration = 0
    call = call or {}
    message = {
        "call_sid": params.get("CallSid", ""),
        "recording_sid": params.get("RecordingSid", ""),
        "url": params["RecordingUrl"],
        "duration": duration,
        "at": now.isoformat(),
        "language": lang,
        "caller": call.get("caller"),
        "client": (call.get("client") or {}).get("id"),
        "company": (call.get("client") or {}).get("company"),
    }
    pipe = r.pipeline(transaction=False)
    pipe.lpush(VOICEMAILS_KEY, json.dumps(message, ensure_ascii=False))
    pipe.ltrim(VOICEMAILS_KEY, 0, KEEP - 1)
    pipe.execute()
    return message


def recent(r: redis.Redis, limit: int = 50) -> list[dict[str, Any]]:
    return [json.loads(item) for item in r.lrange(VOICEMAILS_KEY, 0, limit - 1)]
