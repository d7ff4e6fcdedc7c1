"""Opening hours: weekly intervals, public holidays, dated closures, emergency closure."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
INTERVAL = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")
# holidays' own language codes for ours
HOLIDAY_LANGUAGES = {"fr": "fr", "en": "en_US"}
# how far next_open looks ahead before giving up (a schedule with no hours at all)
HORIZON_DAYS = 800

Reason = Literal["open", "emergency", "holiday", "closure", "closed_day", "outside_hours"]


@dataclass(frozen=True)
class Interval:
    """An opening interval within one day, half-open: [start, end)."""

    start: time
    end: time

    @classmethod
    def parse(cls, text: str) -> Interval:
        match = INTERVAL.match(text.strip())
        if not match:
            raise ValueError(f"opening interval must look like '08:30-12:30', got {text!r}")
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        if h1 > 23 or h2 > 23 or m1 > 59 or m2 > 59:
            raise ValueError(f"not a time of day in {text!r}")
        interval = cls(time(h1, m1), time(h2, m2))
        if interval.end <= interval.start:
            raise ValueError(f"interval must end after it starts, got {text!r}")
        return interval

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


class HolidayRule(BaseModel):
    """Public holidays of a country (and subdivision) from the `holidays` package."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    country: str
    subdivision: str | None = None

    @model_validator(mode="after")
    def _known(self) -> HolidayRule:
        try:
            calendar = holidays.country_holidays(self.country)
        except NotImplementedError:
            raise ValueError(f"unknown holiday country {self.country!r}") from None
        if self.subdivision is None:
            return self
        known = {*calendar.subdivisions, *getattr(calendar, "subdivisions_aliases", {})}
        if self.subdivision not in known:
            raise ValueError(f"unknown subdivision {self.subdivision!r} of {self.country} "
                             f"(known: {', '.join(sorted(known))})")
        return self


class ClosureConfig(BaseModel):
    """A dated closure: one day (`date`) or a range (`from`..`to`, both included)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    day: date | None = Field(default=None, alias="date")
    start: date | None = Field(default=None, alias="from")
    end: date | None = Field(default=None, alias="to")
    reason: str = Field(min_length=1)

    @model_validator(mode="after")
    def _one_form(self) -> ClosureConfig:
        if self.day is not None and (self.start or self.end):
            raise ValueError("give either 'date' or 'from'/'to', not both")
        if self.day is None and (self.start is None or self.end is None):
            raise ValueError("a closure needs 'date', or both 'from' and 'to'")
        if self.start and self.end and self.end < self.start:
            raise ValueError(f"'to' ({self.end}) is before 'from' ({self.start})")
        return self

    @property
    def first(self) -> date:
        return self.day or self.start  # type: ignore[return-value]

    @property
    def last(self) -> date:
        return self.day or self.end  # type: ignore[return-value]


class ScheduleConfig(BaseModel):
    """A schedule as written in the flow file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    timezone: str
    weekly: dict[str, list[str]]
    holidays: HolidayRule | None = None
    closures: list[ClosureConfig] = []

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown IANA time zone {value!r}") from None
        return value

    @field_validator("weekly")
    @classmethod
    def _weekly(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for day, intervals in value.items():
            if day not in WEEKDAYS:
                raise ValueError(f"unknown day {day!r}; days are {', '.join(WEEKDAYS)}")
            parsed = sorted((Interval.parse(text) for text in intervals), key=lambda i: i.start)
            for before, after in zip(parsed, parsed[1:], strict=False):
                if after.start < before.end:
                    raise ValueError(f"{day}: intervals {before} and {after} overlap")
        return value


@dataclass(frozen=True)
class Emergency:
    """An emergency closure from `since` (None: always was), over on its own at `until`."""

    until: datetime
    reason: str = ""
    since: datetime | None = None

    def active(self, at: datetime) -> bool:
        return (self.since is None or self.since <= at) and at < self.until


@dataclass(frozen=True)
class Status:
    """Whether a schedule is open at an instant, why, and when it next opens."""

    open: bool
    reason: Reason
    next_open: datetime
    holiday: str | None = None
    closure: str | None = None
    closes_at: datetime | None = None

    def as_json(self) -> dict[str, object]:
        return {
            "open": self.open,
            "reason": self.reason,
            "holiday": self.holiday,
            "closure": self.closure,
            "next_open": self.next_open.isoformat(),
            "closes_at": self.closes_at.isoformat() if self.closes_at else None,
        }


@dataclass(frozen=True)
class Day:
    """One day of the opening calendar."""

    day: date
    intervals: tuple[Interval, ...]
    holiday: str | None
    closure: str | None

    @property
    def open(self) -> bool:
        return bool(self.intervals) and not self.holiday and not self.closure


def _merged(intervals: Iterable[Interval]) -> tuple[Interval, ...]:
    """Sorted, with back-to-back intervals joined (08:30-12:30 + 12:30-17:30 = 08:30-17:30)."""
    merged: list[Interval] = []
    for interval in sorted(intervals, key=lambda i: i.start):
        if merged and merged[-1].end == interval.start:
            merged[-1] = Interval(merged[-1].start, interval.end)
        else:
            merged.append(interval)
    return tuple(merged)


class Schedule:
    """Weekly hours in one time zone, minus public holidays and dated closures."""

    def __init__(self, name: str, config: ScheduleConfig) -> None:
        self.name = name
        self.config = config
        self.tz = ZoneInfo(config.timezone)
        self.weekly: tuple[tuple[Interval, ...], ...] = tuple(
            _merged(Interval.parse(t) for t in config.weekly.get(day, [])) for day in WEEKDAYS
        )
        self.closures = tuple(config.closures)
        self._holidays: dict[str, holidays.HolidayBase] = {}  # by language, filled on demand

    def holiday(self, day: date, lang: str = "fr") -> str | None:
        """Name of the public holiday on `day`, in `lang`, or None."""
        rule = self.config.holidays
        if rule is None:
            return None
        calendar = self._holidays.get(lang)
        if calendar is None:
            language = HOLIDAY_LANGUAGES.get(lang)
            try:
                calendar = holidays.country_holidays(
                    rule.country, subdiv=rule.subdivision, language=language
                )
            except Exception:  # a language the country does not translate to
                calendar = holidays.country_holidays(rule.country, subdiv=rule.subdivision)
            self._holidays[lang] = calendar
        return calendar.get(day)

    def closure(self, day: date) -> str | None:
        """Reason of the dated closure covering `day`, or None."""
        for closure in self.closures:
            if closure.first <= day <= closure.last:
                return closure.reason
        return None

    def day(self, day: date, lang: str = "fr") -> Day:
        return Day(day, self.weekly[day.weekday()], self.holiday(day, lang), self.closure(day))

    def _at(self, day: date, moment: time) -> datetime:
        return datetime.combine(day, moment, tzinfo=self.tz).astimezone(UTC)

    def next_open(self, at: datetime, emergency: Emergency | None = None) -> datetime:
        """The first instant at or after `at` when the line is open, in the schedule's zone."""
        at = at.astimezone(UTC)
        if emergency and emergency.active(at):
            at = emergency.until.astimezone(UTC)
        first = at.astimezone(self.tz).date()
        for offset in range(HORIZON_DAYS):
            day = first + timedelta(days=offset)
            intervals = self.weekly[day.weekday()]
            if not intervals or self.holiday(day) or self.closure(day):
                continue
            for interval in intervals:
                if self._at(day, interval.end) > at:
                    return max(self._at(day, interval.start), at).astimezone(self.tz)
        raise ValueError(f"schedule {self.name!r} never opens within {HORIZON_DAYS} days")

    def status(self, at: datetime, emergency: Emergency | None = None, lang: str = "fr") -> Status:
        """Open or closed at `at`, with the reason and the next opening."""
        at = at.astimezone(UTC)
        if emergency and emergency.active(at):
            return Status(False, "emergency", self.next_open(at, emergency),
                          closure=emergency.reason or None)
        today = self.day(at.astimezone(self.tz).date(), lang)
        if today.holiday:
            return Status(False, "holiday", self.next_open(at), holiday=today.holiday)
        if today.closure:
            return Status(False, "closure", self.next_open(at), closure=today.closure)
        for interval in today.intervals:
            start, end = self._at(today.day, interval.start), self._at(today.day, interval.end)
            if start <= at < end:
                return Status(True, "open", at.astimezone(self.tz),
                              closes_at=end.astimezone(self.tz))
        reason: Reason = "outside_hours" if today.intervals else "closed_day"
        return Status(False, reason, self.next_open(at))

    def calendar(self, first: date, days: int, lang: str = "fr") -> list[Day]:
        """The opening calendar of `days` days from `first`."""
        return [self.day(first + timedelta(days=n), lang) for n in range(days)]
