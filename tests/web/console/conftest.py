"""The console's tests read durations off the pages: their clock moves only when told."""

from __future__ import annotations

import pytest

from ivr.core.clock import Clock
from tests.conftest import MONDAY_MORNING


@pytest.fixture
def clock() -> Clock:
    return Clock(MONDAY_MORNING, frozen=True)
