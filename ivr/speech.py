"""Dates and times written the way a person says them, per language (Babel's CLDR data)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from babel.dates import format_date

# Babel locale per language of the flow
LOCALES = {"fr": "fr_FR", "en": "en_GB"}
WORDS = {
    "fr": {"today": "aujourd'hui", "tomorrow": "demain", "at": "à"},
    "en": {"today": "today", "tomorrow": "tomorrow", "at": "at"},
}


def _locale(lang: str) -> str:
    return LOCALES.get(lang, LOCALES["fr"])


def speak_time(moment: datetime, lang: str) -> str:
    """'8 h 30' / '8 h' in French, '8:30' in English."""
    if lang == "fr":
        return f"{moment.hour} h {moment.minute:02d}" if moment.minute else f"{moment.hour} h"
    return f"{moment.hour}:{moment.minute:02d}"


def speak_date(day: date, lang: str, with_year: bool = True) -> str:
    """'1er janvier 2027', '15 janvier 2027', '15 January 2027'."""
    pattern = "d MMMM y" if with_year else "d MMMM"
    text = format_date(day, pattern, locale=_locale(lang))
    if lang == "fr" and day.day == 1:
        text = "1er" + text[1:]
    return text


def speak_datetime(moment: datetime, lang: str, today: date | None = None) -> str:
    """'lundi 28 décembre à 8 h 30', 'Monday 28 December at 8:30', or 'today at 13:30'.

    `moment` is read in its own time zone; `today` (same zone) allows 'today'/'tomorrow'.
    """
    words = WORDS.get(lang, WORDS["fr"])
    day = moment.date()
    if today is not None and day == today:
        when = words["today"]
    elif today is not None and day == today + timedelta(days=1):
        when = words["tomorrow"]
    else:
        weekday = format_date(day, "EEEE", locale=_locale(lang))
        when = f"{weekday} {speak_date(day, lang, with_year=day.year != (today or day).year)}"
    return f"{when} {words['at']} {speak_time(moment, lang)}"
