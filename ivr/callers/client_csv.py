"""Client CSV files: the import (streamed, all rows or none) and the export (formula-safe)."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

import redis
from pydantic import ValidationError

from ivr.callers import directory
from ivr.callers.csv_rows import Table, binary, utf8_lines, write_csv
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
# a Client field's dotted name -> the column it comes from, where they differ
_FIELDS = {"id": "client_id", "contract.end": "contract_end", "contract.start": "contract_start",
           "contract": "contract_start", "contract.level": "contract_level"}

# -- reading -----------------------------------------------------------------------------


def read_clients(lines: Iterable[str], agencies: Iterable[str] | None = None) -> Iterator[Client]:
    """Clients from CSV lines (comma or semicolon separated, as the header is), one at a time;
    every problem is gathered, with its line and column, and raised together (ImportRowsError)
    once the file is read. With `agencies`, a client's agency must be one of them."""
    table = Table(lines, COLUMNS, REQUIRED_COLUMNS, dates=("contract_start", "contract_end"),
                  formulas_allowed=("phones",))
    known_agencies = set(agencies) if agencies is not None else None
    seen: dict[str, int] = {}
    for count, row in enumerate(table.rows(), start=1):
        if count > MAX_ROWS:
            raise ImportRowsError([f"line {row.line}: more than {MAX_ROWS} clients in one file; "
                                   "split it"])
        cells = row.cells
        if cells["contract_start"] and not cells["contract_end"]:
            table.problem(row.line, "contract_start", "given without contract_end")
            continue
        try:
            client = Client.model_validate(_row_to_client(cells))
        except ValidationError as exc:
            table.invalid(row, exc, _FIELDS)
            continue
        if known_agencies is not None and client.agency not in known_agencies:
            table.problem(row.line, "agency", f"{client.agency!r} is not an agency of the flow "
                                              f"({', '.join(sorted(known_agencies))})")
            continue
        if client.id in seen:
            table.problem(row.line, "client_id", f"client {client.id} already on line "
                                                 f"{seen[client.id]}")
            continue
        seen[client.id] = row.line
        if not table.problems:
            yield client
    table.check()


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
        with binary(source) as handle, _Transaction(r) as transaction:
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


def _split(cell: str) -> list[str]:
    return [part.strip() for part in cell.split(";") if part.strip()]


def _row_to_client(cell: dict[str, str]) -> dict[str, Any]:
    contract: dict[str, str] | None = None
    if cell["contract_end"]:
        contract = {"end": cell["contract_end"], "level": cell["contract_level"] or "standard"}
        if cell["contract_start"]:
            contract["start"] = cell["contract_start"]
    return {
        "id": cell["client_id"],
        "company": cell["company"],
        "agency": cell["agency"].lower(),
        "language": cell["language"].lower() or "fr",
        "phones": _split(cell["phones"]),
        "licences": _split(cell["licences"]),
        "contract": contract,
        "products": _split(cell["products"]),
    }


# -- writing -----------------------------------------------------------------------------


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
