"""Software orders and their delivery dates, in Redis, with their CSV import and export."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import IO, Any

import redis
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ivr.callers.csv_rows import Table, binary, utf8_lines, write_csv
from ivr.callers.directory import CLIENT_ID

ORDERS_KEY = "maint:orders"  # hash: "client_id:order_id" -> the order as JSON
COLUMNS = ("client_id", "order_id", "product", "delivered_on")


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
    line and column ("line 3, column 4 (delivered_on): ...") and raised together
    (ImportRowsError). With `known_clients`, an order's client must be one of them."""
    table = Table(lines, COLUMNS, dates=("delivered_on",))
    found: list[Order] = []
    seen: dict[str, int] = {}
    for row in table.rows():
        try:
            order = Order.model_validate(row.cells)
        except ValidationError as exc:
            table.invalid(row, exc)
            continue
        if known_clients is not None and order.client_id not in known_clients:
            table.problem(row.line, "client_id", f"no client {order.client_id} in the directory")
            continue
        if order.key in seen:
            table.problem(row.line, "order_id", f"order {order.order_id} of client "
                                                f"{order.client_id} already on line "
                                                f"{seen[order.key]}")
            continue
        seen[order.key] = row.line
        found.append(order)
    table.check()
    return found


def read_file(source: Path | bytes, known_clients: set[str] | None = None) -> list[Order]:
    """Orders of a CSV file (a path, or the bytes of an upload), read as `read_orders`."""
    with binary(source) as handle:
        return read_orders(utf8_lines(handle), known_clients)


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


def of_client(r: redis.Redis, client_id: str) -> list[Order]:
    """A client's orders, by order id."""
    found = [Order.model_validate_json(raw)
             for _, raw in r.hscan_iter(ORDERS_KEY, match=f"{client_id}:*", count=1000)]
    return sorted((o for o in found if o.client_id == client_id), key=lambda o: o.order_id)


def any_order(r: redis.Redis) -> bool:
    return bool(r.exists(ORDERS_KEY))


def export_csv(r: redis.Redis, handle: IO[str]) -> int:
    """Every order, in the import's columns (cells neutralised for spreadsheets)."""
    return write_csv(handle, COLUMNS, ([o.client_id, o.order_id, o.product,
                                        o.delivered_on.isoformat()] for o in all_orders(r)))
