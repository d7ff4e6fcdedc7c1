"""ivr/telephony.py against the local Twilio stand-in: a real HTTP server in Twilio's shapes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from ivr.core.settings import load_settings
from ivr.local.simulator_local import LocalTwilio
from ivr.local.twilio import TwilioLocal
from ivr.telephony import CallGone, Dial, Telephony, TelephonyError
from tests.helpers import TOKEN
from tests.standin import (
    ACCOUNT,
    CALLER,
    HOTLINE,
    Customer,
    ended,
    of,
    serve_customer,
    stand_in,
    until,
)

ENQUEUE = ('<Response><Enqueue waitUrl="/wait" action="/left">support</Enqueue></Response>')
WAIT = '<Response><Play loop="0">music.mp3</Play></Response>'
CLIENT = "+33611111111"


@pytest.fixture
def customer() -> Iterator[Customer]:
    with serve_customer() as found:
        found.on("/voice/incoming", ENQUEUE)
        found.on("/wait", WAIT)
        found.on("/left", "<Response/>")
        found.on("/connect", "<Response><Say>connected</Say></Response>")
        yield found


@pytest.fixture
def local(customer: Customer) -> Iterator[TwilioLocal]:
    with stand_in(customer.url) as found:
        yield found


@pytest.fixture
def device(local: TwilioLocal) -> LocalTwilio:
    return LocalTwilio(local.url)


def telephony(url: str, tmp_path: Path, **options: object) -> Telephony:
    settings = load_settings({"TWILIO_API_URL": url, "TWILIO_ACCOUNT_SID": ACCOUNT,
                              "TWILIO_AUTH_TOKEN": TOKEN, "IVR_INSTANCE_DIR": str(tmp_path)})
    return Telephony(settings, retry_backoff=0, **options)  # type: ignore[arg-type]


@pytest.fixture
def phone(local: TwilioLocal, tmp_path: Path) -> Telephony:
    return telephony(local.url, tmp_path)


def waiting_call(device: LocalTwilio) -> str:
    sid = device.start_call(CALLER, HOTLINE)
    until(device, sid, "play")
    return sid


def fault(local: TwilioLocal, **spec: object) -> None:
    requests.post(local.url + "/_local/faults", json=spec, timeout=5).raise_for_status()


def faults_left(local: TwilioLocal) -> list[dict[str, object]]:
    found: list[dict[str, object]] = requests.get(local.url + "/_local/faults",
                                                  timeout=5).json()["faults"]
    return found


def test_redirect_takes_a_waiting_call_to_the_url(customer, device, phone):
    sid = waiting_call(device)
    phone.redirect(sid, customer.url + "/connect")
    events = ended(device, sid)
    assert customer.hits_to("/left")[0].form["QueueResult"] == "redirected"
    assert of(events, "say")[-1]["text"] == "connected"


def test_dequeue_takes_the_member_out_of_its_queue(customer, device, phone):
    sid = waiting_call(device)
    queue_sid = of(until(device, sid, "enqueued"), "enqueued")[0]["queue_sid"]
    phone.dequeue(queue_sid, sid, customer.url + "/connect")
    ended(device, sid)
    assert customer.hits_to("/connect")[0].form["CallSid"] == sid


def test_hangup_ends_a_call_and_a_second_one_finds_it_gone(device, phone):
    sid = waiting_call(device)
    phone.hangup(sid)
    assert ended(device, sid)[-1]["status"] == "completed"
    with pytest.raises(CallGone) as gone:
        phone.hangup(sid)
    assert gone.value.status == 400 and gone.value.retryable is False


def test_unknown_calls_are_gone_and_fetch_none(phone, customer):
    with pytest.raises(CallGone) as gone:
        phone.redirect("CA" + "0" * 32, customer.url + "/connect")
    assert gone.value.status == 404
    assert phone.fetch_call("CA" + "0" * 32) is None


def test_place_call_dials_once_and_fetch_call_follows_it(customer, device, phone):
    customer.on("/callback", "<Response><Pause length='5'/></Response>")
    customer.on("/callback-status", "<Response/>")
    sid = phone.place_call(CLIENT, HOTLINE, customer.url + "/callback",
                           customer.url + "/callback-status", timeout=20)
    first = phone.fetch_call(sid)
    assert first is not None and first["status"] in ("queued", "ringing", "in-progress")
    assert (first["to"], first["from"], first["direction"]) == (CLIENT, HOTLINE, "outbound-api")
    ended(device, sid)
    last = phone.fetch_call(sid)
    assert last is not None and last["status"] == "completed" and last["duration"] >= 5
    assert device.calls(to=CLIENT)["dialled"] == {CLIENT: 1}
    statuses = [h.form["CallStatus"] for h in customer.hits_to("/callback-status")]
    assert statuses == ["in-progress", "completed"]


def test_429_and_500_are_retried_then_succeed(customer, device, local, phone):
    sid = waiting_call(device)
    fault(local, status=429, count=1)
    fault(local, status=500, count=1)
    phone.redirect(sid, customer.url + "/connect")
    ended(device, sid)
    assert faults_left(local) == []
    assert len(customer.hits_to("/connect")) == 1


def test_persistent_5xx_is_a_retryable_error_after_the_retries(device, local, phone):
    sid = waiting_call(device)
    fault(local, status=500, count=10)
    with pytest.raises(TelephonyError) as failed:
        phone.hangup(sid)
    assert (failed.value.status, failed.value.retryable) == (500, True)
    assert faults_left(local)[0]["count"] == 6  # one try and three retries


def test_a_timeout_is_retried(customer, device, local, tmp_path):
    sid = waiting_call(device)
    slow = telephony(local.url, tmp_path, timeout=(1.0, 0.3))
    fault(local, delay=0.6, status=503, count=1)  # answered too late, then refused anyway
    slow.redirect(sid, customer.url + "/connect")
    ended(device, sid)
    assert len(customer.hits_to("/connect")) == 1


def test_an_unreachable_api_is_a_retryable_error(tmp_path):
    phone = telephony("http://127.0.0.1:9", tmp_path)
    with pytest.raises(TelephonyError) as failed:
        phone.hangup("CA" + "0" * 32)
    assert (failed.value.status, failed.value.retryable) == (None, True)


def test_a_refused_request_is_not_retried(device, local, phone):
    sid = waiting_call(device)
    fault(local, status=400, count=2)
    with pytest.raises(TelephonyError) as failed:
        phone.hangup(sid)
    assert (failed.value.status, failed.value.retryable) == (400, False)
    assert faults_left(local)[0]["count"] == 1


def test_placing_a_call_is_not_retried_after_a_500_it_may_have_dialled(customer, device, local,
                                                                       phone):
    fault(local, status=500, count=1, match="/Calls.json")
    with pytest.raises(TelephonyError):
        phone.place_call(CLIENT, HOTLINE, customer.url + "/callback", customer.url + "/s")
    fault(local, status=429, count=1, match="/Calls.json")
    phone.place_call(CLIENT, HOTLINE, customer.url + "/callback", customer.url + "/s")
    assert device.calls(to=CLIENT)["dialled"] == {CLIENT: 1}


def test_place_calls_dials_each_once_and_answers_in_order(customer, device, phone):
    customer.on("/callback", "<Response><Pause length='5'/></Response>")
    numbers = [f"+3361111110{n}" for n in range(6)]
    dials = [Dial(number, HOTLINE, customer.url + "/callback", customer.url + "/s")
             for number in numbers]
    dials.insert(2, Dial("", HOTLINE, customer.url + "/callback", customer.url + "/s"))
    results = phone.place_calls(dials)
    refused = results.pop(2)
    assert isinstance(refused, TelephonyError) and refused.status == 400  # no To
    assert all(isinstance(sid, str) and sid.startswith("CA") for sid in results)
    assert [phone.fetch_call(sid)["to"] for sid in results] == numbers  # type: ignore[index,arg-type]
    assert device.calls()["dialled"] == {number: 1 for number in numbers}


def test_the_environments_proxy_is_still_used(local, tmp_path, monkeypatch):
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    proxied = telephony(local.url, tmp_path)
    with pytest.raises(TelephonyError) as failed:
        proxied.place_call(CLIENT, HOTLINE, "http://127.0.0.1:9/a", "http://127.0.0.1:9/s")
    assert failed.value.status is None
