"""Twilio's Messaging API at the stand-in: twilio's own Client sends, lists and fetches SMS in
Twilio's shape; status callbacks follow the message; an inbound SMS is posted signed to the
app and its <Message> replies are sent back."""

from __future__ import annotations

import time

import pytest
from twilio.base.exceptions import TwilioRestException

from tests.standin import ACCOUNT, CALLER, HOTLINE

# the properties of api.v2010.account.message in twilio/twilio-oai (spec/json/twilio_api_v2010.json)
MESSAGE_FIELDS = {
    "body", "num_segments", "direction", "from", "to", "date_updated", "price", "error_message",
    "uri", "account_sid", "num_media", "status", "messaging_service_sid", "sid", "date_sent",
    "date_created", "error_code", "price_unit", "api_version", "subresource_uris"}


def wait_for(check, timeout: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "not reached in time"
        time.sleep(0.02)


def test_a_message_is_created_in_twilios_shape_and_its_statuses_are_told(customer, device, rest):
    customer.on("/sms/status", "<Response/>")
    sent = rest.messages.create(to=CALLER, from_=HOTLINE, body="Bonjour é",
                                status_callback=customer.url + "/sms/status")
    assert (sent.status, sent.direction, sent.num_segments) == ("queued", "outbound-api", "1")
    raw = rest.api.v2010.account.messages(sent.sid).fetch()
    assert (raw.body, raw.to, raw.from_) == ("Bonjour é", CALLER, HOTLINE)
    [listed] = device.messages(CALLER)
    assert set(listed) - {"statuses"} == MESSAGE_FIELDS
    wait_for(lambda: len(customer.hits_to("/sms/status")) == 2)
    told = [(h.form["MessageStatus"], h.form["MessageSid"], h.signed)
            for h in customer.hits_to("/sms/status")]
    assert told == [("sent", sent.sid, True), ("delivered", sent.sid, True)]
    assert [m.sid for m in rest.messages.list(to=CALLER)] == [sent.sid]


def test_a_phone_scripted_to_fail_gets_failed_with_twilios_error(customer, device, rest):
    customer.on("/sms/status", "<Response/>")
    device.set_phone(CALLER, sms="failed")
    sent = rest.messages.create(to=CALLER, from_=HOTLINE, body="x",
                                status_callback=customer.url + "/sms/status")
    wait_for(lambda: len(customer.hits_to("/sms/status")) == 1)
    [hit] = customer.hits_to("/sms/status")
    assert (hit.form["MessageStatus"], hit.form["ErrorCode"]) == ("failed", "30008")
    assert rest.messages(sent.sid).fetch().error_code == 30008


@pytest.mark.parametrize(("fields", "code"), [
    ({"from_": HOTLINE, "body": "x", "to": ""}, 21604),
    ({"from_": HOTLINE, "body": "x", "to": "+3361"}, 21211),
    ({"to": CALLER, "body": "x", "from_": ""}, 21603),
    ({"to": CALLER, "from_": HOTLINE, "body": ""}, 21602),
    ({"to": CALLER, "from_": HOTLINE, "body": "x" * 1601}, 21617),
])
def test_a_bad_message_is_refused_with_twilios_code(rest, fields, code):
    with pytest.raises(TwilioRestException) as refused:
        rest.messages.create(**fields)
    assert (refused.value.status, refused.value.code) == (400, code)


def test_an_inbound_sms_is_posted_signed_and_its_replies_sent_back(customer, device):
    customer.on("/sms/incoming", "<Response><Message>Reçu</Message><Message>Et de 2"
                                 "</Message></Response>")
    answer = device.text(CALLER, "ANNULER")
    assert answer["replies"] == ["Reçu", "Et de 2"]
    [hit] = customer.hits_to("/sms/incoming")
    assert hit.signed
    assert {k: hit.form[k] for k in ("From", "To", "Body", "NumMedia")} == {
        "From": CALLER, "To": HOTLINE, "Body": "ANNULER", "NumMedia": "0"}
    assert hit.form["MessageSid"].startswith("SM") and hit.form["AccountSid"] == ACCOUNT
    directions = [(m["direction"], m["from"], m["body"]) for m in device.messages(CALLER)]
    assert directions == [("inbound", CALLER, "ANNULER"), ("outbound-reply", HOTLINE, "Reçu"),
                          ("outbound-reply", HOTLINE, "Et de 2")]
