"""Scheduling with RQ: a callback asked while closed joins its line at the next opening
(holidays, emergency closure), woken by RQ's scheduler, or by the sweeper if its job is lost;
never dialled while closed."""

from __future__ import annotations

from datetime import datetime, timedelta

from callbacks import store
from callbacks.scheduling import ask_for
from ivr import queue
from ivr.centre import agents
from ivr.centre.dispatch import sweep_once
from ivr.flows import switches as live
from ivr.queue import ms
from tests.callbacks.conftest import run_jobs, scheduled
from tests.conftest import PARIS

FRIDAY_EVENING = datetime(2027, 5, 14, 18, 0, tzinfo=PARIS)
WHIT_MONDAY = datetime(2027, 5, 17, 10, 0, tzinfo=PARIS)
TUESDAY_OPENING = datetime(2027, 5, 18, 8, 30, tzinfo=PARIS)


def ask(service, number: str = "+33612345678", client: str | None = "1001") -> store.Outcome:  # type: ignore[no-untyped-def]
    return ask_for(service, number, client_id=client, source="cli")


def test_friday_evening_is_due_tuesday_at_opening_woken_by_rq(service, r):
    service.clock.set(FRIDAY_EVENING)
    outcome = ask(service)
    assert (outcome.state, outcome.due) == ("scheduled", TUESDAY_OPENING)
    assert outcome.due.isoformat() == "2027-05-18T08:30:00+02:00"  # type: ignore[union-attr]
    assert scheduled(service) == []  # off the request's path: a worker's sweep makes the job
    sweep_once(service)
    assert scheduled(service) == [f"cb-1-wake-{ms(TUESDAY_OPENING)}"]
    service.clock.set(TUESDAY_OPENING + timedelta(seconds=1))
    run_jobs(service, due=True)
    assert store.get(r, "1").state == "due"  # type: ignore[union-attr]
    assert [e.id for e in queue.waiting(r, "technical_support")] == ["cb-1"]


def test_a_wake_job_run_early_changes_nothing(service, r):
    service.clock.set(FRIDAY_EVENING)
    ask(service)
    sweep_once(service)
    service.clock.set(WHIT_MONDAY)  # a holiday: closed
    run_jobs(service, due=True)
    assert store.get(r, "1").state == "scheduled"  # type: ignore[union-attr]
    assert queue.size(r, "technical_support") == 0


def test_an_emergency_closure_at_the_opening_moves_it_to_the_reopening(service, r):
    service.clock.set(FRIDAY_EVENING)
    ask(service)
    sweep_once(service)
    noon = TUESDAY_OPENING.replace(hour=12, minute=0)
    live.close_emergency(r, TUESDAY_OPENING - timedelta(hours=1), noon, "flood")
    service.clock.set(TUESDAY_OPENING + timedelta(seconds=1))
    run_jobs(service, due=True)
    found = store.get(r, "1")
    assert found is not None and (found.state, found.moment("due")) == ("scheduled", noon)
    assert scheduled(service) == [f"cb-1-wake-{ms(noon)}"]
    assert queue.size(r, "technical_support") == 0


def test_the_sweeper_wakes_a_callback_whose_job_was_lost(service, r):
    service.clock.set(FRIDAY_EVENING)
    ask(service)
    sweep_once(service)
    for key in r.keys("rq:*"):  # RQ's jobs are lost
        r.delete(key)
    assert scheduled(service) == []
    service.clock.set(TUESDAY_OPENING + timedelta(seconds=30))
    sweep_once(service)
    assert store.get(r, "1").state == "scheduled"  # type: ignore[union-attr]  # not late yet
    service.clock.set(TUESDAY_OPENING + timedelta(seconds=61))
    sweep_once(service)
    assert store.get(r, "1").state == "due"  # type: ignore[union-attr]


def test_a_callback_reached_after_closing_is_never_dialled(service, r):
    monday = datetime(2026, 12, 7, 17, 0, tzinfo=PARIS)
    service.clock.set(monday)
    outcome = ask(service)
    assert outcome.state == "due"
    service.clock.set(monday.replace(minute=31))  # 17:31: closed
    held = agents.set_state(r, "sophie", "available", service.clock.now(),
                            service.flows.current().queue_rules.values())[1]
    service.dispatch(held)
    assert [h.entry for h in held] == ["cb-1"]
    run_jobs(service)  # the connect job: closed, so no call is placed
    found = store.get(r, "1")
    assert found is not None
    assert (found.state, found.moment("due"), found.get("attempts")) == \
        ("scheduled", datetime(2026, 12, 8, 8, 30, tzinfo=PARIS), "0")
    assert agents.get(r, "sophie").state == "available"  # type: ignore[union-attr]
    assert scheduled(service) == [f"cb-1-wake-{ms(found.moment('due'))}"]  # type: ignore[arg-type]


def test_a_cancelled_callback_is_not_woken(service, r):
    from callbacks.scheduling import cancel

    service.clock.set(FRIDAY_EVENING)
    ask(service)
    sweep_once(service)
    assert cancel(service, "1", "agent:sophie") == (True, "cancelled")
    service.clock.set(TUESDAY_OPENING + timedelta(seconds=1))
    run_jobs(service, due=True)
    assert store.get(r, "1").state == "cancelled"  # type: ignore[union-attr]
    assert queue.size(r, "technical_support") == 0


def test_a_simulated_calls_callback_is_kept_and_listed_but_never_dialled(r, env):
    from callbacks.scheduling import describe, wake
    from ivr import create_app
    from ivr.core.clock import Clock
    from tests.helpers import scripted_call

    app = create_app({"CLOCK": Clock(FRIDAY_EVENING), "TRIAL": True, **env})  # as `ivr call`
    service = app.extensions["ivr"]
    result = scripted_call(app, "-", "2", "1", at=FRIDAY_EVENING)
    assert result.outcome == {"type": "callback", "target": "1"}
    [listed] = describe(service, store.pending(r))
    assert (listed["due"], listed["trial"]) == ("2027-05-18T08:30:00+02:00", True)
    service.clock.set(TUESDAY_OPENING + timedelta(seconds=1))
    assert wake(service, "1") == "due"
    assert queue.entry(r, "cb-1").get("trial") == "1"  # type: ignore[union-attr]
    held = agents.set_state(r, "sophie", "available", service.clock.now(),
                            service.flows.current().queue_rules.values())[1]
    assert held == ()  # routing never gives it an agent: nobody is dialled


def test_the_clients_agency_schedule_decides_when_it_is_due(service, r):
    """Good Friday is a holiday in Alsace-Moselle only; Easter Monday everywhere."""
    service.clock.set(datetime(2027, 3, 25, 18, 0, tzinfo=PARIS))
    paris = ask(service, "+33612345678", client="1001")
    alsace = ask(service, "+33388001005", client="1005")
    assert paris.due == datetime(2027, 3, 26, 8, 30, tzinfo=PARIS)
    assert alsace.due == datetime(2027, 3, 30, 8, 30, tzinfo=PARIS)
    assert store.get(r, alsace.id).get("schedule") == "alsace"  # type: ignore[union-attr]
