"""`ivr call --url` through the local Twilio stand-in: queues, hold, agents."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator

import pytest

from ivr import queue
from ivr.centre.dispatch import connect
from ivr.cli import main
from ivr.local.simulator_local import LocalTwilio, agent_of, outcome
from ivr.services.parts import serving
from tests.standin import hotline

ACME = "+33144001001"


@pytest.fixture
def served(r, env, clock) -> Iterator[str]:  # type: ignore[no-untyped-def]
    with hotline({"TESTING": True, "CLOCK": clock, **env}) as (_app, local):
        yield local.world.app_url


def call_json(runner, *args: str) -> dict:  # type: ignore[no-untyped-def]
    result = runner.invoke(main, ["call", *args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_a_call_waits_in_the_queue_until_hold_then_hangs_up(runner, served):
    data = call_json(runner, "--url", served, "--from", ACME, "--press", "-", "--press", "1",
                     "--press", "1", "--hold", "60")
    assert data["outcome"] == {"type": "enqueue", "target": "technical_support"}
    paths = [step["path"].split("?")[0] for step in data["steps"]]
    assert paths[:4] == ["/voice/incoming", "/voice/step", "/voice/step", "/voice/step"]
    assert paths[4:-1] == ["/voice/wait"] * (len(paths) - 5) and len(paths) >= 7  # a loop
    assert data["steps"][4]["params"]["QueuePosition"] == "1"
    # the caller hung up: Twilio tells the <Enqueue> action how the call left the queue
    assert data["steps"][-1]["params"]["QueueResult"] == "hangup"


def test_the_transcript_shows_the_wait(runner, served):
    result = runner.invoke(main, ["call", "--url", served, "--from", ACME, "--press", "-",
                                  "--press", "1", "--press", "1", "--hold", "30"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "= waiting in technical_support, position 1" in lines
    assert ("  [fr-FR] Vous êtes en attente du support technique. Vous êtes en première position."
            in lines)
    assert lines[-1] == "= enqueue technical_support"


def agents_answer_once_a_caller_waits(service, local, phones: tuple[str, ...],  # type: ignore[no-untyped-def]
                                      agent_ids: tuple[str, ...]) -> None:
    """What `ivr agents status ID available` does for each agent in turn, once a caller waits
    (in Twilio's queue and heard waiting: routing takes waiting callers only); each agent's
    phone hangs up once bridged."""
    device = LocalTwilio(local.url)
    for phone in phones:
        device.set_phone(phone, talk=None)  # hung up below
    for _ in range(3000):  # a loaded machine may take seconds
        waiting = [c["sid"] for c in device.calls()["calls"] if c["queue"]]
        entry = queue.entry(service.redis, waiting[0]) if waiting else None
        if entry is not None and entry.state == "waiting":
            break
        time.sleep(0.01)
    with serving(service):  # the routing job, run here with the app's service
        for agent_id in agent_ids:
            for held in service.change_presence(agent_id, "available")[1]:
                connect(held.entry, held.res)
    for event in device.follow(waiting[0]):
        if event["type"] == "bridged":
            device.hangup_leg(waiting[0])


def sophie_goes_available(service, local) -> None:  # type: ignore[no-untyped-def]
    agents_answer_once_a_caller_waits(service, local, ("+33144002001",), ("sophie",))


def call_reaching_sophie(runner, env, clock, *answers: str) -> dict:  # type: ignore[no-untyped-def]
    """`ivr call --url` through the stand-in with these answers, while Sophie goes available."""
    with hotline({"TESTING": True, "CLOCK": clock, **env}) as (app, local):
        service = app.extensions["ivr"]
        thread = threading.Thread(target=sophie_goes_available, args=(service, local),
                                  daemon=True)
        thread.start()
        try:
            data = call_json(runner, "--url", local.world.app_url, *answers, "--hold", "3000")
        finally:
            thread.join(timeout=5)
        sid = data["steps"][0]["params"]["CallSid"]
        data["state"] = service.engine.call_state(sid)
    return data


def test_a_caller_ends_with_the_agent_who_went_available(runner, r, env, clock):
    """Issue 6's demo: a waiting call ends with {"type": "agent", "target": <that agent>}."""
    data = call_reaching_sophie(runner, env, clock, "--from", ACME, "--press", "-",
                                "--press", "1", "--press", "1")
    assert data["outcome"] == {"type": "agent", "target": "sophie"}
    paths = [step["path"].split("?")[0] for step in data["steps"]]
    assert "/voice/connect" in paths and paths[-1] == "/voice/dialed"
    assert "/voice/whisper" not in paths  # the agent's side


@pytest.mark.parametrize("words", ["mille un", "un zéro zéro un@0.4"])
def test_a_spoken_client_id_reaches_an_agent(runner, r, env, clock, words):
    """Issue 19: an unknown number says its client id (read back and confirmed with 1 when
    heard with little confidence), picks technical support, and is put through to Sophie."""
    confirm = ["--press", "1"] if "@" in words else []
    data = call_reaching_sophie(runner, env, clock, "--from", "+33612345678", "--press", "-",
                                "--say", words, *confirm, "--press", "1")
    assert data["outcome"] == {"type": "agent", "target": "sophie"}
    spoken = [step for step in data["steps"] if "SpeechResult" in step["params"]]
    assert [step["params"]["SpeechResult"] for step in spoken] == [words.split("@")[0]]
    assert data["state"].client["id"] == "1001"  # the agent's screen shows ACME
    assert data["state"].client["company"] == "ACME Industrie"


def test_outcomes_from_events():
    bridged = {"type": "bridged", "to": "+33700000001", "url": "http://h/voice/whisper?agent=b"}
    assert outcome([{"type": "enqueued", "queue": "q"}, bridged]) == {
        "type": "agent", "target": "b"}
    assert outcome([{**bridged, "url": None}]) == {"type": "dial", "target": "+33700000001"}
    assert outcome([{"type": "dial", "targets": [{"target": "+331"}]},
                    {"type": "enqueued", "queue": "q"}]) == {"type": "enqueue", "target": "q"}
    assert outcome([{"type": "record", "url": "http://h/voice/step"}]) == {
        "type": "record", "target": "http://h/voice/step"}
    assert outcome([{**bridged, "leg": "CA1"}]) == {"type": "hangup", "target": None}
    assert agent_of("/voice/whisper?e=2") is None


def own_agency_answers(service, local) -> None:  # type: ignore[no-untyped-def]
    """Marc (maintenance, Paris) goes available, then Léa (maintenance, Rennes)."""
    agents_answer_once_a_caller_waits(service, local, ("+33144002002", "+33299002003"),
                                      ("marc", "lea"))


@pytest.mark.parametrize(("contract_end", "answers"), [
    ("2027-01-15", ["--press", "2"]),  # ends within 60 days: the key at the contract check
    ("2026-11-30", []),  # ended: straight to maintenance
])
def test_a_caller_whose_contract_ends_reaches_their_own_agencys_maintenance(
        runner, r, env, clock, contract_end, answers):
    """Issue 19: a Rennes client inside the 60-day window presses 2 at the contract check, an
    expired one is put through directly; both reach Rennes' maintenance agent (Léa), not
    Paris' (Marc), who was free first."""
    from datetime import date

    from ivr.callers.directory import Client, Contract, save_clients

    with hotline({"TESTING": True, "CLOCK": clock, **env}) as (app, local):
        service = app.extensions["ivr"]
        save_clients(service.redis, [Client(id="2101", company="Vilaine Câbles",
                                            agency="rennes",
                                            contract=Contract(end=date.fromisoformat(
                                                contract_end)))])
        thread = threading.Thread(target=own_agency_answers, args=(service, local), daemon=True)
        thread.start()
        try:
            data = call_json(runner, "--url", local.world.app_url, "--from", "+33612345678",
                             "--press", "-", "--press", "2101#", *answers, "--hold", "3000")
        finally:
            thread.join(timeout=5)
    assert data["outcome"] == {"type": "agent", "target": "lea"}
    twiml = " ".join(step["twiml"] for step in data["steps"] if step.get("twiml"))
    assert ("se termine le 15 janvier 2027" in twiml) is bool(answers)
    assert ("a pris fin le 30 novembre 2026" in twiml) is not bool(answers)
    menu = [s for s in data["steps"] if "n=menu" in s["path"]]
    assert menu == []  # never through the menu
