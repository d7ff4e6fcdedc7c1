"""CLI parity: flow versions, show, diff, rollback, announcements, guard, closures, the audit
log with --as; `ivr call --flow-version N` tries a draft."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from click.testing import CliRunner

from ivr.cli import main
from ivr.core.settings import PROJECT_ROOT
from ivr.people import users
from tests.conftest import MONDAY_MORNING

SHIPPED = PROJECT_ROOT / "config" / "flow.yaml"


def draft(tmp_path, old="Bienvenue au support technique.", new="Bonjour !"):
    path = tmp_path / "draft.yaml"
    path.write_text(SHIPPED.read_text().replace(old, new), encoding="utf-8")
    return path


def test_save_try_publish_diff_rollback(runner, r, tmp_path, app):
    users.add(r, "ada", "admin", "correct horse battery", MONDAY_MORNING)
    saved = runner.invoke(main, ["flow", "save", str(draft(tmp_path)), "-m", "short", "--as",
                                 "ada", "--base", "1"])
    assert saved.exit_code == 0 and saved.output.startswith("saved version 2 (")
    tried = runner.invoke(main, ["call", "--flow-version", "2", "--json"])
    assert "Bonjour !" in json.loads(tried.output)["steps"][0]["twiml"]
    published_call = runner.invoke(main, ["call", "--json"])
    assert "Bonjour !" not in published_call.output
    stale = runner.invoke(main, ["flow", "publish", str(draft(tmp_path, new="Salut")),
                                 "--base", "1"])
    assert stale.exit_code == 1 and "version 2 was saved by ada" in stale.output
    assert runner.invoke(main, ["flow", "publish", str(draft(tmp_path))]).exit_code == 0
    versions = json.loads(runner.invoke(main, ["flow", "versions", "--json"]).output)
    assert [(v["number"], v["author"], v["published"]) for v in versions] == [
        (3, "system", True), (2, "ada", False), (1, "seed:flow.yaml", False)]
    diff = runner.invoke(main, ["flow", "diff", "1", "3"]).output
    assert "+    fr: Bonjour !" in diff
    assert runner.invoke(main, ["flow", "show", "2"]).output == draft(tmp_path).read_text()
    back = runner.invoke(main, ["flow", "rollback", "--as", "ada"])
    assert back.output.startswith("published version 1 (")
    log = json.loads(runner.invoke(main, ["audit", "--user", "ada", "--json"]).output)
    assert [e["action"] for e in log] == ["flow.rollback", "flow.save"]


def test_unknown_version_is_one_line(runner):
    result = runner.invoke(main, ["flow", "show", "9"])
    assert (result.exit_code, result.output) == (1, "Error: no flow version 9 (latest: 1)\n")
    assert runner.invoke(main, ["call", "--flow-version", "9"]).output == (
        "Error: no flow version 9 (latest: 1)\n")


def test_announce_show_and_bad_name(runner):
    assert runner.invoke(main, ["announce", "show"]).output == "no announcement\n"
    set_ = runner.invoke(main, ["announce", "incident", "--fr", "Panne", "--until",
                                "2099-01-01T10:00:00+01:00"])
    assert set_.exit_code == 0
    assert runner.invoke(main, ["announce", "show"]).output == (
        "incident until 2099-01-01T10:00:00+01:00  [fr] Panne\n")
    bad = runner.invoke(main, ["announce", "incidnet", "--fr", "x", "--until",
                               "2099-01-01T10:00:00+01:00"])
    assert bad.exit_code == 1 and "no announcement node 'incidnet'" in bad.output


def test_guard_list_and_unlock(env, app):
    from tests.helpers import UNKNOWN_CALLER, scripted_call

    # the commands share the app's Monday-morning clock, so the lock-out has not run out
    shift = (MONDAY_MORNING - datetime.now(UTC)).total_seconds()
    runner = CliRunner(env={**env, "IVR_CLOCK_SHIFT": str(shift)})
    assert runner.invoke(main, ["guard", "list"]).output == "no locked-out number\n"
    for _ in range(2):
        scripted_call(app, "-", "9991#", "9992#", "9993#")
    assert runner.invoke(main, ["guard", "list"]).output.startswith(f"{UNKNOWN_CALLER}  until ")
    assert runner.invoke(main, ["guard", "unlock", UNKNOWN_CALLER]).output == (
        f"{UNKNOWN_CALLER} unlocked\n")
    again = runner.invoke(main, ["guard", "unlock", UNKNOWN_CALLER])
    assert again.exit_code == 1 and "is not locked out" in again.output


def test_closure_add_list_remove(runner):
    added = runner.invoke(main, ["hours", "closure", "add", "support", "--date", "2099-12-24",
                                 "--from-time", "12:00", "--reason", "Réveillon"])
    assert added.output == "closure added: published version 2\n"
    assert runner.invoke(main, ["hours", "closure", "list"]).output == (
        "1  2099-12-24 from 12:00  Réveillon\n")
    assert runner.invoke(main, ["hours", "closure", "remove", "support", "1"]).exit_code == 0
    assert runner.invoke(main, ["hours", "closure", "list"]).output == ""


def test_clients_import_goes_through_the_service_layer(runner, tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("client_id;company;agency;phones;contract_end\n9;X;nantes;;2030-01-01\n")
    result = runner.invoke(main, ["clients", "import", str(path)])
    assert result.exit_code == 1 and "'nantes' is not an agency of the flow" in result.output
