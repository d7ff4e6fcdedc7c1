"""The `ivr` command: call simulator, opening hours, flows, clients, worker, run.

Each command imports what it runs inside its own body, not at the top: `ivr --help` and a
command load only their own parts (importing every part up front makes each command start
about 0.5 s later, 2.9 s instead of 2.4 s here: `python -c "import ivr.cli"` against the same
with the admin, centre, local and maintenance modules). The same holds for the modules of
this package."""

from __future__ import annotations

import json
import logging
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from callbacks.cli import callbacks
from ivr.cli.admin import audit, guard
from ivr.cli.agents import agents, queues
from ivr.cli.common import (
    AnswersInOrder,
    Commands,
    hotline,
    phone_keys,
    spoken_words,
)
from ivr.cli.flow import flow
from ivr.cli.hours import announce, hours
from ivr.cli.sms import sms
from ivr.cli.users import users
from ivr.commands import acting, as_option, import_file, instant
from ivr.core.clock import Clock
from ivr.local.twilio.command import twilio_local
from maintenance.cli import maintenance

HOTLINE_NUMBER = "+33825000463"


@click.group(cls=Commands)
@click.option("-v", "--verbose", is_flag=True, help="Show the service's logs, and the traceback "
              "of an unexpected error.")
def main(verbose: bool) -> None:
    """Voice backend of the support hotline."""
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")


main.add_command(hours)
main.add_command(announce)
main.add_command(agents)
main.add_command(queues)
main.add_command(users)
main.add_command(twilio_local)
main.add_command(flow)
main.add_command(guard)
main.add_command(audit)
main.add_command(callbacks)
main.add_command(maintenance)
main.add_command(sms)


# -- ivr call ------------------------------------------------------------------------------


@main.command(cls=AnswersInOrder)
@click.option("--from", "caller", default="+33612345678", show_default=True,
              help="Caller ID (E.164).")
@click.option("--to", "called", default=HOTLINE_NUMBER, show_default=True,
              help="Number called (E.164).")
@click.option("--at", callback=instant, help="Clock of the call, ISO 8601 with offset "
              "(in-process only).")
@click.option("--press", multiple=True, callback=phone_keys,
              help="Keys for each <Gather> in order (0-9, *, #); '-' lets one "
              "time out. Repeat the option.")
@click.option("--say", multiple=True, callback=spoken_words, metavar="WORDS",
              help="Words said to the next <Gather> instead of keys, e.g. \"mille un\" "
              "(\"mille un@0.4\": heard with that confidence, default 0.95). --say and --press "
              "answer the gathers in the order given.")
@click.option("--url", help="Base URL of a running server (default: the app in-process).")
@click.option("--hold", default=60.0, show_default=True, type=click.FloatRange(0, 14400),
              help="Through a local Twilio stand-in: seconds a call waits in a queue, at most.")
@click.option("--json", "as_json", is_flag=True, help="Print steps and outcome as JSON.")
@click.option("--flow-version", type=int, help="Try saved flow version N instead of the "
              "published one (in-process only).")
def call(caller: str, called: str, at: datetime | None, press: tuple[str, ...],
         say: tuple[str, ...], url: str | None, hold: float, as_json: bool,
         flow_version: int | None) -> None:
    """Simulate a call: hear what the caller hears, press keys or say words."""
    from ivr.core.settings import load_settings
    from ivr.local.simulator import (
        IN_PROCESS_BASE,
        FlaskTransport,
        HttpTransport,
        SimulationError,
        Simulator,
        format_heard,
    )
    from ivr.local.simulator_local import LocalCall, LocalTwilio, StandInError

    settings = load_settings()
    token = settings.auth_token()
    if url:
        if at is not None or flow_version is not None:
            raise click.UsageError("--at and --flow-version are for an in-process call; "
                                   "a server at --url keeps its own clock and flow")
        transport: Any = HttpTransport()
        base = url
    else:
        from ivr import create_app
        from ivr.local.trial import use_version

        app = create_app({"CLOCK": Clock(at), "TRIAL": True})
        if flow_version is not None:
            use_version(app.extensions["ivr"], flow_version)
        transport = FlaskTransport(app)
        base = settings.public_url or IN_PROCESS_BASE
    answers: list[str] = click.get_current_context().meta["answers"]
    interactive = not answers and sys.stdin.isatty() and not as_json
    ask = (lambda hint: click.prompt(f"  keys ({hint}; Enter = none)", default="-",
                                     show_default=False)) if interactive else None
    listen = None if as_json else (lambda heard: click.echo(format_heard(heard)))
    local = LocalTwilio.discover(url) if url else None
    try:
        if local is not None:  # the server uses a local Twilio: queues and agents work
            result = LocalCall(local, caller, called, answers, hold, ask, listen).run()
        else:
            result = Simulator(transport, token, base, caller, called, answers, ask=ask,
                               listen=listen, account_sid=settings.twilio_account_sid).run()
    except (SimulationError, StandInError) as exc:
        raise click.ClickException(str(exc)) from None
    if as_json:
        click.echo(json.dumps(result.as_json(), ensure_ascii=False, indent=2))


# -- ivr clients ---------------------------------------------------------------------------


@main.group()
def clients() -> None:
    """The client directory."""


@clients.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@as_option
def clients_import(path: Path, by: str) -> None:
    """Upsert clients from a CSV export (comma or semicolon); a file with any bad row is
    refused whole."""
    from ivr.admin.clients import import_clients

    service = hotline()
    who = acting(service, by)
    import_file(path, lambda: f"imported {import_clients(service, path, path.name, who)} "
                              f"client(s) from {path}")


@clients.command("export")
@click.argument("path", type=click.Path(dir_okay=False, writable=True, path_type=Path),
                required=False)
def clients_export(path: Path | None) -> None:
    """Write every client as CSV (to PATH, else standard output), in the import's columns;
    cells that a spreadsheet would run as formulas are neutralised."""
    from ivr.callers import client_csv

    service = hotline()
    if path is None:
        client_csv.export_csv(service.redis, sys.stdout)
        return
    with path.open("w", encoding="utf-8", newline="") as handle:
        count = client_csv.export_csv(service.redis, handle)
    click.echo(f"exported {count} client(s) to {path}", err=True)


@clients.command("show")
@click.argument("client_id")
def clients_show(client_id: str) -> None:
    """One client, as JSON."""
    from ivr.callers import directory

    client = directory.get_client(hotline().redis, client_id)
    if client is None:
        raise click.ClickException(f"no client {client_id}")
    click.echo(json.dumps(client.model_dump(mode="json"), ensure_ascii=False, indent=2))


@clients.command("flagged")
def clients_flagged() -> None:
    """Client ids that callers from many numbers failed to identify as (never locked)."""
    from ivr.callers import guard

    flags = guard.flagged(hotline().redis)
    if not flags:
        click.echo("no flagged client id")
    for client_id, flag in sorted(flags.items()):
        click.echo(f"{client_id}  {flag['numbers']} numbers  last {flag['at']}")


@main.command()
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 5000))
@click.option("--json", "as_json", is_flag=True)
def voicemails(limit: int, as_json: bool) -> None:
    """Messages callers left, newest first."""
    from ivr.callers import voicemail

    messages = voicemail.recent(hotline().redis, limit)
    if as_json:
        click.echo(json.dumps(messages, ensure_ascii=False, indent=2))
        return
    if not messages:
        click.echo("no voicemail")
    for m in messages:
        who = m.get("company") or m.get("caller") or "unknown caller"
        click.echo(f"{m['at']}  {who}  {m['duration']}s  {m['url']}")


# -- ivr worker / run ----------------------------------------------------------------------


@main.command()
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
@click.option("--fork/--no-fork", default=True, show_default=True,
              help="A process per job (RQ's Worker), or jobs in the worker (SimpleWorker).")
def worker(burst: bool, fork: bool) -> None:
    """Run an RQ worker (with its scheduler) for callbacks and the daily maintenance job."""
    from ivr.centre.jobs import queue, run_worker
    from maintenance.jobs import schedule

    service = hotline()
    if not burst:  # a burst worker only empties the queues
        schedule(service, queue(service.settings), now=True)
    run_worker(service.settings, burst=burst, fork=fork)


@main.command("run")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
@click.option("--workers", default=2, show_default=True)
@click.option("--at", callback=instant, help="Run the whole contact centre as if it were this "
              "instant (ISO 8601 with offset; development only): e.g. a Monday morning.")
def run(host: str, port: int, workers: int, at: datetime | None) -> None:
    """Start everything: Redis (embedded unless REDIS_URL), web server, RQ worker."""
    import os

    from ivr.local.runner import run_all

    if at is not None:  # every process gets the same shift, so they agree on the time
        shift = (at - Clock().now()).total_seconds()
        os.environ["IVR_CLOCK_SHIFT"] = f"{shift:.3f}"
    run_all(host, port, workers)


if __name__ == "__main__":  # pragma: no cover
    main()
