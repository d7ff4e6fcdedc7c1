"""Admin actions on the flow: versions, publish, roll back, diff, and the form changes; each
written to the audit log, each refusal leaving the published flow as it was."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, time

import pytest

from ivr.admin import audit, flows
from ivr.core.exceptions import ActionError, Conflict, FlowError
from ivr.core.settings import PROJECT_ROOT
from tests.conftest import PARIS
from tests.helpers import scripted_call

SHIPPED = (PROJECT_ROOT / "config" / "flow.yaml").read_text()
GREETING = "Bienvenue au support technique."


@pytest.fixture
def service(app):
    return app.extensions["ivr"]


def edited(old: str, new: str) -> str:
    assert old in SHIPPED
    return SHIPPED.replace(old, new)


def test_the_shipped_flow_is_version_1_published(service):
    [first] = service.flows.revisions()
    assert (first.number, first.author, first.source) == (1, "seed:flow.yaml", SHIPPED)
    assert service.flows.published_number() == 1


def test_save_makes_a_numbered_version_without_publishing_it(service):
    saved = flows.save(service, edited(GREETING, "Bonjour."), "shorter greeting", "ada", base=1)
    assert (saved.number, saved.author, saved.message) == (2, "ada", "shorter greeting")
    assert service.flows.published_number() == 1
    [entry] = audit.entries(service.redis)
    assert (entry["who"], entry["action"], entry["what"]) == (
        "ada", "flow.save", "version 2: shorter greeting")
    assert entry["after"] == {"version": 2, "hash": saved.version, "published": 1}


def test_publish_then_roll_back_and_calls_follow(app, service):
    flows.save(service, edited(GREETING, "Bonjour."), "", "ada", base=1)
    flows.publish(service, 2, "ada")
    assert scripted_call(app).said()[0] == "Bonjour."
    flows.rollback(service, None, "bob")
    assert service.flows.published_number() == 1
    assert scripted_call(app).said()[0] == GREETING
    assert [(e["who"], e["action"]) for e in audit.entries(service.redis)] == [
        ("bob", "flow.rollback"), ("ada", "flow.publish"), ("ada", "flow.save")]


def test_a_call_in_progress_keeps_its_version_through_a_rollback(app, client, validator,
                                                                 service):
    from tests.helpers import Caller

    flows.save(service, edited("For English, press 9.", "For English, press nine."), "",
               "ada", base=1, publish=True)
    caller = Caller(client, validator)
    assert "For English, press nine." in caller.start().said()
    flows.rollback(service, 1, "ada")
    assert "For English, press 9." in Caller(client, validator, sid="CA0002").start().said()
    # the first caller goes on in version 2
    caller.press("9")
    from urllib.parse import parse_qsl, urlsplit

    query = dict(parse_qsl(urlsplit(caller.action_url()).query))
    assert query["v"] == service.flows.revision(2).version


def test_second_admin_saving_on_the_same_base_is_refused(service):
    flows.save(service, edited(GREETING, "Bonjour A."), "A", "ada", base=1)
    with pytest.raises(Conflict, match="version 2 was saved by ada .* since you started from "
                       "version 1: nothing was overwritten"):
        flows.save(service, edited(GREETING, "Bonjour B."), "B", "bob", base=1)
    assert service.flows.head() == 2 and "Bonjour A." in service.flows.revision(2).source


def test_two_admins_racing_on_one_base_make_one_version(service):
    texts = [edited(GREETING, f"Bonjour {n}.") for n in range(6)]

    def attempt(text):
        try:
            return flows.save(service, text, "", "ada", base=1).number
        except Conflict:
            return None

    with ThreadPoolExecutor(6) as pool:
        results = list(pool.map(attempt, texts))
    assert sorted(results, key=str) == [2, None, None, None, None, None]
    assert service.flows.head() == 2


def test_a_bad_flow_is_refused_with_every_problem_and_nothing_saved(service):
    bad = edited("    type: hangup\n    prompt: goodbye", "    type: hangout\n    prompt: goodbye")
    bad = bad.replace("next: incident", "next: nowhere")
    with pytest.raises(FlowError) as caught:
        flows.save(service, bad, "", "ada", base=1)
    assert len(caught.value.problems) == 2
    line = bad.splitlines().index("    next: nowhere") + 1
    assert caught.value.problems[0].startswith(f"line {line}: nodes.greeting.next: unknown node "
                                               "'nowhere'")
    assert "nodes.goodbye: Input tag 'hangout'" in caught.value.problems[1]
    assert service.flows.head() == 1 and audit.entries(service.redis) == []


def test_a_huge_paste_is_refused(service):
    with pytest.raises(FlowError, match="the flow is 5.0 MB; a flow may have at most 512 KB"):
        flows.save(service, SHIPPED + "#" * 5_000_000, "", "ada", base=1)


def test_diff_and_show(service):
    flows.save(service, edited(GREETING, "Bonjour."), "", "ada", base=1)
    diff = flows.diff(service, 1, 2)
    assert "-    fr: Bienvenue au support technique.\n+    fr: Bonjour.\n" in diff
    assert diff.startswith("--- version 1\n+++ version 2\n")
    assert flows.diff(service, 2, 2) == ""
    assert flows.show(service, 2).source == edited(GREETING, "Bonjour.")


def test_rolling_forward_or_to_the_published_version_is_refused(service):
    flows.save(service, SHIPPED, "", "ada", base=1)
    with pytest.raises(ActionError, match="already published"):
        flows.publish(service, 1, "ada")
    with pytest.raises(ActionError, match="roll back goes to an earlier version than 1"):
        flows.rollback(service, 2, "ada")
    with pytest.raises(ActionError, match="no earlier published version"):
        flows.rollback(service, None, "ada")


# -- form changes ----------------------------------------------------------------------------


def test_add_a_closure_for_this_afternoon_callers_hear_the_reason_and_reopening(app, service):
    service.clock.set(datetime(2026, 12, 7, 11, 0, tzinfo=PARIS))
    revision = flows.add_closure(service, "support", date(2026, 12, 7), None,
                                 "séminaire annuel", "ada", from_time=time(13, 30))
    assert revision.number == 2 and service.flows.published_number() == 2
    # the admin's comments are kept; only the closures changed
    assert "# Alsace-Moselle adds Good Friday" in revision.source
    assert '- {date: 2026-12-07, from_time: "13:30", reason: séminaire annuel}' in revision.source
    said = scripted_call(app, at=datetime(2026, 12, 7, 14, 0, tzinfo=PARIS)).said()
    assert said[2] == ("Le support technique est fermé exceptionnellement pour séminaire annuel. "
                       "Nous rouvrons demain à 8 h 30. Pour laisser un message, tapez 1. Pour "
                       "être rappelé à notre réouverture, tapez 2. Sinon, vous pouvez "
                       "raccrocher.")
    [entry] = audit.entries(service.redis)
    assert entry["action"] == "hours.closure.add"
    assert entry["after"] == {"date": "2026-12-07", "from_time": "13:30:00",
                              "reason": "séminaire annuel"}


def test_closure_refusals(service):
    with pytest.raises(ActionError, match="no schedule 'nowhere'"):
        flows.add_closure(service, "support".replace("support", "nowhere"), date(2026, 12, 24),
                          None, "x", "ada")
    with pytest.raises(ActionError, match="ends in the past"):
        flows.add_closure(service, "support", date(2026, 1, 2), None, "x", "ada")
    with pytest.raises(ActionError, match="reason: String should have at least 1 character"):
        flows.add_closure(service, "support", date(2026, 12, 24), None, "  ", "ada")
    with pytest.raises(ActionError, match="'to' .2026-12-20. is before 'from'"):
        flows.add_closure(service, "support", date(2026, 12, 24), date(2026, 12, 20), "x", "ada")
    assert service.flows.head() == 1


def test_remove_a_closure(service):
    flows.add_closure(service, "support", date(2026, 12, 24), None, "Réveillon", "ada")
    flows.remove_closure(service, "support", 0, "ada")
    assert service.flows.current().schedules["support"].closures == ()
    with pytest.raises(ActionError, match="no closure number 1"):
        flows.remove_closure(service, "support", 0, "ada")


def test_weekly_hours_with_24_00(service):
    flows.set_weekly_hours(service, "support", {"saturday": ["09:00-24:00"]}, "ada")
    support = service.flows.current().schedules["support"]
    assert [str(i) for i in support.weekly[5]] == ["09:00-24:00"] and support.weekly[0] == ()
    assert 'saturday: ["09:00-24:00"]' in service.flows.revision(2).source
    [entry] = audit.entries(service.redis, action="hours")
    assert entry["before"]["monday"] == ["08:30-12:30", "13:30-17:30"]
    with pytest.raises(ActionError, match="monday: opening interval must look like"):
        flows.set_weekly_hours(service, "support", {"monday": ["9h-12h"]}, "ada")
    with pytest.raises(ActionError, match="opening hours for at least one day"):
        flows.set_weekly_hours(service, "support", {"monday": []}, "ada")


def test_form_change_on_a_stale_page_is_refused(service):
    flows.set_prompt(service, "welcome", "fr", "Bonjour.", "ada", expect=1)
    with pytest.raises(Conflict, match="version 2 was published since you opened this page"):
        flows.set_prompt(service, "welcome", "fr", "Salut.", "bob", expect=1)
    assert service.flows.current().prompt("welcome", "fr").text == "Bonjour."


def test_two_form_changes_racing_without_a_base_both_land(service):
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(lambda d: flows.add_closure(service, "support", d, None, f"r{d.day}",
                                                  "ada"),
                      [date(2026, 12, 24), date(2026, 12, 31)]))
    closures = service.flows.current().schedules["support"].closures
    assert sorted(c.reason for c in closures) == ["r24", "r31"]


def test_prompt_with_a_bad_placeholder_is_refused(service):
    with pytest.raises(ActionError, match="unknown placeholder {when}"):
        flows.set_prompt(service, "welcome", "fr", "Bonjour {when}", "ada")
    assert service.flows.head() == 1


def test_queue_settings(service):
    flows.set_queue(service, "delivery", "ada", label="Logistique")
    assert service.flows.current().config.queues["delivery"].label == "Logistique"
    with pytest.raises(ActionError, match="unknown prompt 'nope'"):
        flows.set_queue(service, "delivery", "ada", wait_prompt="nope")
