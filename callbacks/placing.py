"""Placing a callback: the hotline dials the client for the agent held for them.

`ivr.dispatch.connect` (the RQ job routing sends every reservation to) comes here for an entry
of kind callback. Only the first run for a reservation may dial (`dialling.start`), so a job
run twice, retried by RQ, or re-run after its worker was killed never dials twice; a call
that leaves no trace (the worker died before Twilio answered the request) is settled by the
sweeper at the reservation's watch time, as a failed attempt.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from callbacks.scheduling import make_wake_jobs, opening, policy_of, route
from ivr import callbacks_store as store
from ivr.callback_policy import Policy
from ivr.callbacks_store import dialling
from ivr.exceptions import SettingsError
from ivr.flows.callback_calls import ANSWER_PATH, STATUS_PATH
from ivr.phones import mask
from ivr.queue import Entry

if TYPE_CHECKING:
    from ivr.services import Hotline

log = logging.getLogger(__name__)
ANNOUNCE_SECONDS = 30  # the client hears who is calling and presses 1 (twice at most)
HOLD_MARGIN = 30  # the agent stays held this much beyond the callback's own watch time


def watch_times(policy: Policy, now: datetime) -> tuple[datetime, datetime]:
    """When the sweeper settles a dial with no report, and until when the agent is held."""
    watch = now + timedelta(seconds=policy.ring_timeout + 2 * policy.answer_timeout
                            + ANNOUNCE_SECONDS)
    return watch, watch + timedelta(seconds=HOLD_MARGIN)


def place(service: Hotline, entry: Entry, res: str) -> str:
    """Dial the client of a callback whose entry is reserved (`res`) for an agent; never
    while the callback's schedule is closed. Returns what was done."""
    cb_id = entry.get("callback")
    found = store.get(service.redis, cb_id)
    flow = service.flows.current()
    policy = policy_of(flow)
    now = service.clock.now()
    if found is not None and found.state == "due":
        _, status = opening(service, flow, found.get("schedule"), now)
        if not status.open:
            if dialling.closed(service.redis, cb_id, res, now, status.next_open):
                log.info("callback %s reached while closed: due at %s", cb_id,
                         status.next_open.isoformat())
                make_wake_jobs(service)
                route(service, now)
            return "closed"
    base = service.settings.public_url
    if not base:
        raise SettingsError("IVR_PUBLIC_URL: required to place callbacks (Twilio needs our "
                            "absolute URL for the call's TwiML)")
    watch, hold = watch_times(policy, now)
    claim, attempt = dialling.start(service.redis, cb_id, res, now, watch, hold)
    if claim != "dial" or found is None:
        if claim == "stale":
            route(service, now)  # the agent held for nothing is back at work
        return claim
    caller_id = getattr(policy, "caller_id", None) or found.number
    query = urlencode({"cb": cb_id, "r": res})
    from ivr.telephony import TelephonyError

    try:
        sid = service.telephony.place_call(
            found.number, caller_id, f"{base}{ANSWER_PATH}?{query}",
            f"{base}{STATUS_PATH}?{query}", timeout=policy.ring_timeout)
    except TelephonyError as exc:
        if exc.status is not None and 400 <= exc.status < 500 and exc.status not in (408, 429):
            log.warning("callback %s: Twilio refused the call to %s (HTTP %s)", cb_id,
                        mask(found.number), exc.status)
            attempt_failed(service, cb_id, res, f"refused by Twilio (HTTP {exc.status})")
            return "refused"
        # the call may or may not have been placed: its webhooks will tell, else the sweeper
        log.warning("callback %s: placing the call failed (%s); settled at %s", cb_id, exc,
                    watch.isoformat())
        return "unknown"
    dialling.dialled(service.redis, cb_id, res, sid)
    log.info("callback %s: attempt %d, calling %s (%s)", cb_id, attempt, mask(found.number), sid)
    return "dialling"


def attempt_failed(service: Hotline, cb_id: str, res: str, reason: str) -> str:
    """The attempt of reservation `res` reached nobody: retried later, or failed."""
    flow = service.flows.current()
    now = service.clock.now()
    state, retry_at = dialling.attempt_failed(service.redis, cb_id, res, now, reason,
                                              policy_of(flow))
    if state == "scheduled" and retry_at is not None:
        log.info("callback %s: %s; trying again at %s", cb_id, reason, retry_at.isoformat())
        make_wake_jobs(service)
    elif state == "failed":
        log.warning("callback %s failed (%s): left to agents to follow up", cb_id, reason)
    if state != "stale":
        route(service, now)  # the agent held for it takes the next caller
    return state


def check_watched(service: Hotline, cb_id: str) -> None:
    """A callback dialling or connected whose reports are late (sweeper)."""
    found = store.get(service.redis, cb_id)
    if found is not None and found.state == "dialling":
        log.warning("callback %s: no report of its call; counted as a failed attempt", cb_id)
        attempt_failed(service, cb_id, found.get("res"), "no report of the call")
    elif found is not None and found.state == "connected":
        if dialling.settle(service.redis, cb_id, service.clock.now()) == "due":
            route(service, service.clock.now())
    else:
        dialling.unwatch(service.redis, cb_id)
