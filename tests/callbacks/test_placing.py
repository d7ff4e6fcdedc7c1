"""Placing callbacks through the local Twilio stand-in: the client is dialled once, presses 1 and
is bridged to the agent held for them; busy, no answer or no key is retried with back-off,
then failed for agents to follow up. Dials are counted at the stand-in."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
import requests

from callbacks import store
from callbacks.scheduling import ask_for
from ivr.centre import agents, records
from ivr.centre.dispatch import sweep_once
from ivr.local.simulator_local import LocalTwilio
from tests.callbacks.conftest import job_queues, run_jobs
from tests.conftest import PARIS
from tests.standin import hotline

CLIENT = "+33612345678"
SOPHIE = "+33144002001"


@pytest.fixture
def line(r, env, clock) -> Iterator[tuple[Any, LocalTwilio]]:  # type: ignore[no-untyped-def]
    """The app served over HTTP with the stand-in calling it; jobs run in this process, with
    its service."""
    with hotline({"TESTING": True, "CLOCK": clock, **env}) as (app, local):
        yield app.extensions["ivr"], LocalTwilio(local.url)


def eventually(check: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.02)
    raise AssertionError("not reached in time")


def state_of(service: Any, cb_id: str = "1") -> str:
    found = store.get(service.redis, cb_id)
    return found.state if found else ""


def dialled(device: LocalTwilio, number: str = CLIENT) -> int:
    return int(device.calls(to=number)["dialled"].get(number, 0))


def sophie_available(service: Any) -> None:
    service.change_presence("sophie", "available")
    run_jobs(service)  # the connect job places the call


def test_a_due_callback_is_dialled_once_and_bridged_to_the_agent(line):
    service, device = line
    device.set_phone(CLIENT, keys=["1"], talk=30)
    device.set_phone(SOPHIE, ring=1)
    outcome = ask_for(service, CLIENT, client_id="1001", source="cli")
    assert outcome.state == "due"
    sophie_available(service)
    eventually(lambda: state_of(service) == "completed")
    assert dialled(device) == 1 and dialled(device, SOPHIE) == 1
    found = store.get(service.redis, "1")
    assert found is not None and found.get("reason") == "answered"
    assert [h["state"] for h in store.history(service.redis, "1")] == \
        ["requested", "due", "dialling", "connected", "completed"]
    presence = agents.get(service.redis, "sophie")
    assert presence is not None and presence.state == "wrapup"
    records.collect(service.redis, PARIS, 90)
    (call,) = records.of_client(service.redis, "1001")
    assert (call["sid"], call["outcome"], call["agent"]) == ("cb-1", "answered", "sophie")
    [client_call] = device.calls(to=CLIENT)["calls"]
    assert (client_call["direction"], client_call["from"]) == ("outbound-api", "+33825000463")


def test_the_same_reservation_dispatched_twice_dials_once(line):
    service, device = line
    device.set_phone(CLIENT, keys=["1"], talk=30)
    ask_for(service, CLIENT, client_id="1001", source="cli")
    _, held = service.change_presence("sophie", "available")
    run_jobs(service)
    service.dispatch(held)  # the same reservation again, once the first job has dialled
    assert [job.id for job in job_queues(service)[0].jobs] == ["cb-place-1-1"]
    run_jobs(service)
    eventually(lambda: state_of(service) == "completed")
    assert dialled(device) == 1


@pytest.mark.parametrize(("behaviour", "reason"), [
    ({"answer": "busy"}, "busy"),
    ({"answer": "no-answer"}, "no-answer"),
    ({"answer": "failed"}, "failed"),
    ({"keys": ["-", "-"]}, "no key pressed"),
])
def test_nobody_reached_frees_the_agent_and_tries_again_later(line, behaviour, reason):
    service, device = line
    device.set_phone(CLIENT, **behaviour)
    ask_for(service, CLIENT, client_id="1001", source="cli")
    sophie_available(service)
    eventually(lambda: state_of(service) == "scheduled")
    found = store.get(service.redis, "1")
    assert found is not None and (found.get("reason"), found.get("attempts")) == (reason, "1")
    assert found.moment("due") - service.clock.now() > timedelta(seconds=290)  # type: ignore[operator]
    assert agents.get(service.redis, "sophie").state == "available"  # type: ignore[union-attr]
    assert dialled(device) == 1


def test_after_the_last_attempt_it_fails_for_agents_to_follow_up(line):
    service, device = line
    device.set_phone(CLIENT, answer="busy")
    ask_for(service, CLIENT, client_id="1001", source="cli")
    sophie_available(service)
    for attempt in (2, 3):
        eventually(lambda: state_of(service) == "scheduled")
        service.clock.advance(timedelta(seconds=901))
        sweep_once(service)  # makes the wake job
        run_jobs(service, due=True)  # wake: due, routed to Sophie; the connect job dials
        eventually(lambda a=attempt: dialled(device) == a)
    eventually(lambda: state_of(service) == "failed")
    assert [c.id for c in store.failed(service.redis)] == ["1"]
    assert dialled(device) == 3
    assert agents.get(service.redis, "sophie").state == "available"  # type: ignore[union-attr]


def test_an_agent_who_does_not_answer_sends_the_callback_back_to_wait(line):
    service, device = line
    device.set_phone(CLIENT, keys=["1"], talk=120)
    device.set_phone(SOPHIE, answer="no-answer")
    ask_for(service, CLIENT, client_id="1001", source="cli")
    sophie_available(service)
    eventually(lambda: state_of(service) == "due")
    presence = agents.get(service.redis, "sophie")
    assert presence is not None and presence.state == "offline"
    found = store.get(service.redis, "1")
    assert found is not None and found.get("reason") == "the agent did not answer"
    assert dialled(device) == 1
    # the client heard why, and hung up; the callback waits at its place for the next agent
    eventually(lambda: device.calls(to=CLIENT)["active"] == 0)
    assert state_of(service) == "due"


def test_a_client_who_hangs_up_while_the_agent_rings_ends_it(line):
    service, device = line
    device.set_phone(CLIENT, keys=["1"], talk=30)  # gone before the 20 s of the agent's ring
    device.set_phone(SOPHIE, answer="no-answer")
    ask_for(service, CLIENT, client_id="1001", source="cli")
    sophie_available(service)
    eventually(lambda: state_of(service) == "completed")
    found = store.get(service.redis, "1")
    assert found is not None and found.get("reason") == "abandoned"
    assert agents.get(service.redis, "sophie").state == "available"  # type: ignore[union-attr]


OTHERS = ("+33611111111", "+33622222222")  # nobody known: called back by maintenance


def three_due(service: Any, device: LocalTwilio) -> None:
    """Three callbacks (ids 1, 2, 3) with an agent held for each, sent to one placer job."""
    for number in (CLIENT, *OTHERS):
        device.set_phone(number, keys=["1"], talk=30)
    assert ask_for(service, CLIENT, client_id="1001", source="cli").state == "due"
    for number in OTHERS:
        assert ask_for(service, number, client_id=None, source="cli").state == "due"
    for agent in ("sophie", "marc", "lea"):
        service.change_presence(agent, "available")
    # each booking's SMS confirmation, then the one placer job
    assert [job.id for job in job_queues(service)[0].jobs] == \
        ["sms-1", "sms-2", "sms-3", "cb-place-1-1"]


def test_a_batch_of_callbacks_is_dialled_by_one_job_each_client_once(line):
    service, device = line
    three_due(service, device)
    run_jobs(service)
    for cb_id in ("1", "2", "3"):
        eventually(lambda i=cb_id: state_of(service, i) == "completed")
    assert [dialled(device, n) for n in (CLIENT, *OTHERS)] == [1, 1, 1]


def test_a_call_of_a_batch_that_twilio_refuses_is_tried_again_alone(line):
    service, device = line
    requests.post(f"{device.base_url}/_local/faults", timeout=5,
                  json={"status": 400, "match": "Calls.json"}).raise_for_status()
    three_due(service, device)
    run_jobs(service)
    records = [store.get(service.redis, i) for i in ("1", "2", "3")]
    [refused] = [found for found in records if found and found.state == "scheduled"]
    assert refused.get("reason") == "refused by Twilio (HTTP 400)"
    assert dialled(device, refused.number) == 0
    others = [found for found in records if found is not refused]
    for found in others:
        eventually(lambda i=found.id: state_of(service, i) == "completed")
    # the retry's time: that one alone is dialled again
    service.clock.advance(timedelta(seconds=301))
    sweep_once(service)  # makes its wake job
    run_jobs(service, due=True)
    eventually(lambda: state_of(service, refused.id) == "completed")
    assert [dialled(device, n) for n in (CLIENT, *OTHERS)] == [1, 1, 1]
    assert [store.get(service.redis, f.id).get("attempts") for f in records] == \
        ["2" if f is refused else "1" for f in records]  # type: ignore[union-attr]


def test_callbacks_left_ready_by_a_lost_placer_job_go_to_a_new_one(line):
    service, device = line
    device.set_phone(CLIENT, keys=["1"], talk=30)
    ask_for(service, CLIENT, client_id="1001", source="cli")
    service.change_presence("sophie", "available")
    job_queues(service)[0].empty()  # the placer job is lost
    sweep_once(service)
    assert job_queues(service)[0].count == 0  # not late yet
    service.clock.advance(timedelta(seconds=11))
    sweep_once(service)
    assert [job.id for job in job_queues(service)[0].jobs] == ["cb-place-1-1"]
    run_jobs(service)
    eventually(lambda: state_of(service) == "completed")
    assert dialled(device) == 1
