"""Client CSV files: the import (streamed, all rows or none) and the export (formula-safe)."""

from __future__ import annotations

import csv
import io
import itertools
import re
import secrets
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

import redis
from pydantic import ValidationError

from ivr.callers import directory
from ivr.callers.directory import Client
from ivr.core.exceptions import ImportRowsError, IvrError

COLUMNS = (
    "client_id", "company", "agency", "language", "phones", "licences",
    "contract_start", "contract_end", "contract_level", "products",
)
REQUIRED_COLUMNS = ("client_id", "company", "agency", "phones", "contract_end")
MAX_ROWS = 1_000_000  # a file is streamed, so only Redis's memory bounds this
BATCH = 2000  # clients sent to Redis at a time
EXEC_TIMEOUT = 300  # seconds Redis may take to apply a whole file
MAX_PROBLEMS = 200  # problems reported for one file; the count says how many more
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # what spreadsheets read as a formula
_PLAIN_NUMBER = re.compile(r"[+-]?[0-9][0-9 .()-]*")  # a phone number, say: no formula in it
_PLAIN_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


# -- reading -----------------------------------------------------------------------------


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


def read_clients(lines: Iterable[str], agencies: Iterable[str] | None = None) -> Iterator[Client]:
    """Clients from CSV lines (comma or semicolon separated, as the header is), one at a time;
    every problem is gathered, with its line, and raised together (ImportRowsError) once the
    file is read. With `agencies`, a client's agency must be one of them."""
    lines = iter(lines)
    first = next(lines, "")
    reader = csv.DictReader(itertools.chain([first], lines), delimiter=_delimiter(first))
    problems: list[str] = []
    try:
        header = reader.fieldnames or []
    except csv.Error as exc:
        raise ImportRowsError([f"line 1: {_csv_problem(exc)}"]) from None
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise ImportRowsError([f"line 1: missing column(s): {', '.join(missing)}"])
    unknown = [c for c in header if c not in COLUMNS]
    if unknown:
        raise ImportRowsError([f"line 1: unknown column(s): {', '.join(unknown)}"])
    known_agencies = set(agencies) if agencies is not None else None
    seen: dict[str, int] = {}
    for count in itertools.count(1):
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:  # the DictReader's own line count lags behind on an error
            problems.append(f"line {reader.reader.line_num}: {_csv_problem(exc)}")
            break  # the reader cannot find the next row's start reliably after this
        line = reader.line_num
        if count > MAX_ROWS:
            raise ImportRowsError([f"line {line}: more than {MAX_ROWS} clients in one file; "
                                   "split it"])
        if None in row:
            problems.append(f"line {line}: more cells than columns")
            continue
        cell_problems = _cell_problems(row, line)
        if cell_problems:
            problems.extend(cell_problems)
            continue
        try:
            client = Client.model_validate(_row_to_client(row))
        except ValidationError as exc:
            problems.extend(f"line {line}: {_describe(e)}" for e in exc.errors())
            continue
        if known_agencies is not None and client.agency not in known_agencies:
            problems.append(f"line {line}: agency: {client.agency!r} is not an agency of the "
                            f"flow ({', '.join(sorted(known_agencies))})")
            continue
        if client.id in seen:
            problems.append(f"line {line}: client_id {client.id} already on line {seen[client.id]}")
            continue
        seen[client.id] = line
        if not problems:
            yield client
    if problems:
        raise ImportRowsError(_bounded(problems))


def parse_csv(lines: Iterable[str], agencies: Iterable[str] | None = None) -> list[Client]:
    """Every client of a (small) CSV text; any bad row refuses the whole of it."""
    return list(read_clients(lines, agencies))


def import_csv(r: redis.Redis, source: Path | bytes,
               agencies: Iterable[str] | None = None) -> int:
    """Upsert every client of a CSV file (a path, or the bytes of an upload), or none of them.

    The file is streamed, never held in memory: each row is checked and, while the file has
    shown no problem, sent in batches inside one Redis transaction (MULTI ... EXEC). Only once
    every row has been read and found good does EXEC apply them all at once; a file with a bad
    row, or an import cut short, is discarded and changes nothing.
    """
    token = secrets.token_hex(8)
    if not directory.import_lock(r, token, seconds=600):
        raise IvrError("another client import is running; try again when it has finished")
    count = 0
    try:
        with _binary(source) as handle, _Transaction(r) as transaction:
            batch: list[Client] = []
            for client in read_clients(utf8_lines(handle), agencies):
                batch.append(client)
                if len(batch) == BATCH:
                    transaction.send(batch)
                    count += len(batch)
                    batch = []
            if batch:
                transaction.send(batch)
                count += len(batch)
    finally:
        directory.import_unlock(r, token)
    return count


def _binary(source: Path | bytes) -> IO[bytes]:
    return io.BytesIO(source) if isinstance(source, bytes) else source.open("rb")


class _Transaction:
    """One MULTI ... EXEC whose commands are sent batch by batch on one held connection (a
    redis-py pipeline would keep every command of the file in memory until it executes)."""

    def __init__(self, r: redis.Redis) -> None:
        self.redis = r
        self.connection: Any = None
        self.queued: list[tuple[Any, ...]] = []

    def __enter__(self) -> _Transaction:
        self.connection = self.redis.connection_pool.get_connection()
        self._call(("MULTI",))
        return self

    def send(self, clients: list[Client]) -> None:
        directory.upsert_commands(self.redis, clients, self)
        connection = self.connection
        connection.send_packed_command([_pack(self.queued)])
        replies = [connection.read_response() for _ in self.queued]
        self.queued = []
        refused = [reply for reply in replies if isinstance(reply, Exception)]
        if refused:
            raise refused[0]

    def __exit__(self, kind: object, error: object, trace: object) -> None:
        try:
            if error is None:
                # Redis applies the whole file now: its reply may take a while
                for reply in self._call(("EXEC",), timeout=EXEC_TIMEOUT) or []:
                    if isinstance(reply, Exception):
                        raise reply
                return
            # closing the connection drops the MULTI and all it queued, in any state
            self.connection.disconnect()
        except BaseException:
            self.connection.disconnect()  # never back in the pool in the middle of a MULTI
            raise
        finally:
            self.redis.connection_pool.release(self.connection)

    def _call(self, command: tuple[Any, ...], timeout: float | None = None) -> Any:
        self.connection.send_command(*command)
        if timeout is None:
            return self.connection.read_response()
        return self.connection.read_response(timeout=timeout)

    # the write commands directory.upsert_commands queues
    def mset(self, mapping: dict[str, str]) -> None:
        self.queued.append(("MSET", *(part for item in mapping.items() for part in item)))

    def eval(self, *args: Any) -> None:
        self.queued.append(("EVAL", *args))

    def sadd(self, *args: Any) -> None:
        self.queued.append(("SADD", *args))


def _pack(commands: list[tuple[Any, ...]]) -> bytes:
    """Commands in Redis's protocol (RESP). redis-py's own packer spends a quarter of a large
    import's time on the arguments of a few big commands; these are only text and numbers."""
    out: list[bytes] = []
    for command in commands:
        out.append(b"*%d\r\n" % len(command))
        for arg in command:
            data = arg if isinstance(arg, bytes) else str(arg).encode()
            out.append(b"$%d\r\n%b\r\n" % (len(data), data))
    return b"".join(out)


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


def _cell_problems(row: dict[str, str], line: int) -> list[str]:
    problems = []
    for column, value in row.items():
        text = (value or "").strip() if column != "phones" else ""
        if text.startswith(FORMULA_START) and column in COLUMNS:
            problems.append(f"line {line}: {column}: starts with {text[0]!r}, which a spreadsheet "
                            "would run as a formula; remove it")
    for column in ("contract_start", "contract_end"):
        text = (row.get(column) or "").strip()
        if text and not _PLAIN_DATE.match(text):
            problems.append(f"line {line}: {column}: date must be YYYY-MM-DD, got {text[:20]!r}")
    return problems


def _cell(row: dict[str, str], name: str) -> str:
    return (row.get(name) or "").strip()


def _split(cell: str) -> list[str]:
    return [part.strip() for part in cell.split(";") if part.strip()]


def _row_to_client(row: dict[str, str]) -> dict[str, Any]:
    cell = {name: _cell(row, name) for name in COLUMNS}.__getitem__

    contract: dict[str, str] | str | None = None
    if cell("contract_start") and not cell("contract_end"):
        contract = "contract_start is given without contract_end"
    elif cell("contract_end"):
        contract = {"end": cell("contract_end"), "level": cell("contract_level") or "standard"}
        if cell("contract_start"):
            contract["start"] = cell("contract_start")
    return {
        "id": cell("client_id"),
        "company": cell("company"),
        "agency": cell("agency").lower(),
        "language": cell("language").lower() or "fr",
        "phones": _split(cell("phones")),
        "licences": _split(cell("licences")),
        "contract": contract,
        "products": _split(cell("products")),
    }


def _describe(error: Any) -> str:
    field = ".".join(str(p) for p in error["loc"]) or "row"
    field = {"id": "client_id", "contract.end": "contract_end",
             "contract.start": "contract_start"}.get(field, field)
    if field == "contract" and isinstance(error.get("input"), str):
        return str(error["input"])
    return f"{field}: {error['msg']}"


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


def export_csv(r: redis.Redis, handle: IO[str]) -> int:
    """Every client, in the import's columns."""
    def rows() -> Iterator[list[object]]:
        for client in directory.all_clients(r):
            contract = client.contract
            yield [client.id, client.company, client.agency, client.language,
                   ";".join(client.phones), ";".join(client.licences),
                   contract.start if contract and contract.start else "",
                   contract.end if contract else "", contract.level if contract else "",
                   ";".join(client.products)]

    return write_csv(handle, COLUMNS, rows())
