"""`ivr guard` (locked-out caller numbers) and `ivr audit` (who changed what).

Commands import their parts in their body: see `ivr.cli` for why."""

from __future__ import annotations

import json
from datetime import datetime

import click

from ivr.cli.common import hotline
from ivr.commands import acting, as_option, instant


@click.group()
def guard() -> None:
    """Caller numbers locked out after repeated wrong client ids."""


@guard.command("list")
@click.option("--json", "as_json", is_flag=True)
def guard_list(as_json: bool) -> None:
    """Numbers locked out now, with when each lock ends."""
    from ivr.callers import guard as domain

    service = hotline()
    locked = domain.locked_numbers(service.redis, service.clock.now())
    if as_json:
        click.echo(json.dumps({n: until.isoformat() for n, until in locked.items()}))
        return
    if not locked:
        click.echo("no locked-out number")
    for number, until in locked.items():
        click.echo(f"{number}  until {until.isoformat()}")


@guard.command("unlock")
@click.argument("number")
@as_option
def guard_unlock(number: str, by: str) -> None:
    """Lift the lock-out of NUMBER (any usual form) and forget its failures."""
    from ivr.admin.clients import unlock_number

    service = hotline()
    parsed = unlock_number(service, number, acting(service, by))
    click.echo(f"{parsed} unlocked")


@click.command()
@click.option("--user", "who", help="Only this user's actions.")
@click.option("--action", help="Only this action (a prefix: 'flow' finds flow.publish).")
@click.option("--since", callback=instant, help="From this instant (ISO 8601 with offset).")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 10000))
@click.option("--json", "as_json", is_flag=True)
def audit(who: str | None, action: str | None, since: datetime | None, limit: int,
          as_json: bool) -> None:
    """The audit log, newest first: who changed what, when, from the pages, API and CLI."""
    from ivr.admin import audit as log

    found = log.entries(hotline().redis, who=who, action=action, since=since, limit=limit)
    if as_json:
        click.echo(json.dumps(found, ensure_ascii=False, indent=2))
        return
    if not found:
        click.echo("no entry")
    for e in found:
        click.echo(f"{e['at'][:19].replace('T', ' ')}  {e['who']}  {e['action']}  {e['what']}")
