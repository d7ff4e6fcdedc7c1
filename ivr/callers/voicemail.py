"""Voicemail messages left by callers, kept in Redis for the agents, and marked handled.

A message is known by its recording's sid (Twilio's RecordingSid). It belongs to the queue the
caller was waiting in when they chose to leave it (after an overflow), or to no queue (left out
of hours, before choosing a service): every agent sees those.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import redis

from ivr.core.exceptions import IvrError

VOICEMAILS_KEY = "ivr:voicemails"
HANDLED_KEY = "ivr:voicemails:handled"  # hash: message id -> {"by": name, "at": ISO 8601}
KEEP = 5000
MESSAGE_ID = re.compile(r"^[A-Za-z0-9]{1,64}$")


class VoicemailError(IvrError):
    """A voicemail action refused: a malformed id."""


class UnknownVoicemail(VoicemailError):
    """No message has that id (or it is no longer kept)."""


class HandledAlready(VoicemailError):
    """Another user marked the message handled first."""


def save(r: redis.Redis, params: Mapping[str, str], call: Mapping[str, Any] | None,
         now: datetime, lang: str, queue: str | None = None) -> dict[str, Any] | None:
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
        "queue": queue or None,
    }
    pipe = r.pipeline(transaction=False)
    pipe.lpush(VOICEMAILS_KEY, json.dumps(message, ensure_ascii=False))
    pipe.ltrim(VOICEMAILS_KEY, 0, KEEP - 1)
    pipe.execute()
    return message


def message_id(message: Mapping[str, Any]) -> str:
    """The id of a message: its recording sid (its call's sid for a recording without one)."""
    return str(message.get("recording_sid") or message.get("call_sid") or "")


def recent(r: redis.Redis, limit: int = 50) -> list[dict[str, Any]]:
    return [json.loads(item) for item in r.lrange(VOICEMAILS_KEY, 0, limit - 1)]


def for_agents(r: redis.Redis, queues: Iterable[str] | None, status: str = "all",
               limit: int = 50) -> list[dict[str, Any]]:
    """Messages, newest first, each with its `id` and `handled` ({by, at} or None): those of
    `queues` and of no queue (None: every queue's), `open` or `handled` ones, or all."""
    if status not in ("open", "handled", "all"):
        raise VoicemailError(f"status must be open, handled or all, got {status!r}")
    wanted = None if queues is None else set(queues)
    pipe = r.pipeline(transaction=False)
    pipe.lrange(VOICEMAILS_KEY, 0, KEEP - 1)
    pipe.hgetall(HANDLED_KEY)
    raw, handled = pipe.execute()
    found = []
    for item in raw:
        message = json.loads(item)
        if wanted is not None and message.get("queue") and message["queue"] not in wanted:
            continue
        message["id"] = message_id(message)
        done = handled.get(message["id"])
        message["handled"] = json.loads(done) if done else None
        if status == "all" or (status == "handled") == (done is not None):
            found.append(message)
            if len(found) >= limit:
                break
    return found


def mark_handled(r: redis.Redis, msg_id: str, by: str, now: datetime) -> dict[str, Any]:
    """Mark a message handled by `by`; the first of two agents marking it at once wins, the
    other is told who did; the same user marking it twice changes nothing. Returns the
    message as `for_agents` shows it."""
    if not MESSAGE_ID.match(msg_id or ""):
        raise VoicemailError(f"a message id is letters and digits, got {msg_id[:70]!r}")
    message = next((json.loads(item) for item in r.lrange(VOICEMAILS_KEY, 0, KEEP - 1)
                    if message_id(json.loads(item)) == msg_id), None)
    if message is None:
        raise UnknownVoicemail(f"no voicemail {msg_id!r}")
    mark = json.dumps({"by": by, "at": now.isoformat()})
    if not r.hsetnx(HANDLED_KEY, msg_id, mark):
        mark = r.hget(HANDLED_KEY, msg_id) or mark  # type: ignore[assignment]
        earlier = json.loads(mark)
        if earlier["by"] != by:  # the same user again (a second tab, a double click): done
            raise HandledAlready(f"voicemail {msg_id} was handled by {earlier['by']} "
                                 f"at {earlier['at']}")
    if r.hlen(HANDLED_KEY) > 2 * KEEP:
        _forget_trimmed(r)
    return {**message, "id": msg_id, "handled": json.loads(mark)}


def _forget_trimmed(r: redis.Redis) -> None:
    """Drop the handled marks of messages no longer kept."""
    kept = {message_id(json.loads(item)) for item in r.lrange(VOICEMAILS_KEY, 0, KEEP - 1)}
    gone = [key for key in r.hkeys(HANDLED_KEY) if key not in kept]
    if gone:
        r.hdel(HANDLED_KEY, *gone)
