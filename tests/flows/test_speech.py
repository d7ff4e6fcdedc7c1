"""Dates and times as the caller hears them, in French and in English."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from ivr.core.settings import PROJECT_ROOT
from ivr.flows.loader import load_file
from ivr.flows.speech import speak_date, speak_datetime, speak_time
from tests.conftest import PARIS

SHIPPED = PROJECT_ROOT / "config" / "flow.yaml"


@pytest.mark.parametrize(("hour", "minute", "lang", "spoken"), [
    (8, 30, "fr", "8 h 30"),
    (8, 0, "fr", "8 h"),
    (13, 5, "fr", "13 h 05"),
    (0, 0, "fr", "0 h"),
    (17, 30, "fr", "17 h 30"),
    (8, 30, "en", "8:30"),
    (8, 0, "en", "8:00"),
    (13, 5, "en", "13:05"),
])
def test_speak_time(hour, minute, lang, spoken):
    assert speak_time(datetime(2026, 12, 28, hour, minute, tzinfo=PARIS), lang) == spoken


@pytest.mark.parametrize(("day", "lang", "with_year", "spoken"), [
    (date(2027, 1, 1), "fr", True, "1er janvier 2027"),
    (date(2027, 1, 1), "fr", False, "1er janvier"),
    (date(2026, 8, 1), "fr", True, "1er août 2026"),
    (date(2027, 1, 15), "fr", True, "15 janvier 2027"),
    (date(2026, 12, 28), "fr", False, "28 décembre"),
    (date(2027, 2, 11), "fr", True, "11 février 2027"),
    (date(2027, 1, 1), "en", True, "1 January 2027"),
    (date(2027, 1, 15), "en", True, "15 January 2027"),
    (date(2026, 12, 28), "en", False, "28 December"),
])
def test_speak_date(day, lang, with_year, spoken):
    assert speak_date(day, lang, with_year) == spoken


def test_speak_date_says_the_year_by_default():
    assert speak_date(date(2027, 3, 31), "fr") == "31 mars 2027"


MONDAY_830 = datetime(2026, 12, 28, 8, 30, tzinfo=PARIS)


@pytest.mark.parametrize(("moment", "today", "lang", "spoken"), [
    (MONDAY_830, date(2026, 12, 25), "fr", "lundi 28 décembre à 8 h 30"),
    (MONDAY_830, date(2026, 12, 25), "en", "Monday 28 December at 8:30"),
    (MONDAY_830, None, "fr", "lundi 28 décembre à 8 h 30"),
    (MONDAY_830.replace(minute=0), date(2026, 12, 25), "fr", "lundi 28 décembre à 8 h"),
    (MONDAY_830.replace(minute=0), date(2026, 12, 25), "en", "Monday 28 December at 8:00"),
    (MONDAY_830, date(2026, 12, 28), "fr", "aujourd'hui à 8 h 30"),
    (MONDAY_830, date(2026, 12, 28), "en", "today at 8:30"),
    (MONDAY_830, date(2026, 12, 27), "fr", "demain à 8 h 30"),
    (MONDAY_830, date(2026, 12, 27), "en", "tomorrow at 8:30"),
    (MONDAY_830, date(2026, 12, 26), "fr", "lundi 28 décembre à 8 h 30"),  # after tomorrow
    (MONDAY_830, date(2026, 12, 29), "fr", "lundi 28 décembre à 8 h 30"),  # yesterday
])
def test_speak_datetime(moment, today, lang, spoken):
    assert speak_datetime(moment, lang, today) == spoken


@pytest.mark.parametrize(("moment", "today", "lang", "spoken"), [
    (datetime(2027, 1, 4, 8, 30, tzinfo=PARIS), date(2026, 12, 30), "fr",
     "lundi 4 janvier 2027 à 8 h 30"),
    (datetime(2027, 1, 4, 8, 30, tzinfo=PARIS), date(2026, 12, 30), "en",
     "Monday 4 January 2027 at 8:30"),
    (datetime(2027, 1, 1, 8, 0, tzinfo=PARIS), date(2026, 12, 29), "fr",
     "vendredi 1er janvier 2027 à 8 h"),
    (datetime(2027, 1, 1, 13, 30, tzinfo=PARIS), date(2026, 12, 31), "fr", "demain à 13 h 30"),
    (datetime(2027, 1, 4, 8, 30, tzinfo=PARIS), date(2027, 1, 1), "fr",
     "lundi 4 janvier à 8 h 30"),
])
def test_year_is_spoken_only_when_it_is_not_this_year(moment, today, lang, spoken):
    assert speak_datetime(moment, lang, today) == spoken


def test_moment_is_read_on_its_own_clock():
    in_utc = MONDAY_830.astimezone(UTC)
    assert speak_datetime(in_utc, "fr", date(2026, 12, 25)) == "lundi 28 décembre à 7 h 30"
    assert speak_datetime(MONDAY_830, "fr", date(2026, 12, 25)) == "lundi 28 décembre à 8 h 30"


@pytest.mark.parametrize(("instant", "lang", "spoken"), [
    ("2027-05-14T18:00:00+02:00", "fr", "mardi 18 mai à 8 h 30"),
    ("2027-05-14T18:00:00+02:00", "en", "Tuesday 18 May at 8:30"),
    ("2026-12-25T10:00:00+01:00", "fr", "lundi 28 décembre à 8 h 30"),
    ("2026-12-07T12:45:00+01:00", "fr", "aujourd'hui à 13 h 30"),
    ("2026-12-07T18:00:00+01:00", "fr", "demain à 8 h 30"),
    ("2027-12-31T18:00:00+01:00", "fr", "lundi 3 janvier 2028 à 8 h 30"),
])
def test_next_opening_as_the_caller_hears_it(instant, lang, spoken):
    support = load_file(SHIPPED).schedules["support"]
    now = datetime.fromisoformat(instant)
    next_open = support.next_open(now)
    assert speak_datetime(next_open, lang, now.astimezone(support.tz).date()) == spoken
