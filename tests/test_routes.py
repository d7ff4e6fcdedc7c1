"""Twilio-facing routes: signatures, TwiML answers whatever the input, never a 500."""

from __future__ import annotations

import pytest

from ivr import create_app
from ivr.flows.engine import CALL_KEY
from tests.helpers import Caller, TwiML, signed_post

APOLOGY = "Nous sommes désolés, une erreur technique nous empêche de traiter votre appel."
TWILIO_PATHS = ["/voice/incoming", "/voice/step?v=x&n=greeting&s=1", "/voice/status",
                "/voice/fallback", "/voice/wait?q=maintenance", "/voice/recording"]


@pytest.mark.parametrize("path", TWILIO_PATHS)
def test_unsigned_request_is_refused_and_changes_nothing(client, r, path):
    before = set(r.keys("*"))
    response = client.post(path, data={"CallSid": "CA1", "From": "+33612345678"})
    assert response.status_code == 403
    assert set(r.keys("*")) == before


@pytest.mark.parametrize("path", TWILIO_PATHS)
def test_forged_signature_is_refused(client, r, path):
    response = client.post(path, data={"CallSid": "CA1"},
                           headers={"X-Twilio-Signature": "bm90IGEgc2lnbmF0dXJl"})
    assert response.status_code == 403
    assert r.get(CALL_KEY.format("CA1")) is None


def test_signature_over_other_parameters_is_refused(client, validator):
    signature = validator.compute_signature("http://localhost/voice/incoming", {"CallSid": "CA1"})
    response = client.post("/voice/incoming", data={"CallSid": "CA1", "Digits": "1"},
                           headers={"X-Twilio-Signature": signature})
    assert response.status_code == 403


def test_signature_is_checked_against_the_public_url(env, r, clock, validator):
    app = create_app({"CLOCK": clock, **env, "IVR_PUBLIC_URL": "https://hotline.example.com"})
    client = app.test_client()
    params = {"CallSid": "CA1", "From": "+33612345678"}
    local = signed_post(client, validator, "/voice/incoming", params)
    assert local.status_code == 403
    signature = validator.compute_signature("https://hotline.example.com/voice/incoming", params)
    public = client.post("/voice/incoming", data=params, headers={"X-Twilio-Signature": signature})
    assert public.status_code == 200


def test_proxy_headers_are_trusted_when_configured(env, r, clock, validator):
    app = create_app({"CLOCK": clock, **env, "IVR_PROXY_HOPS": "1"})
    params = {"CallSid": "CA1", "From": "+33612345678"}
    signature = validator.compute_signature("https://hotline.example.com/voice/incoming", params)
    response = app.test_client().post(
        "/voice/incoming", data=params,
        headers={"X-Twilio-Signature": signature, "X-Forwarded-Proto": "https",
                 "X-Forwarded-Host": "hotline.example.com"})
    assert response.status_code == 200


def test_signature_checks_can_be_turned_off_in_development(env, r, clock):
    app = create_app({"CLOCK": clock, **env, "IVR_VALIDATE_SIGNATURES": "false"})
    response = app.test_client().post("/voice/incoming", data={"CallSid": "CA1"})
    assert response.status_code == 200
    assert TwiML(response.data).verbs == ["Gather"]


def test_answers_are_twiml(client, validator):
    response = signed_post(client, validator, "/voice/incoming", {"CallSid": "CA1"})
    assert response.status_code == 200
    assert response.mimetype == "text/xml"
    TwiML(response.data)


@pytest.mark.parametrize("params", [
    {},
    {"CallSid": ""},
    {"CallSid": "CA<script>"},
    {"CallSid": "x" * 500},
])
def test_missing_or_odd_call_sid_gets_an_apology_not_a_500(client, validator, params):
    response = signed_post(client, validator, "/voice/incoming", params)
    assert response.status_code == 200
    doc = TwiML(response.data)
    assert doc.said()[0] == APOLOGY
    assert doc.verbs[-1] == "Hangup"


@pytest.mark.parametrize("query", ["", "?n=menu", "?v=zzz&n=nowhere&s=abc", "?s=-1&n=greeting",
                                   "?v=&n=&s=99999999999999999999"])
def test_odd_step_urls_still_get_sensible_twiml(client, validator, query):
    caller = Caller(client, validator)
    caller.start()
    doc = caller.post(f"/voice/step{query}", Digits="1")
    assert doc.said()[0] == "Bienvenue au support technique."  # asked again


@pytest.mark.parametrize("digits", ["abc", "1\x002", "٣", "9" * 300, "+-"])
def test_digits_that_are_not_digits_get_a_prompt(client, validator, digits):
    caller = Caller(client, validator)
    caller.start()
    caller.press(None)
    doc = caller.press(digits)
    assert doc.said()[0] == "Ce numéro client n'est pas reconnu."
    assert doc.verbs == ["Say", "Gather"]


def test_redis_down_gives_the_apology_and_the_fallback_number(env, clock, validator):
    app = create_app({"CLOCK": clock, **env, "REDIS_URL": "redis://127.0.0.1:1/0",
                      "IVR_FALLBACK_NUMBER": "01 44 00 99 99"})
    response = signed_post(app.test_client(), validator, "/voice/incoming", {"CallSid": "CA1"})
    assert response.status_code == 200
    doc = TwiML(response.data)
    assert doc.said()[0] == APOLOGY
    assert doc.one("Dial").text == "+33144009999"


def test_fallback_url_answers_without_redis(env, clock, validator):
    app = create_app({"CLOCK": clock, **env, "REDIS_URL": "redis://127.0.0.1:1/0"})
    response = signed_post(app.test_client(), validator, "/voice/fallback",
                           {"CallSid": "CA1", "ErrorCode": "11200"})
    doc = TwiML(response.data)
    assert doc.said()[0] == APOLOGY and doc.verbs[-1] == "Hangup"


def test_status_callback_lets_a_finished_call_expire(client, validator, r):
    caller = Caller(client, validator, sid="CA-done")
    caller.start()
    assert not r.exists(CALL_KEY.format("CA-done"))  # its state rides in its URLs
    caller.press(None)
    caller.press("1001")
    caller.press("1")  # a queue: the call's state is stored for the agents
    assert r.ttl(CALL_KEY.format("CA-done")) > 3600
    doc = caller.post("/voice/status", CallStatus="completed", CallDuration="42")
    assert doc.verbs == []
    assert 0 < r.ttl(CALL_KEY.format("CA-done")) <= 3600


def test_healthz(client, env, clock):
    assert client.get("/healthz").get_json()["status"] == "ok"
    down = create_app({"CLOCK": clock, **env, "REDIS_URL": "redis://127.0.0.1:1/0"})
    response = down.test_client().get("/healthz")
    assert response.status_code == 503 and response.get_json()["status"] == "down"


def test_get_is_not_a_webhook(client):
    assert client.get("/voice/incoming").status_code == 405


def test_a_webhook_body_over_the_limit_is_refused_before_it_is_read(client):
    big = {"CallSid": "CA-big", "x": "a" * 70_000}
    assert client.post("/voice/incoming", data=big).status_code == 413
    assert client.post("/voice/status", data=big).status_code == 413


def test_the_webhook_limit_is_a_setting(r, env, clock):
    from ivr import create_app

    small = create_app({"TESTING": True, "CLOCK": clock, **env, "IVR_MAX_BODY": "2048"})
    assert small.test_client().post("/voice/status", data={"x": "a" * 3000}).status_code == 413
    small.extensions["ivr"].redis.connection_pool.disconnect()


def test_other_requests_may_be_bigger(client):
    # an upload larger than any webhook is not refused for its size (the page answers its own way)
    assert client.post("/login", data={"name": "a" * 70_000}).status_code != 413
