"""The agent console (/agent), the supervisor view (/supervisor) and their JSON API (/api/).

(DESIGN.md names this package `ivr/agents/`; `ivr/centre/agents.py` is already the roster's
domain module, so the pages live here.)

    agent.py       /agent: presence, screen pop, queues, recent calls, voicemails
    supervisor.py  /supervisor: every queue and agent live, a day's figures and charts
    api.py         /api/...: the same data as JSON, presence changes
    desk.py        the data both pages and the API show (read through the domain modules)
    charts.py      SVG geometry of the figures' charts

The pages are server-rendered; `static/console.js` polls each page's live parts (rendered
HTML, swapped when changed) every second.
"""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint

from ivr.services.hotline import hotline

STATE_LABELS = {"offline": "Offline", "available": "Available", "ringing": "Ringing",
                "busy": "On a call", "wrapup": "Wrap-up", "break": "On a break"}
CONTRACT_LABELS = {"active": "Active", "expiring": "Expiring soon", "expired": "Expired",
                   "none": "No contract"}
OUTCOME_LABELS = {"answered": "Answered", "abandoned": "Abandoned", "overflow": "Overflow"}


def duration(seconds: int | None) -> str:
    """45 s, 3 min 05 s, 1 h 02 min; an em dash when unknown."""
    if seconds is None:
        return "—"
    seconds = max(0, int(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"


def local_time(iso: str | None, with_day: bool = False) -> str:
    """An ISO 8601 instant as the contact centre's local time (HH:MM:SS, or DD/MM HH:MM)."""
    if not iso:
        return "—"
    try:
        moment = datetime.fromisoformat(iso).astimezone(hotline().settings.tz)
    except ValueError:
        return "—"
    return moment.strftime("%d/%m %H:%M" if with_day else "%H:%M:%S")


def percent(share: float | None) -> str:
    return "—" if share is None else f"{round(share * 100)} %"


def safe_url(url: str | None) -> str | None:
    """An http(s) URL to link to, or None (never a javascript: or data: URL)."""
    return url if url and url.startswith(("https://", "http://")) else None


FILTERS = {"duration": duration, "local_time": local_time, "percent": percent,
           "safe_url": safe_url}
GLOBALS = {"STATE_LABELS": STATE_LABELS, "CONTRACT_LABELS": CONTRACT_LABELS,
           "OUTCOME_LABELS": OUTCOME_LABELS}


def add_template_helpers(bp: Blueprint) -> None:
    """Give the app's templates the console's filters and labels when `bp` is registered."""

    def install(state: object) -> None:
        env = state.app.jinja_env  # type: ignore[attr-defined]
        env.filters.update(FILTERS)
        env.globals.update(GLOBALS)

    bp.record_once(install)
