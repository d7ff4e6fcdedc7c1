"""The app's clock: shifted real time, or frozen for tests."""

from __future__ import annotations

from datetime import timedelta

from ivr.core.clock import Clock
from tests.conftest import MONDAY_MORNING


def test_a_frozen_clock_moves_only_when_told():
    clock = Clock(MONDAY_MORNING, frozen=True)
    assert clock.now() == MONDAY_MORNING
    assert clock.now() == MONDAY_MORNING
    clock.advance(timedelta(seconds=90))
    assert clock.now() == MONDAY_MORNING + timedelta(seconds=90)
    clock.set(MONDAY_MORNING + timedelta(days=1))
    assert clock.now() == MONDAY_MORNING + timedelta(days=1)


def test_a_shifted_clock_starts_at_the_instant_and_runs():
    clock = Clock(MONDAY_MORNING)
    elapsed = clock.now() - MONDAY_MORNING
    assert timedelta(0) <= elapsed < timedelta(seconds=5)
