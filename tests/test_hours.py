"""Opening hours: the FAQ boundaries, DST changes, public holidays, closures, emergency closure,
and the schedule's validation at load."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from ivr.core.settings import PROJECT_ROOT
from ivr.flows.loader import load_file
from ivr.hours import WEEKDAYS, Emergency, HolidayRule, Schedule, ScheduleConfig
from tests.conftest import PARIS

SHIPPED = PROJECT_ROOT / "config" / "flow.yaml"
FAQ_WEEK = {day: ["08:30-12:30", "13:30-17:30"] for day in WEEKDAYS[:5]}
YEARS = range(2026, 2031)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def schedule(**fields: Any) -> Schedule:
    """The FAQ schedule (Paris, French holidays) with `fields` of its config replaced."""
    config = {"timezone": "Europe/Paris", "weekly": FAQ_WEEK, "holidays": {"country": "FR"},
              **fields}
    return Schedule("test", ScheduleConfig.model_validate(config))


@pytest.fixture(scope="module")
def support() -> Schedule:
    return load_file(SHIPPED).schedules["support"]


@pytest.fixture(scope="module")
def alsace() -> Schedule:
    return load_file(SHIPPED).schedules["alsace"]


# -- the FAQ hours, half-open intervals ----------------------------------------------------


@pytest.mark.parametrize(("clock", "is_open", "reason", "next_open", "closes_at"), [
    ("00:00:00", False, "outside_hours", "08:30:00", None),
    ("08:29:59", False, "outside_hours", "08:30:00", None),
    ("08:30:00", True, "open", "08:30:00", "12:30:00"),
    ("12:29:59.999999", True, "open", "12:29:59.999999", "12:30:00"),
    ("12:30:00", False, "outside_hours", "13:30:00", None),
    ("13:29:59", False, "outside_hours", "13:30:00", None),
    ("13:30:00", True, "open", "13:30:00", "17:30:00"),
    ("17:29:59", True, "open", "17:29:59", "17:30:00"),
    ("17:30:00", False, "outside_hours", None, None),
    ("23:59:59", False, "outside_hours", None, None),
])
@pytest.mark.parametrize(("day", "offset", "next_day"), [
    ("2026-12-08", "+01:00", "2026-12-09"),  # a winter Tuesday
    ("2027-06-15", "+02:00", "2027-06-16"),  # a summer Tuesday
])
def test_faq_boundaries(support, clock, is_open, reason, next_open, closes_at, day, offset,
                        next_day):
    status = support.status(at(f"{day}T{clock}{offset}"))
    assert (status.open, status.reason) == (is_open, reason)
    expected_next = f"{day}T{next_open}{offset}" if next_open else f"{next_day}T08:30:00{offset}"
    assert status.next_open == at(expected_next)
    assert status.closes_at == (at(f"{day}T{closes_at}{offset}") if closes_at else None)
    assert status.holiday is None and status.closure is None


@pytest.mark.parametrize(("instant", "is_open"), [
    ("2026-12-08T07:29:59+00:00", False),
    ("2026-12-08T07:30:00+00:00", True),
    ("2026-12-08T16:29:59+00:00", True),
    ("2026-12-08T16:30:00+00:00", False),
    ("2026-12-08T02:30:00-05:00", True),  # 08:30 in Paris, asked from New York
])
def test_instants_in_other_zones_are_read_in_paris(support, instant, is_open):
    assert support.status(at(instant)).open is is_open


def test_next_open_is_given_in_the_schedule_zone(support):
    reopening = support.next_open(at("2026-12-08T20:00:00+00:00"))
    assert reopening == at("2026-12-09T08:30:00+01:00")
    assert reopening.tzinfo == PARIS


@pytest.mark.parametrize("instant", ["2026-12-12T10:00:00+01:00", "2026-12-13T23:59:59+01:00",
                                     "2026-12-11T17:30:00+01:00"])
def test_weekend_reopens_monday_morning(support, instant):
    status = support.status(at(instant))
    assert not status.open
    assert status.next_open == at("2026-12-14T08:30:00+01:00")


def test_saturday_is_a_closed_day_and_a_weekday_evening_is_outside_hours(support):
    assert support.status(at("2026-12-12T10:00:00+01:00")).reason == "closed_day"
    assert support.status(at("2026-12-11T18:00:00+01:00")).reason == "outside_hours"


def test_unsorted_intervals_are_sorted():
    unsorted = schedule(weekly={"monday": ["13:30-17:30", "08:30-12:30"]})
    status = unsorted.status(at("2026-12-07T09:00:00+01:00"))
    assert status.open and status.closes_at == at("2026-12-07T12:30:00+01:00")
    assert unsorted.next_open(at("2026-12-07T07:00:00+01:00")) == at("2026-12-07T08:30:00+01:00")


def test_schedule_without_hours_says_it_never_opens():
    never = schedule(weekly={})
    with pytest.raises(ValueError, match="schedule 'test' never opens within 800 days"):
        never.next_open(at("2026-12-07T09:00:00+01:00"))


# -- daylight saving time ------------------------------------------------------------------


@pytest.mark.parametrize(("friday_evening", "reopening"), [
    # 2026: clocks go forward on Sunday 29 March, back on Sunday 25 October
    ("2026-03-27T18:00:00+01:00", "2026-03-30T08:30:00+02:00"),
    ("2026-10-23T18:00:00+02:00", "2026-10-26T08:30:00+01:00"),
    # 2027: 28 March and 31 October; the Mondays after are Easter Monday and All Saints' Day
    ("2027-03-26T18:00:00+01:00", "2027-03-30T08:30:00+02:00"),
    ("2027-10-29T18:00:00+02:00", "2027-11-02T08:30:00+01:00"),
])
def test_friday_evening_before_a_dst_change_reopens_with_the_new_offset(
        support, friday_evening, reopening):
    next_open = support.status(at(friday_evening)).next_open
    assert next_open.isoformat() == reopening


@pytest.mark.parametrize(("monday", "name"), [
    ("2027-03-29", "Lundi de Pâques"),
    ("2027-11-01", "Toussaint"),
])
def test_the_monday_after_the_2027_changes_is_a_holiday(support, monday, name):
    status = support.status(at(f"{monday}T10:00:00+02:00"))
    assert (status.open, status.reason, status.holiday) == (False, "holiday", name)


# the first working day after each change, checked in UTC so that a wrong offset shows
@pytest.mark.parametrize(("day", "utc_offset_hours"), [
    ("2026-03-30", 2), ("2026-10-26", 1), ("2027-03-30", 2), ("2027-11-02", 1),
])
@pytest.mark.parametrize(("paris_time", "is_open"), [
    ((8, 29, 59), False), ((8, 30, 0), True), ((12, 29, 59), True), ((12, 30, 0), False),
    ((13, 30, 0), True), ((17, 29, 59), True), ((17, 30, 0), False),
])
def test_boundaries_after_a_dst_change(support, day, utc_offset_hours, paris_time, is_open):
    hour, minute, second = paris_time
    utc = datetime.fromisoformat(day).replace(hour=hour - utc_offset_hours, minute=minute,
                                              second=second, tzinfo=UTC)
    assert support.status(utc).open is is_open


@pytest.mark.parametrize("instant", [
    "2026-03-29T00:59:59+00:00", "2026-03-29T01:00:00+00:00",  # 02:00 CET becomes 03:00 CEST
])
def test_the_night_clocks_go_forward(support, instant):
    status = support.status(at(instant))
    assert status.reason == "closed_day"
    assert status.next_open == at("2026-03-30T06:30:00+00:00")


@pytest.mark.parametrize("instant", [
    "2026-10-25T00:30:00+00:00", "2026-10-25T01:30:00+00:00",  # 02:30 twice in Paris
])
def test_the_night_clocks_go_back(support, instant):
    status = support.status(at(instant))
    assert status.reason == "closed_day"
    assert status.next_open == at("2026-10-26T07:30:00+00:00")


def test_closing_time_keeps_the_day_offset(support):
    status = support.status(at("2026-03-30T09:00:00+02:00"))
    assert status.closes_at is not None
    assert status.closes_at.isoformat() == "2026-03-30T12:30:00+02:00"


# -- public holidays -----------------------------------------------------------------------


def easter(year: int) -> date:
    """Easter Sunday: the anonymous Gregorian algorithm (Meeus, Jones, Butcher), written out
    here so that the holidays are not checked against the package that computes them."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    l_ = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 19 * l_) // 433
    month = (h + l_ - 7 * m + 90) // 25
    return date(year, month, (h + l_ - 7 * m + 33 * month + 19) % 32)


FIXED = {(1, 1): "Jour de l'an", (5, 1): "Fête du Travail", (5, 8): "Fête de la Victoire",
         (7, 14): "Fête nationale", (8, 15): "Assomption", (11, 1): "Toussaint",
         (11, 11): "Armistice", (12, 25): "Noël"}
FROM_EASTER = {1: "Lundi de Pâques", 39: "Ascension", 50: "Lundi de Pentecôte"}
ALSACE_FROM_EASTER = {-2: "Vendredi saint"}  # and Saint-Étienne, 26 December


def french_holidays(subdivision: str | None = None) -> list[tuple[date, str]]:
    """France's public holidays of YEARS (Code du travail L3133-1; Alsace-Moselle: L3134-13)."""
    days: list[tuple[date, str]] = []
    for year in YEARS:
        days += [(date(year, month, day), name) for (month, day), name in FIXED.items()]
        moving = FROM_EASTER | (ALSACE_FROM_EASTER if subdivision == "Alsace" else {})
        days += [(easter(year) + timedelta(days=n), name) for n, name in moving.items()]
        if subdivision == "Alsace":
            days.append((date(year, 12, 26), "Saint-Étienne"))
    return sorted(days)


def test_easter_dates_are_the_known_ones():
    assert [easter(y) for y in (2026, 2027, 2028, 2029, 2030)] == [
        date(2026, 4, 5), date(2027, 3, 28), date(2028, 4, 16), date(2029, 4, 1),
        date(2030, 4, 21)]


def test_eleven_french_holidays_a_year_and_two_more_in_alsace():
    assert len(french_holidays()) == 11 * len(YEARS)
    assert len(french_holidays("Alsace")) == 13 * len(YEARS)


@pytest.mark.parametrize(("day", "name"), french_holidays())
def test_every_french_holiday_is_closed_with_its_name(support, day, name):
    status = support.status(datetime.combine(day, time(10), PARIS))
    assert (status.open, status.reason, status.holiday) == (False, "holiday", name)
    assert status.next_open.date() > day


@pytest.mark.parametrize(("instant", "name"), [
    ("2026-01-01T10:00:00+01:00", "Jour de l'an"),
    ("2026-04-06T10:00:00+02:00", "Lundi de Pâques"),
    ("2026-05-14T10:00:00+02:00", "Ascension"),
    ("2026-07-14T10:00:00+02:00", "Fête nationale"),
    ("2026-11-11T10:00:00+01:00", "Armistice"),
    ("2026-12-25T10:00:00+01:00", "Noël"),
    ("2027-05-17T10:00:00+02:00", "Lundi de Pentecôte"),
    ("2028-05-01T10:00:00+02:00", "Fête du Travail"),
    ("2028-05-08T10:00:00+02:00", "Fête de la Victoire"),
    ("2028-05-25T10:00:00+02:00", "Ascension"),
    ("2029-08-15T10:00:00+02:00", "Assomption"),
    ("2030-11-01T10:00:00+01:00", "Toussaint"),
])
def test_known_holidays(support, instant, name):
    status = support.status(at(instant))
    assert (status.open, status.reason, status.holiday) == (False, "holiday", name)


def test_holiday_names_in_english(support):
    assert support.status(at("2026-12-25T10:00:00+01:00"), lang="en").holiday == "Christmas Day"


def test_schedule_without_holidays_is_open_on_christmas():
    assert schedule(holidays=None).status(at("2026-12-25T10:00:00+01:00")).open


@pytest.mark.parametrize(("day", "name"), [
    pair for pair in sorted(set(french_holidays("Alsace")) - set(french_holidays()))
])
def test_alsace_moselle_extras(support, alsace, day, name):
    assert name in ("Vendredi saint", "Saint-Étienne")
    ten = datetime.combine(day, time(10), PARIS)
    status = alsace.status(ten)
    assert (status.open, status.reason, status.holiday) == (False, "holiday", name)
    assert support.status(ten).open is (day.weekday() < 5)


@pytest.mark.parametrize(("instant", "name"), [
    ("2027-03-26T10:00:00+01:00", "Vendredi saint"),
    ("2028-12-26T10:00:00+01:00", "Saint-Étienne"),
])
def test_alsace_is_closed_on_its_own_holidays_when_the_rest_of_france_works(
        support, alsace, instant, name):
    assert support.status(at(instant)).open
    status = alsace.status(at(instant))
    assert (status.open, status.holiday) == (False, name)


@pytest.mark.parametrize(("instant", "reopening"), [
    ("2027-05-14T18:00:00+02:00", "2027-05-18T08:30:00+02:00"),  # Whit Monday 17 May
    ("2026-12-25T10:00:00+01:00", "2026-12-28T08:30:00+01:00"),  # Christmas on a Friday
    ("2026-05-13T18:00:00+02:00", "2026-05-15T08:30:00+02:00"),  # Ascension Thursday
    ("2027-12-31T18:00:00+01:00", "2028-01-03T08:30:00+01:00"),  # New Year on a Saturday
])
def test_next_open_skips_holidays(support, instant, reopening):
    assert support.next_open(at(instant)).isoformat() == reopening


def test_alsace_reopens_after_saint_etienne(alsace, support):
    christmas_eve = at("2028-12-24T12:00:00+01:00")
    assert alsace.next_open(christmas_eve).isoformat() == "2028-12-27T08:30:00+01:00"
    assert support.next_open(christmas_eve).isoformat() == "2028-12-26T08:30:00+01:00"


# -- dated closures ------------------------------------------------------------------------


def test_single_day_closure():
    closed = schedule(closures=[{"date": "2026-12-24", "reason": "Inventaire"}])
    status = closed.status(at("2026-12-24T10:00:00+01:00"))
    assert (status.open, status.reason, status.closure) == (False, "closure", "Inventaire")
    assert status.next_open == at("2026-12-28T08:30:00+01:00")
    assert closed.status(at("2026-12-23T17:29:59+01:00")).open
    assert closed.next_open(at("2026-12-23T17:30:00+01:00")) == at("2026-12-28T08:30:00+01:00")


@pytest.mark.parametrize(("instant", "is_open"), [
    ("2026-08-07T17:29:59+02:00", True),
    ("2026-08-10T08:30:00+02:00", False),
    ("2026-08-14T10:00:00+02:00", False),
    ("2026-08-21T17:00:00+02:00", False),
    ("2026-08-24T08:30:00+02:00", True),
])
def test_closure_range_includes_both_ends(instant, is_open):
    closed = schedule(closures=[{"from": "2026-08-10", "to": "2026-08-21", "reason": "Été"}])
    status = closed.status(at(instant))
    assert status.open is is_open
    assert status.closure == (None if is_open else "Été")


def test_closure_range_is_skipped_by_next_open():
    closed = schedule(closures=[{"from": "2026-08-10", "to": "2026-08-21", "reason": "Été"}])
    assert closed.next_open(at("2026-08-07T18:00:00+02:00")) == at("2026-08-24T08:30:00+02:00")


SEVERAL = [
    {"date": "2026-12-24", "reason": "Réveillon"},
    {"date": "2026-12-31", "reason": "Saint-Sylvestre"},
    {"from": "2027-01-04", "to": "2027-01-05", "reason": "Inventaire"},
]


@pytest.mark.parametrize(("instant", "reason", "detail"), [
    ("2026-12-24T10:00:00+01:00", "closure", "Réveillon"),
    ("2026-12-30T10:00:00+01:00", "open", None),
    ("2026-12-31T10:00:00+01:00", "closure", "Saint-Sylvestre"),
    ("2027-01-01T10:00:00+01:00", "holiday", "Jour de l'an"),
    ("2027-01-05T10:00:00+01:00", "closure", "Inventaire"),
    ("2027-01-06T10:00:00+01:00", "open", None),
])
def test_several_closures_each_with_its_reason(instant, reason, detail):
    status = schedule(closures=SEVERAL).status(at(instant))
    assert status.reason == reason
    assert (status.holiday or status.closure) == detail


def test_several_closures_chain_with_holidays_and_weekends():
    closed = schedule(closures=SEVERAL)
    assert closed.next_open(at("2026-12-30T18:00:00+01:00")) == at("2027-01-06T08:30:00+01:00")


def test_calendar_names_holidays_and_closures():
    days = schedule(closures=SEVERAL).calendar(date(2026, 12, 21), 10)
    assert [d.day for d in days] == [date(2026, 12, 21) + timedelta(n) for n in range(10)]
    assert {d.day.day for d in days if d.open} == {21, 22, 23, 28, 29, 30}
    assert days[3].closure == "Réveillon" and days[4].holiday == "Noël"
    assert days[5].intervals == () and days[5].holiday is None and days[5].closure is None
    assert [str(i) for i in days[0].intervals] == ["08:30-12:30", "13:30-17:30"]


# -- closures of part of a day, 24:00 --------------------------------------------------------


AFTERNOON = [{"date": "2026-12-07", "from_time": "13:30", "reason": "séminaire annuel"}]


@pytest.mark.parametrize(("instant", "reason", "next_open"), [
    ("2026-12-07T12:29:59+01:00", "open", "2026-12-07T12:29:59+01:00"),
    ("2026-12-07T12:45:00+01:00", "outside_hours", "2026-12-08T08:30:00+01:00"),
    ("2026-12-07T13:30:00+01:00", "closure", "2026-12-08T08:30:00+01:00"),
    ("2026-12-07T23:59:59+01:00", "closure", "2026-12-08T08:30:00+01:00"),
    ("2026-12-08T08:30:00+01:00", "open", "2026-12-08T08:30:00+01:00"),
])
def test_closure_from_a_time_closes_the_rest_of_the_day(instant, reason, next_open):
    status = schedule(closures=AFTERNOON).status(at(instant))
    assert (status.reason, status.next_open) == (reason, at(next_open))
    assert status.closure == ("séminaire annuel" if reason == "closure" else None)


def test_closure_between_two_times_leaves_the_rest_of_the_day_open():
    closed = schedule(closures=[{"date": "2026-12-07", "from_time": "10:00", "to_time": "11:00",
                                 "reason": "exercice incendie"}])
    assert closed.status(at("2026-12-07T10:30:00+01:00")).next_open == at(
        "2026-12-07T11:00:00+01:00")
    assert closed.status(at("2026-12-07T09:59:00+01:00")).closes_at == at(
        "2026-12-07T10:00:00+01:00")
    [monday] = closed.calendar(date(2026, 12, 7), 1)
    assert [str(i) for i in monday.hours] == ["08:30-10:00", "11:00-12:30", "13:30-17:30"]
    assert monday.closure == "exercice incendie" and monday.open


def test_closure_range_with_times_at_both_ends():
    closed = schedule(closures=[{"from": "2026-12-07", "to": "2026-12-09", "from_time": "15:00",
                                 "to_time": "10:00", "reason": "déménagement"}])
    hours = [[str(i) for i in d.hours] for d in closed.calendar(date(2026, 12, 7), 4)]
    assert hours == [["08:30-12:30", "13:30-15:00"], [], ["10:00-12:30", "13:30-17:30"],
                     ["08:30-12:30", "13:30-17:30"]]


def test_unquoted_yaml_times_are_read_as_times():
    # YAML 1.1 reads 13:30 as the base-60 number 810
    closed = schedule(closures=[{"date": "2026-12-07", "from_time": 810, "reason": "x"}])
    assert closed.closures[0].from_time == time(13, 30)


def test_closure_times_in_the_wrong_order_are_refused():
    with pytest.raises(ValidationError, match="'to_time' .11:00. is not after 'from_time'"):
        schedule(closures=[{"date": "2026-12-07", "from_time": "14:00", "to_time": "11:00",
                            "reason": "x"}])


def test_24_00_ends_the_day_and_a_line_open_round_the_clock_never_closes():
    always = schedule(weekly={day: ["00:00-24:00"] for day in WEEKDAYS}, holidays=None)
    status = always.status(at("2026-12-07T23:59:59+01:00"))
    assert status.open and status.closes_at is None
    assert [str(i) for i in always.weekly[0]] == ["00:00-24:00"]


def test_evening_to_midnight_closes_at_midnight_and_chains_into_the_next_day():
    late = schedule(weekly={"monday": ["18:00-24:00"], "tuesday": ["00:00-02:00"]},
                    holidays=None)
    status = late.status(at("2026-12-07T23:00:00+01:00"))
    assert status.open and status.closes_at == at("2026-12-08T02:00:00+01:00")
    assert late.status(at("2026-12-08T01:00:00+01:00")).open
    assert late.next_open(at("2026-12-08T02:00:00+01:00")) == at("2026-12-14T18:00:00+01:00")


# -- emergency closure ---------------------------------------------------------------------


def test_emergency_closes_until_its_end_inside_opening_hours(support):
    emergency = Emergency(at("2026-12-07T10:15:00+01:00"), "panne")
    status = support.status(at("2026-12-07T09:00:00+01:00"), emergency)
    assert (status.open, status.reason, status.closure) == (False, "emergency", "panne")
    assert status.next_open == emergency.until
    assert status.next_open.tzinfo == PARIS


def test_emergency_ends_by_itself(support):
    emergency = Emergency(at("2026-12-07T10:15:00+01:00"), "panne")
    assert not support.status(at("2026-12-07T10:14:59+01:00"), emergency).open
    status = support.status(at("2026-12-07T10:15:00+01:00"), emergency)
    assert (status.open, status.reason) == (True, "open")


@pytest.mark.parametrize(("until", "reopening"), [
    ("2026-12-07T12:45:00+01:00", "2026-12-07T13:30:00+01:00"),  # ends over lunch
    ("2026-12-11T20:00:00+01:00", "2026-12-14T08:30:00+01:00"),  # ends on a Friday evening
    ("2026-12-24T20:00:00+01:00", "2026-12-28T08:30:00+01:00"),  # then Christmas, a weekend
    ("2026-12-07T09:15:00+00:00", "2026-12-07T10:15:00+01:00"),  # given in UTC
])
def test_emergency_next_open_is_the_first_opening_after_it_ends(support, until, reopening):
    emergency = Emergency(at(until))
    status = support.status(at("2026-12-07T09:00:00+01:00"), emergency)
    assert status.reason == "emergency" and status.closure is None
    assert status.next_open.isoformat() == reopening


def test_emergency_outranks_a_holiday(support):
    emergency = Emergency(at("2027-01-01T00:00:00+01:00"))
    status = support.status(at("2026-12-25T10:00:00+01:00"), emergency)
    assert status.reason == "emergency" and status.holiday is None


def test_ended_emergency_is_ignored(support):
    emergency = Emergency(at("2026-12-07T08:00:00+01:00"), "panne")
    status = support.status(at("2026-12-07T09:00:00+01:00"), emergency)
    assert (status.open, status.closure) == (True, None)
    assert support.next_open(at("2026-12-07T07:00:00+01:00"), emergency) == at(
        "2026-12-07T08:30:00+01:00")


def test_status_as_json():
    status = schedule().status(at("2026-12-07T09:00:00+01:00"))
    assert status.as_json() == {
        "open": True, "reason": "open", "holiday": None, "closure": None,
        "next_open": "2026-12-07T09:00:00+01:00", "closes_at": "2026-12-07T12:30:00+01:00",
    }


# -- validation ----------------------------------------------------------------------------


@pytest.mark.parametrize(("fields", "message"), [
    ({"weekly": {"monday": ["8:30-12:30"]}}, "must look like '08:30-12:30', got '8:30-12:30'"),
    ({"weekly": {"monday": ["08h30-12h30"]}}, "must look like '08:30-12:30'"),
    ({"weekly": {"monday": ["08:30-24:30"]}}, "not a time of day in '08:30-24:30'"),
    ({"weekly": {"monday": ["24:00-24:00"]}}, "not a time of day in '24:00-24:00'"),
    ({"weekly": {"monday": ["08:60-12:00"]}}, "not a time of day"),
    ({"weekly": {"monday": ["12:30-08:30"]}}, "must end after it starts, got '12:30-08:30'"),
    ({"weekly": {"monday": ["08:30-08:30"]}}, "must end after it starts"),
    ({"weekly": {"monday": ["08:30-12:30", "12:00-17:30"]}},
     "monday: intervals 08:30-12:30 and 12:00-17:30 overlap"),
    ({"weekly": {"friday": ["13:30-17:30", "08:30-14:00"]}},
     "friday: intervals 08:30-14:00 and 13:30-17:30 overlap"),
    ({"weekly": {"lundi": ["08:30-12:30"]}}, "unknown day 'lundi'; days are monday, tuesday"),
    ({"weekly": {"Monday": ["08:30-12:30"]}}, "unknown day 'Monday'"),
    ({"timezone": "Europe/Pariss"}, "unknown IANA time zone 'Europe/Pariss'"),
    ({"timezone": "CET+1"}, "unknown IANA time zone 'CET+1'"),
    ({"timezone": "../etc/passwd"}, "unknown IANA time zone"),
    ({"holidays": {"country": "XX"}}, "unknown holiday country 'XX'"),
    ({"holidays": {"country": "FR", "region": "Alsace"}}, "Extra inputs are not permitted"),
    ({"closures": [{"date": "2026-12-24", "from": "2026-12-24", "to": "2026-12-26",
                    "reason": "x"}]}, "give either 'date' or 'from'/'to', not both"),
    ({"closures": [{"date": "2026-12-24", "to": "2026-12-26", "reason": "x"}]}, "not both"),
    ({"closures": [{"from": "2026-08-21", "to": "2026-08-10", "reason": "x"}]},
     "'to' (2026-08-10) is before 'from' (2026-08-21)"),
    ({"closures": [{"from": "2026-08-10", "reason": "x"}]},
     "a closure needs 'date', or both 'from' and 'to'"),
    ({"closures": [{"reason": "x"}]}, "a closure needs 'date'"),
    ({"closures": [{"date": "2026-12-24", "reason": ""}]}, "at least 1 character"),
    ({"closures": [{"date": "2026-12-24"}]}, "reason\n  Field required"),
])
def test_schedule_config_is_refused_with_what_is_wrong(fields, message):
    with pytest.raises(ValidationError, match=re.escape(message)):
        schedule(**fields)


def test_adjacent_intervals_are_not_an_overlap():
    adjacent = schedule(weekly={"monday": ["08:30-12:30", "12:30-17:30"]})
    assert adjacent.status(at("2026-12-07T12:30:00+01:00")).open


def test_unknown_holiday_subdivision_is_named():
    # the country is known; the message must blame the subdivision, not the country
    with pytest.raises(ValidationError) as caught:
        HolidayRule(country="FR", subdivision="Nowhere")
    message = caught.value.errors()[0]["msg"]
    assert "subdivision" in message and "'Nowhere'" in message
