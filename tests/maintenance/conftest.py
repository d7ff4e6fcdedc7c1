"""The maintenance follow-up on a frozen clock and a small directory of the test's own."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from flask import Flask
from rq import Queue

from ivr.admin.clients import import_clients
from ivr.centre.jobs import HotlineSimpleWorker
from ivr.core.clock import Clock
from maintenance import orders
from tests.conftest import PARIS

# Monday 7 December 2026, 07:00 in Paris: after the daily job's 06:00
MORNING = datetime(2026, 12, 7, 7, 0, tzinfo=PARIS)

CLIENTS = """client_id,company,agency,phones,contract_start,contract_end
2001,Paris Un,paris,,2024-01-01,2027-02-23
2002,Paris Deux,paris,,2024-01-01,2027-02-28
2003,Paris Trois,paris,,2024-01-01,2027-03-08
2004,Rennes Quatre,rennes,,2024-01-01,2027-01-15
2005,Alsace Cinq,alsace,,2024-01-01,2027-02-24
2006,Lyon Six,lyon,,2024-01-01,2026-11-30
2007,Lille Sept,lille,,,
2008,Lyon Huit,lyon,,2024-01-01,2030-12-31
"""

ORDERS = """client_id,order_id,product,delivered_on
2008,O1,SEE Electrical,2026-11-22
2001,O2,SEE Electrical,2026-11-21
2007,O3,SEE Automation,2026-11-28
2005,O4,SEE Electrical PLM,2026-12-08
2003,O5,SEE Electrical Expert,2026-12-07
"""


@pytest.fixture
def clock() -> Clock:
    """Frozen: time moves only when a test moves it."""
    return Clock(MORNING, frozen=True)


@pytest.fixture
def env(env: dict[str, str]) -> dict[str, str]:
    return {**env, "IVR_DEMO_DATA": "false"}


@pytest.fixture
def service(app: Flask) -> Iterator[Any]:
    """The app's service, also the one the test's worker runs jobs with, with the small
    directory."""
    found = app.extensions["ivr"]
    import_clients(found, CLIENTS.encode(), "clients.csv", "system")
    # saved as they are, not imported: an import builds the worklists, the job must here
    orders.save(found.redis, orders.read_orders(ORDERS.splitlines(True)))
    yield found


def run_jobs(service: Any) -> None:
    """Work the job queue until it is empty, in a real RQ worker."""
    queue = Queue("callbacks", connection=service.job_queue.connection)
    HotlineSimpleWorker([queue], connection=queue.connection, service=service).work(burst=True)
