"""Admin actions on the live switches: emergency closure and announcements."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from ivr.admin import audit, switches
from ivr.core.exceptions import ActionError
from tests.conftest import MONDAY_MORNING, PARIS
from tests.helpers import scripted_call


@pytest.fixture
def service(app):
    return app.extensions["ivr"]


def test_emergency_closure_is_heard_then_ended_and_audited(app, service):
    until = MONDAY_MORNING + timedelta(hours=3)
    switches.set_emergency(service, until, "panne électrique", "ada")
    said = scripted_call(app).said()
    assert said[2].startswith("Le support technique est exceptionnellement fermé. Nous rouvrons "
                              "aujourd'hui à 12 h.")
    assert switches.end_emergency(service, "bob") is True
    assert switches.end_emergency(service, "bob") is False  # nothing to end: no entry
    entries = audit.entries(service.redis)
    assert [(e["who"], e["action"]) for e in entries] == [("bob", "emergency.end"),
                                                          ("ada", "emergency.set")]
    assert entries[1]["after"] == {"until": until.isoformat(), "reason": "panne électrique"}
    assert entries[0]["before"] == entries[1]["after"]


@pytest.mark.parametrize("until", [None, MONDAY_MORNING - timedelta(minutes=1),
                                   datetime(2030, 1, 1)])
def test_emergency_needs_a_future_end_with_its_offset(service, until):
    with pytest.raises(ActionError, match="needs an end in the future"):
        switches.set_emergency(service, until, "", "ada")
    assert switches.active(service)["emergency"] is None and audit.entries(service.redis) == []


def test_announcement_is_played_and_cleared(app, service):
    until = MONDAY_MORNING + timedelta(hours=1)
    switches.set_announcement(service, "incident", {"fr": "Incident <b>en cours</b>."}, until,
                              "ada")
    assert scripted_call(app).said()[2] == "Incident <b>en cours</b>."
    assert switches.active(service)["announcements"] == {
        "incident": {"text": {"fr": "Incident <b>en cours</b>."}, "until": until.isoformat()}}
    assert switches.clear_announcement(service, "incident", "ada") is True
    assert switches.active(service)["announcements"] == {}
    assert [e["action"] for e in audit.entries(service.redis)] == [
        "announcement.clear", "announcement.set"]


@pytest.mark.parametrize(("name", "texts", "until", "message"), [
    ("incidnet", {"fr": "x"}, "2026-12-07T10:00:00+01:00",
     "no announcement node 'incidnet' in the published flow (known: incident)"),
    ("incident", {"fr": "x"}, "2026-12-07T08:00:00+01:00", "needs an expiry in the future"),
    ("incident", {"fr": "  "}, "2026-12-07T10:00:00+01:00", "at least one language"),
    ("incident", {"de": "x"}, "2026-12-07T10:00:00+01:00", "'de' is not a language of the flow"),
])
def test_bad_announcement_is_refused(service, name, texts, until, message):
    with pytest.raises(ActionError, match=message.replace("(", r"\(").replace(")", r"\)")):
        switches.set_announcement(service, name, texts, datetime.fromisoformat(until), "ada")
    assert switches.active(service)["announcements"] == {}


def test_expired_announcement_is_not_active(service):
    switches.set_announcement(service, "incident", {"en": "x"},
                              datetime(2026, 12, 7, 9, 30, tzinfo=PARIS), "ada")
    service.clock.advance(timedelta(hours=1))
    assert switches.active(service)["announcements"] == {}
