"""Issue 6 end to end: callers through the local Twilio stand-in into our queue, routed by a
worker to the agent who goes available, the others moving up."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from click.testing import CliRunner

from ivr import queue
from ivr.centre import agents
from ivr.centre.agents import Agent
from ivr.cli import main
from ivr.local.simulator_local import outcome
from tests.live import Live, contact_centre
from tests.standin import HOTLINE, ended, events_until, of, until, webhooks

ACME = "+33144001001"
SOPHIE = "+33144002001"
WAITING = "Vous êtes en attente du support technique. Vous êtes en {} position."


@pytest.fixture
def live(r, env, clock) -> Iterator[Live]:  # type: ignore[no-untyped-def]
    with contact_centre({"TESTING": True, "CLOCK": clock, **env}) as found:
        yield found


def heard(live: Live, sid: str, text: str) -> None:
    events_until(live.device, sid, lambda e: e.get("text") == text, timeout=20)


def test_three_callers_hear_1_2_3_and_the_first_reaches_the_agent(live, env):
    live.device.set_phone(SOPHIE, talk=None)  # Sophie hangs up when the test says
    calls = []
    for place in ("première", "2e", "3e"):
        sid = live.device.start_call(ACME, HOTLINE, ["-", "1", "1"])
        heard(live, sid, WAITING.format(place))
        calls.append(sid)
    board = json.loads(CliRunner(env=env).invoke(main, ["queues", "--json"]).output)
    assert [w["position"] for w in board[0]["waiting"]] == [1, 2, 3]
    assert board[0]["waiting"][0]["company"] == "ACME Industrie"

    live.service.change_presence("sophie", "available")
    events = until(live.device, calls[0], "bridged")
    assert outcome(events) == {"type": "agent", "target": "sophie"}
    assert of(events, "bridged")[0]["to"] == SOPHIE
    for sid, place in ((calls[1], "1"), (calls[2], "2")):  # the others moved up
        events_until(live.device, sid, lambda e, p=place: e.get("kind") == "wait"
                     and e["params"]["QueuePosition"] == p, timeout=20)
    board = json.loads(CliRunner(env=env).invoke(main, ["queues", "--json"]).output)
    assert [w["position"] for w in board[0]["waiting"]] == [1, 2]
    assert board[0]["agents"]["busy"] == ["sophie"]

    live.device.hangup_leg(calls[0])  # Sophie ends the call
    dialed = webhooks(ended(live.device, calls[0], timeout=20), "action")[-1]
    assert dialed["params"]["DialCallStatus"] == "completed"
    presence = agents.get(live.service.redis, "sophie")
    assert presence is not None and presence.state == "wrapup"
    for sid in calls[1:]:
        live.device.hangup(sid)


def test_an_agent_who_does_not_answer_goes_offline_and_the_next_one_answers(live):
    live.service.save_agent(Agent(id="nina", name="Nina", skills=("technical_support",),
                                  reach="+33144002009"), ["technical_support"], ["paris"])
    live.service.change_presence("nina", "break")  # signed in: the queue stays staffed
    live.device.set_phone(SOPHIE, answer="no-answer")
    sid = live.device.start_call(ACME, HOTLINE, ["-", "1", "1"])
    heard(live, sid, WAITING.format("première"))
    live.service.change_presence("sophie", "available")
    events_until(live.device, sid, lambda e: e.get("kind") == "action"
                 and e["params"].get("DialCallStatus") == "no-answer", timeout=30)
    presence = agents.get(live.service.redis, "sophie")
    assert presence is not None and presence.state == "offline"
    assert presence.reason == "did not answer (no-answer)"
    # the caller is back in Twilio's queue at their place, and the next agent takes them
    events_until(live.device, sid, lambda e: e["type"] == "enqueued", timeout=20)
    live.service.change_presence("nina", "available")
    assert outcome(until(live.device, sid, "bridged")) == {"type": "agent", "target": "nina"}
    live.device.hangup(sid)


def test_a_caller_who_hangs_up_while_waiting_leaves_the_queue(live):
    sid = live.device.start_call(ACME, HOTLINE, ["-", "1", "1"])
    heard(live, sid, WAITING.format("première"))
    live.device.hangup(sid)
    ended(live.device, sid, timeout=20)
    entry = queue.entry(live.service.redis, sid)
    assert entry is not None and (entry.state, entry.get("outcome")) == ("done", "abandoned")
    assert queue.size(live.service.redis, "technical_support") == 0
