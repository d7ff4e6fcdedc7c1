"""A queued call played webhook by webhook, as Twilio would, for the console's tests."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

from flask import Flask

from ivr import queue
from tests.helpers import ACME_PHONE, Caller, TwiML


def queued(client: Any, validator: Any, sid: str, caller: str = ACME_PHONE) -> Caller:
    """A call from ACME's number that confirms its company, chooses technical support and
    has heard the wait URL once (it is waiting in our queue)."""
    call = Caller(client, validator, sid=sid, caller=caller)
    call.start()
    call.press(None)  # greeting: French
    call.press("1")  # "press 1 if you are calling for ACME Industrie"
    enqueued = call.press("1")  # menu: technical support
    assert enqueued.one("Enqueue").text == "technical_support"
    call.post(enqueued.one("Enqueue").get("waitUrl") or "")
    call.doc = enqueued
    return call


def reservation(app: Flask, sid: str) -> str:
    """The reservation routing made for a call (what the connect job is given)."""
    entry = queue.entry(app.extensions["ivr"].redis, sid)
    assert entry is not None and entry.state == "reserved", entry
    return entry.get("res")


def ring_agent(app: Flask, call: Caller) -> TwiML:
    """Routing's job took the call out of Twilio's queue: Twilio asks the connect URL."""
    sid = call.params["CallSid"]
    return call.post(f"/voice/connect?e={sid}&r={reservation(app, sid)}")


def agent_answers(call: Caller, dial: TwiML) -> TwiML:
    """The agent picks up: their leg asks for the whisper."""
    number = dial.one("Dial")[0]
    agent_leg = Caller(call.client, call.validator, sid="CA-agent-leg", caller="+33825000463")
    return agent_leg.post(number.get("url") or "")


def conversation_ends(call: Caller, dial: TwiML, seconds: int) -> TwiML:
    return call.post(dial.one("Dial").get("action") or "", DialCallStatus="completed",
                     DialCallDuration=str(seconds))


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
