"""Twilio's REST API at the stand-in: twilio's own Client works unchanged against it."""

from __future__ import annotations

import pytest
import requests
from twilio.base.exceptions import TwilioRestException

from tests.helpers import TOKEN
from tests.standin import ACCOUNT, CALLER, HOTLINE, ended, until

API = "/2010-04-01/Accounts/" + ACCOUNT


def test_calls_are_listed_newest_first_with_filters_and_pages(customer, device, rest):
    customer.on("/voice/incoming", "<Response><Hangup/></Response>")
    sids = []
    for n in range(5):
        sid = device.start_call(f"+3360000000{n}", HOTLINE)
        ended(device, sid)
        sids.append(sid)
    listed = rest.api.v2010.account.calls.list(page_size=2)  # follows next_page_uri
    assert [c.sid for c in listed] == sids[::-1]
    assert [c.sid for c in rest.api.v2010.account.calls.list(from_="+33600000003")] == [sids[3]]
    assert len(rest.api.v2010.account.calls.list(status="completed", limit=3)) == 3
    assert rest.api.v2010.account.calls.list(status="in-progress") == []


def test_a_call_fetched_has_twilio_fields(customer, device, rest):
    customer.on("/voice/incoming", "<Response><Pause length='3'/></Response>")
    sid = device.start_call(CALLER, HOTLINE)
    ended(device, sid)
    call = rest.api.v2010.account.calls(sid).fetch()
    assert (call.sid, call.account_sid, call._from, call.to, call.direction, call.status) == (
        sid, ACCOUNT, CALLER, HOTLINE, "inbound", "completed")
    assert int(call.duration) >= 3
    assert call.start_time is not None and call.end_time >= call.start_time
    assert call.uri == f"{API}/Calls/{sid}.json"


def test_hang_up_a_call_in_progress(customer, device, rest):
    customer.on("/voice/incoming", '<Response><Play loop="0">m.mp3</Play></Response>')
    sid = device.start_call(CALLER, HOTLINE)
    until(device, sid, "play")
    rest.api.v2010.account.calls(sid).update(status="completed")
    events = ended(device, sid)
    assert events[-1]["status"] == "completed"
    assert [e["by"] for e in events if e["type"] == "hangup"] == ["api"]


def test_updating_an_ended_or_unknown_call_is_refused_like_twilio(customer, device, rest):
    customer.on("/voice/incoming", "<Response><Hangup/></Response>")
    sid = device.start_call(CALLER, HOTLINE)
    ended(device, sid)
    with pytest.raises(TwilioRestException) as ended_call:
        rest.api.v2010.account.calls(sid).update(url="http://127.0.0.1/x")
    assert (ended_call.value.status, ended_call.value.code) == (400, 21220)
    with pytest.raises(TwilioRestException) as unknown:
        rest.api.v2010.account.calls("CA" + "0" * 32).fetch()
    assert (unknown.value.status, unknown.value.code) == (404, 20404)


def test_errors_are_twilio_error_documents(local):
    response = requests.post(local.url + API + "/Calls.json", auth=(ACCOUNT, TOKEN),
                             data={"From": HOTLINE, "Url": "http://127.0.0.1/x"}, timeout=5)
    assert response.status_code == 400
    assert response.json() == {"code": 21201, "message": "No 'To' number is specified",
                               "more_info": "https://www.twilio.com/docs/errors/21201",
                               "status": 400}
    bad_url = requests.post(local.url + API + "/Calls.json", auth=(ACCOUNT, TOKEN),
                            data={"From": HOTLINE, "To": CALLER, "Url": "ftp://x"}, timeout=5)
    assert (bad_url.status_code, bad_url.json()["code"]) == (400, 21205)


def test_wrong_credentials_get_401(local):
    response = requests.get(local.url + API + "/Calls.json", auth=(ACCOUNT, "wrong"), timeout=5)
    assert response.status_code == 401 and response.json()["code"] == 20003
    assert requests.get(local.url + API + "/Calls.json", timeout=5).status_code == 401
    other = requests.get(local.url + "/2010-04-01/Accounts/AC" + "cd" * 16 + "/Calls.json",
                         auth=(ACCOUNT, TOKEN), timeout=5)
    assert other.status_code == 404


def test_queues_are_created_fetched_updated_listed_and_deleted(rest):
    queues = rest.api.v2010.account.queues
    created = queues.create(friendly_name="maintenance", max_size=10)
    assert (created.friendly_name, created.max_size, created.current_size) == (
        "maintenance", 10, 0)
    assert created.sid.startswith("QU") and len(created.sid) == 34
    with pytest.raises(TwilioRestException) as twice:
        queues.create(friendly_name="maintenance")
    assert twice.value.status == 400
    assert queues(created.sid).update(max_size=50).max_size == 50
    assert [q.sid for q in queues.list()] == [created.sid]
    assert queues(created.sid).delete() is True
    with pytest.raises(TwilioRestException) as gone:
        queues(created.sid).fetch()
    assert gone.value.status == 404


def test_dequeuing_someone_not_in_the_queue_is_404(rest):
    queue = rest.api.v2010.account.queues.create(friendly_name="delivery")
    with pytest.raises(TwilioRestException) as empty:
        rest.api.v2010.account.queues(queue.sid).members("Front").update(
            url="http://127.0.0.1/x")
    assert empty.value.status == 404


def test_injected_faults_fail_the_next_requests_then_stop(local, rest):
    queue = rest.api.v2010.account.queues.create(friendly_name="support")
    requests.post(local.url + "/_local/faults", json={"status": 503, "count": 2}, timeout=5)
    for _ in range(2):
        with pytest.raises(TwilioRestException) as failed:
            rest.api.v2010.account.queues(queue.sid).fetch()
        assert (failed.value.status, failed.value.code) == (503, 20503)
    assert rest.api.v2010.account.queues(queue.sid).fetch().friendly_name == "support"
