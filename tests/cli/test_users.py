"""`ivr users`: add, list, password, remove, token; every change in the audit log."""

from __future__ import annotations

import json

from ivr.admin import audit
from ivr.cli import main
from ivr.people import users

PASSWORD = "correct horse battery"


def test_add_reads_the_password_from_standard_input(runner, r):
    result = runner.invoke(main, ["users", "add", "ann", "--role", "agent", "--agent-id", "sophie"],
                           input=PASSWORD + "\n")
    assert (result.exit_code, result.output) == (0, "added ann (agent)\n")
    assert users.verify(r, "ann", PASSWORD).agent_id == "sophie"
    [entry] = audit.entries(r)
    assert (entry["who"], entry["action"], entry["after"]["name"]) == ("system", "user.add", "ann")


def test_bad_input_is_one_line_and_a_non_zero_exit(runner, r):
    short = runner.invoke(main, ["users", "add", "ann", "--role", "admin"], input="short\n")
    assert short.exit_code == 1
    assert short.output == "Error: password must have at least 10 characters\n"
    agent = runner.invoke(main, ["users", "add", "ann", "--role", "agent"], input=PASSWORD)
    assert agent.output == "Error: an agent user needs an agent id (--agent-id)\n"
    assert runner.invoke(main, ["users", "remove", "ghost"]).output == "Error: no user 'ghost'\n"
    assert r.hlen(users.USERS_KEY) == 0


def test_list_password_remove_as_a_named_user(runner, r):
    for name, role in (("ada", "admin"), ("bob", "admin")):
        runner.invoke(main, ["users", "add", name, "--role", role], input=PASSWORD)
    listed = runner.invoke(main, ["users", "list", "--json"])
    assert [u["name"] for u in json.loads(listed.output)] == ["ada", "bob"]
    changed = runner.invoke(main, ["users", "password", "bob", "--as", "ada"],
                            input="another long password\n")
    assert changed.output == "password of bob changed\n"
    assert users.verify(r, "bob", "another long password") is not None
    assert runner.invoke(main, ["users", "remove", "bob", "--as", "ada"]).exit_code == 0
    assert runner.invoke(main, ["users", "list"]).output == "ada  admin\n"
    assert [(e["who"], e["action"]) for e in audit.entries(r, who="ada")] == [
        ("ada", "user.remove"), ("ada", "user.password")]


def test_as_must_name_a_known_user(runner, r):
    result = runner.invoke(main, ["users", "add", "ann", "--role", "admin", "--as", "ghost"],
                           input=PASSWORD)
    assert result.exit_code == 2 and "no user 'ghost'" in result.output
    assert users.get(r, "ann") is None


def test_the_last_admin_stays(runner, r):
    runner.invoke(main, ["users", "add", "ada", "--role", "admin"], input=PASSWORD)
    result = runner.invoke(main, ["users", "remove", "ada"])
    assert result.output == "Error: 'ada' is the last admin; add another admin first\n"
    assert users.get(r, "ada") is not None


def test_token_is_printed_once_and_works(runner, r):
    runner.invoke(main, ["users", "add", "ci", "--role", "admin"], input=PASSWORD)
    result = runner.invoke(main, ["users", "token", "ci", "--label", "CI"])
    token = result.stdout.strip()
    assert result.exit_code == 0 and users.user_for_token(r, token).name == "ci"
