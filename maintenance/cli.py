"""`ivr maintenance`: the worklists, their items' states, and the software orders."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path

import click

from ivr.commands import acting, as_option, import_file, instant
from ivr.core.clock import Clock
from ivr.core.exceptions import IvrError
from ivr.services.hotline import Hotline, for_command
from maintenance import actions, orders


def _service(at: datetime | None = None) -> Hotline:
    return for_command(Clock(at) if at else None)


@click.group()
def maintenance() -> None:
    """The maintenance follow-up: renewal and post-delivery estimates, per agency."""


@maintenance.command("list")
@click.option("--agency", help="One agency's worklist (default: every agency).")
@click.option("--at", callback=instant,
              help="Judge 'overdue' at this instant (ISO 8601 with offset).")
@click.option("--json", "as_json", is_flag=True, help="One JSON document.")
def maintenance_list(agency: str | None, at: datetime | None, as_json: bool) -> None:
    """Follow-ups, overdue first, then by due date; renewed and lost ones last."""
    service = _service(at)
    try:
        found = actions.agency_items(service, agency)
    except IvrError as exc:
        raise click.BadParameter(str(exc), param_hint="--agency") from None
    today = actions.today(service)
    if as_json:
        click.echo(json.dumps([item.as_json(today) for item in found], ensure_ascii=False))
        return
    if not found:
        click.echo("no follow-up")
    for item in found:
        late = " OVERDUE" if item.overdue(today) else ""
        click.echo(f"{item.due}  {item.agency:<10} {item.kind:<9} client {item.client_id:<6} "
                   f"{actions.STATE_LABELS[item.state]:<14} {item.id}{late}")


@maintenance.command("build")
@click.option("--at", callback=instant,
              help="Build as on this instant (ISO 8601 with offset); default: now.")
def maintenance_build(at: datetime | None) -> None:
    """Add today's follow-ups to the worklists now (the daily job does it every morning)."""
    done = actions.build(_service(at))
    click.echo(f"{done['due']} follow-up(s) due, {done['created']} new")


@maintenance.command("set")
@click.argument("item_id", metavar="ID")
@click.argument("state", type=click.Choice(["todo", "estimate_sent", "renewed", "lost"]))
@click.option("--seen", default="", help="Only if the item is still in this state.")
@as_option
def maintenance_set(item_id: str, state: str, seen: str, by: str) -> None:
    """Change a follow-up's state (audited)."""
    service = _service()
    try:
        item = actions.set_state(service, item_id, seen, state, acting(service, by))
    except IvrError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{item.id}: {actions.STATE_LABELS[item.state]}")


@maintenance.command("import-orders")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--at", callback=instant,
              help="Build the worklists as on this instant (ISO 8601 with offset); default: now.")
@as_option
def maintenance_import(path: Path, at: datetime | None, by: str) -> None:
    """Upsert software orders (client_id,order_id,product,delivered_on) and put their estimates
    on the worklists; a file with any bad cell is refused whole, each problem named by line
    and column."""
    service = _service(at)
    who = acting(service, by)

    def run() -> str:
        count, created = actions.import_orders(service, path, path.name, who)
        return f"imported {count} order(s) from {path}; {created} new follow-up(s)"

    import_file(path, run)


@maintenance.command("export-orders")
def maintenance_export() -> None:
    """Write every order as CSV to standard output, in the import's columns."""
    orders.export_csv(_service().redis, sys.stdout)
