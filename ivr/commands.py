"""What the command groups share, the `ivr` command's own and the packages' (`ivr maintenance`,
`ivr callbacks`): time options, who an action is recorded under, and how a CSV import reports."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from ivr.core.clock import parse_instant
from ivr.core.exceptions import ClockError, ImportRowsError
from ivr.people import users
from ivr.services.hotline import Hotline


def instant(ctx: click.Context, param: click.Parameter, value: str | None) -> datetime | None:
    """An `--at`-like option's ISO 8601 instant with its offset; a bad one is a usage error."""
    if value is None:
        return None
    try:
        return parse_instant(value)
    except ClockError as exc:
        raise click.BadParameter(str(exc)) from None


def as_option(command: Any) -> Any:
    """`--as NAME`: the user an action is recorded under in the audit log."""
    return click.option("--as", "by", default=users.SYSTEM_USER, show_default=True,
                        metavar="NAME",
                        help="User the action is recorded under in the audit log.")(command)


def acting(service: Hotline, by: str) -> str:
    """`--as NAME` checked: a known user, or the system user."""
    if by != users.SYSTEM_USER and users.get(service.redis, by) is None:
        raise click.BadParameter(f"no user {by!r}", param_hint="--as")
    return by


def import_file(path: Path, run: Callable[[], str]) -> None:
    """Run an import of the file at `path` and say what it did; a refused file is each of its
    problems on standard error, prefixed with the path, then one line and exit status 1."""
    try:
        done = run()
    except ImportRowsError as exc:
        for problem in exc.problems:
            click.echo(f"{path}: {problem}", err=True)
        raise click.ClickException(f"nothing imported: {len(exc.problems)} problem(s)") from None
    click.echo(done)
