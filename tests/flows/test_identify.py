"""Node identify: caller ID confirmed with a key or a typed client ID, bounded attempts, the
same answer for every wrong id, bad input, replays, lockout of a number, flagging of an id,
and the licence number as a second factor."""

from __future__ import annotations

import threading
import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
import yaml
from twilio.request_validator import RequestValidator

from ivr.callers import guard
from ivr.callers.directory import Client, Contract, save_clients
from ivr.core.settings import PROJECT_ROOT
from ivr.flows.loader import from_data
from tests.conftest import MONDAY_MORNING
from tests.helpers import (
    ACME_PHONE,
    ASK_ID,
    CONFIRM_ACME,
    HOTLINE,
    INVALID,
    MENU_FR,
    NO_ID,
    NOT_IDENTIFIED,
    TOKEN,
    UNKNOWN_CALLER,
    TwiML,
    scripted_call,
    signed_post,
)

SHIPPED = PROJECT_ROOT / "config" / "flow.yaml"
UNCLEAR = "Nous n'avons pas compris votre numéro client."
ASK_LICENCE = "Tapez les chiffres de votre numéro de licence, suivis de la touche dièse."
SHARED_PHONE = "+33472000067"  # clients 1006 and 1007


def number(n: int) -> str:
    """A distinct valid French mobile number per n."""
    return f"+336123456{n:02d}"


# -- one call, request by request --------------------------------------------------------


def post(client, validator, path: str, params: dict[str, str]) -> TwiML:  # type: ignore[no-untyped-def]
    response = signed_post(client, validator, path, params)
    assert response.status_code == 200, response.data
    return TwiML(response.data)


def answer_url(doc: TwiML) -> str:
    return doc.one("Gather").get("action") or ""


def at_id_prompt(client, validator, sid: str = "CA-identify",  # type: ignore[no-untyped-def]
                 caller: str = UNKNOWN_CALLER) -> tuple[dict[str, str], TwiML]:
    """Start a call, let the greeting time out: (the call's parameters, the identify TwiML)."""
    params = {"CallSid": sid, "AccountSid": "AC" + "0" * 32, "From": caller, "To": HOTLINE,
              "CallStatus": "in-progress", "Direction": "inbound"}
    greeting = post(client, validator, "/voice/incoming", params)
    return params, post(client, validator, answer_url(greeting), params)


def answer(client, validator, params, doc: TwiML, **extra: str) -> TwiML:  # type: ignore[no-untyped-def]
    return post(client, validator, answer_url(doc), {**params, **extra})


def asks_for_id(doc: TwiML) -> bool:
    return doc.action()[1]["n"] == "identify" and doc.said()[-1] == ASK_ID


def publish(app, change) -> None:  # type: ignore[no-untyped-def]
    """Publish the shipped flow after `change(data)` edits it."""
    data = yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))
    change(data)
    service = app.extensions["ivr"]
    service.flows.publish(from_data(data), service.clock.now())


def fail_ids(app, caller: str, *ids: str):  # type: ignore[no-untyped-def]
    """A call from `caller` typing each of `ids` (wrong ones), then silence."""
    return scripted_call(app, "-", *(f"{i}#" for i in ids), caller=caller)


def heard_id_prompt(result) -> bool:  # type: ignore[no-untyped-def]
    return ASK_ID in result.said() or CONFIRM_ACME in result.said()


def identify_answers(result) -> list[list[str]]:  # type: ignore[no-untyped-def]
    """What was said in answer to each key press at the identify node, in order."""
    return [TwiML(s["twiml"]).said() for s in result.steps if "n=identify" in s["path"]]


# -- asking ------------------------------------------------------------------------------


def test_unknown_number_is_asked_the_id_ended_by_hash(client, validator):
    _, doc = at_id_prompt(client, validator)
    assert doc.verbs == ["Gather"]
    assert doc.said() == [ASK_ID]
    gather = doc.one("Gather")
    assert gather.get("finishOnKey") == "#"
    assert gather.get("timeout") == "8"
    assert gather.get("input") == "dtmf speech"  # the shipped flow lets the id be said
    assert gather.get("actionOnEmptyResult") == "true"
    assert gather.get("numDigits") is None  # ids have up to 12 digits
    path, query = doc.action()
    assert path == "/voice/step" and query["n"] == "identify"


def test_known_number_is_offered_its_company_and_confirms_with_1(client, validator):
    params, doc = at_id_prompt(client, validator, caller=ACME_PHONE)
    assert doc.said() == [CONFIRM_ACME]
    menu = answer(client, validator, params, doc, Digits="1")
    assert menu.said()[0].startswith(MENU_FR)
    assert menu.action()[1]["n"] == "menu"


def test_known_caller_may_type_another_clients_id(client, validator):
    params, doc = at_id_prompt(client, validator, caller=ACME_PHONE)
    doc = answer(client, validator, params, doc, Digits="1002", FinishedOnKey="#")
    # identified as 1002 (contract ending 2027-01-15), not as ACME
    assert doc.said()[0].startswith("Votre contrat de maintenance se termine le 15 janvier 2027.")


def test_known_caller_may_type_its_own_id(client, validator):
    params, doc = at_id_prompt(client, validator, caller=ACME_PHONE)
    assert answer(client, validator, params, doc, Digits="1001").said()[0].startswith(MENU_FR)


def test_number_shared_by_two_clients_is_asked_the_id_not_offered_a_company(client, validator):
    params, doc = at_id_prompt(client, validator, caller=SHARED_PHONE)
    assert doc.said() == [ASK_ID]
    # 1 is not a confirmation here: it is a wrong id like any other
    doc = answer(client, validator, params, doc, Digits="1")
    assert doc.said() == [INVALID, ASK_ID]
    doc = answer(client, validator, params, doc, Digits="1007")
    assert doc.said()[0].startswith(MENU_FR)


def test_local_format_caller_id_is_recognised(client, validator):
    _, doc = at_id_prompt(client, validator, caller="0144001001")
    assert doc.said() == [CONFIRM_ACME]


# -- wrong ids -------------------------------------------------------------------------


@pytest.mark.parametrize("wrong", [
    "9999", "1", "01001", "10010", "999999999999", "1234567890123", "9" * 40,
])
def test_every_wrong_id_gets_the_same_answer(client, validator, wrong):
    params, doc = at_id_prompt(client, validator)
    doc = answer(client, validator, params, doc, Digits=wrong, FinishedOnKey="#")
    assert doc.said() == [INVALID, ASK_ID]
    assert doc.verbs == ["Say", "Gather"]
    assert asks_for_id(doc)


def test_third_wrong_id_goes_to_the_failure_node(client, validator):
    params, doc = at_id_prompt(client, validator)
    for wrong in ("9991", "9992"):
        doc = answer(client, validator, params, doc, Digits=wrong)
        assert doc.said() == [INVALID, ASK_ID]
    doc = answer(client, validator, params, doc, Digits="9993")
    assert doc.said() == [INVALID, NOT_IDENTIFIED]
    assert doc.verbs == ["Say", "Say", "Enqueue"]
    assert doc.one("Enqueue").text == "maintenance"


def test_good_id_after_two_wrong_ones_is_accepted(client, validator):
    params, doc = at_id_prompt(client, validator)
    for wrong in ("9991", "9992"):
        doc = answer(client, validator, params, doc, Digits=wrong)
    assert answer(client, validator, params, doc, Digits="1001").said()[0].startswith(MENU_FR)


# -- input that is not an id -------------------------------------------------------------


BAD_INPUT = {
    "star": ({"Digits": "*"}, INVALID),
    "hash alone": ({"Digits": "", "FinishedOnKey": "#"}, NO_ID),
    "timeout": ({}, NO_ID),
    "words, no number": ({"SpeechResult": "je ne sais pas", "Confidence": "0.9"}, UNCLEAR),
    "13 digits said": ({"SpeechResult": "1234567890123", "Confidence": "0.9"}, UNCLEAR),
    "40 digits": ({"Digits": "4" * 40, "FinishedOnKey": "#"}, INVALID),
    "star in id": ({"Digits": "10*01", "FinishedOnKey": "#"}, INVALID),
}


@pytest.mark.parametrize("kind", BAD_INPUT)
def test_bad_input_gets_a_clear_prompt_and_the_question_again(client, validator, kind):
    extra, message = BAD_INPUT[kind]
    params, doc = at_id_prompt(client, validator)
    doc = answer(client, validator, params, doc, **extra)
    assert doc.said() == [message, ASK_ID]
    assert asks_for_id(doc)


@pytest.mark.parametrize("kind", BAD_INPUT)
def test_each_bad_input_counts_as_one_attempt(client, validator, kind):
    extra, message = BAD_INPUT[kind]
    params, doc = at_id_prompt(client, validator)
    for _ in range(2):
        doc = answer(client, validator, params, doc, **extra)
        assert doc.said() == [message, ASK_ID]
    doc = answer(client, validator, params, doc, **extra)
    assert doc.said() == [message, NOT_IDENTIFIED]
    assert doc.one("Enqueue").text == "maintenance"


@pytest.mark.parametrize("kinds", [
    ("star", "hash alone", "timeout"),
    ("words, no number", "40 digits", "star"),
    ("timeout", "words, no number", "hash alone"),
])
def test_mixed_bad_inputs_share_the_three_attempts(client, validator, kinds):
    params, doc = at_id_prompt(client, validator)
    for kind in kinds[:2]:
        doc = answer(client, validator, params, doc, **BAD_INPUT[kind][0])
        assert asks_for_id(doc)
    extra, message = BAD_INPUT[kinds[2]]
    doc = answer(client, validator, params, doc, **extra)
    assert doc.said() == [message, NOT_IDENTIFIED]


def test_input_that_is_not_an_id_never_locks_the_number(client, validator):
    calls = {"CA-a": ("star", "star in id", "star"),
             "CA-b": ("star", "words, no number", "star in id"),
             "CA-c": ("timeout", "hash alone", "star")}
    for sid, kinds in calls.items():
        params, doc = at_id_prompt(client, validator, sid=sid)
        for kind in kinds:
            doc = answer(client, validator, params, doc, **BAD_INPUT[kind][0])
        assert doc.said() == [BAD_INPUT[kinds[-1]][1], NOT_IDENTIFIED]
    # nine bad answers, no wrong id: the next call is still asked its id
    _, doc = at_id_prompt(client, validator, sid="CA-d")
    assert doc.said() == [ASK_ID]


# -- replays -----------------------------------------------------------------------------


def test_replayed_wrong_id_gets_the_same_answer_and_counts_once(client, validator):
    params, doc = at_id_prompt(client, validator, sid="CA-replay")
    url = answer_url(doc)
    once = post(client, validator, url, {**params, "Digits": "9999", "FinishedOnKey": "#"})
    again = post(client, validator, url, {**params, "Digits": "9999", "FinishedOnKey": "#"})
    assert once.said() == again.said() == [INVALID, ASK_ID]
    assert once.action() == again.action()
    # one attempt used, not two: the second wrong id is still asked again
    doc = answer(client, validator, params, once, Digits="9998")
    assert doc.said() == [INVALID, ASK_ID]
    assert answer(client, validator, params, doc, Digits="9997").said() == [
        INVALID, NOT_IDENTIFIED]
    # three failures recorded, not four: the next call's first wrong id does not lock
    params, doc = at_id_prompt(client, validator, sid="CA-after-replay")
    doc = answer(client, validator, params, doc, Digits="9996")
    assert doc.said() == [INVALID, ASK_ID]
    assert answer(client, validator, params, doc, Digits="9995").said() == [
        INVALID, NOT_IDENTIFIED]
    _, doc = at_id_prompt(client, validator, sid="CA-locked")
    assert doc.said() == [NOT_IDENTIFIED]


def test_replayed_good_id_gets_the_same_menu(client, validator):
    params, doc = at_id_prompt(client, validator)
    url = answer_url(doc)
    once = post(client, validator, url, {**params, "Digits": "1001"})
    again = post(client, validator, url, {**params, "Digits": "1001"})
    assert once.said() == again.said()
    assert once.action() == again.action() and once.action()[1]["n"] == "menu"


# -- lockout of a number -----------------------------------------------------------------


def test_five_wrong_ids_within_the_hour_lock_the_number(app):
    assert fail_ids(app, UNKNOWN_CALLER, "9991", "9992", "9993").outcome["target"] == "maintenance"
    app.extensions["ivr"].clock.advance(timedelta(minutes=50))
    second = fail_ids(app, UNKNOWN_CALLER, "9994", "9995")
    # the fifth failure ends the call's attempts: the same message, then the failure path
    assert identify_answers(second) == [[INVALID, ASK_ID], [INVALID, NOT_IDENTIFIED]]

    locked = scripted_call(app, "-", "1001#", "1", caller=UNKNOWN_CALLER)
    assert not heard_id_prompt(locked)
    assert NOT_IDENTIFIED in locked.said()
    assert locked.outcome == {"type": "enqueue", "target": "maintenance"}
    # straight from the greeting to the failure path: no question after the greeting
    after_greeting = TwiML(locked.steps[1]["twiml"])
    assert after_greeting.all("Gather") == [] and after_greeting.said() == [NOT_IDENTIFIED]


def test_failures_older_than_the_window_do_not_count(app):
    fail_ids(app, UNKNOWN_CALLER, "9991", "9992", "9993")
    fail_ids(app, UNKNOWN_CALLER, "9994")
    app.extensions["ivr"].clock.advance(timedelta(minutes=61))
    # a fifth failure, but the four others are more than an hour old
    later = scripted_call(app, "-", "9995#", "1001#", "1")
    assert later.said().count(INVALID) == 1
    assert later.outcome == {"type": "enqueue", "target": "technical_support"}
    assert heard_id_prompt(scripted_call(app, "-"))


def test_failures_within_the_window_count_across_calls(app):
    fail_ids(app, UNKNOWN_CALLER, "9991", "9992", "9993")
    fail_ids(app, UNKNOWN_CALLER, "9994")
    app.extensions["ivr"].clock.advance(timedelta(minutes=59))
    later = scripted_call(app, "-", "9995#", "1001#", "1")
    # the fifth failure locks at once: the same message, then the failure path
    assert identify_answers(later) == [[INVALID, NOT_IDENTIFIED]]
    assert later.outcome == {"type": "enqueue", "target": "maintenance"}


def test_lock_lasts_its_duration_then_the_number_is_asked_again(app):
    clock = app.extensions["ivr"].clock
    fail_ids(app, UNKNOWN_CALLER, "9991", "9992", "9993")
    fail_ids(app, UNKNOWN_CALLER, "9994", "9995")
    clock.advance(timedelta(minutes=59))
    assert not heard_id_prompt(scripted_call(app, "-", "1001#"))
    clock.advance(timedelta(minutes=2))
    again = scripted_call(app, "-", "1001#", "1")
    assert ASK_ID in again.said()
    assert again.outcome == {"type": "enqueue", "target": "technical_support"}


def test_lock_of_one_number_spares_the_others(app):
    fail_ids(app, UNKNOWN_CALLER, "9991", "9992", "9993")
    fail_ids(app, UNKNOWN_CALLER, "9994", "9995")
    other = scripted_call(app, "-", "1001#", "1", caller=number(1))
    assert ASK_ID in other.said()
    assert other.outcome == {"type": "enqueue", "target": "technical_support"}
    known = scripted_call(app, "-", "1", "3", caller=ACME_PHONE)
    assert CONFIRM_ACME in known.said()
    assert known.outcome == {"type": "enqueue", "target": "delivery"}


def test_a_known_number_is_locked_like_any_other(app):
    fail_ids(app, ACME_PHONE, "9991", "9992", "9993")
    fail_ids(app, ACME_PHONE, "9994", "9995")
    locked = scripted_call(app, "-", "1", caller=ACME_PHONE)
    assert not heard_id_prompt(locked)
    assert locked.outcome == {"type": "enqueue", "target": "maintenance"}


def test_lockout_settings_come_from_the_flow(app):
    publish(app, lambda d: d["nodes"]["identify"]["lockout"].update(failures=2))
    result = fail_ids(app, UNKNOWN_CALLER, "9991", "9992", "9993")
    # locked by the second failure, not the fifth: 9993 is never asked for
    assert identify_answers(result) == [[INVALID, ASK_ID], [INVALID, NOT_IDENTIFIED]]
    assert not heard_id_prompt(scripted_call(app, "-"))


# -- flagging of an id -------------------------------------------------------------------


def test_id_failed_from_five_numbers_is_flagged_for_admins(app, r):
    for n in range(4):
        fail_ids(app, number(n), "2001")
    assert guard.flagged(r) == {}
    fail_ids(app, number(4), "2001")
    flagged = guard.flagged(r)
    assert list(flagged) == ["2001"]
    assert flagged["2001"]["numbers"] == 5
    assert flagged["2001"]["at"].startswith(MONDAY_MORNING.date().isoformat())


def test_failures_from_one_number_do_not_flag_the_id(app, r):
    fail_ids(app, UNKNOWN_CALLER, "2001", "2001", "2001")
    fail_ids(app, UNKNOWN_CALLER, "2001", "2001")
    assert guard.flagged(r) == {}


def test_flagged_id_is_never_locked_against_its_owner(app, r):
    for n in range(5):
        fail_ids(app, number(n), "2001")
    assert "2001" in guard.flagged(r)
    save_clients(r, [Client(id="2001", company="Alpha", agency="paris",
                            contract=Contract(end=MONDAY_MORNING.date() + timedelta(days=400)))])
    owner = scripted_call(app, "-", "2001#", "2", caller=number(9))
    assert owner.outcome == {"type": "enqueue", "target": "maintenance"}
    assert any(s.startswith(MENU_FR) for s in owner.said())


# -- the licence number as a second factor -----------------------------------------------


@pytest.fixture
def licence_flow(app):  # type: ignore[no-untyped-def]
    def change(data):  # type: ignore[no-untyped-def]
        data["nodes"]["identify"].update(licence=True, licence_prompt="enter_licence")
        data["prompts"]["enter_licence"] = {
            "fr": ASK_LICENCE, "en": "Enter the digits of your licence number, then hash."}
    publish(app, change)
    return app


def test_licence_is_asked_after_the_id_then_checked(licence_flow):
    # a wrong licence is refused like a wrong id, and the id is asked again
    result = scripted_call(licence_flow, "-", "1001#", "5555#", "1001#", "1001#", "1")
    answers = identify_answers(result)
    assert answers[:3] == [[ASK_LICENCE], [INVALID, ASK_ID], [ASK_LICENCE]]
    assert len(answers) == 4 and answers[3][0].startswith(MENU_FR)  # licence L-1001-A
    assert result.outcome == {"type": "enqueue", "target": "technical_support"}


def test_three_wrong_licences_lead_to_the_failure_node(licence_flow):
    result = scripted_call(licence_flow, "-", "1001#", "5555#", "1001#", "5556#",
                           "1001#", "5557#")
    assert identify_answers(result) == [
        [ASK_LICENCE], [INVALID, ASK_ID], [ASK_LICENCE], [INVALID, ASK_ID],
        [ASK_LICENCE], [INVALID, NOT_IDENTIFIED]]
    assert not any(s.startswith(MENU_FR) for s in result.said())
    assert result.outcome == {"type": "enqueue", "target": "maintenance"}


def test_unknown_id_is_asked_the_licence_too_then_refused_like_a_wrong_licence(
        licence_flow, client, validator):
    known_params, known = at_id_prompt(client, validator, sid="CA-known")
    unknown_params, unknown = at_id_prompt(client, validator, sid="CA-unknown")
    known = answer(client, validator, known_params, known, Digits="1001", FinishedOnKey="#")
    unknown = answer(client, validator, unknown_params, unknown, Digits="9999",
                     FinishedOnKey="#")
    # the same question, in the same form: nothing tells whether the id exists
    assert known.said() == unknown.said() == [ASK_LICENCE]
    assert known.verbs == unknown.verbs == ["Gather"]
    assert ET.tostring(known.one("Gather")) == ET.tostring(unknown.one("Gather"))
    # the refusal comes after the licence, the same for both (even with 1001's licence)
    known = answer(client, validator, known_params, known, Digits="5555", FinishedOnKey="#")
    unknown = answer(client, validator, unknown_params, unknown, Digits="1001",
                     FinishedOnKey="#")
    assert known.said() == unknown.said() == [INVALID, ASK_ID]
    assert ET.tostring(known.root) == ET.tostring(unknown.root)


def test_licence_failures_from_five_numbers_flag_the_client(licence_flow, r):
    for n in range(5):
        scripted_call(licence_flow, "-", "1001#", "5555#", caller=number(n))
    assert "1001" in guard.flagged(r)


def test_attacked_client_still_identifies_with_its_licence(licence_flow, r):
    for n in range(5):
        scripted_call(licence_flow, "-", "1001#", "5555#", "1001#", "5556#", "1001#", "5557#",
                      caller=number(n))
    owner = scripted_call(licence_flow, "-", "1", "1001#", "1", caller=ACME_PHONE)
    assert owner.outcome == {"type": "enqueue", "target": "technical_support"}


# -- the lock holds at every guess -------------------------------------------------------


def test_a_call_already_at_the_question_is_refused_once_the_number_is_locked(client, validator):
    waiting_params, waiting = at_id_prompt(client, validator, sid="CA-waiting")
    assert waiting.said() == [ASK_ID]
    for sid, wrong in (("CA-x", ("9991", "9992", "9993")), ("CA-y", ("9994", "9995"))):
        params, doc = at_id_prompt(client, validator, sid=sid)
        for keys in wrong:
            doc = answer(client, validator, params, doc, Digits=keys)
    # the number is locked now: even the right id is refused, in the words of a wrong one
    doc = answer(client, validator, waiting_params, waiting, Digits="1001")
    assert doc.said() == [INVALID, NOT_IDENTIFIED]
    assert doc.one("Enqueue").text == "maintenance"


def test_a_locked_known_number_cannot_confirm_its_company(client, validator):
    waiting_params, waiting = at_id_prompt(client, validator, sid="CA-acme", caller=ACME_PHONE)
    assert waiting.said() == [CONFIRM_ACME]
    for sid, wrong in (("CA-x", ("9991", "9992", "9993")), ("CA-y", ("9994", "9995"))):
        params, doc = at_id_prompt(client, validator, sid=sid, caller=ACME_PHONE)
        for keys in wrong:
            doc = answer(client, validator, params, doc, Digits=keys)
    doc = answer(client, validator, waiting_params, waiting, Digits="1")
    assert doc.said() == [INVALID, NOT_IDENTIFIED]


def test_a_locked_number_is_refused_at_the_licence_too(licence_flow, client, validator):
    waiting_params, waiting = at_id_prompt(client, validator, sid="CA-licence")
    waiting = answer(client, validator, waiting_params, waiting, Digits="1001")
    assert waiting.said() == [ASK_LICENCE]
    for n in range(5):
        params, doc = at_id_prompt(client, validator, sid=f"CA-attack-{n}")
        doc = answer(client, validator, params, doc, Digits="1001")
        answer(client, validator, params, doc, Digits="5555")
    doc = answer(client, validator, waiting_params, waiting, Digits="1001")  # L-1001-A
    assert doc.said() == [INVALID, NOT_IDENTIFIED]


def test_ten_calls_guessing_at_once_from_one_number_get_five_checks(app, r):
    client_ids = [f"CA-parallel-{n}" for n in range(10)]
    validator = RequestValidator(TOKEN)
    prompts = {sid: at_id_prompt(app.test_client(), validator, sid=sid) for sid in client_ids}
    barrier = threading.Barrier(10)
    answers: dict[str, TwiML] = {}

    def guess(sid: str) -> None:
        params, doc = prompts[sid]
        test_client = app.test_client()
        barrier.wait(timeout=10)
        answers[sid] = answer(test_client, validator, params, doc, Digits="9999")

    threads = [threading.Thread(target=guess, args=(sid,)) for sid in client_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert r.zcard(guard.NUMBER_FAILS_KEY.format(UNKNOWN_CALLER)) == 5
    heard = sorted(tuple(doc.said()) for doc in answers.values())
    assert heard == sorted([(INVALID, ASK_ID)] * 4 + [(INVALID, NOT_IDENTIFIED)] * 6)
