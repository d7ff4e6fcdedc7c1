"""The demo data loaded into an empty Redis (`make run`, the test fixtures): clients, their
software orders, agents. The files' dates are written as seen on DEMO_DAY; `make run` moves
them by as many days as today is after it, so that on any day the demo has a worklist with
estimates due, one overdue (client 1002's renewal) and 1002 inside its 60-day window."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import date, datetime, timedelta

import redis

from ivr.callers import client_csv, directory
from ivr.callers.csv_rows import binary, utf8_lines
from ivr.callers.directory import Client
from ivr.centre import agents
from ivr.core.settings import PROJECT_ROOT
from maintenance import orders
from maintenance.orders import Order

log = logging.getLogger(__name__)
DEMO_CLIENTS = PROJECT_ROOT / "config" / "demo_clients.csv"
DEMO_AGENTS = PROJECT_ROOT / "config" / "demo_agents.csv"
DEMO_ORDERS = PROJECT_ROOT / "config" / "demo_orders.csv"
DEMO_DAY = date(2026, 12, 7)  # a Monday: the day the demo files' dates are written for


def shifted_clients(clients: Iterable[Client], days: int) -> list[Client]:
    """The clients with their contract dates `days` later."""
    moved = []
    for client in clients:
        contract = client.contract
        if contract is not None and days:
            contract = contract.model_copy(update={
                "start": contract.start + timedelta(days) if contract.start else None,
                "end": contract.end + timedelta(days)})
        moved.append(client.model_copy(update={"contract": contract}))
    return moved


def shifted_orders(found: Iterable[Order], days: int) -> list[Order]:
    """The orders delivered `days` later."""
    return [o.model_copy(update={"delivered_on": o.delivered_on + timedelta(days)})
            for o in found]


def load(r: redis.Redis, now: datetime, today: date | None = None) -> None:
    """Load the demo clients and orders when Redis has none, the demo agents when the roster
    is empty; with `today`, every date moved by (today - DEMO_DAY)."""
    days = (today - DEMO_DAY).days if today else 0
    if not r.exists(directory.CLIENTS_KEY):
        with binary(DEMO_CLIENTS) as handle:
            demo = client_csv.parse_csv(utf8_lines(handle))
        count = directory.save_clients(r, shifted_clients(demo, days))
        log.info("loaded %d demo clients from %s, dates %+d day(s)", count, DEMO_CLIENTS.name,
                 days)
    if not orders.any_order(r):
        known = {client.id for client in directory.all_clients(r)}
        found = [o for o in orders.read_file(DEMO_ORDERS) if o.client_id in known]
        count = orders.save(r, shifted_orders(found, days))
        log.info("loaded %d demo orders from %s, dates %+d day(s)", count, DEMO_ORDERS.name,
                 days)
    count = agents.load_demo(r, DEMO_AGENTS, now)
    if count:
        log.info("loaded %d demo agents from %s (on a break)", count, DEMO_AGENTS.name)
