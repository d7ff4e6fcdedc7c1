"""<Dial> to simulated people (whisper, bridge, action) and outbound calls they answer."""

from __future__ import annotations

from tests.standin import (
    CALLER,
    HOTLINE,
    ended,
    of,
    rest_client,
    until,
    webhooks,
)

AGENT = "+33700000001"
DIAL = ('<Response><Dial action="/dialed" timeout="15">'
        f'<Number url="/whisper?agent=a-support" statusCallback="/leg-status" '
        f'statusCallbackEvent="initiated ringing answered completed">{AGENT}</Number>'
        "</Dial></Response>")


def test_agent_answers_hears_the_whisper_then_is_bridged(customer, device):
    customer.on("/voice/incoming", DIAL)
    customer.on("/whisper", "<Response><Say>ACME Industrie, contrat actif</Say></Response>")
    customer.on("/dialed", "<Response><Say>merci</Say><Hangup/></Response>")
    device.set_phone(AGENT, talk=None)  # until hung up below
    sid = device.start_call(CALLER, HOTLINE)
    until(device, sid, "bridged")
    device.hangup_leg(sid)
    events = ended(device, sid)
    kinds = [e["type"] for e in events if e["type"] in (
        "dial", "ringing", "answered", "bridged", "unbridged")]
    assert kinds == ["dial", "ringing", "answered", "bridged", "unbridged"]
    whisper = customer.hits_to("/whisper")[0]
    leg = whisper.form["CallSid"]
    assert whisper.form["ParentCallSid"] == events[0]["params"]["CallSid"]
    assert (whisper.form["Direction"], whisper.form["To"]) == ("outbound-dial", AGENT)
    assert whisper.signed is True
    assert of(events, "say")[0] == {**of(events, "say")[0], "leg": leg,
                                    "text": "ACME Industrie, contrat actif"}
    bridged = of(events, "bridged")[0]
    assert bridged["url"].endswith("/whisper?agent=a-support") and bridged["to"] == AGENT
    dialed = customer.hits_to("/dialed")[0]
    assert (dialed.form["DialCallStatus"], dialed.form["DialCallSid"],
            dialed.form["DialBridged"]) == ("completed", leg, "true")
    assert int(dialed.form["DialCallDuration"]) >= 1  # the whisper
    statuses = [h.form["CallStatus"] for h in customer.hits_to("/leg-status")]
    assert statuses == ["initiated", "ringing", "in-progress", "completed"]
    # the caller's own requests: the leg's whisper is not one of them
    assert [e["path"] for e in webhooks(events)] == [
        "/voice/incoming", "/dialed", "/voice/status"]


def test_no_answer_after_the_dial_timeout(customer, timed_device):
    customer.on("/voice/incoming", DIAL.replace('timeout="15"', 'timeout="5"'))
    customer.on("/dialed", "<Response><Hangup/></Response>")
    timed_device.set_phone(AGENT, answer="no-answer")
    events = ended(timed_device, timed_device.start_call(CALLER, HOTLINE))
    dialed = customer.hits_to("/dialed")[0]
    assert dialed.form["DialCallStatus"] == "no-answer" and "DialCallSid" not in dialed.form
    assert customer.hits_to("/whisper") == []
    ringing, action = of(events, "ringing")[0], webhooks(events, "action")[0]
    assert 5 <= action["t"] - ringing["t"] < 30  # the Dial's timeout, not the default 30
    assert of(events, "bridged") == []


def test_a_ring_longer_than_the_timeout_is_no_answer(customer, device):
    customer.on("/voice/incoming", DIAL)
    customer.on("/dialed", "<Response/>")
    device.set_phone(AGENT, ring=16)
    ended(device, device.start_call(CALLER, HOTLINE))
    assert customer.hits_to("/dialed")[0].form["DialCallStatus"] == "no-answer"


def test_busy_and_failed_numbers(customer, device):
    customer.on("/voice/incoming", DIAL)
    customer.on("/dialed", "<Response/>")
    for behaviour in ("busy", "failed"):
        device.set_phone(AGENT, answer=behaviour)
        ended(device, device.start_call(CALLER, HOTLINE))
    assert [h.form["DialCallStatus"] for h in customer.hits_to("/dialed")] == ["busy", "failed"]


def test_the_agent_hangs_up_through_the_device_api(customer, device):
    customer.on("/voice/incoming", DIAL)
    customer.on("/whisper", "<Response/>")
    customer.on("/dialed", "<Response/>")
    device.set_phone(AGENT, talk=None)  # stays until hung up
    sid = device.start_call(CALLER, HOTLINE)
    until(device, sid, "bridged")
    device.hangup_leg(sid)  # the far end of the caller's call: the agent
    events = ended(device, sid)
    assert customer.hits_to("/dialed")[0].form["DialCallStatus"] == "completed"
    assert of(events, "ended")[0]["status"] == "completed"


def test_caller_hanging_up_while_the_agent_rings_cancels_the_leg(customer, device):
    customer.on("/voice/incoming", DIAL.replace('timeout="15"', 'timeout="600"'))
    customer.on("/dialed", "<Response/>")
    device.set_phone(AGENT, ring=500)
    sid = device.start_call(CALLER, HOTLINE)
    until(device, sid, "ringing")
    device.hangup(sid)
    ended(device, sid)
    assert customer.hits_to("/dialed")[0].form["DialCallStatus"] == "canceled"
    assert customer.hits_to("/leg-status")[-1].form["CallStatus"] == "canceled"
    assert customer.hits_to("/whisper") == []


def test_a_whisper_that_hangs_up_connects_nobody(customer, device):
    customer.on("/voice/incoming", DIAL)
    customer.on("/whisper", '<Response><Gather numDigits="1" action="/accept" timeout="3">'
                "<Say>press 1 to accept</Say></Gather><Hangup/></Response>")
    customer.on("/dialed", "<Response/>")
    events = ended(device, device.start_call(CALLER, HOTLINE))
    dialed = customer.hits_to("/dialed")[0]
    assert (dialed.form["DialCallStatus"], dialed.form["DialBridged"]) == ("completed", "false")
    assert of(events, "bridged") == []


def test_the_agent_presses_a_key_in_the_whisper(customer, device):
    customer.on("/voice/incoming", DIAL)
    customer.on("/whisper", '<Response><Gather numDigits="1" action="/accept">'
                "<Say>press 1 to accept</Say></Gather><Hangup/></Response>")
    customer.on("/accept", "<Response><Say>accepted</Say></Response>")
    customer.on("/dialed", "<Response/>")
    device.set_phone(AGENT, keys=["1"], talk=None)
    sid = device.start_call(CALLER, HOTLINE)
    until(device, sid, "bridged")
    device.hangup_leg(sid)
    events = ended(device, sid)
    assert customer.hits_to("/accept")[0].form["Digits"] == "1"
    assert len(of(events, "bridged")) == 1


def test_a_dial_without_action_goes_on_with_the_next_verb(customer, device):
    customer.on("/voice/incoming", "<Response><Dial>+33100000009</Dial><Say>after</Say>"
                "</Response>")
    events = ended(device, device.start_call(CALLER, HOTLINE))
    assert of(events, "say")[-1]["text"] == "after"
    assert device.calls(to="+33100000009")["dialled"] == {"+33100000009": 1}


def test_first_of_several_nouns_to_answer_wins(customer, device):
    customer.on("/voice/incoming", '<Response><Dial action="/dialed"><Sip>sip:slow@pbx</Sip>'
                "<Client>fast</Client></Dial></Response>")
    customer.on("/dialed", "<Response/>")
    device.set_phone("sip:slow@pbx", ring=6)
    device.set_phone("client:fast", ring=1)
    events = ended(device, device.start_call(CALLER, HOTLINE))
    assert of(events, "bridged")[0]["to"] == "client:fast"
    legs = {e["to"]: e for e in of(events, "ended") if "leg" in e}
    assert legs["sip:slow@pbx"]["status"] == "canceled"


def test_outbound_call_answered_with_a_key_reaches_an_agent(customer, device, local):
    client = "+33611111111"
    customer.on("/whisper", "<Response/>")
    customer.on("/callback", '<Response><Gather numDigits="1" action="/callback-key">'
                "<Say>press 1 to talk to us</Say></Gather></Response>")
    customer.on("/callback-key", lambda hit: DIAL if hit.form.get("Digits") == "1"
                else "<Response><Hangup/></Response>")
    customer.on("/dialed", "<Response/>")
    customer.on("/callback-status", "<Response/>")
    device.set_phone(client, keys=["1"], talk=600)  # the agent hangs up first, after 20 s
    call = rest_client(local).api.v2010.account.calls.create(
        to=client, from_=HOTLINE, url=customer.url + "/callback",
        status_callback=customer.url + "/callback-status",
        status_callback_event=["initiated", "answered", "completed"], machine_detection=None)
    assert call.status == "queued" and call.direction == "outbound-api"
    events = ended(device, call.sid)
    first = customer.hits_to("/callback")[0]
    assert (first.form["Direction"], first.form["CallStatus"]) == ("outbound-api",
                                                                   "in-progress")
    assert customer.hits_to("/callback-key")[0].form["Digits"] == "1"
    assert of(events, "bridged")[0]["to"] == AGENT
    statuses = [h.form["CallStatus"] for h in customer.hits_to("/callback-status")]
    assert statuses == ["initiated", "in-progress", "completed"]
    assert device.calls(to=client)["dialled"] == {client: 1}
    fetched = rest_client(local).api.v2010.account.calls(call.sid).fetch()
    assert fetched.status == "completed" and int(fetched.duration) >= 20


def test_outbound_call_to_a_busy_person(customer, device, local):
    customer.on("/callback-status", "<Response/>")
    device.set_phone("+33622222222", answer="busy")
    call = rest_client(local).api.v2010.account.calls.create(
        to="+33622222222", from_=HOTLINE, url=customer.url + "/callback",
        status_callback=customer.url + "/callback-status")
    ended(device, call.sid)
    assert customer.hits_to("/callback") == []
    assert [h.form["CallStatus"] for h in customer.hits_to("/callback-status")] == ["busy"]
