"""Voicemails: kept from Twilio's recording callback, listed for agents."""

from __future__ import annotations

import json

import pytest

from ivr.callers import voicemail
from ivr.cli import main
from tests.conftest import MONDAY_MORNING


def test_only_finished_recordings_are_kept(r):
    assert voicemail.save(r, {"RecordingStatus": "in-progress", "RecordingUrl": "u"}, None,
                          MONDAY_MORNING, "fr") is None
    assert voicemail.save(r, {"RecordingStatus": "completed"}, None, MONDAY_MORNING, "fr") is None
    assert voicemail.recent(r) == []


def test_a_message_keeps_who_called(r):
    call = {"caller": "+33144001001", "client": {"id": "1001", "company": "ACME Industrie"}}
    saved = voicemail.save(r, {"CallSid": "CA1", "RecordingUrl": "https://x/RE1",
                               "RecordingSid": "RE1", "RecordingDuration": "abc"},
                           call, MONDAY_MORNING, "en")
    assert saved is not None and saved["duration"] == 0  # a bad duration is not an error
    [kept] = voicemail.recent(r)
    assert kept["client"] == "1001" and kept["company"] == "ACME Industrie"
    assert kept["language"] == "en" and kept["caller"] == "+33144001001"


def test_cli_lists_newest_first(runner, r):
    assert runner.invoke(main, ["voicemails"]).output == "no voicemail\n"
    for n in (1, 2):
        voicemail.save(r, {"CallSid": f"CA{n}", "RecordingUrl": f"https://x/RE{n}",
                           "RecordingDuration": str(10 * n)}, None, MONDAY_MORNING, "fr")
    result = runner.invoke(main, ["voicemails", "--json"])
    assert [m["url"] for m in json.loads(result.output)] == ["https://x/RE2", "https://x/RE1"]
    lines = runner.invoke(main, ["voicemails"]).output.splitlines()
    assert lines[0].endswith("unknown caller  20s  https://x/RE2")


def test_a_message_left_after_a_queue_overflow_belongs_to_that_queue(app, client, validator):
    from ivr.centre import agents
    from tests.web.console.calls import queued

    service = app.extensions["ivr"]
    agents.set_state(service.redis, "sophie", "offline", service.clock.now(), ())
    call = queued(client, validator, "CA1")  # nobody signed in: its wait answered <Leave/>
    menu = call.post(call.action_url("Enqueue"), QueueResult="leave")
    assert menu.said()[0].startswith("Tous nos conseillers sont occupés")
    assert call.press("1").verbs[-2:] == ["Record", "Redirect"]
    call.post("/voice/recording?l=fr", RecordingSid="RE1", RecordingUrl="https://x/RE1",
              RecordingStatus="completed", RecordingDuration="12")
    [kept] = voicemail.recent(service.redis)
    assert (kept["queue"], kept["company"], kept["duration"]) == (
        "technical_support", "ACME Industrie", 12)


def test_marking_handled_keeps_the_first_agent_and_refuses_unknown_ids(r):
    voicemail.save(r, {"CallSid": "CA1", "RecordingSid": "RE1", "RecordingUrl": "https://x/RE1"},
                   None, MONDAY_MORNING, "fr", "delivery")
    assert voicemail.mark_handled(r, "RE1", "ann", MONDAY_MORNING)["handled"]["by"] == "ann"
    with pytest.raises(voicemail.HandledAlready, match="handled by ann"):
        voicemail.mark_handled(r, "RE1", "bob", MONDAY_MORNING)
    with pytest.raises(voicemail.UnknownVoicemail):
        voicemail.mark_handled(r, "RE2", "ann", MONDAY_MORNING)
    assert [m["id"] for m in voicemail.for_agents(r, ["technical_support"])] == []
    assert [m["id"] for m in voicemail.for_agents(r, ["delivery"], "handled")] == ["RE1"]
