"""`ivr callbacks request|list|cancel`: as the flow would ask, JSON out, one-line errors."""

from __future__ import annotations

import json

from ivr.cli import main

FRIDAY_EVENING = "2027-05-14T18:00:00+02:00"


def run(runner, *args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(main, list(args))


def test_request_while_closed_is_due_at_the_next_opening_and_listed(runner):
    result = run(runner, "callbacks", "request", "--client", "1001", "--number", "06 12 34 56 78",
                 "--at", FRIDAY_EVENING, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"id": "1", "state": "scheduled",
                                         "number": "+33612345678",
                                         "due": "2027-05-18T08:30:00+02:00"}
    listed = json.loads(run(runner, "callbacks", "list", "--json").output)
    assert [(c["id"], c["state"], c["due"], c["company"], c["queue"]) for c in listed] == \
        [("1", "scheduled", "2027-05-18T08:30:00+02:00", "ACME Industrie", "technical_support")]
    text = run(runner, "callbacks", "list").output
    assert text.split()[:3] == ["1", "scheduled", "+33612345678"]


def test_a_second_request_updates_the_first(runner):
    args = ["callbacks", "request", "--client", "1001", "--at", FRIDAY_EVENING, "--json"]
    run(runner, *args, "--number", "0612345678")
    again = json.loads(run(runner, *args, "--number", "0699887766").output)
    assert (again["id"], again["number"]) == ("1", "+33699887766")
    assert len(json.loads(run(runner, "callbacks", "list", "--json").output)) == 1


def test_a_refused_number_exits_non_zero_with_the_reason(runner):
    for number, reason in (("0899 12 34 56", "premium_rate"), ("0825 000 463", "shared_cost"),
                           ("+44 20 7946 0958", "country"), ("hello", "invalid")):
        result = run(runner, "callbacks", "request", "--client", "1001", "--number", number,
                     "--json")
        assert result.exit_code == 1
        assert json.loads(result.output) == {"refused": reason}
    plain = run(runner, "callbacks", "request", "--client", "1001", "--number", "0899123456")
    assert plain.exit_code == 1
    assert plain.output == "refused: '0899123456' is a premium-rate number\n"


def test_user_errors_are_one_line(runner):
    for args, message in (
        (["request", "--client", "999", "--number", "0612345678"], "no client '999'"),
        (["request", "--client", "1001", "--number", "0612345678", "--at", "tomorrow"],
         "not an ISO 8601 time"),
        (["cancel", "42"], "no callback 42"),
    ):
        result = run(runner, "callbacks", *args)
        assert result.exit_code != 0
        [error] = [line for line in result.output.splitlines() if line.startswith("Error:")]
        assert message in error
        assert "Traceback" not in result.output


def test_cancel_then_cancel_again(runner):
    run(runner, "callbacks", "request", "--client", "1001", "--number", "0612345678",
        "--at", FRIDAY_EVENING)
    assert run(runner, "callbacks", "cancel", "1").output == "callback 1 cancelled\n"
    again = run(runner, "callbacks", "cancel", "1")
    assert (again.exit_code, again.output) == (1, "Error: callback 1 is already cancelled\n")
    assert json.loads(run(runner, "callbacks", "list", "--json").output) == []
    everything = json.loads(run(runner, "callbacks", "list", "--all", "--json").output)
    assert [(c["id"], c["state"], c["reason"]) for c in everything] == \
        [("1", "cancelled", "cancelled by system")]


def test_the_board_shows_a_callback_waiting_at_its_place(runner):
    run(runner, "callbacks", "request", "--client", "1001", "--number", "0612345678",
        "--at", "2026-12-07T09:00:00+01:00")
    [support] = [q for q in json.loads(run(runner, "queues", "--json").output)
                 if q["queue"] == "technical_support"]
    assert [(w["kind"], w["company"]) for w in support["waiting"]] == \
        [("callback", "ACME Industrie")]
    assert "(callback)" in run(runner, "queues").output
