"""Putting callers through to the agents held for them: the connect job, the placer job and
the sweeper.

Routing (ivr/queue.py) holds an agent for a caller inside Redis; taking the call out of
Twilio's queue is a REST request, done here by an RQ job (`connect`) so that no webhook waits
on Twilio. A job takes ids, checks that its reservation still stands, and is safe to run
twice. A reserved callback has no call waiting: it joins the callbacks ready to be dialled,
and one placer job at a time dials them by batches (callbacks/placing.py). Jobs take ids and
run with their worker's service (`ivr.services.parts.current`). The sweeper, a
thread of every `ivr worker`, releases reservations that went late (a process died, Twilio
never came back), ends wrap-ups, routes every queue, and catches callbacks whose job or call
report was lost (callbacks/scheduling.py).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from urllib.parse import urlencode

import redis
from rq import Queue, Retry

from callbacks import placing
from callbacks.placing import make_placer_job
from callbacks.store import ready
from ivr import queue
from ivr.centre import records
from ivr.core.clock import Clock
from ivr.core.exceptions import SettingsError
from ivr.flows.queueing import CONNECT_PATH
from ivr.queue import Reservation
from ivr.services.parts import Parts, current
from ivr.telephony import CallGone

log = logging.getLogger(__name__)

SWEEP_SECONDS = 2.0
JOB_RETRY = Retry(max=3, interval=[1, 3, 8])


class Dispatcher:
    """Sends a caller's reservation to the connect job, a callback's to the placer job."""

    def __init__(self, job_queue: Queue, r: redis.Redis, clock: Clock) -> None:
        self.job_queue = job_queue
        self.redis = r
        self.clock = clock

    def __call__(self, reservations: Iterable[Reservation]) -> None:
        callbacks = []
        for held in reservations:
            if ready.callback_of(held.entry):
                callbacks.append(held)
                continue
            self.job_queue.enqueue(
                connect, held.entry, held.res, job_id=f"connect-{held.entry}-{held.res}",
                retry=JOB_RETRY, result_ttl=600, failure_ttl=86400,
            )
        if ready.add(self.redis, callbacks, self.clock.now()):
            first = callbacks[0]
            make_placer_job(self.job_queue, f"{ready.callback_of(first.entry)}-{first.res}")


def connect(entry_id: str, res: str) -> str:
    """RQ job: take a waiting call out of Twilio's queue to the connect URL of its reservation.

    Nothing happens when the reservation no longer stands (done already, released as late).
    A call Twilio no longer knows leaves the queue; other REST failures raise, so RQ retries.
    """
    service = current()
    entry = queue.entry(service.redis, entry_id)
    if entry is None or entry.get("res") != res or entry.state != "reserved":
        return "stale"
    if entry.get("kind") == "callback":  # sent here by an earlier version: it is dialled
        cb_id = entry.get("callback")
        return placing.place_ready(service, only=[(cb_id, res)]).get(cb_id, "stale")
    base = service.settings.public_url
    if not base:
        raise SettingsError("IVR_PUBLIC_URL: required to route calls (Twilio needs our "
                            "absolute URL to take a call out of its queue)")
    url = f"{base}{CONNECT_PATH}?{urlencode({'e': entry_id, 'r': res})}"
    try:
        service.telephony.redirect(entry.get("sid"), url)
    except CallGone:
        log.info("call %s is gone from Twilio: it leaves the queue", entry_id)
        service.queues.ended(entry_id)
        return "gone"
    return "redirected"


def sweep_once(service: Parts) -> int:
    """Release late reservations, end wrap-ups, route every queue, write finished records;
    wake callbacks whose job was lost and settle those whose calls left no report."""
    flow = service.flows.current()
    held = queue.route(service.redis, service.clock.now(), flow.queue_rules.values())
    service.dispatch(held)
    records.collect(service.redis, service.settings.tz, service.settings.records_days)
    placing.sweep(service)
    return len(held)


class Sweeper(threading.Thread):
    """Runs `sweep_once` every SWEEP_SECONDS until stopped; errors are logged, never raised."""

    def __init__(self, service: Parts, every: float = SWEEP_SECONDS) -> None:
        super().__init__(name="ivr-sweeper", daemon=True)
        self.service = service
        self.every = every
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(self.every):
            try:
                sweep_once(self.service)
            except Exception:  # the sweeper must outlive a Redis hiccup
                log.exception("sweep failed; trying again in %.0f s", self.every)

    def stop(self) -> None:
        self.stopped.set()
