"""When a callback is due: asked as the flow would at that instant, and woken by RQ's scheduler
at its time (the wake job, never while closed). The sweeper that catches what a lost job would
miss is in callbacks/placing.py."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any

from rq import Queue, Retry

from callbacks import QUEUE, store
from callbacks.policy import Policy
from callbacks.store import dialling
from ivr import queue
from ivr.admin import audit
from ivr.callers import directory
from ivr.callers.directory import Contract
from ivr.core.exceptions import ActionError
from ivr.flows import switches as live
from ivr.flows.flow import Flow
from ivr.hours import Schedule, Status
from ivr.queue import PRIORITY_STEP, ms
from ivr.services.parts import Parts, current

log = logging.getLogger(__name__)
WAKE_RETRY = Retry(max=3, interval=[5, 30, 120])


def policy_of(flow: Flow) -> Policy:
    return flow.config.callbacks or Policy()


def schedule_of(flow: Flow, name: str) -> Schedule:
    """A callback's schedule in the current flow (the flow's callbacks schedule if renamed)."""
    found = flow.schedules.get(name)
    if found is not None:
        return found
    fallback = flow.config.callbacks.schedule if flow.config.callbacks else ""
    return flow.schedules.get(fallback) or next(iter(flow.schedules.values()))


def opening(service: Parts, flow: Flow, schedule_name: str, now: datetime) -> \
        tuple[Schedule, Status]:
    """The callback's schedule and whether it is open now (emergency closure included)."""
    schedule = schedule_of(flow, schedule_name)
    return schedule, schedule.status(now, live.read(service.redis).emergency)


def closures(service: Parts, flow: Flow, now: datetime) -> dict[str, datetime | None]:
    """When each schedule of the flow opens again if it is closed now, None while open (''
    stands for a schedule no longer in the flow); one round trip for the emergency closure."""
    emergency = live.read(service.redis).emergency
    found: dict[str, datetime | None] = {}
    for name in [*flow.schedules, ""]:
        status = schedule_of(flow, name).status(now, emergency)
        found[name] = None if status.open else status.next_open
    return found


def score_for(flow: Flow, queue_name: str, contract: str, when: datetime) -> int:
    """The place of a callback joining a line at `when`, by its client's contract."""
    rules = flow.queue_rules.get(queue_name)
    rank = rules.rank(contract) if rules else 0
    return rank * PRIORITY_STEP + ms(when)


def ask(service: Parts, request: store.Request, now: datetime | None = None,
        flow: Flow | None = None) -> store.Outcome:
    """Ask for a callback as the flow would at `now` (the service's clock by default): due at
    once in its queue's line while open (and routed), else scheduled at the next opening
    (a worker gives it its RQ job: `make_wake_jobs`). The outcome's `due` is given in the
    schedule's time zone. Every booking goes through here, so each is told to `on_booked`
    (the flow's, an agent's, the API's, a command's). Two round trips to Redis."""
    flow = flow or service.flows.current()
    now = now or service.clock.now()
    schedule, status = opening(service, flow, request.schedule, now)
    due = now if status.open else status.next_open
    outcome, held = store.request(
        service.redis, request, policy_of(flow), now, open_now=status.open, due=due,
        score=score_for(flow, request.queue, request.contract, due),
        day=now.astimezone(schedule.tz).date().isoformat(),
        rules=flow.queue_rules.get(request.queue))
    service.dispatch(held)
    if outcome.due is not None:
        outcome = replace(outcome, due=outcome.due.astimezone(schedule.tz))
    log.info("callback %s %s: %s", outcome.id or "-", outcome.status,
             outcome.state or outcome.refused)
    if outcome.accepted and outcome.id and not (service.trial or request.trial):
        booked(service, outcome.id)  # a simulated call's callback texts nobody
    return outcome


def booked(service: Parts, cb_id: str) -> None:
    """Tell the service of a callback just booked (`on_booked`: its SMS confirmation), whoever
    booked it; what that raises is logged, never the booking's problem."""
    if service.on_booked is None:
        return
    try:
        service.on_booked(cb_id)
    except Exception:  # noqa: BLE001 (a confirmation never breaks a booking)
        log.exception("callback %s booked; its confirmation failed", cb_id)


def job_queue(service: Parts) -> Queue:
    """The RQ queue of callback jobs (on the connection RQ needs: bytes)."""
    return Queue(QUEUE, connection=service.job_queue.connection)


def make_wake_jobs(service: Parts) -> int:
    """Give every newly scheduled callback its RQ job, which RQ's scheduler runs at its time
    on the service's clock. The job id carries the callback id and the time, so making it
    twice (two workers) makes one job. Returns how many were made."""
    made = 0
    while True:
        batch = store.jobless(service.redis)
        for member, cb_id, due in batch:
            delay = due - service.clock.now()
            options: dict[str, Any] = {
                "job_id": f"cb-{cb_id}-wake-{ms(due)}", "retry": WAKE_RETRY,
                "result_ttl": 3600, "failure_ttl": 7 * 86400}
            if delay <= timedelta(0):
                job_queue(service).enqueue(wake_job, cb_id, **options)
            else:
                job_queue(service).enqueue_in(delay, wake_job, cb_id, **options)
            store.job_made(service.redis, member)
            made += 1
        if len(batch) < 500:
            return made


def wake_job(cb_id: str) -> str:
    """RQ job: a scheduled callback is due (RQ's scheduler runs this at its time)."""
    return wake(current(), cb_id)


def wake(service: Parts, cb_id: str) -> str:
    """A scheduled callback's time has come: into its line if open, else at the next opening."""
    found = store.get(service.redis, cb_id)
    if found is None or found.state != "scheduled":
        return found.state if found else "unknown"
    flow = service.flows.current()
    now = service.clock.now()
    _, status = opening(service, flow, found.get("schedule"), now)
    state, due = dialling.wake(
        service.redis, cb_id, now, open_now=status.open, next_open=status.next_open,
        score=score_for(flow, found.get("queue"), found.get("contract"), now))
    if state == "scheduled" and due is not None:
        log.info("callback %s: closed now, due at %s", cb_id, due.isoformat())
        make_wake_jobs(service)
    elif state == "due":
        route(service, now)
    elif state == "early":
        log.info("callback %s woken before its time; the sweeper wakes it when due", cb_id)
    return state


def route(service: Parts, now: datetime) -> None:
    """Route every queue now (a callback joined a line, or an agent was freed)."""
    flow = service.flows.current()
    service.dispatch(queue.route(service.redis, now, flow.queue_rules.values()))


def build_request(flow: Flow, number: str, now: datetime, *, source: str,
                  client: dict[str, Any] | None = None, contract: str | None = None,
                  queue_name: str | None = None, lang: str | None = None,
                  from_entry: str = "", trial: bool = False) -> store.Request:
    """The request the flow makes for `number`: the client's queue (by contract when not
    given), their agency's schedule, their language."""
    config = flow.config.callbacks
    if config is None:
        raise ActionError("the published flow has no callbacks: section")
    client = client or {}
    schedule = config.schedule
    agency = flow.config.agencies.get(client.get("agency") or "")
    if config.by_agency and agency is not None:
        schedule = agency.schedule
    if contract is None:
        contract = contract_state(client, now.astimezone(flow.schedules[schedule].tz).date())
    if queue_name is None or queue_name not in flow.queue_rules:
        queue_name = config.queue if contract in ("active", "expiring") \
            else config.no_contract_queue or config.queue
    if lang not in flow.config.languages:
        lang = client.get("language") if client.get("language") in flow.config.languages \
            else flow.config.default_language
    return store.Request(
        number=number, queue=queue_name, skill=flow.rules(queue_name).skill, schedule=schedule,
        lang=lang or flow.config.default_language, version=flow.version, source=source,
        client_id=client.get("id") or "", company=client.get("company") or "",
        agency=client.get("agency") or "", contract=contract, from_entry=from_entry,
        trial=trial)


def contract_state(client: dict[str, Any], today: date, expiring_days: int = 60) -> str:
    """A client's contract as routing ranks it ('' for a caller nobody identified)."""
    if not client:
        return ""
    if not client.get("contract"):
        return "none"
    return Contract.model_validate(client["contract"]).state(today, expiring_days)


# -- what the command line, the API and the console call -------------------------------------


def ask_for(service: Parts, number: str, *, client_id: str | None, source: str,
            now: datetime | None = None) -> store.Outcome:
    """Ask for a callback for a client (or nobody known) on `number`, as the flow would at
    `now`: refused with the reason for a number that may not be called."""
    flow = service.flows.current()
    client = None
    if client_id:
        found = directory.get_client(service.redis, client_id)
        if found is None:
            raise ActionError(f"no client {client_id!r}")
        client = directory.client_summary(found)
    checked = policy_of(flow).check(number)
    if checked.refused or checked.number is None:
        return store.Outcome("refused", refused=checked.refused or "invalid")
    now = now or service.clock.now()
    return ask(service, build_request(flow, checked.number, now, source=source, client=client),
               now, flow)


def cancel(service: Parts, cb_id: str, by: str) -> tuple[bool, str]:
    """Cancel a pending callback (an agent held for it goes back to work); audited. Returns
    (True, 'cancelled'), else (False, the state that prevents it: 'unknown', 'dialling'...)."""
    now = service.clock.now()
    done, state = store.cancel(service.redis, cb_id, now, by)
    if done:
        audit.record(service.redis, now, by, "callback.cancel", f"callback {cb_id}")
        route(service, now)
    return done, state


def describe(service: Parts, found: Iterable[store.Callback]) -> list[dict[str, Any]]:
    """Callbacks as JSON, each time in its schedule's zone."""
    flow = service.flows.current()
    return [item.as_json(schedule_of(flow, item.get("schedule")).tz) for item in found]
