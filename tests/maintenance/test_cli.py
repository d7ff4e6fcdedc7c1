"""`ivr maintenance`: a user error is one line on standard error, never a traceback."""

from __future__ import annotations

import json

from ivr.cli import main


def test_an_unknown_agency_is_one_line_and_exit_two(runner):
    result = runner.invoke(main, ["maintenance", "list", "--agency", "atlantis", "--json"])
    assert result.exit_code == 2
    assert "unknown agency 'atlantis'; the flow has: alsace, lille, lyon, paris" in result.output
    assert "Traceback" not in result.output


def test_a_bad_orders_file_names_line_and_column(runner, tmp_path):
    path = tmp_path / "orders.csv"
    path.write_text("client_id,order_id,product,delivered_on\n2001,N1,SEE,tomorrow\n")
    result = runner.invoke(main, ["maintenance", "import-orders", str(path)])
    assert result.exit_code == 1
    assert result.output.splitlines()[0].startswith(
        f"{path}: line 2, column 4 (delivered_on): date must be YYYY-MM-DD, got 'tomorrow'")


def test_set_then_list_shows_the_new_state(service, runner):
    assert runner.invoke(main, ["maintenance", "build", "--at",
                                "2026-12-07T07:00:00+01:00"]).exit_code == 0
    result = runner.invoke(main, ["maintenance", "set", "delivery-2008-O1", "estimate_sent",
                                  "--seen", "todo"])
    assert (result.exit_code, result.output) == (0, "delivery-2008-O1: estimate sent\n")
    again = runner.invoke(main, ["maintenance", "set", "delivery-2008-O1", "lost", "--seen",
                                 "todo"])
    assert again.exit_code == 1
    assert "changed meanwhile: it is now estimate sent" in again.output
    found = json.loads(runner.invoke(main, ["maintenance", "list", "--agency", "lyon",
                                            "--json"]).output)
    assert [(i["id"], i["state"]) for i in found] == [("delivery-2008-O1", "estimate_sent")]


def test_import_orders_says_what_it_did_and_checks_the_user(service, runner, tmp_path):
    path = tmp_path / "orders.csv"
    path.write_text("client_id;order_id;product;delivered_on\n2002;N8;SEE;2026-12-03\n")
    refused = runner.invoke(main, ["maintenance", "import-orders", str(path), "--as", "nobody"])
    assert refused.exit_code == 2
    assert "no user 'nobody'" in refused.output
    # the worklists are built as on a given day: how many follow-ups are new depends on it
    result = runner.invoke(main, ["maintenance", "import-orders", str(path), "--at",
                                  "2026-12-07T10:00:00+01:00"])
    assert (result.exit_code, result.output) == (
        0, f"imported 1 order(s) from {path}; 8 new follow-up(s)\n")
