"""/admin/sms with Flask's client: stop a number by hand (a bad one refused beside the field),
allow it again, both audited under the admin's name; two admins at once make one change; the
latest SMS sent with their number masked."""

from __future__ import annotations

from threading import Barrier, Thread

import pytest

from ivr.admin import audit
from sms import optout, outbox
from tests.signin import csrf_token, signed_in

MOBILE = "+33612345678"



def post(client, path, number):  # type: ignore[no-untyped-def]
    return client.post(path, data={"number": number,
                                   "csrf_token": csrf_token(client, "/admin/sms")})


def test_an_admin_stops_a_number_sees_it_and_allows_it_again(app, admin, r):
    response = post(admin, "/admin/sms", "06 12 34 56 78")
    assert (response.status_code, response.location) == (302, "/admin/sms")
    [(number, entry)] = optout.stopped(r).items()
    assert (number, entry["by"], entry["at"][:16]) == (MOBILE, "ada", "2026-12-07T08:00")
    page = admin.get("/admin/sms").get_data(as_text=True)
    assert f'<tr data-number="{MOBILE}"><td>{MOBILE}</td>' in page
    assert "SMS to +33612345678 stopped." in page
    assert post(admin, "/admin/sms/start", MOBILE).status_code == 302
    assert optout.stopped(r) == {}
    assert "SMS to +33612345678 allowed again." in admin.get("/admin/sms").get_data(as_text=True)
    assert [(e["who"], e["action"], e["what"]) for e in audit.entries(r, action="sms")] == [
        ("ada", "sms.start", "SMS to **********78"), ("ada", "sms.stop", "SMS to **********78")]


def test_a_bad_number_is_refused_beside_the_field_and_nothing_changes(admin, r):
    response = post(admin, "/admin/sms", "06 12 34")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert ('<p class="error" id="stop-error" role="alert">not a phone number: &#39;06 12 34&#39;'
            " (e.g. 06 12 34 56 78 or +33612345678)</p>") in page
    assert 'value="06 12 34"' in page  # what the admin typed is kept
    empty = post(admin, "/admin/sms", "")
    assert empty.status_code == 400 and "This field is required." in empty.get_data(as_text=True)
    again = post(admin, "/admin/sms/start", "hello")
    assert again.status_code == 302
    assert "not a phone number: &#39;hello&#39;" in admin.get("/admin/sms").get_data(as_text=True)
    assert optout.stopped(r) == {} and audit.entries(r, action="sms") == []


def test_stopping_twice_or_allowing_a_number_not_stopped_says_so(admin, r):
    post(admin, "/admin/sms", MOBILE)
    twice = post(admin, "/admin/sms", "+33 6 12 34 56 78")
    assert "SMS to +33612345678 are already stopped" in twice.get_data(as_text=True)
    post(admin, "/admin/sms/start", MOBILE)
    post(admin, "/admin/sms/start", MOBILE)
    assert "SMS to +33612345678 are not stopped" in admin.get("/admin/sms").get_data(as_text=True)
    assert [e["action"] for e in audit.entries(r, action="sms")] == ["sms.start", "sms.stop"]


@pytest.mark.parametrize("path", ["/admin/sms", "/admin/sms/start"])
def test_two_admins_changing_the_same_number_at_once_make_one_change(app, r, path):
    ada, bob = signed_in(app, "ada", "admin"), signed_in(app, "bob", "admin")
    if path.endswith("start"):
        optout.stop(r, MOBILE, app.extensions["ivr"].clock.now(), "sms")
    tokens = {id(c): csrf_token(c, "/admin/sms") for c in (ada, bob)}
    barrier = Barrier(2)

    def press(client) -> None:  # type: ignore[no-untyped-def]
        barrier.wait()
        client.post(path, data={"number": MOBILE, "csrf_token": tokens[id(client)]})

    threads = [Thread(target=press, args=(c,)) for c in (ada, bob)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    action = "sms.start" if path.endswith("start") else "sms.stop"
    [entry] = audit.entries(r, action=action)
    assert entry["who"] in ("ada", "bob")
    assert optout.is_stopped(r, MOBILE) is (action == "sms.stop")


def test_the_search_finds_a_stopped_number_in_any_usual_form(admin, app, r):
    now = app.extensions["ivr"].clock.now()
    for number in (MOBILE, "+33699887766"):
        optout.stop(r, number, now, "sms")
    for query, shown in (("06 12 34 56 78", [MOBILE]), ("9887", ["+33699887766"]),
                         ("0611", [])):
        page = admin.get(f"/admin/sms?q={query}").get_data(as_text=True)
        assert [n for n in (MOBILE, "+33699887766") if f'data-number="{n}"' in page] == shown


def test_the_latest_sms_are_listed_with_the_number_masked(admin, app):
    service = app.extensions["ivr"]
    outbox.queue_sms(service, MOBILE, "bonjour", "callback", "1")
    service.redis.hset(outbox.OUT_KEY.format("1"),
                       mapping={"status": "undelivered", "error": "Twilio error 30003"})
    page = admin.get("/admin/sms").get_data(as_text=True)
    assert ('<tr data-sms="1"><td>2026-12-07 09:00</td><td>**********78</td><td>callback</td>'
            "<td>undelivered</td><td>Twilio error 30003</td></tr>") in page
    assert MOBILE not in page


def test_only_admins_open_it(app):
    agent = signed_in(app, "ann", "agent")
    assert agent.get("/admin/sms").status_code == 403
    assert app.test_client().get("/admin/sms").status_code == 302
