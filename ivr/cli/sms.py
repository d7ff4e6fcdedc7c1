"""`ivr sms`: the numbers SMS are stopped to (stop one, allow one again), the latest SMS sent."""

from __future__ import annotations

import json

import click

from ivr.cli.common import hotline
from ivr.commands import acting, as_option
from sms import optout, outbox


@click.group()
def sms() -> None:
    """SMS to callers: STOP kept per number, what was sent."""


@sms.command("stopped")
@click.option("--json", "as_json", is_flag=True)
def sms_stopped(as_json: bool) -> None:
    """Numbers SMS are stopped to (STOP texted, or stopped by hand), the latest first."""
    found = optout.stopped(hotline().redis)
    if as_json:
        click.echo(json.dumps([{"number": n, **entry} for n, entry in found.items()]))
        return
    if not found:
        click.echo("no number is stopped")
    for number, entry in found.items():
        click.echo(f"{number}  since {entry.get('at', '-')}  by {entry.get('by', '-')}")


@sms.command("stop")
@click.argument("number")
@as_option
def sms_stop(number: str, by: str) -> None:
    """Stop every SMS to NUMBER (any usual form) until it texts START or is allowed again."""
    service = hotline()
    parsed = optout.stop_by_hand(service.redis, number, service.clock.now(),
                                 acting(service, by))
    click.echo(f"SMS to {parsed} stopped")


@sms.command("start")
@click.argument("number")
@as_option
def sms_start(number: str, by: str) -> None:
    """Allow SMS to NUMBER (any usual form) again."""
    service = hotline()
    parsed = optout.start_by_hand(service.redis, number, service.clock.now(),
                                  acting(service, by))
    click.echo(f"SMS to {parsed} allowed again")


@sms.command("sent")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 1000))
@click.option("--json", "as_json", is_flag=True)
def sms_sent(limit: int, as_json: bool) -> None:
    """The latest SMS sent (kept 30 days), newest first, numbers masked."""
    found = [outbox.summary(record) for record in outbox.recent(hotline().redis, limit)]
    if as_json:
        click.echo(json.dumps(found))
        return
    if not found:
        click.echo("no SMS sent")
    for m in found:
        error = f"  {m['error']}" if m["error"] else ""
        click.echo(f"{m['id']:>6}  {m['created'][:19].replace('T', ' ')}  {m['to']}  "
                   f"{m['kind']:<8}  {m['status']}{error}")
