"""Placing callbacks: the hotline dials the clients for the agents held for them, a batch
at a time.

Routing's reservations of callbacks wait in the ready set (`callbacks.store.ready`); a
placer job (`place_job`, sent by `ivr.centre.dispatch`) takes a batch of them, each claimed
atomically before it is dialled, and places their calls through `ivr/telephony.py`, a few REST
requests at once. Only the first claim of a reservation may dial, so a job run twice, retried
by RQ, or re-run after its worker was killed never dials twice; a call that leaves no trace
(the worker died before Twilio answered the request) is settled by the sweeper at the watch
time, as a failed attempt, and callbacks still ready after a lost job go to a new one
(`sweep`, run by the sweeper of every worker).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from urllib.parse import urlencode

from rq import Queue, Retry

from callbacks import store
from callbacks.policy import Policy
from callbacks.scheduling import closures, make_wake_jobs, policy_of, route, wake
from callbacks.store import dialling, ready
from ivr.core.exceptions import SettingsError
from ivr.core.phones import mask
from ivr.services.parts import Parts, current
from ivr.telephony import Dial, TelephonyError

log = logging.getLogger(__name__)
ANSWER_PATH = "/voice/callback/answer"
STATUS_PATH = "/voice/callback/status"
PLACE_RETRY = Retry(max=3, interval=[1, 3, 8])
READY_LATE = timedelta(seconds=10)  # a callback ready this long has lost its placer job
ANNOUNCE_SECONDS = 30  # the client hears who is calling and presses 1 (twice at most)
HOLD_MARGIN = 30  # the agent stays held this much beyond the callback's own watch time
BATCH = 50  # callbacks one placer job claims and dials


def watch_times(policy: Policy, now: datetime) -> tuple[datetime, datetime]:
    """When the sweeper settles a dial with no report, and until when the agent is held."""
    watch = now + timedelta(seconds=policy.ring_timeout + 2 * policy.answer_timeout
                            + ANNOUNCE_SECONDS)
    return watch, watch + timedelta(seconds=HOLD_MARGIN)


def place_job() -> dict[str, str]:
    """RQ job: dial a batch of the callbacks an agent is held for (sent by routing, see
    `ivr.centre.dispatch`); what became of each, by callback id."""
    return place_ready(current())


def make_placer_job(job_queue: Queue, first: str) -> None:
    """The job that dials the callbacks ready, named after the first it will take
    ('<callback id>-<reservation>')."""
    job_queue.enqueue(place_job, job_id=f"cb-place-{first}", retry=PLACE_RETRY,
                      result_ttl=600, failure_ttl=86400)


def place_ready(service: Parts, only: Sequence[tuple[str, str]] = ()) -> dict[str, str]:
    """Dial a batch of ready callbacks (or just `only`: (callback id, reservation) pairs),
    never one whose schedule is closed. Returns what became of each, by callback id:
    dialling, refused, unknown (the request failed: its webhooks or the sweeper will tell),
    closed (due at the next opening), stale (nobody to dial)."""
    flow = service.flows.current()
    policy = policy_of(flow)
    now = service.clock.now()
    closed_now = closures(service, flow, now)
    base = service.settings.public_url
    if not base and not all(closed_now.values()):  # nothing claimed that cannot be dialled
        raise SettingsError("IVR_PUBLIC_URL: required to place callbacks (Twilio needs our "
                            "absolute URL for the call's TwiML)")
    watch, hold = watch_times(policy, now)
    taken = ready.take(service.redis, now, watch, hold, closed_now, limit=BATCH, only=only)
    if taken.next:  # more are ready: another worker can start on them now
        make_placer_job(service.job_queue, taken.next)
    done = {claim.id: claim.outcome for claim in taken.claims}
    done.update(_dial(service, policy, base or "", watch,
                      [claim for claim in taken.claims if claim.outcome == "dial"]))
    closed = [claim for claim in taken.claims if claim.outcome == "closed"]
    for claim in closed:
        assert claim.opens is not None
        log.info("callback %s reached while closed: due at %s", claim.id,
                 claim.opens.isoformat())
    if closed:
        make_wake_jobs(service)
    if closed or "stale" in done.values():
        route(service, now)  # the agents held for nothing are back at work
    return done


def _dial(service: Parts, policy: Policy, base: str, watch: datetime,
          claims: Sequence[ready.Claim]) -> dict[str, str]:
    """Place the calls of claimed callbacks, a few at once; note their CallSids."""
    caller_id = getattr(policy, "caller_id", None)
    calls = []
    for claim in claims:
        query = urlencode({"cb": claim.id, "r": claim.res})
        calls.append(Dial(claim.number, caller_id or claim.number,
                          f"{base}{ANSWER_PATH}?{query}", f"{base}{STATUS_PATH}?{query}",
                          timeout=policy.ring_timeout))
    results = service.telephony.place_calls(calls) if calls else []
    ready.dialled(service.redis, [(claim.id, claim.res, sid)
                                  for claim, sid in zip(claims, results, strict=True)
                                  if isinstance(sid, str)])
    done = {}
    for claim, result in zip(claims, results, strict=True):
        if isinstance(result, str):
            log.info("callback %s: attempt %d, calling %s (%s)", claim.id, claim.attempt,
                     mask(claim.number), result)
            done[claim.id] = "dialling"
        elif refused(result):
            log.warning("callback %s: Twilio refused the call to %s (HTTP %s)", claim.id,
                        mask(claim.number), result.status)
            attempt_failed(service, claim.id, claim.res,
                           f"refused by Twilio (HTTP {result.status})")
            done[claim.id] = "refused"
        else:
            # the call may or may not have been placed: its webhooks will tell, else the sweeper
            log.warning("callback %s: placing the call failed (%s); settled at %s", claim.id,
                        result, watch.isoformat())
            done[claim.id] = "unknown"
    return done


def refused(error: TelephonyError) -> bool:
    """Twilio answered that it will not place this call (a 4xx other than a time-out or
    too many requests): no call exists, the attempt has failed."""
    return error.status is not None and 400 <= error.status < 500 \
        and error.status not in (408, 429)


def attempt_failed(service: Parts, cb_id: str, res: str, reason: str) -> str:
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


def check_watched(service: Parts, cb_id: str) -> None:
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


def sweep(service: Parts) -> None:
    """Make the RQ jobs of newly scheduled callbacks, wake those whose job was lost, settle
    those whose reports are late, send those left ready by a lost placer job to a new one."""
    make_wake_jobs(service)
    now = service.clock.now()
    left = ready.oldest(service.redis)
    if left is not None and now - left[1] > READY_LATE:
        log.warning("callback %s ready since %s with no placer job: making one", left[0],
                    left[1].isoformat())
        make_placer_job(service.job_queue, left[0])
    for cb_id in dialling.overdue(service.redis, now):
        log.warning("callback %s is late (its job was lost?): waking it", cb_id)
        wake(service, cb_id)
    for cb_id in dialling.watched(service.redis, now):
        check_watched(service, cb_id)
    store.trim(service.redis, now)
