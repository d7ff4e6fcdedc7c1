"""`ivr agents` and `ivr queues`: the roster, presence, and the live board."""

from __future__ import annotations

import json

from ivr.cli import main


def run(runner, *args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(main, list(args), catch_exceptions=False)


def test_agents_add_list_and_remove(runner):
    result = run(runner, "agents", "add", "nina", "--name", "Nina Roy", "--skills",
                 "technical_support,delivery", "--reach", "01 44 00 20 09", "--agency", "lyon")
    assert result.exit_code == 0, result.output
    assert result.output == "agent nina created (offline)\n"
    listed = json.loads(run(runner, "agents", "list", "--json").output)
    nina = next(a for a in listed if a["id"] == "nina")
    assert (nina["reach"], nina["skills"], nina["state"]) == \
        ("+33144002009", ["technical_support", "delivery"], "offline")
    assert run(runner, "agents", "remove", "nina").output == "agent nina removed\n"
    assert "nina" not in run(runner, "agents", "list").output


def test_agents_add_refuses_unknown_skills_agencies_and_reaches_in_one_line(runner):
    for args, message in (
        (["--skills", "support"], "unknown skill(s) support"),
        (["--skills", "delivery", "--agency", "nice"], "unknown agency 'nice'"),
        (["--skills", "delivery", "--reach", "12"], "reach must be a phone number"),
    ):
        options = {"--reach": "+33144002009", **dict(zip(args[::2], args[1::2], strict=True))}
        flat = [item for pair in options.items() for item in pair]
        result = runner.invoke(main, ["agents", "add", "nina", "--name", "N", *flat])
        assert result.exit_code == 1
        assert message in result.output and len(result.output.strip().splitlines()) == 1


def test_agents_status_changes_presence_and_refuses_unknown_agents(runner):
    assert run(runner, "agents", "status", "sophie", "available").output == \
        "agent sophie: break -> available\n"
    result = runner.invoke(main, ["agents", "status", "nobody", "available"])
    assert result.exit_code == 1 and "no agent 'nobody'" in result.output
    result = runner.invoke(main, ["agents", "status", "sophie", "busy"])
    assert result.exit_code == 2 and "'busy' is not one of" in result.output


def test_queues_json_shows_each_queue_with_its_agents(runner):
    view = json.loads(run(runner, "queues", "--json").output)
    assert [q["queue"] for q in view] == ["technical_support", "maintenance", "delivery"]
    support = view[0]
    assert (support["size"], support["waiting"], support["agents"]["break"]) == (0, [], ["sophie"])
    assert support["today"]["answered"] == 0
    maintenance = view[1]
    assert maintenance["agents"]["break"] == ["lea", "marc"]
