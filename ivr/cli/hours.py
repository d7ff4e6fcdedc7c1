"""`ivr hours` (status, calendar, emergency closure) and `ivr announce`.

Commands import their parts in their body: see `ivr.cli` for why."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

import click

from ivr.cli.common import hotline
from ivr.commands import acting, as_option, instant
from ivr.core.exceptions import IvrError


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
    from ivr.flows import switches as live
    from ivr.flows.speech import speak_datetime

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
@as_option
def hours_emergency(action: str, until: datetime | None, reason: str, by: str) -> None:
    """Close the line now until --until (it reopens by itself), end it, or show it."""
    from ivr.admin import switches

    service = hotline()
    if action == "close":
        if until is None:
            raise click.BadParameter("needs a future --until", param_hint="--until")
        try:
            switches.set_emergency(service, until, reason, acting(service, by))
        except IvrError as exc:
            raise click.BadParameter(str(exc), param_hint="--until") from None
    elif action == "end":
        switches.end_emergency(service, acting(service, by))
    emergency = switches.active(service)["emergency"]
    if emergency:
        click.echo(f"emergency closure until {emergency['until']} {emergency['reason']}")
    else:
        click.echo("no emergency closure")


@hours.group("closure")
def hours_closure() -> None:
    """Dated closures (callers hear the reason and when the line reopens)."""


@hours_closure.command("add")
@click.argument("schedule")
@click.option("--date", "first", required=True, type=click.DateTime(["%Y-%m-%d"]),
              help="The day (or first day) of the closure.")
@click.option("--to", "last", type=click.DateTime(["%Y-%m-%d"]), help="Last day, included.")
@click.option("--from-time", type=click.DateTime(["%H:%M"]), help="Closed from this time of "
              "the first day.")
@click.option("--to-time", type=click.DateTime(["%H:%M"]), help="Until this time of the last day.")
@click.option("--reason", required=True, help="What callers hear, e.g. 'séminaire annuel'.")
@as_option
def hours_closure_add(schedule: str, first: datetime, last: datetime | None,
                      from_time: datetime | None, to_time: datetime | None, reason: str,
                      by: str) -> None:
    """Close SCHEDULE on a date (a new published flow version)."""
    from ivr.admin import flows

    service = hotline()
    revision = flows.add_closure(
        service, schedule, first.date(), last.date() if last else None, reason,
        acting(service, by), from_time.time() if from_time else None,
        to_time.time() if to_time else None)
    click.echo(f"closure added: published version {revision.number}")


@hours_closure.command("list")
@click.argument("schedule", default="support")
def hours_closure_list(schedule: str) -> None:
    """The dated closures of SCHEDULE, numbered for `remove`."""
    service = hotline()
    for n, closure in enumerate(_schedule(service, schedule).closures, 1):
        click.echo(f"{n}  {closure.describe()}  {closure.reason}")


@hours_closure.command("remove")
@click.argument("schedule")
@click.argument("number", type=click.IntRange(1))
@as_option
def hours_closure_remove(schedule: str, number: int, by: str) -> None:
    """Remove closure NUMBER (as listed) of SCHEDULE."""
    from ivr.admin import flows

    service = hotline()
    revision = flows.remove_closure(service, schedule, number - 1, acting(service, by))
    click.echo(f"closure removed: published version {revision.number}")


@click.command()
@click.argument("name")
@click.option("--fr", "text_fr", help="Text in French.")
@click.option("--en", "text_en", help="Text in English.")
@click.option("--until", callback=instant, help="When it stops being played.")
@click.option("--clear", is_flag=True, help="Withdraw it now.")
@as_option
def announce(name: str, text_fr: str | None, text_en: str | None, until: datetime | None,
             clear: bool, by: str) -> None:
    """Set (or --clear) the announcement played at announcement node NAME (e.g. incident);
    `ivr announce show` lists those playing."""
    from ivr.admin import switches

    service = hotline()
    if name == "show" and not (text_fr or text_en or until or clear):
        playing = switches.active(service)["announcements"]
        if not playing:
            click.echo("no announcement")
        for key, item in playing.items():
            texts = "  ".join(f"[{lang}] {text}" for lang, text in item["text"].items())
            click.echo(f"{key} until {item['until']}  {texts}")
        return
    if clear:
        switches.clear_announcement(service, name, acting(service, by))
        click.echo(f"announcement {name} withdrawn")
        return
    given = {k: v for k, v in (("fr", text_fr), ("en", text_en)) if v}
    if not given or until is None:
        raise click.UsageError("give --fr and/or --en, and --until")
    switches.set_announcement(service, name, given, until, acting(service, by))
    click.echo(f"announcement {name} until {until.isoformat()}")
