"""The call's state carried in the action URL: sealed by us, refused when changed, too big a
state kept in Redis instead; and the one-HMAC signature check agrees with twilio's."""

from __future__ import annotations

import base64
import json
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from twilio.request_validator import RequestValidator

from ivr.flows.call import CallState
from ivr.flows.token import MAX_TOKEN, Sealer, Tampered
from ivr.routes import signature_of
from tests.helpers import ASK_ID, TOKEN, Caller, TwiML, signed_post


def at_id_question(client, validator) -> tuple[Caller, dict[str, str]]:  # type: ignore[no-untyped-def]
    caller = Caller(client, validator, sid="CA-sealed")
    caller.start()
    assert caller.press(None).said() == [ASK_ID]
    return caller, dict(parse_qsl(urlsplit(caller.action_url()).query))


def post(caller: Caller, query: dict[str, str], **form: str):  # type: ignore[no-untyped-def]
    return signed_post(caller.client, caller.validator, f"/voice/step?{urlencode(query)}",
                       {**caller.params, **form})


def payload(token: str) -> dict:  # type: ignore[type-arg]
    raw = token.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))


def reseal(token: str, **changes: object) -> str:
    """The token with its state changed and the old seal kept (what a forger can do)."""
    data = {**payload(token), **changes}
    raw = base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()
    return f"{raw}.{token.split('.')[1]}"


def test_the_question_carries_the_state_and_an_untouched_url_is_answered(client, validator):
    caller, query = at_id_question(client, validator)
    state = payload(query["t"])
    assert state["node"] == "identify" and str(state["seq"]) == query["s"]
    assert "caller" not in state and "last" not in state  # Twilio sends From; no old answer
    assert post(caller, query, Digits="1001").status_code == 200


@pytest.mark.parametrize("change", [
    {"n": "menu"},  # another node
    {"v": "0123456789ab"},  # another flow version
    {"s": "9"},  # another step
])
def test_a_changed_url_is_refused(client, validator, change):
    caller, query = at_id_question(client, validator)
    response = post(caller, {**query, **change}, Digits="1001")
    assert response.status_code == 403


@pytest.mark.parametrize("changes", [
    {"tries": {"identify": 0, "x": 1}},  # attempts taken back
    {"node": "menu"},
    {"client": {"id": "1001", "company": "ACME"}},  # identified without a guess
])
def test_a_changed_state_is_refused(client, validator, changes):
    caller, query = at_id_question(client, validator)
    query["t"] = reseal(query["t"], **changes)
    if "node" in changes:
        query["n"] = "menu"
    assert post(caller, query, Digits="1").status_code == 403


def test_a_state_sealed_with_another_key_is_refused(client, validator):
    caller, query = at_id_question(client, validator)
    state = CallState(**payload(query["t"]))
    query["t"] = Sealer("another secret, another deployment").seal(state) or ""
    assert post(caller, query, Digits="1001").status_code == 403


def test_garbage_in_place_of_the_state_is_refused_not_an_error(client, validator):
    caller, query = at_id_question(client, validator)
    for junk in ("", ".", "abc", "abc.def", "%%%.%%%", "\u00e9.x"):
        assert post(caller, {**query, "t": junk}, Digits="1").status_code == 403


def test_the_sealer_refuses_a_state_too_big_for_a_url_and_opens_what_it_seals():
    sealer = Sealer("x" * 32)
    state = CallState(version="v1", lang="fr", seq=3, node="menu", vars={"company": "ACME"})
    token = sealer.seal(state)
    assert token is not None and len(token) < 200
    opened = sealer.open(token, "v1", "menu", "3")
    assert opened.vars == {"company": "ACME"} and opened.seq == 3
    with pytest.raises(Tampered):
        sealer.open(token, "v1", "menu", "4")
    big = CallState(version="v1", lang="fr", seq=3, node="menu", vars={"x": "y" * MAX_TOKEN})
    assert sealer.seal(big) is None


def test_a_call_whose_state_cannot_ride_in_the_url_keeps_it_in_redis(client, validator, r,
                                                                      monkeypatch):
    """A state too big for a URL is stored in Redis instead; the call goes on the same."""
    from ivr.flows import token

    caller, _ = at_id_question(client, validator)
    monkeypatch.setattr(token, "MAX_TOKEN", 10)
    assert caller.press("1001").said()  # identified: the menu, its state stored
    assert "t=" not in caller.action_url()
    assert r.exists("ivr:call:CA-sealed")
    assert caller.press("1").one("Enqueue").text == "technical_support"


@pytest.mark.parametrize("pairs", [
    [("CallSid", "CA1"), ("From", "+33612345678"), ("To", "+33825000463")],
    [("Digits", ""), ("SpeechResult", "Un deux trois é"), ("CallSid", "CA2")],
    [("b", "2"), ("a", "1"), ("a", "0"), ("a", "1")],  # repeated names and values
    [],
])
def test_the_one_hmac_signature_is_twilios(pairs):
    url = "https://hotline.example.com/voice/step?v=1&n=menu&s=2&t=abc.def"
    validator = RequestValidator(TOKEN)

    class Multi(dict):  # type: ignore[type-arg]
        def getall(self, name: str) -> list[str]:
            return [v for k, v in pairs if k == name]

    expected = validator.compute_signature(url, Multi(pairs))
    assert signature_of(TOKEN.encode(), url, pairs) == expected


def test_redis_down_mid_call_questions_that_read_nothing_are_still_answered(env, clock,
                                                                             validator,
                                                                             tmp_path):
    """With the flow version kept in the process, a new call and a step that reads nothing
    shared need no Redis: they are answered while it is down; a step that needs it gets the
    apology, valid TwiML all the same."""
    import subprocess

    from ivr import create_app
    from ivr.core.redis_server import redis_executable
    from ivr.flows.apology import APOLOGY
    from tests.core.test_sentinel import free_port, wait_for
    from tests.flows.test_engine import WELCOME
    from tests.helpers import MENU_FR

    port = free_port()
    server = subprocess.Popen([redis_executable(), "--port", str(port), "--bind", "127.0.0.1",
                               "--save", "", "--dir", str(tmp_path)], stdout=subprocess.DEVNULL)
    try:
        wait_for(port)
        app = create_app({"CLOCK": clock, **env, "REDIS_URL": f"redis://127.0.0.1:{port}/0",
                          "IVR_SHARED_CACHE": "5"})
        caller = Caller(app.test_client(), validator, sid="CA-down")
        caller.start()
        caller.press(None)
        assert caller.press("1001").said()[0].startswith(MENU_FR)
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert Caller(app.test_client(), validator, sid="CA-new").start().said()[0] == WELCOME
    assert caller.press("*").said()[0].startswith(MENU_FR)  # repeat: nothing shared
    assert caller.press("1").said()[0] == APOLOGY[0][0]  # the queue is in Redis
    app.extensions["ivr"].close()


@pytest.mark.parametrize("body", [
    b"CallSid=CA1&From=%2B33612345678&To=%2B33825000463&Digits=",
    b"a=1&a=2&b&c=&=x&&d=%C3%A9t%C3%A9+chaud&e=100%25",
    b"SpeechResult=un+deux%2Btrois&bad=%ZZ%&latin=%E9",
    b"",
])
def test_the_form_is_read_as_parse_qsl_reads_it(body):
    from ivr.routes import parse_form

    assert parse_form(body) == parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)


def test_every_new_call_gets_the_same_first_answer_and_a_publish_changes_it(client, validator,
                                                                         app, clock):
    from ivr.flows.loader import from_data

    first = signed_post(client, validator, "/voice/incoming",
                        {"CallSid": "CA-one", "From": "+33612345678"}).data
    second = signed_post(client, validator, "/voice/incoming",
                         {"CallSid": "CA-two", "From": "+33144001001"}).data
    assert first == second  # built once for the version: no caller, no time in it
    store = app.extensions["ivr"].flows
    data = store.current().config.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    data["prompts"]["welcome"]["fr"] = "Bonjour."
    store.publish(from_data(data), clock.now())
    third = signed_post(client, validator, "/voice/incoming", {"CallSid": "CA-three"}).data
    assert third != first and "Bonjour." in third.decode()


def test_a_flow_starting_with_the_hours_answers_each_new_call_at_its_time(client, validator,
                                                                         app, clock):
    """A start that depends on the time is not built once: 9:00 open, 20:00 closed."""
    from datetime import timedelta

    from ivr.flows.loader import from_data

    store = app.extensions["ivr"].flows
    data = store.current().config.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    data["nodes"]["greeting"] = {"type": "check_hours", "schedule": "support",
                                 "open": "incident", "closed": "closed",
                                 "holiday": "closed_holiday", "closure": "closed_closure",
                                 "emergency": "emergency_closed"}
    store.publish(from_data(data), clock.now())
    opened = TwiML(signed_post(client, validator, "/voice/incoming", {"CallSid": "CA-a"}).data)
    clock.set(clock.now() + timedelta(hours=11))
    closed = TwiML(signed_post(client, validator, "/voice/incoming", {"CallSid": "CA-b"}).data)
    assert opened.said() == [ASK_ID]
    assert closed.said() != opened.said()
