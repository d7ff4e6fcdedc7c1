"""`ivr hours` (status, calendar, emergency closure) and `ivr announce`."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

import click

from ivr.cli_common import hotline, instant


@click.group()
def hours() -> None:
    """Opening hours: status, calendar, emergency closure."""


def _schedule(service: Any, name: str) -> Any:
    flow = service.flows.current()
    if name not in flow.schedules:
        raise click.BadParameter(f"unknown schedule {name!r}; known: "
                                 f"{', '.join(sorted(flow.schedules))}", param_hint="--schedule")
    return flow.schedules[name]


@hours.command("status")
@click.option("--at", callback=instant, help="Instant to check, ISO 8601 with offset.")
@click.option("--schedule", "name", default="support", show_default=True)
@click.option("--lang", default="fr", show_default=True, help="Language of holiday names.")
@click.option("--json", "as_json", is_flag=True)
def hours_status(at: datetime | None, name: str, lang: str, as_json: bool) -> None:
    """Open or closed now (or --at), why, and the next opening."""
    from ivr import live
    from ivr.speech import speak_datetime

    service = hotline()
    schedule = _schedule(service, name)
    at = at or service.clock.now()
    status = schedule.status(at, live.read(service.redis).emergency, lang)
    if as_json:
        click.echo(json.dumps(status.as_json(), ensure_ascii=False))
        return
    local = at.astimezone(schedule.tz)
    if status.open:
        closes = status.closes_at.strftime("%H:%M") if status.closes_at else "?"
        click.echo(f"{name}: open at {local:%Y-%m-%d %H:%M %Z} (closes {closes})")
    else:
        why = status.holiday or status.closure or status.reason.replace("_", " ")
        click.echo(f"{name}: closed at {local:%Y-%m-%d %H:%M %Z} ({why}); reopens "
                   f"{speak_datetime(status.next_open, 'en', local.date())} "
                   f"({status.next_open.isoformat()})")


@hours.command("calendar")
@click.option("--from", "first", type=click.DateTime(["%Y-%m-%d"]), help="First day (today).")
@click.option("--days", default=14, show_default=True, type=click.IntRange(1, 800))
@click.option("--schedule", "name", default="support", show_default=True)
@click.option("--lang", default="fr", show_default=True, help="Language of holiday names.")
def hours_calendar(first: datetime | None, days: int, name: str, lang: str) -> None:
    """The opening calendar, holidays and closures named."""
    service = hotline()
    schedule = _schedule(service, name)
    start: date = first.date() if first else service.clock.now().astimezone(schedule.tz).date()
    for day in schedule.calendar(start, days, lang):
        if day.holiday:
            what = f"closed - holiday: {day.holiday}"
        elif day.closure and not day.hours:
            what = f"closed - {day.closure}"
        elif not day.intervals:
            what = "closed"
        else:
            what = ", ".join(str(i) for i in day.hours)
            if day.closure:
                what += f" (partly closed - {day.closure})"
        click.echo(f"{day.day:%a %Y-%m-%d}  {what}")


@hours.command("emergency")
@click.argument("action", type=click.Choice(["close", "end", "show"]))
@click.option("--until", callback=instant, help="When the line reopens (for close).")
@click.option("--reason", default="", help="Why (kept for admins).")
def hours_emergency(action: str, until: datetime | None, reason: str) -> None:
    """Close the line now until --until (it reopens by itself), end it, or show it."""
    from ivr import live

    service = hotline()
    if action == "close":
        if until is None or until <= service.clock.now():
            raise click.BadParameter("needs a future --until", param_hint="--until")
        live.close_emergency(service.redis, service.clock.now(), until, reason)
    elif action == "end":
        live.end_emergency(service.redis)
    emergency = live.read(service.redis).emergency
    if emergency and emergency.active(service.clock.now()):
        click.echo(f"emergency closure until {emergency.until.isoformat()} {emergency.reason}")
    else:
        click.echo("no emergency closure")


@click.command()
@click.argument("name")
@click.option("--fr", "text_fr", help="Text in French.")
@click.option("--en", "text_en", help="Text in English.")
@click.option("--until", callback=instant, help="When it stops being played.")
@click.option("--clear", is_flag=True, help="Withdraw it now.")
def announce(name: str, text_fr: str | None, text_en: str | None, until: datetime | None,
             clear: bool) -> None:
    """Set (or --clear) the announcement played at announcement node NAME (e.g. incident)."""
    from ivr import live

    service = hotline()
    if clear:
        live.withdraw(service.redis, name)
        click.echo(f"announcement {name} withdrawn")
        return
    texts = {k: v for k, v in (("fr", text_fr), ("en", text_en)) if v}
    if not texts or until is None:
        raise click.UsageError("give --fr and/or --en, and --until")
    live.announce(service.redis, name, texts, until)
    click.echo(f"announcement {name} until {until.isoformat()}")
