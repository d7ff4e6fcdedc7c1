"""Software orders and their delivery dates, in Redis, with their CSV import and export."""

from __future__ import annotations

import csv
import itertools
from collections.abc import Iterable, Iterator
from datetime import date
from typing import IO, Any

import redis
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ivr.callers.client_csv import FORMULA_START, write_csv
from ivr.callers.directory import CLIENT_ID
from ivr.core.exceptions import ImportRowsError

ORDERS_KEY = "maint:orders"  # hash: "client_id:order_id" -> the order as JSON
COLUMNS = ("client_id", "order_id", "product", "delivered_on")
MAX_PROBLEMS = 200


class Order(BaseModel):
    """A software order of a client, delivered on a day."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    client_id: str = Field(pattern=CLIENT_ID)
    order_id: str = Field(pattern=r"^[A-Za-z0-9_-]{1,40}$")
    product: str = Field(min_length=1, max_length=200)
    delivered_on: date

    @property
    def key(self) -> str:
        return f"{self.client_id}:{self.order_id}"


def read_orders(lines: Iterable[str], known_clients: set[str] | None = None) -> list[Order]:
    """Orders of CSV lines (comma or semicolon separated); every problem is gathered with its
    line and column ("line 3, column 4 (delivered_on): ...") and raised together."""
    lines = iter(lines)
    first = next(lines, "").removeprefix("\ufeff")
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(itertools.chain([first], lines), delimiter=delimiter)
    try:
        header = [name.strip() for name in next(reader, [])]
    except csv.Error as exc:
        raise ImportRowsError([f"line 1: not valid CSV ({exc})"]) from None
    missing = [c for c in COLUMNS if c not in header]
    unknown = [c for c in header if c not in COLUMNS]
    if missing or unknown:
        what = [f"missing column(s): {', '.join(missing)}"] if missing else []
        what += [f"unknown column(s): {', '.join(unknown)}"] if unknown else []
        raise ImportRowsError([f"line 1: {'; '.join(what)}"])
    position = {name: header.index(name) + 1 for name in COLUMNS}
    problems: list[str] = []
    orders: list[Order] = []
    seen: dict[str, int] = {}
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            problems.append(f"line {reader.line_num}: not valid CSV ({exc})")
            break
        line = reader.line_num
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != len(header):
            problems.append(f"line {line}: {len(cells)} cells for {len(header)} columns")
            continue
        row = {name: cells[position[name] - 1].strip() for name in COLUMNS}
        formulas = [name for name in COLUMNS if row[name].startswith(FORMULA_START)]
        if formulas:
            problems.extend(f"line {line}, column {position[name]} ({name}): starts with "
                            f"{row[name][0]!r}, which a spreadsheet would run as a formula; "
                            "remove it" for name in formulas)
            continue
        try:
            order = Order.model_validate(row)
        except ValidationError as exc:
            for error in exc.errors():
                name = str(error["loc"][0])
                problems.append(f"line {line}, column {position[name]} ({name}): "
                                f"{error['msg']}, got {row[name][:40]!r}")
            continue
        if known_clients is not None and order.client_id not in known_clients:
            problems.append(f"line {line}, column {position['client_id']} (client_id): "
                            f"no client {order.client_id} in the directory")
            continue
        if order.key in seen:
            problems.append(f"line {line}, column {position['order_id']} (order_id): order "
                            f"{order.order_id} of client {order.client_id} already on line "
                            f"{seen[order.key]}")
            continue
        seen[order.key] = line
        orders.append(order)
    if problems:
        extra = len(problems) - MAX_PROBLEMS
        raise ImportRowsError(problems[:MAX_PROBLEMS]
                              + ([f"... and {extra} more problem(s)"] if extra > 0 else []))
    return orders


def text_lines(data: bytes) -> Iterator[str]:
    """The lines of an uploaded file; one that is not UTF-8 is named."""
    for number, raw in enumerate(data.splitlines(keepends=True), start=1):
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError:
            raise ImportRowsError([f"line {number}: not UTF-8 text; export the file as "
                                   "'CSV UTF-8'"]) from None


def save(r: redis.Redis, orders: Iterable[Order]) -> int:
    """Upsert orders in one write."""
    values: dict[Any, Any] = {o.key: o.model_dump_json() for o in orders}
    if values:
        r.hset(ORDERS_KEY, mapping=values)
    return len(values)


def all_orders(r: redis.Redis) -> list[Order]:
    """Every order, by client then order id."""
    found = [Order.model_validate_json(raw) for raw in r.hvals(ORDERS_KEY)]
    return sorted(found, key=lambda o: (len(o.client_id), o.client_id, o.order_id))


def any_order(r: redis.Redis) -> bool:
    return bool(r.exists(ORDERS_KEY))


def export_csv(r: redis.Redis, handle: IO[str]) -> int:
    """Every order, in the import's columns (cells neutralised for spreadsheets)."""
    return write_csv(handle, COLUMNS, ([o.client_id, o.order_id, o.product,
                                        o.delivered_on.isoformat()] for o in all_orders(r)))
