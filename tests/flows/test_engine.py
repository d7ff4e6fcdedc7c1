"""The engine across webhooks: pinned versions, replays, stale and unknown requests, menus,
language, announcements, emergency closure, voicemail."""

from __future__ import annotations

from datetime import datetime, timedelta

import yaml

from ivr.callers import voicemail
from ivr.core.settings import PROJECT_ROOT
from ivr.flows import switches as live
from ivr.flows.loader import from_data
from tests.conftest import PARIS
from tests.helpers import ASK_ID, Caller, TwiML, scripted_call

SHIPPED = PROJECT_ROOT / "config" / "flow.yaml"
WELCOME = "Bienvenue au support technique."
INVALID_CHOICE = "Ce choix n'est pas valide."
NO_CHOICE = "Nous n'avons pas reçu votre choix."


def publish(app, change) -> str:  # type: ignore[no-untyped-def]
    """Publish the shipped flow after `change(data)` edits it."""
    data = yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))
    change(data)
    service = app.extensions["ivr"]
    return service.flows.publish(from_data(data), service.clock.now())


def to_menu(caller: Caller) -> None:
    caller.start()
    caller.press(None)  # greeting: French
    caller.press("1001")


def test_greeting_gathers_one_key_with_english_offer(client, validator):
    doc = Caller(client, validator).start()
    assert doc.verbs == ["Gather"]
    gather = doc.one("Gather")
    assert gather.get("numDigits") == "1"
    assert gather.get("actionOnEmptyResult") == "true"
    assert doc.said() == [WELCOME, "For English, press 9."]
    assert doc.languages() == ["fr-FR", "en-GB"]
    path, query = doc.action()
    assert path == "/voice/step" and query["n"] == "greeting" and query["s"] == "1"


def test_call_is_pinned_to_the_version_it_started_on(app, client, validator):
    first = Caller(client, validator, sid="CA-old")
    first.start()
    publish(app, lambda d: d["prompts"]["enter_client_id"].update(fr="Votre numéro client ?"))
    assert first.press(None).said() == [ASK_ID]
    second = Caller(client, validator, sid="CA-new")
    second.start()
    assert second.press(None).said() == ["Votre numéro client ?"]


def test_replayed_request_gets_the_same_answer_and_counts_once(client, validator):
    caller = Caller(client, validator)
    to_menu(caller)
    url = caller.action_url()
    once = caller.post(url, Digits="7")
    twice = caller.post(url, Digits="7")
    assert once.said() == twice.said() and once.said()[0] == INVALID_CHOICE
    assert once.action() == twice.action()
    # two more wrong keys are needed to exhaust the three attempts: the replay did not count
    assert caller.press("8").said()[0] == INVALID_CHOICE
    doc = caller.press("8")
    assert doc.said() == [INVALID_CHOICE]
    assert doc.one("Enqueue").text == "technical_support"


def test_an_old_question_answered_again_is_answered_from_its_own_state(client, validator):
    """The state rides in the question's URL: Twilio asking an answered question again gets
    the same answer (nothing stored changed), not a step further."""
    caller = Caller(client, validator)
    caller.start()
    old = caller.action_url()
    first = caller.press(None)
    caller.press("1001")  # on to the menu
    again = caller.post(old)
    assert again.said() == first.said()
    assert again.one("Gather").get("action") == first.one("Gather").get("action")


def test_unknown_call_sid_starts_the_call_over(client, validator):
    caller = Caller(client, validator, sid="CA-never-seen")
    doc = caller.post("/voice/step?v=abc&n=menu&s=4", Digits="1")
    assert doc.said()[0] == WELCOME


def test_menu_star_repeats_and_timeout_says_so(client, validator):
    caller = Caller(client, validator)
    to_menu(caller)
    menu = caller.doc.said()
    assert caller.press("*").said() == menu
    doc = caller.press(None)
    assert doc.said() == [NO_CHOICE, *menu]


def test_menu_gives_up_after_three_wrong_answers(client, validator):
    caller = Caller(client, validator)
    to_menu(caller)
    assert caller.press("9").said()[0] == INVALID_CHOICE
    assert caller.press("0").said()[0] == INVALID_CHOICE
    # the last wrong key is told so too, then the failure node
    doc = caller.press("5")
    assert doc.verbs == ["Say", "Enqueue"] and doc.said() == [INVALID_CHOICE]
    assert doc.one("Enqueue").text == "technical_support"


def test_menu_gives_up_after_three_silences_saying_so_each_time(client, validator):
    caller = Caller(client, validator)
    to_menu(caller)
    menu = caller.doc.said()
    for _ in range(2):
        assert caller.press(None).said() == [NO_CHOICE, *menu]
    doc = caller.press(None)
    assert doc.verbs == ["Say", "Enqueue"] and doc.said() == [NO_CHOICE]
    assert doc.one("Enqueue").text == "technical_support"


def test_english_is_kept_for_the_whole_call(app):
    result = scripted_call(app, "9", "1001#", "3")
    assert result.outcome == {"type": "enqueue", "target": "delivery"}
    languages = {lang for step in result.steps[1:] for lang in TwiML(step["twiml"]).languages()}
    assert languages == {"en-GB"}


def test_announcement_is_played_while_active_only(app):
    service = app.extensions["ivr"]
    until = service.clock.now() + timedelta(hours=1)
    live.announce(service.redis, "incident", {"fr": "Incident en cours sur la messagerie.",
                                              "en": "Mail incident."}, until)
    assert "Incident en cours sur la messagerie." in scripted_call(app, "-").said()
    assert "Mail incident." in scripted_call(app, "9").said()
    service.clock.advance(timedelta(hours=2))
    assert "Incident en cours sur la messagerie." not in scripted_call(app, "-").said()


def test_emergency_closure_says_when_it_ends_then_ends_by_itself(app):
    service = app.extensions["ivr"]
    until = datetime(2026, 12, 7, 11, 0, tzinfo=PARIS)
    live.close_emergency(service.redis, service.clock.now(), until, "panne")
    result = scripted_call(app, "-", "-")
    assert any(s.startswith("Le support technique est exceptionnellement fermé. Nous rouvrons "
                            "aujourd'hui à 11 h.") for s in result.said())
    assert result.outcome["type"] == "hangup"
    after = scripted_call(app, "-", at=datetime(2026, 12, 7, 11, 0, tzinfo=PARIS))
    assert ASK_ID in after.said()


def test_closed_caller_can_leave_a_voicemail_kept_for_agents(app, client, validator):
    app.extensions["ivr"].clock.set(datetime(2026, 12, 7, 19, 0, tzinfo=PARIS))
    caller = Caller(client, validator, sid="CA-vm")
    caller.start()
    closed = caller.press(None)
    assert "Nous rouvrons demain à 8 h 30." in closed.said()[0]
    doc = caller.press("1")
    record = doc.one("Record")
    assert record.get("maxLength") == "180" and record.get("finishOnKey") == "#"
    callback = record.get("recordingStatusCallback") or ""
    assert callback.startswith("/voice/recording")
    action = record.get("action") or ""
    assert caller.post(callback, RecordingUrl="https://api.twilio.com/rec/RE1", RecordingSid="RE1",
                RecordingDuration="12", RecordingStatus="completed").verbs == []
    [message] = voicemail.recent(app.extensions["ivr"].redis)
    assert message["call_sid"] == "CA-vm" and message["duration"] == 12
    assert message["url"] == "https://api.twilio.com/rec/RE1"
    thanks = caller.post(action, RecordingUrl="https://api.twilio.com/rec/RE1")
    assert thanks.verbs == ["Say", "Hangup"]


def test_transfer_dials_and_goes_on_when_nobody_answers(app, client, validator):
    def change(data):  # type: ignore[no-untyped-def]
        data["nodes"]["menu"]["options"]["5"] = "operator"  # 4 texts the registration link
        data["nodes"]["operator"] = {"type": "transfer", "number": "01 44 00 00 00",
                                     "timeout": 20, "next": "goodbye"}
    publish(app, change)
    caller = Caller(client, validator)
    to_menu(caller)
    doc = caller.press("5")
    dial = doc.one("Dial")
    assert dial.text == "+33144000000" and dial.get("timeout") == "20"
    assert caller.press(None, tag="Dial", DialCallStatus="no-answer").verbs == ["Say", "Hangup"]


def test_recorded_prompt_is_played_instead_of_spoken(app, client, validator):
    recording = "https://cdn.example.com/prompts/bienvenue.mp3"
    publish(app, lambda d: d["prompts"].update(
        welcome={"fr": {"text": "Bienvenue.", "audio": recording}, "en": "Welcome."}))
    doc = Caller(client, validator).start()
    gather = doc.one("Gather")
    assert [child.tag for child in gather] == ["Play", "Say"]
    assert gather.find("Play").text == recording  # type: ignore[union-attr]


def test_logs_never_show_a_whole_phone_number_or_client_id(app, caplog):
    caplog.set_level("DEBUG")
    scripted_call(app, "-", "1", "1", caller="+33144001001")
    scripted_call(app, "-", "9999#", "9998#", "9997#")
    text = caplog.text
    assert "call" in text
    for secret in ("+33144001001", "33144001001", "+33612345678", "1001", "9999"):
        assert secret not in text
