"""The service's clock: real time, or real time shifted (and sped up) for simulated calls and
tests, or (tests) a frozen time that moves only when told."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ivr.core.exceptions import ClockError


class Clock:
    """Aware UTC `now()`, optionally shifted so that it started at a chosen instant, and
    optionally running `scale` times faster than real time from the real instant `start`."""

    def __init__(self, at: datetime | None = None, frozen: bool = False) -> None:
        self.offset = timedelta(0)
        self.frozen = frozen  # tests: time moves only by `set` and `advance`
        self.scale = 1.0
        self._fixed = datetime.now(UTC)
        self._start = self._fixed
        if at is not None:
            self.set(at)

    @classmethod
    def shifted(cls, seconds: float, scale: float = 1.0, start: float | None = None) -> Clock:
        """Real time plus a fixed shift: every process given the same shift agrees.

        With `scale`, time runs that many times faster from `start` (a Unix time, real):
        now = start + (real - start) x scale + shift. Processes agree only when given the
        same start, so a scale other than 1 needs one.
        """
        if scale <= 0:
            raise ClockError(f"the clock's scale must be positive, got {scale!r}")
        clock = cls()
        clock.offset = timedelta(seconds=seconds)
        if scale != 1:
            if start is None:
                raise ClockError("a clock that runs faster needs the real instant it starts from")
            clock.scale = scale
            clock._start = datetime.fromtimestamp(start, UTC)
        return clock

    def now(self) -> datetime:
        if self.frozen:
            return self._fixed + self.offset
        return self._running() + self.offset

    def set(self, at: datetime) -> None:
        """Make `now()` read `at` from this moment on."""
        if at.tzinfo is None:
            raise ClockError(f"time must carry its UTC offset, got {at.isoformat()!r}")
        self.offset = at - (self._fixed if self.frozen else self._running())

    def advance(self, delta: timedelta) -> None:
        self.offset += delta

    def _running(self) -> datetime:
        real = datetime.now(UTC)
        if self.scale == 1:
            return real
        return self._start + (real - self._start) * self.scale


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
