"""`ivr callbacks`: ask for a callback as the flow would, list them, cancel one."""

from __future__ import annotations

import json
import sys
from datetime import datetime

import click

from callbacks import store
from callbacks.policy import refusal
from callbacks.scheduling import ask_for, cancel, describe
from ivr.commands import acting, instant
from ivr.core.clock import Clock
from ivr.services.hotline import Hotline, for_command
from sms.notify import confirm_bookings


def hotline(clock: Clock | None = None) -> Hotline:
    """The service, its bookings confirmed by SMS as the app's are."""
    service = for_command(clock)
    confirm_bookings(service)
    return service


@click.group()
def callbacks() -> None:
    """Callbacks: the hotline calls clients back, once, at their turn."""


@callbacks.command("request")
@click.option("--client", "client_id", required=True, help="Client ID (from the directory).")
@click.option("--number", required=True, help="Number to call back (any usual form).")
@click.option("--at", callback=instant, help="Ask at this instant (ISO 8601 with offset); "
              "default: now.")
@click.option("--json", "as_json", is_flag=True)
def callbacks_request(client_id: str, number: str, at: datetime | None, as_json: bool) -> None:
    """Ask for a callback as the flow would: due now in its queue when open, else at the next
    opening. A refused number exits with status 1."""
    service = hotline(Clock(at) if at else None)
    outcome = ask_for(service, number, client_id=client_id, source="cli")
    if not outcome.accepted:
        reason = outcome.refused or "invalid"
        if as_json:
            click.echo(json.dumps({"refused": reason}))
        else:
            click.echo(f"refused: {refusal(number, reason)}", err=True)
        sys.exit(1)
    found = {"id": outcome.id, "state": outcome.state, "number": outcome.number,
             "due": outcome.due.isoformat(timespec="seconds") if outcome.due else None}
    if as_json:
        click.echo(json.dumps(found))
        return
    click.echo(f"callback {found['id']} ({outcome.status}): {found['state']}, "
               f"due {found['due']}, calling {found['number']}")


@callbacks.command("list")
@click.option("--all", "everything", is_flag=True, help="Also completed and cancelled ones.")
@click.option("--json", "as_json", is_flag=True)
def callbacks_list(everything: bool, as_json: bool) -> None:
    """Pending callbacks (oldest first), then failed ones for agents to follow up."""
    service = hotline()
    found = [*store.pending(service.redis), *store.failed(service.redis)]
    if everything:
        found += store.finished(service.redis)
    items = describe(service, found)
    if as_json:
        click.echo(json.dumps(items, ensure_ascii=False, indent=2))
        return
    if not items:
        click.echo("no callback")
    for item in items:
        who = item["company"] or (f"client {item['client_id']}" if item["client_id"]
                                  else "unidentified")
        reason = f" ({item['reason']})" if item["reason"] else ""
        click.echo(f"{item['id']:>6}  {item['state']:<10} {item['number']:<14} "
                   f"due {item['due'] or '-'}  {item['queue']:<18} "
                   f"{item['attempts']}/{item['max_attempts']}  {who}{reason}")


@callbacks.command("cancel")
@click.argument("cb_id", metavar="ID")
@click.option("--as", "by", default="system", show_default=True, metavar="NAME",
              help="User the action is recorded under in the audit log.")
def callbacks_cancel(cb_id: str, by: str) -> None:
    """Cancel a pending callback (not while its client's phone rings)."""
    service = hotline()
    done, result = cancel(service, cb_id, acting(service, by))
    if done:
        click.echo(f"callback {cb_id} cancelled")
        return
    if result == "unknown":
        raise click.ClickException(f"no callback {cb_id}")
    if result in ("dialling", "connected"):
        raise click.ClickException(f"callback {cb_id} is {result} now; it cannot be cancelled")
    raise click.ClickException(f"callback {cb_id} is already {result}")
