"""The stand-in's <Gather input="dtmf speech">: a scripted utterance ("say:words[@level]")
answers with SpeechResult and Confidence, in order with the keys; a Gather of keys only hears
no words and times out, as Twilio's does; a bad utterance is refused by the device API."""

from __future__ import annotations

import pytest

from ivr.local.simulator_local import StandInError
from tests.standin import CALLER, HOTLINE, ended, of

LISTENS = ('<Response><Gather input="dtmf speech" language="fr-FR" action="/id" timeout="3">'
           "<Say>Dites votre numéro</Say></Gather></Response>")
KEYS_ONLY = ('<Response><Gather action="/id" timeout="3" actionOnEmptyResult="true">'
             "<Say>Tapez votre numéro</Say></Gather></Response>")
MENU = ('<Response><Gather numDigits="1" action="/menu" timeout="3"><Say>Tapez 1</Say>'
        "</Gather></Response>")


def test_words_answer_a_gather_that_listens_with_speech_result_and_confidence(customer, device):
    customer.on("/voice/incoming", LISTENS)
    customer.on("/id", MENU)
    customer.on("/menu", "<Response><Hangup/></Response>")
    sid = device.start_call(CALLER, HOTLINE, ["say:mille un@0.42", "1"])
    events = ended(device, sid)
    [heard] = customer.hits_to("/id")
    assert heard.signed
    assert heard.form["SpeechResult"] == "mille un"
    assert heard.form["Confidence"] == "0.42"
    assert "Digits" not in heard.form
    assert [(e["text"], e["confidence"]) for e in of(events, "speech")] == [("mille un", 0.42)]
    # the next answer in order, keys, goes to the next Gather
    [menu] = customer.hits_to("/menu")
    assert menu.form["Digits"] == "1"


def test_words_without_a_confidence_are_heard_at_095(customer, device):
    customer.on("/voice/incoming", LISTENS)
    customer.on("/id", "<Response><Hangup/></Response>")
    ended(device, device.start_call(CALLER, HOTLINE, ["say:ten oh one"]))
    [heard] = customer.hits_to("/id")
    assert (heard.form["SpeechResult"], heard.form["Confidence"]) == ("ten oh one", "0.95")


def test_a_gather_of_keys_hears_no_words(customer, device):
    customer.on("/voice/incoming", KEYS_ONLY)
    customer.on("/id", "<Response><Hangup/></Response>")
    events = ended(device, device.start_call(CALLER, HOTLINE, ["say:mille un"]))
    [timed_out] = customer.hits_to("/id")
    assert "SpeechResult" not in timed_out.form and "Digits" not in timed_out.form
    assert [e["text"] for e in of(events, "speech_lost")] == ["mille un"]
    assert len(of(events, "gather_timeout")) == 1


@pytest.mark.parametrize(("press", "reason"), [
    ("say:", "no words to say"), ("say:mille un@2", "from 0 to 1"),
    ("say:mille un@high", "a number from 0 to 1"), ("1a", "keys among 0-9 * #"),
])
def test_a_bad_press_is_refused_with_its_place(customer, device, press, reason):
    with pytest.raises(StandInError) as caught:
        device.start_call(CALLER, HOTLINE, ["1", press])
    assert "HTTP 400" in str(caught.value)
    assert "presses.1" in str(caught.value) and reason in str(caught.value)
