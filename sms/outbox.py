"""The SMS to send and what became of them (`ivr:sms:out:*`, `ivr:sms:sid:*`: the one owner).

An SMS is a Redis record first, then an RQ job that takes its id (`deliver_job`): the job
checks the opt-out list right before sending, claims the record so that two runs send once,
and is retried by RQ when Twilio or the network fails in a way that may pass. Twilio's status
callbacks then move it on: queued -> sent -> delivered, or failed / undelivered.
"""

from __future__ import annotations

import logging
import secrets

import redis
from rq import Retry, get_current_job

from ivr.core.phones import mask
from ivr.services.hotline import Hotline, current_hotline
from ivr.telephony import TelephonyError
from sms import optout

log = logging.getLogger(__name__)
OUT_KEY = "ivr:sms:out:{}"  # hash: to, body, kind, ref, state, sid, status, error, tries
SID_KEY = "ivr:sms:sid:{}"  # MessageSid -> the record's id (for status callbacks)
SEQ_KEY = "ivr:sms:seq"
KEEP = 30 * 86400  # seconds a record is kept
STATUS_PATH = "/sms/status"
RETRY = Retry(max=3, interval=[10, 60, 300])
# Twilio's statuses, in the order they come; a late callback never moves a message back
ORDER = {"queued": 0, "sending": 1, "sent": 2, "delivered": 3, "undelivered": 3, "failed": 3}


def queue_sms(service: Hotline, to: str, body: str, kind: str, ref: str = "") -> str | None:
    """Keep an SMS to send and give it its RQ job; its id, None when it could not be kept
    (logged: an SMS never breaks what asked for it)."""
    try:
        out_id = f"{service.redis.incr(SEQ_KEY)}"
        key = OUT_KEY.format(out_id)
        pipe = service.redis.pipeline(transaction=True)
        pipe.hset(key, mapping={"to": to, "body": body, "kind": kind, "ref": ref,
                                "state": "queued", "created": service.clock.now().isoformat()})
        pipe.expire(key, KEEP)
        pipe.execute()
        service.job_queue.enqueue(deliver_job, out_id, job_id=f"sms-{out_id}", retry=RETRY,
                                  result_ttl=3600, failure_ttl=7 * 86400)
    except redis.RedisError:
        log.exception("SMS %s to %s not queued", kind, mask(to))
        return None
    log.info("SMS %s %s to %s queued", out_id, kind, mask(to))
    return out_id


def get(r: redis.Redis, out_id: str) -> dict[str, str]:
    """An SMS's record ({} when unknown)."""
    found: dict[str, str] = r.hgetall(OUT_KEY.format(out_id))  # type: ignore[assignment]
    return found


def recent(r: redis.Redis, limit: int = 50) -> list[dict[str, str]]:
    """The latest SMS kept (30 days), newest first, each with its `id`."""
    found: list[dict[str, str]] = []
    high = int(r.get(SEQ_KEY) or 0)
    while high > 0 and len(found) < limit:
        ids = range(high, max(high - 100, 0), -1)
        pipe = r.pipeline(transaction=False)
        for out_id in ids:
            pipe.hgetall(OUT_KEY.format(out_id))
        batch = [{"id": str(out_id), **record}
                 for out_id, record in zip(ids, pipe.execute(), strict=True) if record]
        if not batch:  # records expire oldest first: none older is left
            break
        found += batch
        high -= 100
    return found[:limit]


def summary(record: dict[str, str]) -> dict[str, str]:
    """An SMS as people are shown it (pages, `ivr sms sent`): its number masked, no body, its
    status as Twilio last said it (else where our sending got)."""
    return {"id": record.get("id", ""), "created": record.get("created", ""),
            "to": mask(record.get("to")), "kind": record.get("kind", ""),
            "status": record.get("status") or record.get("state", ""),
            "error": record.get("error", "")}


def deliver_job(out_id: str) -> str:
    """The RQ job: send the SMS `out_id` (retried by RQ while Twilio may come back)."""
    job = get_current_job()
    last_try = job is None or not job.retries_left
    return deliver(current_hotline(), out_id, last_try)


def deliver(service: Hotline, out_id: str, last_try: bool = True) -> str:
    """Send the SMS `out_id` unless its number texted STOP, once: its state after. Raises
    TelephonyError for an error that may pass (RQ tries again) unless it is the last try."""
    key = OUT_KEY.format(out_id)
    found = get(service.redis, out_id)
    if not found or found.get("state") != "queued":
        return found.get("state", "unknown")
    to = found["to"]
    if optout.is_stopped(service.redis, to):
        service.redis.hset(key, "state", "stopped")
        log.info("SMS %s not sent: %s texted STOP", out_id, mask(to))
        return "stopped"
    sender = service.settings.sms_sender()
    if sender is None:
        service.redis.hset(key, mapping={"state": "failed", "error": "IVR_SMS_FROM not set"})
        log.error("SMS %s not sent: IVR_SMS_FROM is not set", out_id)
        return "failed"
    claim = secrets.token_hex(6)
    if not service.redis.hsetnx(key, "claim", claim):
        return "sending"  # another run has it
    base = service.settings.public_url
    callback = f"{base}{STATUS_PATH}?o={out_id}" if base else None
    try:
        sid, status = service.telephony.send_sms(to, sender, found["body"], callback)
    except TelephonyError as exc:
        if exc.retryable and not last_try:
            service.redis.hdel(key, "claim")  # the next try may send it
            service.redis.hincrby(key, "tries", 1)
            raise
        service.redis.hset(key, mapping={"state": "failed", "error": str(exc)[:200]})
        log.warning("SMS %s to %s failed: %s", out_id, mask(to), exc)
        return "failed"
    pipe = service.redis.pipeline(transaction=True)
    pipe.hset(key, mapping={"state": "sent", "sid": sid, "status": status})
    pipe.set(SID_KEY.format(sid), out_id, ex=KEEP)
    pipe.execute()
    log.info("SMS %s to %s: %s %s", out_id, mask(to), sid, status)
    return "sent"


def status(r: redis.Redis, out_id: str, sid: str, message_status: str,
           error_code: str = "") -> bool:
    """Twilio's status callback for an SMS: its status moves forward, never back. False
    when the callback names no SMS of ours."""
    if not sid or r.get(SID_KEY.format(sid)) != out_id:
        return False
    if message_status not in ORDER:
        return True
    key = OUT_KEY.format(out_id)
    with r.pipeline(transaction=True) as pipe:
        while True:
            try:
                pipe.watch(key)
                current = pipe.hget(key, "status") or "queued"
                if ORDER[message_status] < ORDER.get(str(current), 0):
                    return True
                pipe.multi()
                pipe.hset(key, "status", message_status)
                if error_code:
                    pipe.hset(key, "error", f"Twilio error {error_code[:10]}")
                pipe.execute()
                return True
            except redis.WatchError:
                continue
