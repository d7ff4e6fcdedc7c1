"""The stand-in runs a customer app's TwiML as Twilio does: requests, verbs, timing, errors."""

from __future__ import annotations

import requests

from tests.standin import (
    ACCOUNT,
    CALLER,
    HOTLINE,
    ended,
    of,
    until,
    webhooks,
)

GREETING = ('<Response><Say language="fr-FR">Bonjour</Say>'
            '<Gather numDigits="1" action="/menu"><Say>Tapez 1</Say></Gather>'
            '<Say>Rien compris</Say></Response>')


def test_first_request_is_signed_with_twilio_standard_parameters(customer, device):
    customer.on("/voice/incoming", "<Response><Hangup/></Response>")
    events = ended(device, device.start_call(CALLER, HOTLINE))
    first = customer.hits_to("/voice/incoming")[0]
    assert first.signed is True
    assert first.form["CallSid"].startswith("CA") and len(first.form["CallSid"]) == 34
    assert {k: first.form[k] for k in ("AccountSid", "From", "To", "Caller", "Called",
                                       "CallStatus", "Direction", "ApiVersion")} == {
        "AccountSid": ACCOUNT, "From": CALLER, "To": HOTLINE, "Caller": CALLER,
        "Called": HOTLINE, "CallStatus": "ringing", "Direction": "inbound",
        "ApiVersion": "2010-04-01"}
    assert events[-1]["status"] == "completed"


def test_keys_go_to_the_gather_action_and_its_answer_runs(customer, device):
    customer.on("/voice/incoming", GREETING)
    customer.on("/menu", lambda hit: f"<Response><Say>Choix {hit.form['Digits']}</Say></Response>")
    events = ended(device, device.start_call(CALLER, HOTLINE, ["1"]))
    assert [e["text"] for e in of(events, "say")] == ["Bonjour", "Tapez 1", "Choix 1"]
    menu = customer.hits_to("/menu")[0]
    assert menu.form["Digits"] == "1" and menu.form["CallStatus"] == "in-progress"
    assert menu.signed is True
    assert [e["path"] for e in webhooks(events)] == ["/voice/incoming", "/menu", "/voice/status"]


def test_a_gather_without_keys_times_out_to_the_next_verb(customer, device):
    customer.on("/voice/incoming", GREETING)
    events = ended(device, device.start_call(CALLER, HOTLINE, ["-"]))
    assert [e["text"] for e in of(events, "say")] == ["Bonjour", "Tapez 1", "Rien compris"]
    assert customer.hits_to("/menu") == []
    timeout = of(events, "gather_timeout")[0]
    gather = of(events, "gather")[0]
    assert timeout["t"] - gather["t"] >= 5  # Tapez 1 (1 s) then the 5 s timeout


def test_finish_key_and_num_digits_follow_twilio_rules(customer, device):
    customer.on("/voice/incoming", '<Response><Gather action="/id"/>'
                '<Gather numDigits="2" action="/two"/></Response>')
    customer.on("/id", '<Response><Gather numDigits="2" action="/two"/></Response>')
    customer.on("/two", "<Response><Hangup/></Response>")
    ended(device, device.start_call(CALLER, HOTLINE, ["1001#", "123"]))
    assert {k: customer.hits_to("/id")[0].form[k] for k in ("Digits", "FinishedOnKey")} == {
        "Digits": "1001", "FinishedOnKey": "#"}
    assert customer.hits_to("/two")[0].form["Digits"] == "12"


def test_action_on_empty_result_asks_the_action_without_digits(customer, device):
    customer.on("/voice/incoming", '<Response><Gather actionOnEmptyResult="true" '
                'action="/empty" timeout="2"/></Response>')
    customer.on("/empty", "<Response/>")
    ended(device, device.start_call(CALLER, HOTLINE, ["-"]))
    assert "Digits" not in customer.hits_to("/empty")[0].form


def test_say_and_play_take_simulated_time(customer, timed_device):
    text = "x" * 45  # 45 characters are spoken in 3 s
    customer.on("/voice/incoming", f'<Response><Say>{text}</Say><Play loop="2">a.mp3</Play>'
                '<Pause length="4"/><Hangup/></Response>')
    events = ended(timed_device, timed_device.start_call(CALLER, HOTLINE))
    say, play, pause = of(events, "say")[0], of(events, "play")[0], of(events, "pause")[0]
    assert 3 <= play["t"] - say["t"] < 8  # margins: a real ms is 0.1 simulated s
    assert 15.99 <= pause["t"] - play["t"] < 24  # two loops of an 8 s file (16.0 in floats)
    assert of(events, "ended")[0]["duration"] >= 23


def test_redirect_resolves_relative_urls_and_uses_its_method(customer, device):
    customer.on("/voice/incoming", '<Response><Redirect method="GET">next?step=2</Redirect>'
                "</Response>")
    customer.on("/voice/next", "<Response><Say>Deux</Say></Response>")
    events = ended(device, device.start_call(CALLER, HOTLINE))
    hit = customer.hits_to("/voice/next")[0]
    assert hit.args["step"] == "2" and hit.args["CallSid"].startswith("CA")
    assert hit.signed is True
    assert of(events, "say")[0]["text"] == "Deux"


def test_record_posts_the_recording_to_its_action_and_status_callback(customer, device, local):
    customer.on("/voice/incoming", '<Response><Record action="/saved" maxLength="30" '
                'recordingStatusCallback="/recording"/></Response>')
    customer.on("/saved", "<Response><Say>Merci</Say><Hangup/></Response>")
    customer.on("/recording", "<Response/>")
    ended(device, device.start_call(CALLER, HOTLINE))
    saved, callback = customer.hits_to("/saved")[0], customer.hits_to("/recording")[0]
    assert saved.form["RecordingDuration"] == "5"  # the caller speaks 5 s by default
    assert saved.form["RecordingUrl"].startswith(f"{local.url}/2010-04-01/Accounts/{ACCOUNT}"
                                                 "/Recordings/RE")
    assert callback.form["RecordingStatus"] == "completed"
    assert callback.form["RecordingSid"] == saved.form["RecordingSid"]
    audio = requests.get(saved.form["RecordingUrl"] + ".wav", timeout=5)
    assert audio.status_code == 200 and audio.content[:4] == b"RIFF"


def test_reject_ends_an_unanswered_call_busy(customer, device):
    customer.on("/voice/incoming", '<Response><Reject reason="busy"/></Response>')
    events = ended(device, device.start_call(CALLER, HOTLINE))
    assert of(events, "ended")[0]["status"] == "busy"
    assert customer.hits_to("/voice/status")[0].form["CallStatus"] == "busy"


def test_status_callback_reports_the_duration(customer, timed_device):
    customer.on("/voice/incoming", "<Response><Pause length='12'/></Response>")
    ended(timed_device, timed_device.start_call(CALLER, HOTLINE))
    status = customer.hits_to("/voice/status")[0]
    assert status.form["CallStatus"] == "completed"
    assert 12 <= int(status.form["CallDuration"]) < 20
    assert status.signed is True


def test_a_failing_voice_url_falls_back_to_the_fallback_url(customer, device):
    customer.on("/voice/incoming", ("oops", 500))
    customer.on("/voice/fallback", "<Response><Say>Pardon</Say></Response>")
    events = ended(device, device.start_call(CALLER, HOTLINE))
    fallback = customer.hits_to("/voice/fallback")[0]
    assert fallback.form["ErrorCode"] == "11200"
    assert fallback.form["ErrorUrl"].endswith("/voice/incoming")
    assert of(events, "say")[0]["text"] == "Pardon"


def test_invalid_twiml_without_a_fallback_is_an_application_error(customer, device):
    customer.on("/voice/incoming", "<html>not twiml</html>")
    events = ended(device, device.start_call(CALLER, HOTLINE))
    error = of(events, "application_error")[0]
    assert error["code"] == 12100 and "<html>" in error["reason"]
    assert error["fallback_reason"] == "HTTP 404"  # the fallback URL failed too
    assert of(events, "ended")[0]["status"] == "completed"


def test_an_unknown_verb_is_an_application_error(customer, device):
    customer.on("/voice/incoming", "<Response><Say>Un</Say><Dance/></Response>")
    events = ended(device, device.start_call(CALLER, HOTLINE))
    assert "<Dance>" in of(events, "application_error")[0]["reason"]


def test_caller_hangs_up_during_a_prompt(customer, device):
    customer.on("/voice/incoming", '<Response><Say loop="0">attente</Say></Response>')
    sid = device.start_call(CALLER, HOTLINE)
    until(device, sid, "say")
    device.hangup(sid)
    events = ended(device, sid)
    assert of(events, "hangup")[0]["by"] == "caller"
    assert customer.hits_to("/voice/status")[0].form["CallStatus"] == "completed"


def test_interactive_keys_are_typed_while_the_gather_listens(customer, device):
    customer.on("/voice/incoming", GREETING)
    customer.on("/menu", lambda hit: f"<Response><Say>{hit.form['Digits']}</Say></Response>")
    sid = device.start_call(CALLER, HOTLINE, interactive=True)
    until(device, sid, "listening")
    assert device.press(sid, "7") is True
    events = ended(device, sid)
    assert [e["text"] for e in of(events, "say")][-1] == "7"


def test_keys_are_refused_when_no_gather_listens(customer, device):
    customer.on("/voice/incoming", '<Response><Pause length="100"/></Response>')
    sid = device.start_call(CALLER, HOTLINE)
    until(device, sid, "pause")
    assert device.press(sid, "1") is False
    device.hangup(sid)

