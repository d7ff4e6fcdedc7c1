"""Node check_contract: where each contract state leads, the 60-day notice at its exact edge,
the day counted in the schedule's time zone, and the end date as the caller hears it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from ivr.callers.directory import Client, Contract, client_summary, save_clients
from ivr.core.settings import PROJECT_ROOT
from ivr.flows.call import Call, CallState
from ivr.flows.loader import load_file
from ivr.flows.switches import Live
from tests.conftest import MONDAY_MORNING, PARIS
from tests.helpers import TwiML, scripted_call

SHIPPED = PROJECT_ROOT / "config" / "flow.yaml"
FLOW = load_file(SHIPPED)
MENU_FR = "Pour le support technique, tapez 1."
MENU_EN = "For technical support, press 1."


def client(end: date | None, client_id: str = "2001") -> Client:
    return Client(id=client_id, company="Alpha", agency="paris",
                  contract=Contract(end=end) if end else None)


def enter(node_name: str, who: Client | None, now: datetime) -> tuple[str | None, Call]:
    """Enter one node of the shipped flow for an identified caller; (next node, call)."""
    state = CallState(version=FLOW.version, lang="fr",
                      client=client_summary(who) if who else None)
    call = Call(FLOW, "CA-contract", state, {}, now, Live(), {})
    call.node_name = node_name
    return FLOW.nodes[node_name].enter(call), call


# -- branching ---------------------------------------------------------------------------


@pytest.mark.parametrize(("days_left", "state", "following"), [
    (-30, "expired", "contract_expired"),
    (-1, "expired", "contract_expired"),
    (0, "expiring", None),  # asked: the renewal offer
    (60, "expiring", None),
    (61, "active", "menu"),
    (3000, "active", "menu"),
])
def test_contract_state_chooses_the_branch(days_left, state, following):
    end = MONDAY_MORNING.date() + timedelta(days=days_left)
    got, call = enter("contract", client(end), MONDAY_MORNING)
    assert (got, call.state.vars["contract_state"]) == (following, state)


def test_no_contract_goes_to_no_contract_without_an_end_date():
    following, call = enter("contract", client(None), MONDAY_MORNING)
    assert following == "no_contract"
    assert "contract_end" not in call.state.vars


def test_end_date_is_kept_for_the_prompts():
    following, call = enter("contract", client(date(2026, 10, 31)), MONDAY_MORNING)
    assert following == "contract_expired"
    assert call.state.vars["contract_end"] == "2026-10-31"


def test_today_is_the_schedules_day_not_utcs():
    ended_sunday = client(date(2026, 12, 6))
    # 23:30 UTC on Sunday is already Monday 00:30 in Paris: the contract ended yesterday
    assert enter("contract", ended_sunday, datetime(2026, 12, 6, 23, 30, tzinfo=UTC))[0] == (
        "contract_expired")
    # 22:30 UTC on Sunday is still Sunday in Paris: its last day, still covered
    _, call = enter("contract", ended_sunday, datetime(2026, 12, 6, 22, 30, tzinfo=UTC))
    assert call.state.vars["contract_state"] == "expiring"


def test_notice_comes_from_the_node():
    node = FLOW.nodes["contract"].model_copy(update={"expiring_days": 30, "renewal": None})
    for days_left, following in ((30, "menu"), (31, "menu")):
        who = client(MONDAY_MORNING.date() + timedelta(days=days_left))
        state = CallState(version=FLOW.version, lang="fr", client=client_summary(who))
        call = Call(FLOW, "CA-notice", state, {}, MONDAY_MORNING, Live(), {})
        assert node.enter(call) == following
        assert call.state.vars["contract_state"] == ("expiring" if days_left == 30 else "active")


def test_without_a_renewal_offer_an_expiring_caller_goes_on_to_expiring():
    node = FLOW.nodes["contract"].model_copy(update={"renewal": None, "expiring": "no_contract"})
    who = client(MONDAY_MORNING.date() + timedelta(days=10))
    call = Call(FLOW, "CA-plain", CallState(version=FLOW.version, lang="fr",
                                            client=client_summary(who)),
                {}, MONDAY_MORNING, Live(), {})
    assert node.enter(call) == "no_contract"
    assert call.response.to_xml().count("<Gather") == 0


@pytest.mark.parametrize(("digits", "following"), [
    ("2", "to_maintenance"), ("", "menu"), ("1", "menu"), ("*", "menu"),
])
def test_the_renewal_key_leads_to_maintenance_anything_else_to_the_menu(digits, following):
    node = FLOW.nodes["contract"]
    who = client(MONDAY_MORNING.date() + timedelta(days=20))
    call = Call(FLOW, "CA-key", CallState(version=FLOW.version, lang="fr",
                                          client=client_summary(who)),
                {"Digits": digits}, MONDAY_MORNING, Live(), {})
    call.node_name = "contract"
    assert node.receive(call) == following
    assert call.state.pressed == (["contract:2"] if digits == "2" else [])


# -- what the caller hears -----------------------------------------------------------------


@pytest.fixture
def own_clients(r):  # type: ignore[no-untyped-def]
    """Clients of this module, with contracts ending at chosen dates, numbers 2001..."""
    def add(*ends: date | None) -> None:
        save_clients(r, [client(end, str(2001 + n)) for n, end in enumerate(ends)])
    return add


def said_after_id(app, client_id: str, *more: str, lang_key: str = "-") -> list[str]:  # type: ignore[no-untyped-def]
    result = scripted_call(app, lang_key, f"{client_id}#", *more)
    identified = next(n for n, s in enumerate(result.steps) if "n=identify" in s["path"])
    return TwiML(result.steps[identified]["twiml"]).said()


EXPIRING_FR = ("Votre contrat de maintenance se termine le 20 janvier 2027. Pour joindre le "
               "service maintenance de votre agence au sujet de son renouvellement, tapez 2. "
               "Sinon, restez en ligne.")


def test_expiring_contract_is_announced_with_a_key_to_maintenance(app, own_clients):
    own_clients(date(2027, 1, 20))
    result = scripted_call(app, "-", "2001#", "-")
    identified = next(n for n, s in enumerate(result.steps) if "n=identify" in s["path"])
    asked = TwiML(result.steps[identified]["twiml"])
    assert asked.said() == [EXPIRING_FR]
    assert asked.one("Gather").get("numDigits") == "1"
    assert asked.action()[1]["n"] == "contract"
    # no key: the menu, as for any caller
    assert TwiML(result.steps[identified + 1]["twiml"]).said()[0].startswith(MENU_FR)


def test_the_renewal_key_puts_the_caller_through_to_maintenance(app, own_clients):
    own_clients(date(2027, 1, 20))
    result = scripted_call(app, "-", "2001#", "2")
    assert not any(s.startswith(MENU_FR) for s in result.said())
    assert result.outcome == {"type": "enqueue", "target": "maintenance"}


def test_first_of_the_month_is_said_premier(app, own_clients):
    own_clients(date(2027, 2, 1))
    assert said_after_id(app, "2001")[0].startswith(
        "Votre contrat de maintenance se termine le 1er février 2027.")


def test_expired_contract_says_when_it_ended_and_why_maintenance(app, own_clients):
    own_clients(date(2026, 12, 6))
    result = scripted_call(app, "-", "2001#")
    said = result.said()
    assert ("Votre contrat de maintenance a pris fin le 6 décembre 2026. Le support technique est "
            "réservé aux clients disposant d'un contrat de maintenance en cours. Nous vous "
            "mettons en relation avec le service maintenance pour le renouveler.") in said
    assert not any(s.startswith(MENU_FR) for s in said)
    assert result.outcome == {"type": "enqueue", "target": "maintenance"}


def test_contract_ending_today_is_still_current(app, own_clients):
    own_clients(MONDAY_MORNING.date())
    result = scripted_call(app, "-", "2001#", "-", "1")
    assert "Votre contrat de maintenance se termine le 7 décembre 2026." in " ".join(result.said())
    assert result.outcome == {"type": "enqueue", "target": "technical_support"}


def test_active_contract_goes_straight_to_the_menu(app, own_clients):
    own_clients(date(2028, 6, 30))
    said = said_after_id(app, "2001")
    assert len(said) == 1 and said[0].startswith(MENU_FR)


def test_end_dates_in_english(app, own_clients):
    own_clients(date(2027, 1, 15), date(2026, 10, 31), None)
    assert said_after_id(app, "2001", lang_key="9")[0].startswith(
        "Your maintenance contract ends on 15 January 2027.")
    assert said_after_id(app, "2002", lang_key="9")[0].startswith(
        "Your maintenance contract ended on 31 October 2026.")
    assert said_after_id(app, "2003", lang_key="9")[0].startswith(
        "We cannot find a current maintenance contract for your company.")


def test_expiring_caller_may_still_choose_any_service(app, own_clients):
    own_clients(date(2027, 1, 20))
    result = scripted_call(app, "9", "2001#", "-", "3")
    assert any(s.startswith(MENU_EN) for s in result.said())
    assert result.outcome == {"type": "enqueue", "target": "delivery"}


def test_demo_client_1002_crosses_the_edge_between_friday_and_monday(app):
    # 1002's contract ends 2027-01-15: 63 days after Friday 13 November, 60 after Monday 16th
    friday = scripted_call(app, "-", "1002#", at=datetime(2026, 11, 13, 10, 0, tzinfo=PARIS))
    assert not any("15 janvier 2027" in s for s in friday.said())
    assert any(s.startswith(MENU_FR) for s in friday.said())
    monday = scripted_call(app, "-", "1002#", at=datetime(2026, 11, 16, 10, 0, tzinfo=PARIS))
    assert any(s.startswith("Votre contrat de maintenance se termine le 15 janvier 2027.")
               for s in monday.said())


def test_the_agent_sees_the_renewal_key_as_a_choice_of_maintenance():
    from ivr.centre.screenpop import choices

    assert choices(FLOW, "contract:2") == [{"menu": "contract", "key": "2",
                                            "choice": "Maintenance"}]
