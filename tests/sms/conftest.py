"""The app served over HTTP with the local Twilio stand-in, for SMS sent and received through it;
jobs run by a real RQ worker (SimpleWorker, burst) in this process."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from ivr.local.simulator_local import LocalTwilio
from tests.standin import hotline


@pytest.fixture
def line(r, env, clock) -> Iterator[tuple[Any, LocalTwilio]]:  # type: ignore[no-untyped-def]
    with hotline({"TESTING": True, "CLOCK": clock, **env}) as (app, local):
        yield app.extensions["ivr"], LocalTwilio(local.url)


def eventually(check: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.02)
    raise AssertionError("not reached in time")


def sent_to(device: LocalTwilio, number: str) -> list[dict[str, Any]]:
    """The SMS sent to `number` through Messages.json, oldest first."""
    return [m for m in device.messages(number)
            if m["to"] == number and m["direction"] == "outbound-api"]
