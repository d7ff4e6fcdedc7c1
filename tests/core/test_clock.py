"""The app's clock: shifted real time, sped up for benches, or frozen for tests."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from ivr.core.clock import Clock
from ivr.core.exceptions import ClockError
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


def test_a_scaled_clock_runs_scale_times_faster_from_its_start():
    start = time.time()
    clock = Clock.shifted(0.0, scale=60, start=start)
    before, real_before = clock.now(), time.monotonic()
    time.sleep(0.2)
    ran, real = clock.now() - before, time.monotonic() - real_before
    # 60 simulated seconds per real second, within the time taken by the reads themselves
    assert timedelta(seconds=60 * 0.2) <= ran <= timedelta(seconds=60 * real + 0.5)


def test_processes_given_the_same_start_scale_and_shift_agree():
    start = time.time() - 100  # the run began 100 real seconds ago
    shift = (MONDAY_MORNING - datetime.fromtimestamp(start, UTC)).total_seconds()
    one = Clock.shifted(shift, scale=20, start=start)
    other = Clock.shifted(shift, scale=20, start=start)
    assert abs(one.now() - other.now()) < timedelta(seconds=1)
    # 100 real seconds at 20 simulated seconds each since the run's Monday 09:00
    elapsed = one.now() - MONDAY_MORNING
    assert timedelta(seconds=2000) <= elapsed < timedelta(seconds=2000 + 20 * 5)


def test_a_scaled_clock_can_be_set_and_advanced():
    clock = Clock.shifted(0.0, scale=60, start=time.time())
    clock.set(MONDAY_MORNING)
    assert timedelta(0) <= clock.now() - MONDAY_MORNING < timedelta(seconds=60 * 5)
    clock.advance(timedelta(hours=1))
    assert timedelta(hours=1) <= clock.now() - MONDAY_MORNING < timedelta(hours=1, minutes=5)


def test_scale_one_is_the_shifted_real_clock():
    clock = Clock.shifted(3600.0, scale=1)
    moved = clock.now() - datetime.now(UTC)
    assert timedelta(minutes=59) < moved <= timedelta(hours=1)
    assert clock.scale == 1.0


def test_a_scaled_clock_needs_a_positive_scale_and_its_start():
    with pytest.raises(ClockError, match="scale must be positive, got 0"):
        Clock.shifted(0.0, scale=0, start=time.time())
    with pytest.raises(ClockError, match="needs the real instant it starts from"):
        Clock.shifted(0.0, scale=60)
