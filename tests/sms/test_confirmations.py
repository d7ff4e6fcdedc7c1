"""Every booked callback is confirmed by SMS, whoever booked it (an agent from the console, the
API, `ivr callbacks request`; the flow's in test_end_to_end.py), with the same policy and text,
through the stand-in's Messages.json; a confirmation that fails never fails the booking."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import redis
import requests
from rq import Queue

from callbacks import store
from ivr.cli import main
from ivr.local.simulator_local import LocalTwilio
from ivr.services.parts import JOB_QUEUE
from sms import optout, outbox
from tests.callbacks.conftest import run_jobs
from tests.signin import csrf_token, signed_in
from tests.sms.conftest import sent_to
from tests.sms.test_end_to_end import CONFIRMED_FR, MOBILE, SATURDAY
from tests.standin import hotline

CONFIRMED_EN = ("Technical support: we will call you back Monday 14 December between 8:30 and "
                "9:00 (Paris time). Reply CANCEL to cancel this callback, STOP to receive no "
                "more texts.")


@pytest.fixture
def site(r, env, clock) -> Iterator[tuple[Any, LocalTwilio]]:  # type: ignore[no-untyped-def]
    """The app (its clock on a closed Saturday) and the stand-in it sends SMS through."""
    clock.set(SATURDAY)
    with hotline({"TESTING": True, "CLOCK": clock, **env}) as (app, local):
        yield app, LocalTwilio(local.url)


def texts_to(app: Any, device: LocalTwilio, number: str = MOBILE) -> list[str]:
    """Run the SMS jobs with a real worker: the bodies the stand-in got for `number`."""
    run_jobs(app.extensions["ivr"])
    return [m["body"] for m in sent_to(device, number)]


@pytest.fixture
def ana(site) -> Any:  # type: ignore[no-untyped-def]
    """A test client signed in as the agent ana."""
    return signed_in(site[0], "ana", "agent")


def book_from_console(ana: Any, number: str, client_id: str = "1001") -> Any:
    return ana.post("/agent/callbacks", data={
        "number": number, "client_id": client_id, "csrf_token": csrf_token(ana, "/agent")})


def book_by_api(ana: Any, body: dict[str, Any]) -> Any:
    return ana.post("/api/callbacks", json=body,
                    headers={"X-CSRFToken": csrf_token(ana, "/agent")})


def test_a_callback_an_agent_books_from_the_console_is_confirmed(site, ana):
    app, device = site
    response = book_from_console(ana, "06 12 34 56 78")
    assert response.status_code == 302
    booked = store.of_number(app.extensions["ivr"].redis, MOBILE)
    assert booked is not None and (booked.state, booked.get("source")) == ("scheduled", "agent")
    assert texts_to(app, device) == [CONFIRMED_FR]
    assert outbox.get(app.extensions["ivr"].redis, "1")["ref"] == booked.id


def test_the_console_refuses_a_premium_number_and_an_unknown_client_with_a_message(site, ana):
    app, device = site
    token = csrf_token(ana, "/agent")
    for data, message in (
        ({"number": "0899 12 34 56"}, "No callback: '0899 12 34 56' is a premium-rate number."),
        ({"number": "0612345678", "client_id": "999"}, "no client '999'"),
    ):
        page = ana.post("/agent/callbacks", data={**data, "csrf_token": token},
                          follow_redirects=True)
        assert page.status_code == 200
        assert message.replace("'", "&#39;") in page.get_data(as_text=True)
    assert store.pending(app.extensions["ivr"].redis) == []
    assert texts_to(app, device, "+33899123456") == []


def test_a_callback_booked_through_the_api_is_confirmed_in_the_clients_language(site, ana):
    app, device = site
    response = book_by_api(ana, {"number": "+33612345678", "client_id": "1007"})
    assert response.status_code == 201
    body = response.get_json()
    assert (body["state"], body["number"]) == ("scheduled", MOBILE)
    assert store.get(app.extensions["ivr"].redis, body["id"]).get("source") == "api"  # type: ignore[union-attr]
    assert texts_to(app, device) == [CONFIRMED_EN]


def test_the_api_refuses_bad_bodies_and_numbers_with_json_reasons(site, ana):
    app, device = site
    for body, status, error in (
        ({"number": 612345678}, 400, 'send JSON {"number": "...", "client_id": "..." '
                                     '(optional)}'),
        ({"number": "0612345678", "client_id": "999"}, 400, "no client '999'"),
        ({"number": "+44 20 7946 0958"}, 422, "'+44 20 7946 0958' is a country callbacks "
                                              "do not call"),
    ):
        response = book_by_api(ana, body)
        assert (response.status_code, response.get_json()["error"]) == (status, error)
    assert store.pending(app.extensions["ivr"].redis) == []


def test_a_callback_requested_on_the_command_line_is_confirmed(site, env):
    from click.testing import CliRunner

    app, device = site
    result = CliRunner(env=env).invoke(main, [
        "callbacks", "request", "--client", "1001", "--number", "0612345678",
        "--at", SATURDAY.isoformat()])
    assert result.exit_code == 0, result.output
    assert texts_to(app, device) == [CONFIRMED_FR]


def test_a_landline_booked_by_an_agent_gets_no_sms(site, ana):
    app, device = site
    assert book_from_console(ana, "01 44 00 10 01").status_code == 302
    assert store.of_number(app.extensions["ivr"].redis, "+33144001001") is not None
    run_jobs(app.extensions["ivr"])
    assert device.messages() == []


def test_a_number_that_texted_stop_is_booked_but_not_texted(site, ana):
    app, device = site
    service = app.extensions["ivr"]
    optout.stop(service.redis, MOBILE, SATURDAY, "sms")
    assert book_by_api(ana, {"number": MOBILE}).status_code == 201
    assert texts_to(app, device) == []
    assert outbox.get(service.redis, "1") == {}  # not even queued


def test_an_sms_twilio_refuses_leaves_the_callback_booked(site, ana):
    app, device = site
    requests.post(device.base_url + "/_local/faults", timeout=5,
                  json={"status": 400, "count": 1, "match": "Messages"}).raise_for_status()
    assert book_from_console(ana, MOBILE).status_code == 302
    run_jobs(app.extensions["ivr"])
    assert outbox.get(app.extensions["ivr"].redis, "1")["state"] == "failed"
    booked = store.of_number(app.extensions["ivr"].redis, MOBILE)
    assert booked is not None and booked.state == "scheduled"


def test_a_confirmation_that_cannot_be_queued_never_fails_the_booking(site, ana):
    app, device = site
    service = app.extensions["ivr"]
    # the job queue's Redis is away (a closed port): the SMS cannot be queued
    service._job_queue = Queue(JOB_QUEUE, connection=redis.Redis(port=9, socket_timeout=1))
    response = book_by_api(ana, {"number": MOBILE, "client_id": "1001"})
    assert response.status_code == 201
    booked = store.get(service.redis, response.get_json()["id"])
    assert booked is not None and booked.state == "scheduled"
    assert device.messages() == []
