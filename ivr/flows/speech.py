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
    return f"{speak_day(moment.date(), lang, today)} {words['at']} {speak_time(moment, lang)}"


def speak_day(day: date, lang: str, today: date | None = None) -> str:
    """'aujourd'hui', 'demain', 'mardi 18 mai' (the year only when it is not this year's)."""
    words = WORDS.get(lang, WORDS["fr"])
    if today is not None and day == today:
        return words["today"]
    if today is not None and day == today + timedelta(days=1):
        return words["tomorrow"]
    weekday = format_date(day, "EEEE", locale=_locale(lang))
    return f"{weekday} {speak_date(day, lang, with_year=day.year != (today or day).year)}"


def speak_window(start: datetime, minutes: int, lang: str, today: date | None = None) -> str:
    """When to expect a call: 'mardi 18 mai entre 8 h 30 et 9 h', 'Tuesday 18 May between
    8:30 and 9:00' (`start` read in its own time zone)."""
    end = start + timedelta(minutes=minutes)
    between, also = ("entre", "et") if lang == "fr" else ("between", "and")
    return (f"{speak_day(start.date(), lang, today)} {between} {speak_time(start, lang)} "
            f"{also} {speak_time(end, lang)}")


def speak_ordinal(n: int, lang: str) -> str:
    """A place in a queue: 'première', '3e' (said 'troisième'); '1st', '3rd'."""
    if lang == "fr":
        return "première" if n == 1 else f"{n}e"
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


_WAIT_WORDS = {
    "fr": {"under": "moins d'une minute", "one": "environ 1 minute",
           "about": "environ {} minutes", "between": "entre {} et {} minutes"},
    "en": {"under": "less than a minute", "one": "about 1 minute",
           "about": "about {} minutes", "between": "between {} and {} minutes"},
}


def speak_wait(seconds: float, lang: str, low: float | None = None,
               high: float | None = None) -> str:
    """A wait as people say it: 'moins d'une minute', 'environ 5 minutes', 'entre 10 et 15
    minutes' when the range `low`-`high` is wider than 4 minutes; above 10 minutes, steps of 5."""
    words = _WAIT_WORDS.get(lang, _WAIT_WORDS["fr"])
    if seconds < 60:
        return words["under"]
    minutes = seconds / 60
    if minutes >= 10 and low is not None and high is not None and high - low > 4 * 60:
        bottom = int(minutes // 5 * 5)
        return words["between"].format(bottom, bottom + 5)
    rounded = round(minutes) if minutes < 10 else int(5 * round(minutes / 5))
    if rounded <= 1:
        return words["one"]
    return words["about"].format(rounded)


CONTRACT_WORDS = {
    "fr": {"active": "contrat actif", "expiring": "contrat arrivant à échéance",
           "expired": "contrat expiré", "none": "sans contrat", "": "client non identifié"},
    "en": {"active": "active contract", "expiring": "contract ending soon",
           "expired": "expired contract", "none": "no contract", "": "unidentified caller"},
}


def speak_contract(state: str, lang: str) -> str:
    """A contract's state as the agent's whisper says it."""
    words = CONTRACT_WORDS.get(lang, CONTRACT_WORDS["fr"])
    return words.get(state, words[""])
