"""The demo data as `make run` loads it: every date moved by (today - 7 December 2026), so the
worklist on any day has estimates due, client 1002's renewal overdue, and 1002 inside its
60-day renewal window. Dates computed by hand below."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

import pytest

from ivr.callers import directory
from ivr.core.clock import Clock
from ivr.core.settings import load_settings
from ivr.services.demo import DEMO_DAY, shifted_clients, shifted_orders
from ivr.services.hotline import Hotline
from maintenance import actions, orders, store
from tests.conftest import PARIS


@pytest.fixture
def on_day(r, env) -> Iterator[Any]:  # type: ignore[no-untyped-def]
    """A service on a frozen clock at 07:00 Paris on a day, its demo loaded as `make run`."""
    made: list[Hotline] = []

    def start(day: date, demo_today: bool = True) -> Hotline:
        at = datetime(day.year, day.month, day.day, 7, 0, tzinfo=PARIS)
        service = Hotline(load_settings(env), clock=Clock(at, frozen=True), r=r)
        service.prepare(demo_today=demo_today)
        made.append(service)
        return service

    yield start
    for service in made:
        service.close()


def worklist(service: Hotline) -> list[tuple[str, str, bool]]:
    actions.build(service)
    today = actions.today(service)
    return [(i.id, i.due.isoformat(), i.overdue(today))
            for i in actions.agency_items(service, None)]


def test_on_wednesday_10_march_2027_the_dates_are_93_days_later(on_day):
    service = on_day(date(2027, 3, 10))
    assert worklist(service) == [
        # 1002's contract ends 15 January + 93 = Sunday 18 April; - 60 = Wednesday 17 February
        ("renewal-1002-2027-04-18", "2027-02-17", True),
        # delivered 27 November + 93 = Sunday 28 February; + 15 = Monday 15 March
        ("delivery-1001-CMD-2026-0412", "2027-03-15", False),
        # 1 December + 93 = Thursday 4 March; + 15 = Friday 19 March
        ("delivery-1007-CMD-2026-0440", "2027-03-19", False),
        # 4 December + 93 = Sunday 7 March; + 15 = Monday 22 March
        ("delivery-1005-CMD-2026-0431", "2027-03-22", False),
    ]  # 1006's order (10 November + 93 = 11 February) ended its 15 days on 26 February
    client = directory.get_client(service.redis, "1002")
    assert (client.contract.start, client.contract.end) == (date(2024, 4, 18), date(2027, 4, 18))
    assert client.contract_state(date(2027, 3, 10), 60) == "expiring"  # 39 days left
    assert directory.get_client(service.redis, "1003").contract_state(
        date(2027, 3, 10), 60) == "expired"


def test_on_saturday_14_august_2027_the_dates_are_250_days_later(on_day):
    service = on_day(date(2027, 8, 14))
    assert worklist(service) == [
        # ends 15 January + 250 = Wednesday 22 September; - 60 = Saturday 24 July -> Friday 23
        ("renewal-1002-2027-09-22", "2027-07-23", True),
        # delivered 27 November + 250 = Wednesday 4 August; + 15 = Thursday 19 August
        ("delivery-1001-CMD-2026-0412", "2027-08-19", False),
        # 1 December + 250 = Sunday 8 August; + 15 = Monday 23 August
        ("delivery-1007-CMD-2026-0440", "2027-08-23", False),
        # 4 December + 250 = Wednesday 11 August; + 15 = Thursday 26 August
        ("delivery-1005-CMD-2026-0431", "2027-08-26", False),
    ]
    assert directory.get_client(service.redis, "1002").contract_state(
        date(2027, 8, 14), 60) == "expiring"


def test_without_demo_today_the_files_dates_are_kept(on_day):
    """The test fixtures and `ivr` commands other than `ivr run`: the dates as written."""
    service = on_day(date(2027, 3, 10), demo_today=False)
    assert directory.get_client(service.redis, "1002").contract.end == date(2027, 1, 15)
    assert [o.delivered_on.isoformat() for o in orders.of_client(service.redis, "1001")] == [
        "2026-11-27"]
    assert store.items(service.redis) == []  # nothing built by the load itself


def test_a_loaded_demo_is_never_moved_again(on_day):
    on_day(date(2027, 3, 10))
    later = on_day(date(2027, 8, 14))
    assert directory.get_client(later.redis, "1002").contract.end == date(2027, 4, 18)


def test_the_shift_moves_contract_and_delivery_dates_only(on_day):
    service = on_day(DEMO_DAY, demo_today=False)
    clients = directory.all_clients(service.redis)
    moved = shifted_clients(clients, 3)
    assert [c.contract.end if c.contract else None for c in moved] == [
        date(2031, 1, 3), date(2027, 1, 18), date(2026, 11, 3), None, date(2031, 1, 3),
        date(2031, 1, 3), date(2031, 1, 3)]
    assert [c.model_dump(exclude={"contract"}) for c in moved] == [
        c.model_dump(exclude={"contract"}) for c in clients]
    [order] = shifted_orders(orders.of_client(service.redis, "1005"), -4)
    assert (order.order_id, order.delivered_on) == ("CMD-2026-0431", date(2026, 11, 30))
