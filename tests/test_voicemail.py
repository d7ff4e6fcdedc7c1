"""Voicemails: kept from Twilio's recording callback, listed for agents."""

from __future__ import annotations

import json

from ivr import voicemail
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
