"""The acceptance calls of identification and the contract check, whole calls through the
simulator (`scripted_call`) and through `ivr call --json`."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Any

import pytest

from ivr.callers import guard
from ivr.callers.directory import Client, Contract, save_clients
from ivr.cli import main
from tests.conftest import MONDAY_MORNING, PARIS
from tests.helpers import (
    ACME_PHONE,
    ASK_ID,
    CONFIRM_ACME,
    INVALID,
    MENU_FR,
    NO_ID,
    NOT_IDENTIFIED,
    UNKNOWN_CALLER,
    TwiML,
    scripted_call,
)

MONDAY = "2026-12-07T09:00:00+01:00"
RESERVED = "réservé aux clients disposant d'un contrat de maintenance en cours"
CLOSED_FR = "Le support technique est fermé aujourd'hui, jour férié : "
ALSACE_PHONE = "+33388001005"
SHARED_PHONE = "+33472000067"
GOOD_FRIDAY_2027 = datetime(2027, 3, 26, 10, 0, tzinfo=PARIS)
SAINT_ETIENNE_2028 = datetime(2028, 12, 26, 10, 0, tzinfo=PARIS)  # a Tuesday


def cli_call(runner, *presses: str, at: str = MONDAY,  # type: ignore[no-untyped-def]
             caller: str = UNKNOWN_CALLER) -> dict[str, Any]:
    """`ivr call --json`, parsed."""
    args = ["call", "--at", at, "--from", caller, "--json"]
    for keys in presses:
        args += ["--press", keys]
    result = runner.invoke(main, args)
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def said_in(steps: list[dict[str, Any]]) -> list[str]:
    return [text for step in steps for text in TwiML(step["twiml"]).said()]


def reached_menu(said: list[str]) -> bool:
    return any(s.startswith(MENU_FR) for s in said)


def identify_answers(steps: list[dict[str, Any]]) -> list[list[str]]:
    """What was said in answer to each key press at the identify node, in order."""
    return [TwiML(s["twiml"]).said() for s in steps if "n=identify" in s["path"]]


def kinds_of(steps: list[dict[str, Any]]) -> list[str]:
    """The node each answer was posted to, in order (greeting, identify, menu...)."""
    return [s["path"].split("n=")[1].split("&")[0] for s in steps if "n=" in s["path"]]


# -- through `ivr call --json` -----------------------------------------------------------


def test_cli_typed_id_of_an_active_client_reaches_technical_support(runner):
    data = cli_call(runner, "-", "1001#", "1")
    assert data["outcome"] == {"type": "enqueue", "target": "technical_support"}
    assert data["steps"][0]["path"] == "/voice/incoming"
    assert data["steps"][2]["params"]["Digits"] == "1001"
    assert data["steps"][2]["params"]["FinishedOnKey"] == "#"
    assert ASK_ID in said_in(data["steps"])
    assert kinds_of(data["steps"]) == ["greeting", "identify", "menu"]


def test_cli_expired_client_hears_the_end_date_and_goes_to_maintenance(runner):
    data = cli_call(runner, "-", "1003#", "1")
    assert data["outcome"] == {"type": "enqueue", "target": "maintenance"}
    said = said_in(data["steps"])
    assert any("a pris fin le 31 octobre 2026" in s and RESERVED in s for s in said)
    assert not reached_menu(said)
    assert "menu" not in kinds_of(data["steps"])


def test_cli_known_caller_confirms_and_reaches_delivery(runner):
    data = cli_call(runner, "-", "1", "3", caller=ACME_PHONE)
    assert data["outcome"] == {"type": "enqueue", "target": "delivery"}
    assert CONFIRM_ACME in said_in(data["steps"])
    assert TwiML(data["steps"][1]["twiml"]).said() == [CONFIRM_ACME]


def test_cli_locked_number_goes_straight_to_the_failure_path(runner):
    cli_call(runner, "-", "9991#", "9992#", "9993#")
    cli_call(runner, "-", "9994#", "9995#")
    data = cli_call(runner, "-", "1001#", "1")
    said = said_in(data["steps"])
    assert ASK_ID not in said and NOT_IDENTIFIED in said
    assert data["outcome"] == {"type": "enqueue", "target": "maintenance"}
    # an hour later (the lock's duration, and the window of its failures), asked again
    later = cli_call(runner, "-", "1001#", "1", at="2026-12-07T10:05:00+01:00")
    assert later["outcome"] == {"type": "enqueue", "target": "technical_support"}


# -- identification ----------------------------------------------------------------------


def test_typed_id_reaches_the_menu_and_the_chosen_service(app):
    result = scripted_call(app, "-", "1001#", "2")
    assert ASK_ID in result.said() and reached_menu(result.said())
    assert result.outcome == {"type": "enqueue", "target": "maintenance"}


def test_shared_number_is_asked_for_the_id_and_offered_no_company(app):
    result = scripted_call(app, "-", "1007#", "1", caller=SHARED_PHONE)
    said = result.said()
    assert TwiML(result.steps[1]["twiml"]).said() == [ASK_ID]
    assert not any("Rhône Process" in s or "Lumière Robotique" in s for s in said)
    assert result.outcome == {"type": "enqueue", "target": "technical_support"}


def test_three_wrong_ids_then_the_failure_path(app):
    result = scripted_call(app, "-", "9999#", "1#", "123456789012#")
    assert identify_answers(result.steps) == [
        [INVALID, ASK_ID], [INVALID, ASK_ID], [INVALID, NOT_IDENTIFIED]]
    assert not reached_menu(result.said())
    assert result.outcome == {"type": "enqueue", "target": "maintenance"}


def test_lockout_across_calls_then_released_after_its_duration(app):
    first = scripted_call(app, "-", "9991#", "9992#", "9993#")
    assert identify_answers(first.steps) == [
        [INVALID, ASK_ID], [INVALID, ASK_ID], [INVALID, NOT_IDENTIFIED]]
    second = scripted_call(app, "-", "9994#", "9995#")
    # the fifth wrong id locks the number: its message, then the failure path at once
    assert identify_answers(second.steps) == [[INVALID, ASK_ID], [INVALID, NOT_IDENTIFIED]]

    locked = scripted_call(app, "-", "1001#", "1")
    assert ASK_ID not in locked.said() and NOT_IDENTIFIED in locked.said()
    assert locked.outcome == {"type": "enqueue", "target": "maintenance"}

    elsewhere = scripted_call(app, "-", "1001#", "1", caller="+33699887766")
    assert elsewhere.outcome == {"type": "enqueue", "target": "technical_support"}

    app.extensions["ivr"].clock.advance(timedelta(hours=2))
    released = scripted_call(app, "-", "1001#", "1")
    assert ASK_ID in released.said()
    assert released.outcome == {"type": "enqueue", "target": "technical_support"}


def test_id_failed_from_five_numbers_is_flagged_yet_its_owner_identifies(app, r):
    for n in range(5):
        scripted_call(app, "-", "2001#", caller=f"+3361234560{n}")
    assert guard.flagged(r)["2001"]["numbers"] == 5
    save_clients(r, [Client(id="2001", company="Alpha", agency="paris",
                            contract=Contract(end=date(2030, 1, 1)))])
    owner = scripted_call(app, "-", "2001#", "1", caller="+33612345699")
    assert owner.outcome == {"type": "enqueue", "target": "technical_support"}


@pytest.mark.parametrize(("presses", "last"), [
    (("*", "#", "-"), NO_ID),
    (("-", "*", "4" * 40 + "#"), INVALID),
    (("#", "#", "#"), NO_ID),
], ids=["star-hash-silence", "silence-star-40digits", "hash-hash-hash"])
def test_bad_input_at_the_id_prompt_uses_up_the_attempts(app, presses, last):
    result = scripted_call(app, "-", *presses, "1001#", "1")
    answers = identify_answers(result.steps)
    assert len(answers) == 3
    for said in answers[:2]:
        assert said[-1] == ASK_ID and len(said) == 2
    assert answers[2] == [last, NOT_IDENTIFIED]
    assert result.outcome == {"type": "enqueue", "target": "maintenance"}


# -- the contract check ------------------------------------------------------------------


def test_active_contract_goes_to_the_menu(app):
    result = scripted_call(app, "-", "1001#", "1")
    after_id = TwiML(result.steps[2]["twiml"]).said()
    assert len(after_id) == 1 and after_id[0].startswith(MENU_FR)
    assert result.outcome == {"type": "enqueue", "target": "technical_support"}


def test_expiring_contract_says_its_end_date_then_the_menu(app):
    result = scripted_call(app, "-", "1002#", "-", "1")
    after_id = TwiML(result.steps[2]["twiml"]).said()
    assert after_id == ["Votre contrat de maintenance se termine le 15 janvier 2027. Pour "
                        "joindre le service maintenance de votre agence au sujet de son "
                        "renouvellement, tapez 2. Sinon, restez en ligne."]
    assert TwiML(result.steps[3]["twiml"]).said()[0].startswith(MENU_FR)
    assert result.outcome == {"type": "enqueue", "target": "technical_support"}


def test_expired_contract_goes_to_maintenance_without_the_menu(app):
    result = scripted_call(app, "-", "1003#", "1")
    after_id = TwiML(result.steps[2]["twiml"])
    assert after_id.verbs == ["Say", "Enqueue"]
    [said] = after_id.said()
    assert "31 octobre 2026" in said and RESERVED in said
    assert result.outcome == {"type": "enqueue", "target": "maintenance"}


def test_no_contract_goes_to_maintenance_without_the_menu(app):
    result = scripted_call(app, "-", "1004#", "1")
    after_id = TwiML(result.steps[2]["twiml"])
    assert after_id.verbs == ["Say", "Enqueue"]
    [said] = after_id.said()
    assert said.startswith("Nous ne trouvons pas de contrat de maintenance en cours") and (
        RESERVED in said)
    assert not reached_menu(result.said())
    assert result.outcome == {"type": "enqueue", "target": "maintenance"}


@pytest.mark.parametrize(("days_left", "expiring"), [(60, True), (61, False)])
def test_sixty_days_is_expiring_sixty_one_is_active(app, r, days_left, expiring):
    end = MONDAY_MORNING.date() + timedelta(days=days_left)
    save_clients(r, [Client(id="2060", company="Edge", agency="paris", contract=Contract(end=end))])
    # an expiring caller is asked first (no key: the menu); an active one gets the menu
    result = scripted_call(app, "-", "2060#", *(["-"] if expiring else []), "1")
    said = TwiML(result.steps[2]["twiml"]).said()
    spoken_end = {60: "5 février 2027", 61: "6 février 2027"}[days_left]
    assert any(spoken_end in s for s in said) is expiring
    menu_step = 3 if expiring else 2
    assert TwiML(result.steps[menu_step]["twiml"]).said()[-1].startswith(MENU_FR)
    assert result.outcome == {"type": "enqueue", "target": "technical_support"}


# -- English ---------------------------------------------------------------------------


def test_english_throughout_after_pressing_9(app):
    result = scripted_call(app, "9", "1002#", "2")
    after_greeting = result.steps[1:]
    languages = [lang for s in after_greeting for lang in TwiML(s["twiml"]).languages()]
    assert languages and set(languages) == {"en-GB"}
    said = said_in(after_greeting)
    assert "Please say your client ID, or enter it followed by the hash key." in said
    assert any(s.startswith("Your maintenance contract ends on 15 January 2027.") for s in said)
    assert result.outcome == {"type": "enqueue", "target": "maintenance"}


def test_english_wrong_ids_and_failure_path(app):
    result = scripted_call(app, "9", "9999#", "8888#", "7777#")
    said = said_in(result.steps[1:])
    assert said.count("This client ID is not recognised.") == 3
    last = identify_answers(result.steps)[-1]
    assert len(last) == 2 and last[0] == "This client ID is not recognised."
    assert last[1].startswith("We could not identify you.")
    assert {lang for s in result.steps[1:] for lang in TwiML(s["twiml"]).languages()} == {"en-GB"}


# -- an agency's own holidays ------------------------------------------------------------


def test_alsace_client_is_closed_on_good_friday_while_paris_is_open(app):
    alsace = scripted_call(app, "-", "1005#", at=GOOD_FRIDAY_2027)
    closed = next(s for s in alsace.said() if s.startswith(CLOSED_FR))
    assert closed.startswith(CLOSED_FR + "Vendredi saint.")
    # Easter Monday 29 March is a holiday everywhere: Tuesday 30 March is the next opening
    assert "Nous rouvrons mardi 30 mars à 8 h 30." in closed
    assert not reached_menu(alsace.said())
    assert alsace.outcome["type"] == "hangup"

    paris = scripted_call(app, "-", "1001#", "1", at=GOOD_FRIDAY_2027)
    assert not any(s.startswith(CLOSED_FR) for s in paris.said())
    assert paris.outcome == {"type": "enqueue", "target": "technical_support"}


def test_alsace_known_caller_is_closed_on_saint_etienne_while_paris_is_open(app):
    alsace = scripted_call(app, "-", "1", at=SAINT_ETIENNE_2028, caller=ALSACE_PHONE)
    assert any(s.startswith("Si vous appelez pour Strasbourg Systèmes") for s in alsace.said())
    closed = next(s for s in alsace.said() if s.startswith(CLOSED_FR))
    assert closed.startswith(CLOSED_FR + "Saint-Étienne.")
    assert "Nous rouvrons demain à 8 h 30." in closed
    assert not reached_menu(alsace.said())

    paris = scripted_call(app, "-", "1", "1", at=SAINT_ETIENNE_2028, caller=ACME_PHONE)
    assert reached_menu(paris.said())
    assert paris.outcome == {"type": "enqueue", "target": "technical_support"}


def test_cli_alsace_good_friday(runner):
    data = cli_call(runner, "-", "1005#", at="2027-03-26T10:00:00+01:00")
    said = said_in(data["steps"])
    assert any(s.startswith(CLOSED_FR) and "mardi 30 mars à 8 h 30" in s for s in said)
    assert data["outcome"]["type"] == "hangup"
