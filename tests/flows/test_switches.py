"""Live switches: the emergency closure and announcements, each ending by itself."""

from __future__ import annotations

import json
from datetime import timedelta

from ivr.flows import switches as live
from tests.conftest import MONDAY_MORNING

LATER = MONDAY_MORNING + timedelta(hours=2)


def test_emergency_closure_is_read_back_then_ended(r):
    live.close_emergency(r, MONDAY_MORNING, LATER, "power cut")
    emergency = live.read(r).emergency
    assert emergency is not None
    assert (emergency.since, emergency.until, emergency.reason) == (MONDAY_MORNING, LATER,
                                                                    "power cut")
    live.end_emergency(r)
    assert live.read(r).emergency is None


def test_announcement_keeps_its_texts_and_end(r):
    live.announce(r, "incident", {"fr": "Panne en cours.", "en": "Known outage."}, LATER)
    assert live.read(r).announcements == {
        "incident": {"text": {"fr": "Panne en cours.", "en": "Known outage."}, "until": LATER}}
    live.withdraw(r, "incident")
    assert live.read(r).announcements == {}


def test_malformed_settings_are_skipped_not_fatal(r, caplog):
    r.hset(live.LIVE_KEY, mapping={
        "emergency": "{not json", "announcement:broken": json.dumps({"text": {}}),
        "announcement:ok": json.dumps({"text": {"fr": "ok"}, "until": LATER.isoformat()})})
    read = live.read(r)
    assert read.emergency is None
    assert list(read.announcements) == ["ok"]
    assert sorted(rec.getMessage() for rec in caplog.records) == [
        "ignoring malformed live setting 'announcement:broken'",
        "ignoring malformed live setting 'emergency'"]


def test_nothing_set_reads_as_nothing(r):
    assert live.read(r) == live.Live()
