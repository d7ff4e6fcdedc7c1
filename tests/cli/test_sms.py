"""`ivr sms stopped|stop|start|sent`: the same actions as the admin page, audited under --as,
one-line errors and a non-zero exit for a bad number or argument."""

from __future__ import annotations

import json

from ivr.admin import audit
from ivr.cli import main
from ivr.people import users
from sms import optout, outbox
from tests.conftest import MONDAY_MORNING

MOBILE = "+33612345678"


def run(runner, *args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(main, ["sms", *args])


def test_stop_list_and_start_a_number_audited_as_the_user_given(runner, r):
    users.add(r, "ada", "admin", "correct horse battery", MONDAY_MORNING)
    stopped = run(runner, "stop", "06 12 34 56 78", "--as", "ada")
    assert (stopped.exit_code, stopped.output) == (0, "SMS to +33612345678 stopped\n")
    listed = json.loads(run(runner, "stopped", "--json").output)
    assert [(e["number"], e["by"]) for e in listed] == [(MOBILE, "ada")]
    assert run(runner, "stopped").output.startswith(f"{MOBILE}  since 2026-")
    started = run(runner, "start", MOBILE)
    assert (started.exit_code, started.output) == (0, "SMS to +33612345678 allowed again\n")
    assert json.loads(run(runner, "stopped", "--json").output) == []
    assert run(runner, "stopped").output == "no number is stopped\n"
    assert [(e["who"], e["action"]) for e in audit.entries(r, action="sms")] == [
        ("system", "sms.start"), ("ada", "sms.stop")]


def test_bad_numbers_and_arguments_are_one_line_and_exit_non_zero(runner, r):
    optout.stop(r, MOBILE, MONDAY_MORNING, "sms")
    for args, message in (
        (["stop", "06 12"], "Error: not a phone number: '06 12' (e.g. 06 12 34 56 78 or "
                            "+33612345678)"),
        (["start", "0699887766"], "Error: SMS to +33699887766 are not stopped"),
        (["stop", MOBILE], "Error: SMS to +33612345678 are already stopped"),
        (["stop", "0699887766", "--as", "nobody"], "Error: Invalid value for --as: no user "
                                                   "'nobody'"),
        (["sent", "--limit", "0"], "Error: Invalid value for '--limit': 0 is not in the range "
                                   "1<=x<=1000."),
    ):
        result = run(runner, *args)
        assert result.exit_code != 0, args
        assert result.exception is None or isinstance(result.exception, SystemExit)
        assert result.output.splitlines()[-1] == message
    assert run(runner, "stop").exit_code == 2  # no NUMBER: click's usage error
    assert [e["who"] for e in audit.entries(r, action="sms")] == ["sms"]  # the setup's own


def test_sent_lists_the_latest_sms_numbers_masked(runner, app):
    service = app.extensions["ivr"]
    for n in range(3):
        outbox.queue_sms(service, MOBILE, f"message {n}", "callback", str(n))
    service.redis.hset(outbox.OUT_KEY.format("3"),
                       mapping={"status": "failed", "error": "Twilio error 30006"})
    found = json.loads(run(runner, "sent", "--limit", "2", "--json").output)
    assert [(m["id"], m["to"], m["kind"], m["status"], m["error"]) for m in found] == [
        ("3", "**********78", "callback", "failed", "Twilio error 30006"),
        ("2", "**********78", "callback", "queued", "")]
    lines = run(runner, "sent").output.splitlines()
    assert [line.split()[0] for line in lines] == ["3", "2", "1"]
    assert lines[0].endswith("**********78  callback  failed  Twilio error 30006")
    assert MOBILE not in run(runner, "sent").output
