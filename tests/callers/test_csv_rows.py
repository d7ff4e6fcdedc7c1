"""The one CSV reader of the directory's files (clients, orders): the delimiter of the header,
header problems at once, every row problem at its line and column, a bounded list."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from pydantic import BaseModel, Field, ValidationError

from ivr.callers import csv_rows
from ivr.callers.csv_rows import Table, utf8_lines
from ivr.core.exceptions import ImportRowsError

COLUMNS = ("id", "name", "on", "phone")


class Thing(BaseModel):
    ident: str = Field(pattern=r"^[0-9]+$")
    name: str = Field(min_length=1)
    on: date


def read(text: str, **options) -> tuple[list[csv_rows.Row], list[str]]:  # type: ignore[no-untyped-def]
    table = Table(io.StringIO(text, newline=""), COLUMNS, **options)
    rows = []
    for row in table.rows():
        try:
            Thing.model_validate({"ident": row.cells["id"], "name": row.cells["name"],
                                  "on": row.cells["on"]})
        except ValidationError as exc:
            table.invalid(row, exc, {"ident": "id"})
            continue
        rows.append(row)
    return rows, table.problems


def test_a_semicolon_header_reads_semicolon_rows_and_absent_columns_are_blank():
    rows, problems = read("name;id;on\nA, B;1;2026-12-07\n", required=("id", "name"))
    assert problems == []
    assert rows == [csv_rows.Row(2, {"id": "1", "name": "A, B", "on": "2026-12-07",
                                     "phone": ""})]


def test_every_header_problem_is_one_line_one():
    with pytest.raises(ImportRowsError) as caught:
        Table(["id,name,fax,name\n"], COLUMNS)
    assert caught.value.problems == [
        "line 1: missing column(s): on, phone; unknown column(s): fax; "
        "column(s) given twice: name"]


def test_columns_are_numbered_as_the_file_orders_them_and_lines_as_it_counts_them():
    text = ('on,phone,name,id\n'
            '2026-12-07,,"two\nlines",x\n'  # lines 2-3: the row's line is its last
            '\n'  # a blank line is skipped, but counted
            '07/12/2026,=1+1,Bob,5\n'
            ',,,\n'
            '2026-12-07,,,6\n'
            '2026-12-07,,Ann\n')
    rows, problems = read(text, dates=("on",), formulas_allowed=("name",))
    assert rows == []
    assert problems == [
        "line 3, column 4 (id): String should match pattern '^[0-9]+$', got 'x'",
        "line 5, column 1 (on): date must be YYYY-MM-DD, got '07/12/2026'",
        "line 5, column 2 (phone): starts with '=', which a spreadsheet would run as a "
        "formula; remove it",
        "line 7, column 3 (name): String should have at least 1 character, got ''",
        "line 8: 3 cells for 4 columns",
    ]


def test_a_column_allowed_to_start_like_a_formula_is_kept():
    rows, problems = read("id,name,on,phone\n1,A,2026-12-07,+33 1 44 00 10 01\n",
                          formulas_allowed=("phone",))
    assert (problems, rows[0].cells["phone"]) == ([], "+33 1 44 00 10 01")


def test_check_raises_a_bounded_list():
    text = "id,name,on,phone\n" + "x,A,2026-12-07,\n" * (csv_rows.MAX_PROBLEMS + 5)
    table = Table(io.StringIO(text, newline=""), COLUMNS)
    for row in table.rows():
        table.problem(row.line, "id", "bad")
    with pytest.raises(ImportRowsError) as caught:
        table.check()
    assert len(caught.value.problems) == csv_rows.MAX_PROBLEMS + 1
    assert caught.value.problems[0] == "line 2, column 1 (id): bad"
    assert caught.value.problems[-1] == "... and 5 more problem(s)"


def test_a_cell_over_the_csv_limit_stops_the_reading_at_its_line():
    huge = "A" * (csv.field_size_limit() + 1)
    rows, problems = read(f"id,name,on,phone\n1,A,2026-12-07,\n2,{huge},2026-12-07,\n")
    assert len(rows) == 1
    assert problems == [f"line 3: a cell is longer than {csv.field_size_limit()} characters"]


def test_utf8_lines_drop_the_bom_and_name_a_line_that_is_not_text():
    assert list(utf8_lines(io.BytesIO("\ufeffid\n1\n".encode()))) == ["id\n", "1\n"]
    with pytest.raises(ImportRowsError) as caught:
        list(utf8_lines(io.BytesIO("id\nCâblage\n".encode("cp1252"))))
    assert caught.value.problems == ["line 2: not UTF-8 text; export the file as 'CSV UTF-8'"]
    with pytest.raises(ImportRowsError) as caught:
        list(utf8_lines(io.BytesIO(b"id\n\x00\x01\n")))
    assert caught.value.problems == ["line 2: this is not a text file (CSV)"]
