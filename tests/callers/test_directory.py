"""The client directory: CSV import (all rows or none), the phone index, contract states, and
the `ivr clients` commands."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, timedelta
from pathlib import Path

import pytest

from ivr.callers.client_csv import COLUMNS, import_csv, parse_csv
from ivr.callers.directory import (
    Client,
    Contract,
    all_clients,
    clients_by_phone,
    get_client,
    save_clients,
)
from ivr.cli import main
from ivr.core.exceptions import ImportRowsError

TODAY = date(2026, 12, 7)
ALPHA_PHONE = "+33144002001"


def row(**cells: str) -> dict[str, str]:
    """A good CSV row for client 2001, with `cells` changed."""
    base = {
        "client_id": "2001", "company": "Alpha Câblage", "agency": "paris", "language": "fr",
        "phones": "+33 1 44 00 20 01", "licences": "L-2001-A", "contract_start": "2024-01-01",
        "contract_end": "2027-12-31", "contract_level": "premium", "products": "SEE Electrical",
    }
    return {**base, **cells}


def csv_text(*rows: dict[str, str], columns: tuple[str, ...] = COLUMNS) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n",
                            extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def write_csv(tmp_path: Path, text: str, name: str = "clients.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def problems(text: str) -> list[str]:
    with pytest.raises(ImportRowsError) as caught:
        parse_csv(io.StringIO(text, newline=""))
    return caught.value.problems


def snapshot(r) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """Every key of the database with its value, to prove nothing was written."""
    values: dict[str, object] = {}
    for key in r.keys("*"):
        kind = r.type(key)
        read = {"string": r.get, "hash": r.hgetall, "set": r.smembers,
                "list": lambda k: r.lrange(k, 0, -1),
                "zset": lambda k: r.zrange(k, 0, -1, withscores=True)}[kind]
        values[key] = read(key)
    return values


# -- a good file -----------------------------------------------------------------------


def test_good_file_is_imported_with_numbers_in_e164(r, tmp_path):
    path = write_csv(tmp_path, csv_text(
        row(),
        row(client_id="2002", company="Beta", agency="Alsace", language="EN",
            phones="03 88 00 20 02 ; +33 6 12 34 56 02", licences="L-2002-A;L-2002-B",
            contract_start="", contract_end="", contract_level="", products=""),
    ))
    assert import_csv(r, path) == 2

    alpha = get_client(r, "2001")
    assert alpha == Client(
        id="2001", company="Alpha Câblage", agency="paris", language="fr", phones=[ALPHA_PHONE],
        licences=["L-2001-A"], products=["SEE Electrical"],
        contract=Contract(start=date(2024, 1, 1), end=date(2027, 12, 31), level="premium"),
    )
    beta = get_client(r, "2002")
    assert beta is not None
    assert beta.agency == "alsace" and beta.language == "en"
    assert beta.phones == ["+33388002002", "+33612345602"]
    assert beta.licences == ["L-2002-A", "L-2002-B"]
    assert beta.contract is None
    assert [c.id for c in clients_by_phone(r, "+33612345602")] == ["2002"]
    assert [c.id for c in clients_by_phone(r, ALPHA_PHONE)] == ["2001"]
    assert [c.id for c in all_clients(r)] == ["2001", "2002"]


def test_excel_export_with_bom_and_crlf_is_read(r, tmp_path):
    path = tmp_path / "excel.csv"
    path.write_bytes(b"\xef\xbb\xbf" + csv_text(row()).replace("\n", "\r\n").encode("utf-8"))
    assert import_csv(r, path) == 1
    client = get_client(r, "2001")
    assert client is not None and client.company == "Alpha Câblage"


def test_all_clients_are_ordered_by_number_not_text(r):
    save_clients(r, [Client(id=i, company=f"C{i}", agency="paris") for i in ("10", "9", "100")])
    assert [c.id for c in all_clients(r)] == ["9", "10", "100"]


def test_clients_sharing_a_number_are_both_found_by_it(r, tmp_path):
    shared = "+33 4 72 00 20 01"
    import_csv(r, write_csv(tmp_path, csv_text(
        row(phones=shared), row(client_id="2002", company="Beta", phones=shared))))
    assert sorted(c.id for c in clients_by_phone(r, "+33472002001")) == ["2001", "2002"]


# -- re-import -------------------------------------------------------------------------


def test_reimport_moves_the_phone_index_and_updates_the_client(r, tmp_path):
    import_csv(r, write_csv(tmp_path, csv_text(row(), row(client_id="2002", company="Beta",
                                                          phones="+33 1 44 00 20 02"))))
    new_phone = "+33 1 44 00 29 99"
    import_csv(r, write_csv(tmp_path, csv_text(row(company="Alpha Group", phones=new_phone)),
                            name="again.csv"))

    assert clients_by_phone(r, ALPHA_PHONE) == []
    [moved] = clients_by_phone(r, "+33144002999")
    assert moved.id == "2001" and moved.company == "Alpha Group"
    client = get_client(r, "2001")
    assert client is not None and client.phones == ["+33144002999"]
    # an upsert: a client missing from the second file is kept
    assert [c.id for c in clients_by_phone(r, "+33144002002")] == ["2002"]
    assert [c.id for c in all_clients(r)] == ["2001", "2002"]


def test_reimport_of_one_client_leaves_the_other_on_a_shared_number(r, tmp_path):
    shared = "+33 4 72 00 20 01"
    import_csv(r, write_csv(tmp_path, csv_text(
        row(phones=shared), row(client_id="2002", company="Beta", phones=shared))))
    import_csv(r, write_csv(tmp_path, csv_text(row(phones="+33 1 44 00 20 01")), name="b.csv"))
    assert [c.id for c in clients_by_phone(r, "+33472002001")] == ["2002"]
    assert [c.id for c in clients_by_phone(r, ALPHA_PHONE)] == ["2001"]


def test_reimport_keeps_the_company_seen_by_caller_id_current(r, tmp_path):
    import_csv(r, write_csv(tmp_path, csv_text(row())))
    import_csv(r, write_csv(tmp_path, csv_text(row(company="Alpha Group")), name="b.csv"))
    assert [c.company for c in clients_by_phone(r, ALPHA_PHONE)] == ["Alpha Group"]


# -- refused files -----------------------------------------------------------------------


def test_missing_required_columns_are_named():
    columns = ("client_id", "company", "phones")
    assert problems(csv_text(row(), columns=columns)) == [
        "line 1: missing column(s): agency, contract_end"]


def test_unknown_column_is_refused():
    text = csv_text(row()).replace("products\n", "products,fax\n", 1)
    assert problems(text) == ["line 1: unknown column(s): fax"]


def test_empty_file_is_refused_as_missing_every_required_column():
    assert problems("") == [
        "line 1: missing column(s): client_id, company, agency, phones, contract_end"]


@pytest.mark.parametrize(("cells", "expected"), [
    ({"contract_end": "2027-02-31"}, "line 3, column 8 (contract_end): "),
    ({"contract_end": "31/12/2027"}, "line 3, column 8 (contract_end): "),
    ({"contract_start": "2024-13-01"}, "line 3, column 7 (contract_start): "),
    ({"phones": "not a phone"}, "line 3, column 5 (phones): "),
    ({"phones": "+33 1 44 00 20 02;12"}, "line 3, column 5 (phones): "),
    ({"client_id": "A-2002"}, "line 3, column 1 (client_id): "),
    ({"client_id": ""}, "line 3, column 1 (client_id): "),
    ({"company": ""}, "line 3, column 2 (company): "),
    ({"agency": "Île-de-France"}, "line 3, column 3 (agency): "),
    ({"language": "de"}, "line 3, column 4 (language): "),
])
def test_bad_cell_is_reported_with_its_line_and_column(cells, expected):
    text = csv_text(row(), row(**{"client_id": "2002", **cells}))
    [problem] = problems(text)
    assert problem.startswith(expected), problem


def test_bad_phone_number_is_quoted():
    [problem] = problems(csv_text(row(phones="01 44 00 20 01;0800")))
    assert problem.startswith("line 2, column 5 (phones): ") and "'0800'" in problem


def test_duplicate_client_id_names_both_lines():
    text = csv_text(row(), row(client_id="2002", company="Beta"), row(company="Alpha bis"))
    assert problems(text) == ["line 4, column 1 (client_id): client 2001 already on line 2"]


def test_row_with_more_cells_than_columns_is_refused():
    text = csv_text(row()) + "2002,Beta,paris,fr,+33144002002,,,2027-01-01,,,surplus\n"
    assert problems(text) == ["line 3: 11 cells for 10 columns"]


def test_every_bad_row_is_reported_in_file_order():
    text = csv_text(
        row(),
        row(client_id="2002", contract_end="2027-00-10"),
        row(client_id="2003"),
        row(client_id="2004", phones="n/a"),
        row(client_id="2003"),
    ) + "2006,Zeta,paris,fr,+33144002006,,,2027-01-01,,,x\n"
    lines = [p.split(",")[0].split(":")[0] for p in problems(text)]
    assert lines == ["line 3", "line 5", "line 6", "line 7"]


def test_lines_count_blank_lines_too():
    text = csv_text(row()) + "\n\n" + csv_text(row(client_id="2002", phones="x")).split("\n", 1)[1]
    [problem] = problems(text)
    assert problem.startswith("line 5, column 5 (phones): ")


def test_refused_file_writes_nothing_to_an_empty_directory(r, tmp_path):
    path = write_csv(tmp_path, csv_text(row(), row(client_id="2002", phones="bad")))
    with pytest.raises(ImportRowsError):
        import_csv(r, path)
    assert r.dbsize() == 0


@pytest.mark.parametrize("bad_row", [
    row(client_id="2002", contract_end="soon"),
    row(client_id="2002", phones="+33 1"),
    row(client_id="2001", company="duplicate"),
    row(client_id="2002", agency=""),
])
def test_refused_file_leaves_existing_clients_untouched(r, tmp_path, bad_row):
    import_csv(r, write_csv(tmp_path, csv_text(row())))
    before = snapshot(r)
    # the good rows of a refused file would move 2001's phone and add 2003: neither happens
    path = write_csv(tmp_path, csv_text(row(phones="+33 1 44 00 29 99"),
                                        row(client_id="2003", company="Gamma"), bad_row),
                     name="bad.csv")
    with pytest.raises(ImportRowsError):
        import_csv(r, path)
    assert snapshot(r) == before


# -- contract state --------------------------------------------------------------------


@pytest.mark.parametrize(("days_left", "state"), [
    (-400, "expired"),
    (-1, "expired"),
    (0, "expiring"),  # a contract covers its last day
    (1, "expiring"),
    (60, "expiring"),
    (61, "active"),
    (1500, "active"),
])
def test_contract_state_around_the_60_day_edge(days_left, state):
    client = Client(id="2001", company="Alpha", agency="paris",
                    contract=Contract(end=TODAY + timedelta(days=days_left)))
    assert client.contract_state(TODAY, 60) == state


def test_contract_state_uses_the_given_notice():
    contract = Contract(end=TODAY + timedelta(days=30))
    assert contract.state(TODAY, 29) == "active"
    assert contract.state(TODAY, 30) == "expiring"


def test_client_without_contract_has_none():
    client = Client(id="2001", company="Alpha", agency="paris")
    assert client.contract_state(TODAY, 60) == "none"


def test_imported_contract_states(r, tmp_path):
    end_in = {"2060": 60, "2061": 61, "2000": 0, "1999": -1}
    rows = [row(client_id=cid, contract_end=(TODAY + timedelta(days=d)).isoformat(),
                phones="") for cid, d in end_in.items()]
    rows.append(row(client_id="2099", contract_end="", contract_start="", phones=""))
    import_csv(r, write_csv(tmp_path, csv_text(*rows)))
    states = {c.id: c.contract_state(TODAY, 60) for c in all_clients(r)}
    assert states == {"2060": "expiring", "2061": "active", "2000": "expiring",
                      "1999": "expired", "2099": "none"}


# -- ivr clients import / show ---------------------------------------------------------


def test_cli_import_then_show(runner, tmp_path):
    path = write_csv(tmp_path, csv_text(row(), row(client_id="2002", company="Beta",
                                                   phones="+33 1 44 00 20 02")))
    result = runner.invoke(main, ["clients", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert result.stdout == f"imported 2 client(s) from {path}\n"

    shown = runner.invoke(main, ["clients", "show", "2001"])
    assert shown.exit_code == 0, shown.output
    data = json.loads(shown.stdout)
    assert data["company"] == "Alpha Câblage"
    assert data["phones"] == [ALPHA_PHONE]
    assert data["contract"] == {"start": "2024-01-01", "end": "2027-12-31", "level": "premium"}


def test_cli_import_refuses_a_bad_file_listing_each_problem(app, runner, r, tmp_path):
    before = snapshot(r)
    path = write_csv(tmp_path, csv_text(row(), row(client_id="2002", phones="bad"),
                                        row(company="again")))
    result = runner.invoke(main, ["clients", "import", str(path)])
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[0].startswith(f"{path}: line 3, column 5 (phones): ")
    assert lines[1] == f"{path}: line 4, column 1 (client_id): client 2001 already on line 2"
    assert lines[2] == "Error: nothing imported: 2 problem(s)"
    assert result.stdout == ""
    assert snapshot(r) == before


def test_cli_import_of_missing_file_is_a_usage_error(runner, tmp_path):
    result = runner.invoke(main, ["clients", "import", str(tmp_path / "nowhere.csv")])
    assert result.exit_code == 2
    assert "does not exist" in result.stderr


def test_cli_import_of_a_non_utf8_file_says_so_without_a_traceback(app, runner, r, tmp_path):
    before = snapshot(r)
    # Excel in France often saves CSV as Windows-1252: "Câblage" is then not UTF-8
    path = tmp_path / "latin1.csv"
    path.write_bytes(csv_text(row()).encode("cp1252"))
    result = runner.invoke(main, ["clients", "import", str(path)])
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code == 1
    assert "utf-8" in result.stderr.lower()
    assert snapshot(r) == before


def test_cli_show_of_a_demo_client(app, runner):
    result = runner.invoke(main, ["clients", "show", "1003"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["company"] == "Garonne Energie"
    assert data["phones"] == ["+33561001003"]
    assert data["contract"]["end"] == "2026-10-31"


def test_cli_show_of_an_unknown_client(app, runner):
    result = runner.invoke(main, ["clients", "show", "9999"])
    assert result.exit_code == 1
    assert result.stderr == "Error: no client 9999\n"
    assert result.stdout == ""


def test_contract_dates_must_make_sense(r):
    bad = (
        "client_id,company,agency,phones,contract_start,contract_end\n"
        "3001,Ordre Inverse,paris,+33 1 44 00 30 01,2027-01-01,2026-01-01\n"
        "3002,Sans Fin,paris,+33 1 44 00 30 02,2026-01-01,\n"
    )
    with pytest.raises(ImportRowsError) as caught:
        parse_csv(bad.splitlines(keepends=True))
    problems = caught.value.problems
    assert len(problems) == 2
    assert problems[0].startswith("line 2, column 5 (contract_start): ")
    assert "after it ends" in problems[0]
    assert problems[1] == "line 3, column 5 (contract_start): given without contract_end"


def test_a_contract_not_started_yet_is_not_current():
    contract = Contract(start=date(2027, 1, 1), end=date(2028, 12, 31))
    assert contract.state(date(2026, 12, 7), 60) == "none"
    assert contract.state(date(2027, 1, 1), 60) == "active"


def test_cli_lists_flagged_client_ids(runner, r):
    assert runner.invoke(main, ["clients", "flagged"]).output == "no flagged client id\n"
    r.hset("ivr:guard:flagged", "1001", json.dumps({"at": "2026-12-07T09:00:00+01:00",
                                                    "numbers": 6}))
    result = runner.invoke(main, ["clients", "flagged"])
    assert result.exit_code == 0
    assert result.output == "1001  6 numbers  last 2026-12-07T09:00:00+01:00\n"
