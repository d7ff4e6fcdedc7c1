"""The service's clock: real time, or real time shifted for simulated calls and tests, or
(tests) a frozen time that moves only when told."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ivr.core.exceptions import ClockError


class Clock:
    """Aware UTC `now()`, optionally shifted so that it started at a chosen instant."""

    def __init__(self, at: datetime | None = None, frozen: bool = False) -> None:
        self.offset = timedelta(0)
        self.frozen = frozen  # tests: time moves only by `set` and `advance`
        self._fixed = datetime.now(UTC)
        if at is not None:
            self.set(at)

    @classmethod
    def shifted(cls, seconds: float) -> Clock:
        """Real time plus a fixed shift: every process given the same shift agrees."""
        clock = cls()
        clock.offset = timedelta(seconds=seconds)
        return clock

    def now(self) -> datetime:
        if self.frozen:
            return self._fixed + self.offset
        return datetime.now(UTC) + self.offset

    def set(self, at: datetime) -> None:
        """Make `now()` read `at` from this moment on."""
        if at.tzinfo is None:
            raise ClockError(f"time must carry its UTC offset, got {at.isoformat()!r}")
        self.offset = at - (self._fixed if self.frozen else datetime.now(UTC))

    def advance(self, delta: timedelta) -> None:
        self.offset += delta


def parse_instant(text: str) -> datetime:
    """An ISO 8601 instant with its offset, e.g. 2026-12-07T09:00:00+01:00."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise ClockError(
            f"not an ISO 8601 time: {text!r} (expected e.g. 2026-12-07T09:00:00+01:00)"
        ) from None
    if value.tzinfo is None:
        raise ClockError(f"time must carry its UTC offset, e.g. {text}+01:00; got {text!r}")
    return value
