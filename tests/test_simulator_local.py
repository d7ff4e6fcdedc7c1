"""`ivr call --url` through the local Twilio stand-in: queues, hold, agents."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ivr.cli import main
from ivr.settings import load_settings
from ivr.simulator_local import LocalTwilio, agent_of, outcome
from ivr.telephony import Telephony
from tests.helpers import TOKEN
from tests.standin import ACCOUNT, Customer, hotline, serve_customer, stand_in

ACME = "+33144001001"


@pytest.fixture
def served(r, env, clock) -> Iterator[str]:  # type: ignore[no-untyped-def]
    with hotline({"TESTING": True, "CLOCK": clock, **env}) as (url, _local):
        yield url


def call_json(runner, *args: str) -> dict:  # type: ignore[no-untyped-def]
    result = runner.invoke(main, ["call", *args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_a_call_waits_in_the_queue_until_hold_then_hangs_up(runner, served):
    data = call_json(runner, "--url", served, "--from", ACME, "--press", "-", "--press", "1",
                     "--press", "1", "--hold", "30")
    assert data["outcome"] == {"type": "enqueue", "target": "technical_support"}
    paths = [step["path"].split("?")[0] for step in data["steps"]]
    assert paths[:4] == ["/voice/incoming", "/voice/step", "/voice/step", "/voice/step"]
    assert paths[4:] == ["/voice/wait"] * (len(paths) - 4) and len(paths) >= 6  # a loop
    assert data["steps"][4]["params"]["QueuePosition"] == "1"


def test_the_transcript_shows_the_wait(runner, served):
    result = runner.invoke(main, ["call", "--url", served, "--from", ACME, "--press", "-",
                                  "--press", "1", "--press", "1", "--hold", "5"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "= waiting in technical_support, position 1" in lines
    assert ("  [fr-FR] Vous êtes en attente du support technique, en position 1. "
            "Un technicien va vous répondre.") in lines
    assert lines[-1] == "= enqueue technical_support"


@pytest.fixture
def customer() -> Iterator[Customer]:
    """A customer app whose routing sends the waiting call to agent a-support."""
    with serve_customer() as found, stand_in(found.url) as local:
        found.on("/healthz", f'{{"status": "ok", "twilio_local": "{local.url}"}}')
        found.on("/voice/incoming", '<Response><Enqueue waitUrl="/voice/wait">'
                 "technical_support</Enqueue></Response>")
        found.on("/voice/wait", "<Response><Say>please wait</Say><Pause length='5'/>"
                 "</Response>")
        found.on("/voice/connect", '<Response><Dial action="/voice/dialed"><Number '
                 'url="/voice/whisper?agent=a-support&amp;e=1">+33700000001</Number></Dial>'
                 "</Response>")
        found.on("/voice/whisper", "<Response><Say>ACME</Say></Response>")
        found.on("/voice/dialed", "<Response><Hangup/></Response>")
        found.local = local  # type: ignore[attr-defined]
        yield found


def route_first_waiting_call(customer: Customer, tmp_path: Path) -> threading.Thread:
    """What the lead's routing will do: redirect the waiting call to /voice/connect."""
    local = customer.local  # type: ignore[attr-defined]
    phone = Telephony(load_settings({"TWILIO_API_URL": local.url, "TWILIO_ACCOUNT_SID": ACCOUNT,
                                     "TWILIO_AUTH_TOKEN": TOKEN,
                                     "IVR_INSTANCE_DIR": str(tmp_path)}))

    def route() -> None:
        device = LocalTwilio(local.url)
        for _ in range(500):
            waiting = [c for c in device.calls()["calls"] if c["queue"]]
            if waiting:
                phone.redirect(waiting[0]["sid"], customer.url + "/voice/connect")
                return
            time.sleep(0.01)

    thread = threading.Thread(target=route, daemon=True)
    thread.start()
    return thread


def test_a_call_bridged_to_an_agent_ends_with_the_agent(runner, customer, tmp_path):
    router = route_first_waiting_call(customer, tmp_path)
    data = call_json(runner, "--url", customer.url, "--hold", "600")
    router.join(timeout=5)
    assert data["outcome"] == {"type": "agent", "target": "a-support"}
    paths = [step["path"] for step in data["steps"]]
    assert paths[0] == "/voice/incoming" and "/voice/connect" in paths
    assert paths[-1] == "/voice/dialed"  # the agent hung up after talking
    assert "/voice/whisper?agent=a-support&e=1" not in paths  # the agent's side


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
