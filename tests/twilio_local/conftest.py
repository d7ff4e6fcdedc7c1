"""Fixtures: the stand-in as a real HTTP server, calling a customer app written in the test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ivr.simulator_local import LocalTwilio
from ivr.twilio_local import TwilioLocal
from tests.standin import Customer, serve_customer, stand_in


@pytest.fixture
def customer() -> Iterator[Customer]:
    with serve_customer() as found:
        yield found


@pytest.fixture
def local(customer: Customer) -> Iterator[TwilioLocal]:
    with stand_in(customer.url) as found:
        yield found


@pytest.fixture
def device(local: TwilioLocal) -> LocalTwilio:
    return LocalTwilio(local.url)
