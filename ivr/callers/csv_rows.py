"""The directory's CSV files (clients, orders): read row by row, every problem named by its line
and column and raised together; written with cells no spreadsheet runs as formulas."""

from __future__ import annotations

import csv
import io
import itertools
import re
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from pydantic import ValidationError

from ivr.core.exceptions import ImportRowsError

MAX_PROBLEMS = 200  # problems reported for one file; the count says how many more
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # what spreadsheets read as a formula
_PLAIN_NUMBER = re.compile(r"[+-]?[0-9][0-9 .()-]*")  # a phone number, say: no formula in it
_PLAIN_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


# -- reading -----------------------------------------------------------------------------


def binary(source: Path | bytes) -> IO[bytes]:
    """A file to read: a path, or the bytes of an upload."""
    return io.BytesIO(source) if isinstance(source, bytes) else source.open("rb")


def utf8_lines(handle: IO[bytes]) -> Iterator[str]:
    """The lines of a binary stream as text, one at a time; a line that is not UTF-8 text is
    named."""
    for number, raw in enumerate(handle, start=1):
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise ImportRowsError([f"line {number}: not UTF-8 text; export the file as "
                                   "'CSV UTF-8'"]) from None
        if "\x00" in line:
            raise ImportRowsError([f"line {number}: this is not a text file (CSV)"])
        yield line.removeprefix("\ufeff") if number == 1 else line


@dataclass(frozen=True)
class Row:
    """A row of a file: its line, and the text of every known column ('' when the file has
    no such column)."""

    line: int
    cells: dict[str, str]


class Table:
    """A CSV text (comma or semicolon separated, as its header is) of known `columns`, read
    one row at a time. The header is checked at once (ImportRowsError); a row's problems are
    gathered in `problems`, each as "line L, column C (name): what", and `check()` raises them
    all together once the file is read."""

    def __init__(self, lines: Iterable[str], columns: Sequence[str],
                 required: Collection[str] | None = None, dates: Collection[str] = (),
                 formulas_allowed: Collection[str] = ()) -> None:
        lines = iter(lines)
        first = next(lines, "")
        self._reader = csv.reader(itertools.chain([first], lines), delimiter=_delimiter(first))
        try:
            header = [name.strip() for name in next(self._reader, [])]
        except csv.Error as exc:
            raise ImportRowsError([f"line 1: {_csv_problem(exc)}"]) from None
        required = columns if required is None else required
        missing = [c for c in columns if c in required and c not in header]
        unknown = [c for c in header if c not in columns]
        twice = sorted({c for c in header if header.count(c) > 1})
        what = [f"missing column(s): {', '.join(missing)}"] if missing else []
        what += [f"unknown column(s): {', '.join(unknown)}"] if unknown else []
        what += [f"column(s) given twice: {', '.join(twice)}"] if twice else []
        if what:
            raise ImportRowsError([f"line 1: {'; '.join(what)}"])
        self.columns = tuple(columns)
        self.header = header
        self.position = {name: number for number, name in enumerate(header, start=1)}
        self.dates = tuple(dates)
        self.formulas_allowed = frozenset(formulas_allowed)
        self.problems: list[str] = []

    def rows(self) -> Iterator[Row]:
        """Each row with as many cells as the header, no formula and plain dates; a blank row
        is skipped, any other is a problem."""
        while True:
            try:
                cells = next(self._reader)
            except StopIteration:
                return
            except csv.Error as exc:
                self.problems.append(f"line {self._reader.line_num}: {_csv_problem(exc)}")
                return  # the reader cannot find the next row's start reliably after this
            line = self._reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) != len(self.header):
                self.problem(line, None, f"{len(cells)} cells for {len(self.header)} columns")
                continue
            row = dict.fromkeys(self.columns, "")
            row.update(zip(self.header, (cell.strip() for cell in cells), strict=True))
            if not self._cell_problems(line, row):
                yield Row(line, row)

    def problem(self, line: int, column: str | None, text: str) -> None:
        """A problem of a row, at a column when it is one of the file's."""
        if column in self.position:
            self.problems.append(f"line {line}, column {self.position[column]} ({column}): {text}")
        else:
            self.problems.append(f"line {line}: {text}")

    def invalid(self, row: Row, error: ValidationError,
                fields: Mapping[str, str] | None = None) -> None:
        """A model's refusal of a row, each error at its column (`fields`: a model field's
        dotted name -> its column, when they differ)."""
        for found in error.errors():
            field = ".".join(str(part) for part in found["loc"])
            column = (fields or {}).get(field, field)
            got = f", got {row.cells[column][:40]!r}" if column in row.cells else ""
            self.problem(row.line, column, f"{found['msg']}{got}")

    def check(self) -> None:
        """Raise every problem found so far (ImportRowsError), at most MAX_PROBLEMS of them."""
        if self.problems:
            raise ImportRowsError(_bounded(self.problems))

    def _cell_problems(self, line: int, row: dict[str, str]) -> bool:
        found = False
        for column, text in row.items():
            if text.startswith(FORMULA_START) and column not in self.formulas_allowed:
                self.problem(line, column, f"starts with {text[0]!r}, which a spreadsheet "
                                           "would run as a formula; remove it")
                found = True
            elif column in self.dates and text and not _PLAIN_DATE.match(text):
                self.problem(line, column, f"date must be YYYY-MM-DD, got {text[:20]!r}")
                found = True
        return found


def _csv_problem(error: csv.Error) -> str:
    text = str(error)
    if "field larger than field limit" in text:
        return f"a cell is longer than {csv.field_size_limit()} characters"
    return f"not valid CSV ({text})"


def _bounded(problems: list[str]) -> list[str]:
    if len(problems) <= MAX_PROBLEMS:
        return problems
    return problems[:MAX_PROBLEMS] + [f"... and {len(problems) - MAX_PROBLEMS} more problem(s)"]


def _delimiter(first_line: str) -> str:
    """',' or ';' (as French spreadsheets export CSV), whichever the header uses."""
    return ";" if first_line.count(";") > first_line.count(",") else ","


# -- writing -----------------------------------------------------------------------------


def neutral(value: object) -> str:
    """A cell as text that no spreadsheet runs as a formula: one that starts like a formula
    (=, +, -, @, tab, CR) is prefixed with an apostrophe (OWASP's CSV injection advice), unless
    it is only a number (a phone number such as +33144001001 stays as it is)."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_START) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def write_csv(handle: IO[str], header: Iterable[str], rows: Iterable[Iterable[object]]) -> int:
    """Write a CSV file for spreadsheets, every cell neutralised; the number of rows written.
    Every CSV the project writes goes through here."""
    writer = csv.writer(handle)
    writer.writerow([neutral(name) for name in header])
    count = 0
    for row in rows:
        writer.writerow([neutral(cell) for cell in row])
        count += 1
    return count
