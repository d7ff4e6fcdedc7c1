"""Whole calls through the stand-in to the real app: into its queue, then to an agent."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ivr.centre.jobs import HotlineSimpleWorker, rq_connection
from ivr.local.simulator_local import LocalTwilio, outcome
from ivr.services.parts import JOB_QUEUE
from tests.standin import HOTLINE, ended, events_until, hotline, of, until, webhooks

ACME = "+33144001001"
WAITING = "Vous êtes en attente du support technique. Vous êtes en {} position."
SOPHIE = "+33144002001"  # the demo support agent's phone


@pytest.fixture
def served(r, env, clock) -> Iterator[tuple[object, LocalTwilio]]:  # type: ignore[no-untyped-def]
    with hotline({"TESTING": True, "CLOCK": clock, **env}) as (app, local):
        yield app.extensions["ivr"], LocalTwilio(local.url)


def waiting(device: LocalTwilio, position: str) -> str:
    sid = device.start_call(ACME, HOTLINE, ["-", "1", "1"])
    events_until(device, sid, lambda e: e.get("text") == WAITING.format(position))
    return sid


def test_an_identified_caller_waits_in_technical_support(served, r):
    service, device = served
    sid = device.start_call(ACME, HOTLINE, ["-", "1", "1"])
    events = events_until(device, sid, lambda e: e.get("text") == WAITING.format("première"))
    paths = [e["path"].split("?")[0] for e in webhooks(events)]
    assert paths == ["/voice/incoming", "/voice/step", "/voice/step", "/voice/step",
                     "/voice/wait"]
    assert all(e["status"] == 200 for e in webhooks(events))  # every signature accepted
    assert of(events, "enqueued")[0]["queue"] == "technical_support"
    wait = webhooks(events, "wait")[0]["params"]
    assert (wait["QueuePosition"], wait["CurrentQueueSize"]) == ("1", "1")
    device.hangup(sid)
    events = ended(device, sid)
    status = webhooks(events, "status")[0]
    assert (status["path"], status["status"]) == ("/voice/status", 200)
    assert service.queues is not None and r.exists(f"ivr:call:{sid}") == 1


def test_the_second_caller_hears_position_2(served):
    _service, device = served
    first = waiting(device, "première")
    second = waiting(device, "2e")
    for sid in (first, second):
        device.hangup(sid)


def test_the_agent_going_available_takes_the_first_caller(served):
    service, device = served
    device.set_phone(SOPHIE, talk=None)  # she hangs up below
    first, second = waiting(device, "première"), waiting(device, "2e")
    service.change_presence("sophie", "available")
    HotlineSimpleWorker([JOB_QUEUE], connection=rq_connection(service.settings),
                        service=service).work(burst=True)  # the routing job, in this process
    events = until(device, first, "bridged")
    assert outcome(events) == {"type": "agent", "target": "sophie"}
    assert of(events, "bridged")[0]["to"] == SOPHIE
    whisper = [e for e in events if e["type"] == "say" and "leg" in e]
    assert [e["text"] for e in whisper] == [
        "Appel pour Support technique : ACME Industrie, contrat actif."]
    events_until(device, second, lambda e: e.get("kind") == "wait"  # moved up
                 and e["params"]["QueuePosition"] == "1")
    device.hangup_leg(first)  # Sophie hangs up
    events = ended(device, first)
    dialed = webhooks(events, "action")[-1]
    assert dialed["path"].startswith("/voice/dialed")
    assert dialed["params"]["DialCallStatus"] == "completed"
    device.hangup(second)
