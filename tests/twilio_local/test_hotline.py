"""A whole call through the stand-in to the real app: from /voice/incoming into its queue."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ivr.simulator_local import LocalTwilio
from tests.standin import HOTLINE, ended, hotline, of, until, webhooks

ACME = "+33144001001"
WAITING = ("Vous êtes en attente du support technique, en position 1. "
           "Un technicien va vous répondre.")


@pytest.fixture
def served(r, env, clock) -> Iterator[tuple[str, LocalTwilio]]:  # type: ignore[no-untyped-def]
    with hotline({"TESTING": True, "CLOCK": clock, **env}) as (url, local):
        yield url, LocalTwilio(local.url)


def test_an_identified_caller_waits_in_technical_support(served, r):
    url, device = served
    sid = device.start_call(ACME, HOTLINE, ["-", "1", "1"])
    events = until(device, sid, "say", text=WAITING)
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
    assert 0 < r.ttl(f"ivr:call:{sid}") <= 3600  # the app took the final status


def test_the_second_caller_hears_position_2(served):
    url, device = served
    first = device.start_call(ACME, HOTLINE, ["-", "1", "1"])
    until(device, first, "say", text=WAITING)
    second = device.start_call(ACME, HOTLINE, ["-", "1", "1"])
    until(device, second, "say", text=WAITING.replace("position 1", "position 2"))
    for sid in (first, second):
        device.hangup(sid)
