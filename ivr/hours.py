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

END_OF_DAY = time.max  # stands for 24:00, the end of a day

Reason = Literal["open", "emergency", "holiday", "closure", "closed_day", "outside_hours"]


@dataclass(frozen=True)
class Interval:
    """An opening interval within one day, half-open: [start, end)."""

    start: time
    end: time

    @classmethod
    def parse(cls, text: str) -> Interval:
        """'08:30-12:30'; '24:00' ends an interval at midnight ('00:00-24:00': all day)."""
        match = INTERVAL.match(text.strip())
        if not match:
            raise ValueError(f"opening interval must look like '08:30-12:30', got {text!r}")
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        if h1 > 23 or m1 > 59 or m2 > 59 or h2 > 24 or (h2 == 24 and m2):
            raise ValueError(f"not a time of day in {text!r} (24:00 may only end an interval)")
        interval = cls(time(h1, m1), END_OF_DAY if h2 == 24 else time(h2, m2))
        if interval.end <= interval.start:
            raise ValueError(f"interval must end after it starts, got {text!r}")
        return interval

    def __str__(self) -> str:
        return f"{clock_text(self.start)}-{clock_text(self.end)}"


def clock_text(moment: time) -> str:
    """'08:30', and '24:00' for the end of the day."""
    return "24:00" if moment == END_OF_DAY else f"{moment:%H:%M}"


def _without(intervals: tuple[Interval, ...], start: time, end: time) -> tuple[Interval, ...]:
    """The parts of `intervals` outside [start, end)."""
    kept: list[Interval] = []
    for interval in intervals:
        if interval.start < start:
            kept.append(Interval(interval.start, min(interval.end, start)))
        if interval.end > end:
            kept.append(Interval(max(interval.start, end), interval.end))
    return tuple(kept)


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
    """A dated closure: one day (`date`) or a range (`from`..`to`, both included); with
    `from_time` it starts at that time of its first day, with `to_time` it ends at that time
    of its last day (e.g. this afternoon: `{date: 2026-12-07, from_time: "13:30", ...}`)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    day: date | None = Field(default=None, alias="date")
    start: date | None = Field(default=None, alias="from")
    end: date | None = Field(default=None, alias="to")
    from_time: time | None = None
    to_time: time | None = None
    reason: str = Field(min_length=1, max_length=200)

    @field_validator("from_time", "to_time", mode="before")
    @classmethod
    def _clock(cls, value: object) -> object:
        """YAML reads an unquoted 13:30 as the number 810 (base 60): take it as 13:30."""
        if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 24 * 60:
            return time(value // 60, value % 60)
        return value

    @model_validator(mode="after")
    def _one_form(self) -> ClosureConfig:
        if self.day is not None and (self.start or self.end):
            raise ValueError("give either 'date' or 'from'/'to', not both")
        if self.day is None and (self.start is None or self.end is None):
            raise ValueError("a closure needs 'date', or both 'from' and 'to'")
        if self.start and self.end and self.end < self.start:
            raise ValueError(f"'to' ({self.end}) is before 'from' ({self.start})")
        if (self.first == self.last and self.from_time and self.to_time
                and self.to_time <= self.from_time):
            raise ValueError(f"'to_time' ({self.to_time:%H:%M}) is not after 'from_time' "
                             f"({self.from_time:%H:%M})")
        return self

    @property
    def first(self) -> date:
        return self.day or self.start  # type: ignore[return-value]

    @property
    def last(self) -> date:
        return self.day or self.end  # type: ignore[return-value]

    def hours_on(self, day: date) -> tuple[time, time] | None:
        """The part [start, end) of `day` this closure covers, or None."""
        if not self.first <= day <= self.last:
            return None
        start = self.from_time if self.from_time and day == self.first else time(0)
        end = self.to_time if self.to_time and day == self.last else END_OF_DAY
        return start, end

    def describe(self) -> str:
        """'2026-12-07 from 13:30', '2026-08-10 to 2026-08-14'."""
        text = str(self.first) if self.first == self.last else f"{self.first} to {self.last}"
        if self.from_time:
            text += f" from {self.from_time:%H:%M}"
        if self.to_time:
            text += f" until {self.to_time:%H:%M}"
        return text


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
    """One day of the opening calendar: weekly `intervals`, and the `hours` actually open
    once the holiday and dated closures are taken out."""

    day: date
    intervals: tuple[Interval, ...]
    holiday: str | None
    closure: str | None
    hours: tuple[Interval, ...] = ()

    @property
    def open(self) -> bool:
        return bool(self.hours)


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
        """Reason of the dated closure touching `day` (all of it or part), or None."""
        for closure in self.closures:
            if closure.first <= day <= closure.last:
                return closure.reason
        return None

    def closure_at(self, at: datetime) -> ClosureConfig | None:
        """The dated closure covering the instant `at`, or None."""
        local = at.astimezone(self.tz)
        day, moment = local.date(), local.time().replace(tzinfo=None)
        for closure in self.closures:
            part = closure.hours_on(day)
            if part and part[0] <= moment < part[1]:
                return closure
        return None

    def open_hours(self, day: date) -> tuple[Interval, ...]:
        """The intervals of `day` when the line is open: weekly hours less the public holiday
        and the dated closures."""
        intervals = self.weekly[day.weekday()]
        if not intervals or self.holiday(day):
            return ()
        for closure in self.closures:
            part = closure.hours_on(day)
            if part:
                intervals = _without(intervals, *part)
        return intervals

    def day(self, day: date, lang: str = "fr") -> Day:
        return Day(day, self.weekly[day.weekday()], self.holiday(day, lang), self.closure(day),
                   self.open_hours(day))

    def _at(self, day: date, moment: time) -> datetime:
        if moment == END_OF_DAY:
            day, moment = day + timedelta(days=1), time(0)
        return datetime.combine(day, moment, tzinfo=self.tz).astimezone(UTC)

    def next_open(self, at: datetime, emergency: Emergency | None = None) -> datetime:
        """The first instant at or after `at` when the line is open, in the schedule's zone."""
        at = at.astimezone(UTC)
        if emergency and emergency.active(at):
            at = emergency.until.astimezone(UTC)
        first = at.astimezone(self.tz).date()
        for offset in range(HORIZON_DAYS):
            day = first + timedelta(days=offset)
            for interval in self.open_hours(day):
                if self._at(day, interval.end) > at:
                    return max(self._at(day, interval.start), at).astimezone(self.tz)
        raise ValueError(f"schedule {self.name!r} never opens within {HORIZON_DAYS} days")

    def _closes_at(self, day: date, interval: Interval) -> datetime | None:
        """When an open interval really ends: an interval to 24:00 goes on into the next day
        when that opens at 00:00 (a line open round the clock); None beyond two weeks."""
        for _ in range(14):
            if interval.end != END_OF_DAY:
                return self._at(day, interval.end).astimezone(self.tz)
            day += timedelta(days=1)
            following = self.open_hours(day)
            if not following or following[0].start != time(0):
                return self._at(day, time(0)).astimezone(self.tz)
            interval = following[0]
        return None

    def status(self, at: datetime, emergency: Emergency | None = None, lang: str = "fr") -> Status:
        """Open or closed at `at`, with the reason and the next opening."""
        at = at.astimezone(UTC)
        if emergency and emergency.active(at):
            return Status(False, "emergency", self.next_open(at, emergency),
                          closure=emergency.reason or None)
        today = at.astimezone(self.tz).date()
        holiday = self.holiday(today, lang)
        if holiday:
            return Status(False, "holiday", self.next_open(at), holiday=holiday)
        closure = self.closure_at(at)
        if closure:
            return Status(False, "closure", self.next_open(at), closure=closure.reason)
        for interval in self.open_hours(today):
            start, end = self._at(today, interval.start), self._at(today, interval.end)
            if start <= at < end:
                return Status(True, "open", at.astimezone(self.tz),
                              closes_at=self._closes_at(today, interval))
        reason: Reason = "outside_hours" if self.weekly[today.weekday()] else "closed_day"
        return Status(False, reason, self.next_open(at))

    def calendar(self, first: date, days: int, lang: str = "fr") -> list[Day]:
        """The opening calendar of `days` days from `first`."""
        return [self.day(first + timedelta(days=n), lang) for n in range(days)]
