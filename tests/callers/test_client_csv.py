"""Client CSV files at scale and under attack: streamed import (all rows or none, whatever the
size of a cell), one import at a time, and exports that no spreadsheet runs as formulas."""

from __future__ import annotations

import csv
import io
import threading

import pytest

from ivr.callers import client_csv, csv_rows, directory
from ivr.callers.client_csv import export_csv, import_csv
from ivr.callers.csv_rows import neutral, write_csv
from ivr.callers.directory import Client
from ivr.cli import main
from ivr.core.exceptions import ImportRowsError, IvrError
from tests.callers.test_directory import csv_text, row, snapshot
from tests.callers.test_directory import write_csv as write_file


def many_rows(count: int, start: int = 100000) -> list[dict[str, str]]:
    return [row(client_id=str(start + n), company=f"Client {n}",
                phones=f"01 44 {n // 10000 % 100:02d} {n // 100 % 100:02d} {n % 100:02d}")
            for n in range(count)]


def test_a_file_larger_than_a_batch_is_imported_whole(r, tmp_path, monkeypatch):
    monkeypatch.setattr(client_csv, "BATCH", 7)  # many batches from a small file
    path = write_file(tmp_path, csv_text(*many_rows(50)))
    assert import_csv(r, path) == 50
    assert len(directory.all_clients(r)) == 50
    assert [c.id for c in directory.clients_by_phone(r, "+33144000049")] == ["100049"]


def test_a_bad_row_after_many_batches_writes_nothing(r, tmp_path, monkeypatch):
    monkeypatch.setattr(client_csv, "BATCH", 7)
    import_csv(r, write_file(tmp_path, csv_text(row()), name="first.csv"))
    before = snapshot(r)
    rows = many_rows(40) + [row(client_id="x")]
    with pytest.raises(ImportRowsError) as caught:
        import_csv(r, write_file(tmp_path, csv_text(*rows)))
    assert caught.value.problems == ["line 42, column 1 (client_id): String should match "
                                     "pattern '^[0-9]{1,12}$', got 'x'"]
    assert snapshot(r) == before


def test_a_cell_over_the_csv_limit_is_reported_with_its_line(r, tmp_path):
    huge = "A" * (csv.field_size_limit() + 10)
    path = write_file(tmp_path, csv_text(row(), row(client_id="2002", company=huge)))
    with pytest.raises(ImportRowsError) as caught:
        import_csv(r, path)
    assert caught.value.problems == [
        f"line 3: a cell is longer than {csv.field_size_limit()} characters"]
    assert snapshot(r) == {}


def test_cli_reports_a_huge_cell_in_one_line_without_a_traceback(runner, r, tmp_path):
    huge = "A" * 200_000
    path = write_file(tmp_path, csv_text(row(), row(client_id="2002", company=huge)))
    result = runner.invoke(main, ["clients", "import", str(path)])
    assert result.exit_code == 1
    assert f"{path}: line 3: a cell is longer than" in result.stderr
    assert "Traceback" not in result.output + result.stderr


def test_a_line_that_is_not_utf8_is_named(r, tmp_path):
    path = tmp_path / "mixed.csv"
    path.write_bytes(csv_text(row(), row(client_id="2002")).encode() +
                     "2003,Bretagne Câblage,paris,fr,,,,2027-01-01,,\n".encode("cp1252"))
    with pytest.raises(ImportRowsError) as caught:
        import_csv(r, path)
    assert caught.value.problems == ["line 4: not UTF-8 text; export the file as 'CSV UTF-8'"]


def test_thousands_of_problems_are_reported_bounded(r, tmp_path):
    rows = [row(client_id=str(3000 + n), agency="Paris Nord") for n in range(500)]
    with pytest.raises(ImportRowsError) as caught:
        import_csv(r, write_file(tmp_path, csv_text(*rows)))
    assert len(caught.value.problems) == csv_rows.MAX_PROBLEMS + 1
    assert caught.value.problems[-1] == "... and 300 more problem(s)"


def test_a_second_import_at_once_is_refused(r, tmp_path):
    assert directory.import_lock(r, "someone-else", seconds=60)
    with pytest.raises(IvrError, match="another client import is running"):
        import_csv(r, write_file(tmp_path, csv_text(row())))
    directory.import_unlock(r, "someone-else")
    assert import_csv(r, write_file(tmp_path, csv_text(row()))) == 1


def test_two_imports_at_once_end_with_one_of_them_whole(r, tmp_path):
    paths = [write_file(tmp_path, csv_text(*[row(client_id=str(4000 + n), company=f"{tag} {n}")
                                            for n in range(300)]), name=f"{tag}.csv")
             for tag in ("A", "B")]
    outcomes: list[object] = []

    def run(path) -> None:  # type: ignore[no-untyped-def]
        try:
            outcomes.append(import_csv(r, path))
        except IvrError as exc:
            outcomes.append(str(exc))

    threads = [threading.Thread(target=run, args=(p,)) for p in paths]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    companies = {c.company.split()[0] for c in directory.all_clients(r)}
    assert len(companies) == 1  # never a mix of the two files
    assert 300 in outcomes


@pytest.mark.parametrize(("cell", "written"), [
    ("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"),
    ("+HYPERLINK(\"http://x\")", "'+HYPERLINK(\"http://x\")"),
    ("-2+3", "'-2+3"),
    ("@SUM(A1)", "'@SUM(A1)"),
    ("\tTAB", "'\tTAB"),
    ("ACME Industrie", "ACME Industrie"),
    ("+33144001001", "+33144001001"),
    ("-12.5", "-12.5"),
    ("", ""),
    (None, ""),
])
def test_neutral_prefixes_formula_looking_cells(cell, written):
    assert neutral(cell) == written


def test_write_csv_neutralises_every_cell():
    out = io.StringIO()
    assert write_csv(out, ["=head"], [["=1+1", "ok"], [7, "@x"]]) == 2
    assert list(csv.reader(io.StringIO(out.getvalue()))) == [
        ["'=head"], ["'=1+1", "ok"], ["7", "'@x"]]


def test_a_formula_value_is_refused_at_import_and_neutralised_at_export(r, tmp_path):
    evil = "=cmd|' /C calc'!A0"
    with pytest.raises(ImportRowsError) as caught:
        import_csv(r, write_file(tmp_path, csv_text(row(company=evil))))
    assert caught.value.problems == ["line 2, column 2 (company): starts with '=', which a "
                                     "spreadsheet would run as a formula; remove it"]
    # stored some other way (the domain takes any text), it is still written safely
    directory.save_clients(r, [Client(id="2001", company=evil, agency="paris",
                                      phones=["+33144002001"], products=["+HYPERLINK(1)"])])
    out = io.StringIO()
    assert export_csv(r, out) == 1
    [exported] = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert exported["company"] == "'" + evil
    assert exported["products"] == "'+HYPERLINK(1)"
    assert exported["phones"] == "+33144002001"  # only a number: left as it is


def test_an_export_imports_back_unchanged(r, tmp_path):
    beta = row(client_id="2002", company="Beta", phones="06 12 34 56 78;01 44 00 20 02")
    import_csv(r, write_file(tmp_path, csv_text(row(), beta)))
    before = directory.all_clients(r)
    out = io.StringIO()
    export_csv(r, out)
    r.flushdb()
    export = tmp_path / "export.csv"
    export.write_text(out.getvalue(), encoding="utf-8")
    assert import_csv(r, export) == 2
    assert directory.all_clients(r) == before


def test_an_upload_in_bytes_is_imported_like_a_file(r):
    data = csv_text(row()).replace(",", ";").encode()
    assert import_csv(r, data) == 1
    assert directory.get_client(r, "2001").company == "Alpha Câblage"  # type: ignore[union-attr]


def test_cli_export_writes_a_file(runner, r, tmp_path):
    import_csv(r, write_file(tmp_path, csv_text(row(), row(client_id="2002"))))
    target = tmp_path / "out.csv"
    result = runner.invoke(main, ["clients", "export", str(target)])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8"))))
    assert [r_["client_id"] for r_ in rows] == ["2001", "2002"]
