"""Fixtures: the stand-in as a real HTTP server, calling a customer app written in the test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from twilio.rest import Client

from ivr.local.simulator_local import LocalTwilio
from ivr.local.twilio import TwilioLocal
from tests.standin import Customer, rest_client, serve_customer, stand_in


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


@pytest.fixture
def timed_device(customer: Customer) -> Iterator[LocalTwilio]:
    """For tests that measure simulated durations: one simulated second lasts 50 ms, so that
    a machine busy with other work stalls a call by fewer simulated seconds."""
    with stand_in(customer.url, scale=0.05) as found:
        yield LocalTwilio(found.url)


@pytest.fixture
def rest(local: TwilioLocal) -> Client:
    """twilio's own REST client, pointed at the stand-in."""
    return rest_client(local)
