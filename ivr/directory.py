"""The client directory: clients, their maintenance contracts and phone numbers, in Redis."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any, Literal

import redis
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from ivr.exceptions import ImportRowsError
from ivr.phones import parse_phone

CLIENT_KEY = "ivr:client:{}"
PHONE_KEY = "ivr:phone:{}"
CLIENTS_KEY = "ivr:clients"
CLIENT_ID = r"^[0-9]{1,12}$"
COLUMNS = (
    "client_id", "company", "agency", "language", "phones", "licences",
    "contract_start", "contract_end", "contract_level", "products",
)
REQUIRED_COLUMNS = ("client_id", "company", "agency", "phones", "contract_end")
ContractState = Literal["active", "expiring", "expired", "none"]


class Contract(BaseModel):
    """A maintenance contract; it covers its end date."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    start: date | None = None
    end: date
    level: str = "standard"

    @model_validator(mode="after")
    def _ordered(self) -> Contract:
        if self.start and self.start > self.end:
            raise ValueError(f"starts ({self.start}) after it ends ({self.end})")
        return self

    def state(self, today: date, expiring_days: int) -> ContractState:
        if self.start and today < self.start:
            return "none"  # not current yet
        if self.end < today:
            return "expired"
        if (self.end - today).days <= expiring_days:
            return "expiring"
        return "active"


class Client(BaseModel):
    """A client of the vendor, as known to the hotline."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=CLIENT_ID)
    company: str = Field(min_length=1)
    agency: str = Field(pattern=r"^[a-z0-9_-]+$")
    language: Literal["fr", "en"] = "fr"
    phones: list[str] = []
    licences: list[str] = []
    contract: Contract | None = None
    products: list[str] = []

    @field_validator("phones")
    @classmethod
    def _e164(cls, values: list[str]) -> list[str]:
        parsed = []
        for value in values:
            number = parse_phone(value)
            if number is None:
                raise ValueError(f"not a valid phone number: {value!r}")
            parsed.append(number)
        return parsed

    def contract_state(self, today: date, expiring_days: int) -> ContractState:
        return self.contract.state(today, expiring_days) if self.contract else "none"

    def dumps(self) -> str:
        return self.model_dump_json()


def client_from_json(raw: str | bytes | None) -> Client | None:
    return Client.model_validate_json(raw) if raw else None


def get_client(r: redis.Redis, client_id: str) -> Client | None:
    return client_from_json(r.get(CLIENT_KEY.format(client_id)))


def clients_by_phone(r: redis.Redis, phone: str) -> list[Client]:
    return [Client.model_validate_json(v) for v in r.hgetall(PHONE_KEY.format(phone)).values()]


def all_clients(r: redis.Redis) -> list[Client]:
    ids = sorted(r.smembers(CLIENTS_KEY), key=lambda i: (len(i), i))
    raws = r.mget([CLIENT_KEY.format(i) for i in ids]) if ids else []
    return [Client.model_validate_json(raw) for raw in raws if raw]


def save_clients(r: redis.Redis, clients: Iterable[Client]) -> int:
    """Upsert clients in one transaction, keeping the phone index exact."""
    clients = list(clients)
    if not clients:
        return 0
    previous = r.mget([CLIENT_KEY.format(c.id) for c in clients])
    pipe = r.pipeline(transaction=True)
    for client, raw in zip(clients, previous, strict=True):
        old = client_from_json(raw)
        for phone in set(old.phones if old else []) - set(client.phones):
            pipe.hdel(PHONE_KEY.format(phone), client.id)
        pipe.set(CLIENT_KEY.format(client.id), client.dumps())
        for phone in client.phones:
            pipe.hset(PHONE_KEY.format(phone), client.id, client.dumps())
        pipe.sadd(CLIENTS_KEY, client.id)
    pipe.execute()
    return len(clients)


# -- CSV import --------------------------------------------------------------------------


def _split(cell: str | None) -> list[str]:
    return [part.strip() for part in (cell or "").split(";") if part.strip()]


def _row_to_client(row: dict[str, str]) -> dict[str, Any]:
    def cell(name: str) -> str:
        return (row.get(name) or "").strip()

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
        "phones": _split(row.get("phones")),
        "licences": _split(row.get("licences")),
        "contract": contract,
        "products": _split(row.get("products")),
    }


def _describe(error: Any) -> str:
    field = ".".join(str(p) for p in error["loc"]) or "row"
    field = {"id": "client_id", "contract.end": "contract_end",
             "contract.start": "contract_start"}.get(field, field)
    if field == "contract" and isinstance(error.get("input"), str):
        return str(error["input"])
    return f"{field}: {error['msg']}"


MAX_ROWS = 50_000
# a cell a spreadsheet would run as a formula (CSV injection); phones may start with '+'
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


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


def parse_csv(lines: Iterable[str], agencies: Iterable[str] | None = None,
              delimiter: str = ",") -> list[Client]:
    """Clients from a CSV export; any bad row refuses the whole file, each reported by line.
    With `agencies`, a client's agency must be one of them."""
    reader = csv.DictReader(lines, delimiter=delimiter)
    header = reader.fieldnames or []
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise ImportRowsError([f"line 1: missing column(s): {', '.join(missing)}"])
    unknown = [c for c in header if c not in COLUMNS]
    if unknown:
        raise ImportRowsError([f"line 1: unknown column(s): {', '.join(unknown)}"])
    known_agencies = set(agencies) if agencies is not None else None
    problems: list[str] = []
    clients: list[Client] = []
    seen: dict[str, int] = {}
    line = 1
    rows = []
    for count, row in enumerate(reader, 1):  # counted before any is checked: a file too big
        if count > MAX_ROWS:                 # is refused at once
            raise ImportRowsError([f"line {reader.line_num}: more than {MAX_ROWS} clients in "
                                   "one file; split it"])
        rows.append((reader.line_num, row))
    for line, row in rows:
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
        clients.append(client)
    if problems:
        raise ImportRowsError(problems)
    return clients


def read_csv(data: bytes, agencies: Iterable[str] | None = None) -> list[Client]:
    """Clients from the bytes of a CSV file (UTF-8, comma or semicolon separated)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ImportRowsError([f"line {line}: not UTF-8 text; export the file as "
                               "'CSV UTF-8'"]) from None
    if "\x00" in text:
        raise ImportRowsError(["line 1: this is not a text file (CSV)"])
    first = text.split("\n", 1)[0]
    return parse_csv(io.StringIO(text, newline=""), agencies, _delimiter(first))


def import_csv(r: redis.Redis, path: Path, agencies: Iterable[str] | None = None) -> int:
    """Upsert every client of a CSV file, or none of them."""
    return save_clients(r, read_csv(path.read_bytes(), agencies))


def client_summary(client: Client) -> dict[str, Any]:
    """What a call keeps of its identified client (no licences)."""
    return json.loads(client.model_dump_json(exclude={"licences"}))
