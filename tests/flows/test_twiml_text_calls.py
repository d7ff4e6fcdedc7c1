"""Every answer the webhooks build equals what twilio's VoiceResponse builds for the same calls.

A "tee" takes the place of the builder (`ivr.flows.twiml_text.Response`): each call the code makes
goes both to our builder and to a VoiceResponse, and each document is written by both. Calls
then go through the real app (the test client) down every branch of the shipped flow, in
each of its languages, and through the queue's and the callbacks' webhooks; the test checks
that every node type ran in every language, that every webhook answered, and that every
TwiML answer sent was one the tee compared (once the engine has put the call's sealed state
into its action URL).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml
from flask import Flask, has_request_context, request
from twilio.twiml.voice_response import VoiceResponse

from callbacks.placing import watch_times
from callbacks.scheduling import ask_for, cancel, policy_of
from callbacks.store import dialling
from ivr.centre import agents
from ivr.core.settings import PROJECT_ROOT
from ivr.flows import switches as live
from ivr.flows import twiml_text
from ivr.flows.call import TOKEN_PARAM
from ivr.flows.config import NODE_CLASSES, NODE_TYPE_NAMES
from ivr.flows.engine import EMPTY
from ivr.flows.loader import from_data, load_file
from tests.conftest import MONDAY_MORNING, PARIS
from tests.helpers import ACME_PHONE, Caller, TwiML, scripted_call

SHIPPED = PROJECT_ROOT / "config" / "flow.yaml"
OUR_RESPONSE = twiml_text.Response
SATURDAY = datetime(2026, 12, 12, 10, 0, tzinfo=PARIS)
CHRISTMAS = datetime(2026, 12, 25, 10, 0, tzinfo=PARIS)
CLOSURE_DAY = datetime(2026, 12, 9, 10, 0, tzinfo=PARIS)  # a Wednesday, closed by the test
# the engine puts the sealed call state into an answer's action URL once it is written
SEALED = re.compile(r"&amp;t=[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")
# the webhooks that answer only an empty <Response /> (EMPTY); every other one must be driven
EMPTY_ANSWERS = {"/voice/status", "/voice/recording", "/voice/callback/status"}
VERBS_USED = {"add", "say", "play", "gather", "redirect", "enqueue", "dial", "number", "sip",
              "client", "hangup", "record", "leave"}
# said by an admin's announcement: text that needs escaping reaches the answer as it was typed
ANNOUNCED = {"fr": "Incident « réseau » : l'accès & <les licences> sont perturbés.\n\tMerci.",
             "en": 'Known "network" incident: access & <licences> are slow.\r\nThanks.'}


@dataclass
class Seen:
    documents: list[tuple[str, str, str]] = field(default_factory=list)  # path, ours, twilio's
    answers: list[tuple[str, str]] = field(default_factory=list)  # path, body sent
    verbs: set[str] = field(default_factory=set)
    nodes: set[tuple[str, str]] = field(default_factory=set)  # node type, call language


class _Tee:
    """Forwards each call to our builder and to twilio's; nested verbs are tees too."""

    def __init__(self, ours: Any, theirs: Any, seen: Seen) -> None:
        self._ours, self._theirs, self._seen = ours, theirs, seen

    def __getattr__(self, name: str) -> Any:
        if name == "add":
            return self._add
        ours, theirs = getattr(self._ours, name), getattr(self._theirs, name)

        def both(*args: Any, **kwargs: Any) -> Any:
            self._seen.verbs.add(name)
            mine, real = ours(*args, **kwargs), theirs(*args, **kwargs)
            return None if mine is None else _Tee(mine, real, self._seen)

        return both

    def _add(self, twiml: str) -> None:
        """A prompt written once per flow (Flow.spoken): twilio writes what it parses to."""
        self._seen.verbs.add("add")
        self._ours.add(twiml)
        verb = ET.fromstring(twiml)
        self._theirs.add_child(verb.tag, verb.text, **verb.attrib)


def tee_response(seen: Seen) -> type:
    class TeeResponse(_Tee):
        def __init__(self, **attrs: Any) -> None:
            super().__init__(OUR_RESPONSE(**attrs), VoiceResponse(**attrs), seen)

        def to_xml(self, xml_declaration: bool = True) -> str:
            ours = self._ours.to_xml(xml_declaration)
            theirs = str(self._theirs.to_xml(xml_declaration))
            seen.documents.append((request.path if has_request_context() else "", ours, theirs))
            # the call goes on with twilio's document: a difference is reported as one, at the
            # end, rather than as a call that went astray
            return theirs

    return TeeResponse


@pytest.fixture
def seen(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Seen:
    """The tee in place of the builder; node types run (a pass-through note of each node's
    `enter` / `receive`, with the call's language) and the answers sent, kept."""
    found = Seen()
    monkeypatch.setattr(twiml_text, "Response", tee_response(found))
    for cls in NODE_CLASSES:
        for method in ("enter", "receive"):
            if method in vars(cls):
                monkeypatch.setattr(cls, method, _noting(vars(cls)[method], found))

    @app.after_request
    def keep(response: Any) -> Any:
        if request.path.startswith("/voice/"):
            found.answers.append((request.path, response.get_data(as_text=True)))
        return response

    return found


def _noting(method: Any, seen: Seen) -> Any:
    def noted(node: Any, call: Any) -> Any:
        try:
            return method(node, call)
        finally:
            seen.nodes.add((node.type, call.lang))

    return noted


def test_every_answer_of_every_node_and_webhook_equals_voice_response(app, client, validator,
                                                                       seen):
    service = app.extensions["ivr"]
    languages = list(load_file(SHIPPED).config.languages)
    numbers = iter(f"+336120000{i:02d}" for i in range(100))
    add_english_agents(service)
    live.announce(service.redis, "incident", ANNOUNCED, MONDAY_MORNING + timedelta(days=30))
    for lang in languages:
        drive_open_line(app, lang, numbers)
        drive_closed_line(app, client, validator, lang, numbers)
        drive_queues(app, client, validator, lang, numbers)
        drive_callbacks(app, client, validator, lang, numbers)
        Caller(client, validator, sid=f"CAfb-{lang}").post("/voice/fallback")
    drive_extended_flow(app, client, validator, languages, numbers)

    mismatches = [(path, ours, theirs) for path, ours, theirs in seen.documents
                  if ours != theirs]
    assert mismatches == []
    expected_nodes = {(kind, lang) for kind in NODE_TYPE_NAMES for lang in languages}
    assert expected_nodes - seen.nodes == set()
    webhooks = {rule.rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/voice/")}
    assert webhooks - EMPTY_ANSWERS - {path for path, _, _ in seen.documents} == set()
    assert VERBS_USED - seen.verbs == set()
    built = {theirs for _, _, theirs in seen.documents}
    built |= {doc.replace(TOKEN_PARAM, "") for doc in built} | {EMPTY}
    not_built = [(path, body) for path, body in seen.answers
                 if SEALED.sub(TOKEN_PARAM, body) not in built]
    assert not_built == []
    assert len(seen.documents) > 250  # fewer than answers: a new call's first one is built once


def test_each_prompt_written_once_per_flow_is_what_voice_response_writes() -> None:
    """Flow.spoken, for every prompt and language of the shipped flow, a recorded one and one
    with characters to escape."""
    data = yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))
    data["prompts"]["goodbye"]["en"] = {"text": "Bye.", "audio": "https://x.example/b.mp3?a&b"}
    data["prompts"]["welcome"]["en"] = 'Welcome to "R&D" <support>,\tdon\'t hang up.'
    flow = from_data(data)
    written = {}
    for name in flow.config.prompts:
        for lang, language in flow.config.languages.items():
            text = flow.prompt(name, lang)
            theirs = VoiceResponse()
            if text.audio:
                theirs.play(str(text.audio))
            elif "{" not in text.text:
                theirs.say(text.text, voice=language.voice, language=language.code)
            else:
                assert flow.spoken(name, lang) is None  # filled per call
                continue
            ours = twiml_text.Response()
            ours.add(flow.spoken(name, lang) or "")
            assert ours.to_xml() == str(theirs.to_xml())
            written[name, lang] = ours.to_xml()
    assert "<Play>https://x.example/b.mp3?a&amp;b</Play>" in written["goodbye", "en"]
    assert "&quot;" not in written["welcome", "en"] and "&amp;D" in written["welcome", "en"]
    assert len(written) >= 50


# -- the flow, open and closed ---------------------------------------------------------------

def first_key(lang: str) -> str:
    """What the caller presses at the greeting to speak `lang` (French: nothing)."""
    return "-" if lang == "fr" else "9"


def drive_open_line(app: Flask, lang: str, numbers: Iterator[str]) -> None:
    key = first_key(lang)
    app.extensions["ivr"].clock.set(MONDAY_MORNING)

    def call(*presses: str, caller: str | None = None) -> dict[str, str]:
        result = scripted_call(app, key, *presses, caller=caller or next(numbers))
        return result.outcome

    assert call("1001", "1") == {"type": "enqueue", "target": "technical_support"}
    assert call("1", "*", "7", "-", "2", caller=ACME_PHONE)["target"] == "maintenance"
    assert call("4242", "-", "4343")["target"] == "maintenance"  # not identified
    assert call("1002", "-", "3")["target"] == "delivery"  # contract expiring: no key, menu
    assert call("1002", "2")["target"] == "maintenance"  # ... its key to maintenance
    assert call("1003")["target"] == "maintenance"  # expired
    assert call("1004")["target"] == "maintenance"  # no contract
    assert call("1001", "7", "8", "9")["target"] == "technical_support"  # menu attempts
    assert call("1001", "4", "1")["target"] == "technical_support"  # texted the link
    assert call("1", "4", "2", caller=ACME_PHONE)["target"] == "maintenance"  # a landline
    guessing = next(numbers)
    for guesses in (("1111", "2222", "3333"), ("4444", "5555"), ()):  # locked out at the 5th
        assert call(*guesses, caller=guessing)["target"] == "maintenance"
    live.close_emergency(app.extensions["ivr"].redis, MONDAY_MORNING,
                         MONDAY_MORNING + timedelta(hours=2), "panne")
    assert call("5", "-")["type"] == "hangup"
    live.end_emergency(app.extensions["ivr"].redis)


def drive_closed_line(app: Flask, client: Any, validator: Any, lang: str,
                      numbers: Iterator[str]) -> None:
    key = first_key(lang)

    def call(*presses: str, caller: str | None = None, at: datetime = SATURDAY) -> Any:
        return scripted_call(app, key, *presses, caller=caller or next(numbers), at=at)

    assert call("1").outcome["type"] == "record"
    asking = next(numbers)
    assert call("2", "1", caller=asking).outcome["type"] == "callback"
    assert call("1", "-", caller=asking).outcome["type"] == "hangup"  # cancels it
    assert call("2", "0899123456", "0825000463", "-").outcome["type"] == "hangup"  # refused
    assert call("2", "12", "0612345699", caller="+441632960961").outcome["type"] == "callback"
    assert call("-").outcome["type"] == "hangup"
    assert call("5", "-", at=CHRISTMAS).outcome["type"] == "hangup"
    # the voicemail's record action, then the thanks
    caller = Caller(client, validator, sid=f"CAvm-{lang}", caller=next(numbers))
    app.extensions["ivr"].clock.set(SATURDAY)
    caller.start()
    caller.press(None if lang == "fr" else "9")
    record = caller.press("1").one("Record")
    assert caller.post(record.get("action") or "", RecordingUrl="https://x/r",
                       RecordingDuration="12").verbs == ["Say", "Hangup"]
    hang_up(caller)


# -- queues: waiting, put through, overflow ----------------------------------------------------

def in_queue(app: Flask, client: Any, validator: Any, lang: str, sid: str, caller: str,
             choice: str = "1") -> Caller:
    """A call from `caller` that types ACME's id and chooses menu `choice`; its first wait."""
    app.extensions["ivr"].clock.set(MONDAY_MORNING)
    call = Caller(client, validator, sid=sid, caller=caller)
    call.start()
    call.press(None if lang == "fr" else "9")
    call.press("1001")
    enqueued = call.press(choice)
    wait(call)
    call.doc = enqueued
    return call


def wait(call: Caller, **extra: str) -> TwiML:
    enqueued = call.doc
    assert enqueued is not None
    doc = call.post(enqueued.one("Enqueue").get("waitUrl") or "", **extra)
    call.doc = enqueued
    return doc


def hang_up(call: Caller) -> None:
    call.post("/voice/status", CallStatus="completed", CallDuration="30")


def drive_queues(app: Flask, client: Any, validator: Any, lang: str,
                 numbers: Iterator[str]) -> None:
    service = app.extensions["ivr"]
    # waiting, then pressing the callback key: the callback node, keeping the caller's place
    caller = next(numbers)
    call = in_queue(app, client, validator, lang, f"CAq1-{lang}", caller)
    wait(call)
    assert wait(call, Digits="1").verbs == ["Leave"]
    offer = call.post(call.action_url("Enqueue"), QueueResult="leave", QueueTime="20")
    request_url = call.press("1").one("Redirect").text or ""
    back = call.post(request_url).one("Redirect").text or ""
    assert call.post(back).verbs == ["Say", "Say", "Hangup"], offer
    hang_up(call)
    # the same number calls again while its callback is due: offered to cancel it
    again = scripted_call(app, first_key(lang), "-", "1001", "1", caller=caller)
    assert again.outcome["type"] == "enqueue"
    cancel(service, parse_qs(urlsplit(back).query)["cb"][0], by="test")  # not in the way below
    # nobody signed in for the queue: overflow, then the overflow menu
    service.change_presence("sophie", "offline")
    call = in_queue(app, client, validator, lang, f"CAq2-{lang}", next(numbers))
    assert wait(call).verbs == ["Leave"]
    call.post(call.action_url("Enqueue"), QueueResult="leave", QueueTime="1")
    assert call.press("1").verbs == ["Say", "Record", "Redirect"]
    hang_up(call)
    service.change_presence("sophie", "break")
    # put through to an agent who speaks the caller's language: number, sip or client
    for agent_id, choice in AGENTS[lang]:
        put_through(app, client, validator, lang, agent_id, choice, numbers)
    # a caller who hangs up in the queue; a connect for an unknown call
    call = in_queue(app, client, validator, lang, f"CAq4-{lang}", next(numbers))
    assert call.post(call.action_url("Enqueue"), QueueResult="hangup").verbs == ["Hangup"]
    assert call.post("/voice/connect?e=CA-unknown&r=x").verbs == ["Hangup"]


AGENTS = {"fr": [("sophie", "1")], "en": [("eve", "1"), ("tom", "2")]}


def add_english_agents(service: Any) -> None:
    now = service.clock.now()
    agents.save(service.redis, agents.Agent(
        id="eve", name="Eve Adams", skills=("technical_support",), reach="sip:eve@example.com",
        lang="en"), now)
    agents.save(service.redis, agents.Agent(
        id="tom", name="Tom Hart", skills=("maintenance",), agency="paris", reach="client:tom",
        lang="en"), now)


def put_through(app: Flask, client: Any, validator: Any, lang: str, agent_id: str,
                choice: str, numbers: Iterator[str]) -> None:
    service = app.extensions["ivr"]
    for status in ("completed", "no-answer"):
        sid = f"CAq3-{agent_id}-{status}"
        call = in_queue(app, client, validator, lang, sid, next(numbers), choice)
        (held,) = service.change_presence(agent_id, "available")[1]
        assert held.entry == sid
        doc = call.post(f"/voice/connect?e={sid}&r={held.res}")
        dial = doc.one("Dial")
        whisper_url = dial[0].get("url") or ""
        agent_leg = Caller(client, validator, sid=f"CA-leg-{sid}", caller="+33825000463")
        if status == "completed":
            assert agent_leg.post(whisper_url).verbs == ["Say"]
            stale = whisper_url.replace(f"r={held.res}", "r=stale")
            assert agent_leg.post(stale).verbs == ["Say", "Hangup"]  # taken already
        ended = call.post(dial.get("action") or "", DialCallStatus=status, DialCallDuration="9")
        assert ended.verbs == (["Hangup"] if status == "completed" else ["Enqueue"])
        hang_up(call)
        service.change_presence(agent_id, "break")


# -- callbacks: the client's phone rings -------------------------------------------------------

def drive_callbacks(app: Flask, client: Any, validator: Any, lang: str,
                    numbers: Iterator[str]) -> None:
    service = app.extensions["ivr"]
    service.clock.set(MONDAY_MORNING)
    client_id, agent_id = ("1001", "sophie") if lang == "fr" else ("1007", "eve")
    for ending in ("put through", "no key", "wrong key"):
        number = next(numbers)
        outcome = ask_for(service, number, client_id=client_id, source="cli")
        (held,) = service.change_presence(agent_id, "available")[1]
        now = service.clock.now()
        watch, hold = watch_times(policy_of(service.flows.current()), now)
        assert dialling.start(service.redis, outcome.id, held.res, now, watch, hold)[0] == "dial"
        phone = Caller(client, validator, sid=f"CAcb-{lang}-{outcome.id}", caller="+33825000463")
        query = f"cb={outcome.id}&r={held.res}"
        asked = phone.post(f"/voice/callback/answer?{query}")
        assert asked.verbs == ["Gather", "Redirect"]
        if ending == "no key":
            assert phone.post(f"/voice/callback/key?{query}&t=1").verbs == \
                ["Gather", "Say", "Hangup"]
            assert phone.post(f"/voice/callback/key?{query}&t=2").verbs == ["Say", "Hangup"]
        elif ending == "put through":
            dial = phone.post(f"/voice/callback/key?{query}&t=1", Digits="1").one("Dial")
            assert phone.post(dial.get("action") or "", DialCallStatus="no-answer").verbs == \
                ["Say", "Hangup"]
        else:  # a key other than 1: asked once more
            assert phone.post(f"/voice/callback/key?{query}&t=1", Digits="5").verbs == \
                ["Gather", "Say", "Hangup"]
        phone.post(f"/voice/callback/status?{query}", CallStatus="completed")
        service.change_presence(agent_id, "break")
    assert Caller(client, validator).post("/voice/callback/answer?cb=404&r=x").verbs == \
        ["Hangup"]


# -- node types the shipped flow does not use; a closure; recorded prompts ----------------------

def drive_extended_flow(app: Flask, client: Any, validator: Any, languages: list[str],
                        numbers: Iterator[str]) -> None:
    service = app.extensions["ivr"]
    data = yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))
    data["schedules"]["support"]["closures"] = [
        {"date": CLOSURE_DAY.date().isoformat(), "reason": 'séminaire "annuel" & <formation>'}]
    data["nodes"]["not_identified"]["next"] = "hold_tune"
    data["nodes"]["hold_tune"] = {"type": "play", "url": "https://example.com/t.mp3?a=1&b=2",
                                  "loop": 2, "next": "escalate"}
    data["nodes"]["escalate"] = {"type": "transfer", "number": "+33144009999", "timeout": 25,
                                 "prompt": "connecting", "next": "to_maintenance"}
    for lang in languages:
        data["prompts"]["goodbye"][lang] = {"text": "Au revoir / Goodbye.",
                                           "audio": f"https://example.com/bye-{lang}.mp3"}
    service.flows.publish(from_data(data), service.clock.now())
    for lang in languages:
        key = first_key(lang)
        closed = scripted_call(app, key, "-", at=CLOSURE_DAY, caller=next(numbers))
        assert closed.outcome["type"] == "hangup"
        for status in ("completed", "no-answer"):
            service.clock.set(MONDAY_MORNING)
            call = Caller(client, validator, sid=f"CAx-{lang}-{status}", caller=next(numbers))
            call.start()
            call.press(None if lang == "fr" else "9")
            call.press("4242")
            call.press(None)
            dial = call.press("4343").one("Dial")
            ended = call.post(dial.get("action") or "", DialCallStatus=status)
            assert ended.verbs == (["Hangup"] if status == "completed" else ["Enqueue"])
            hang_up(call)

