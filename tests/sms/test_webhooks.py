"""The SMS webhooks: signed like the voice ones, any input answered with valid TwiML (never a
500), the reply written as twilio's MessagingResponse writes it; the flow's sms: section."""

from __future__ import annotations

from datetime import datetime

import pytest
from twilio.twiml.messaging_response import MessagingResponse

from callbacks.policy import Policy
from ivr import create_app
from ivr.flows import twiml_text
from sms.inbound import keyword
from tests.conftest import PARIS
from tests.helpers import scripted_call, signed_post

MOBILE = "+33612345678"
INBOUND = {"MessageSid": "SM" + "1" * 32, "AccountSid": "AC" + "0" * 32, "From": MOBILE,
           "To": "+33825000463", "Body": "bonjour", "NumMedia": "0"}


@pytest.mark.parametrize("path", ["/sms/incoming", "/sms/status?o=1"])
def test_an_unsigned_or_badly_signed_sms_webhook_is_refused(client, path):
    assert client.post(path, data=INBOUND).status_code == 403
    bad = client.post(path, data=INBOUND, headers={"X-Twilio-Signature": "bm9wZQ=="})
    assert bad.status_code == 403


@pytest.mark.parametrize("params", [
    {},
    {"From": "not a number", "Body": "ANNULER"},
    {"From": MOBILE},
    {"From": MOBILE, "Body": "\u0000 \u202e<x>&amp; " * 100},
    {"From": "+33899123456", "Body": "STOP"},
])
def test_any_inbound_sms_gets_valid_twiml(client, validator, params):
    answer = signed_post(client, validator, "/sms/incoming", params)
    assert answer.status_code == 200 and answer.mimetype == "text/xml"
    assert answer.get_data(as_text=True).startswith('<?xml version="1.0" encoding="UTF-8"?>')


def test_a_status_callback_for_no_sms_of_ours_changes_nothing(client, validator, r):
    answer = signed_post(client, validator, "/sms/status?o=7",
                         {"MessageSid": "SMx", "MessageStatus": "delivered"})
    assert answer.status_code == 200
    assert r.keys("ivr:sms:*") == []


def test_the_reply_is_written_as_twilios_messaging_response():
    text = "Support : « annulé » & <merci>"
    ours = twiml_text.Response()
    ours.message(text)
    theirs = MessagingResponse()
    theirs.message(text)
    assert ours.to_xml() == str(theirs.to_xml())


@pytest.mark.parametrize(("body", "word"), [
    ("Annuler", "ANNULER"), ("  annulé !", "ANNULE"), ("Arrêt.", "ARRET"), ("STOP merci", "STOP"),
    ("", ""), ("?!", ""),
])
def test_the_first_word_of_a_reply_is_its_keyword(body, word):
    assert keyword(body) == word


@pytest.mark.parametrize(("number", "refused"), [
    ("+33612345678", None), ("06 98 76 54 32", None), ("+33144001001", "not_mobile"),
    ("+33899123456", "premium_rate"), ("+32470123456", "country"), ("+33612000463", "own"),
])
def test_only_french_mobiles_may_get_an_sms(number, refused):
    policy = Policy(own_numbers=("+33612000463",))
    assert policy.check_mobile(number).refused == refused


def test_a_send_sms_node_needs_the_sms_section():
    from tests.flows.test_loader import problems_of, shipped_text

    text = shipped_text()
    start = text.index("sms:\n  confirm_queued")
    end = text.index("start: greeting")
    problems = problems_of(text[:start] + text[end:])
    assert [p.split(": ", 1)[1] for p in problems] == [
        "nodes.register_link: a send_sms node needs the flow's sms: section (texts, "
        "register_url)"], problems


@pytest.mark.parametrize(("trial", "queued"), [(False, 1), (True, 0)])
def test_a_callback_booked_in_a_simulated_call_texts_nobody(r, env, clock, trial, queued):
    app = create_app({"TESTING": True, "CLOCK": clock, "TRIAL": trial, **env})
    try:
        saturday = datetime(2026, 12, 12, 10, 0, tzinfo=PARIS)
        result = scripted_call(app, "-", "2", "1", caller=MOBILE, at=saturday)
        assert result.outcome["type"] == "callback"
        assert len(r.keys("ivr:sms:out:*")) == queued
    finally:
        app.extensions["ivr"].close()
