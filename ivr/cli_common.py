"""What the `ivr` commands share: time options and the service's parts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import click
import redis

from ivr.clock import Clock, parse_instant
from ivr.exceptions import ClockError, IvrError


def instant(ctx: click.Context, param: click.Parameter, value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        return parse_instant(value)
    except ClockError as exc:
        raise click.BadParameter(str(exc)) from None


def hotline(clock: Clock | None = None) -> Any:
    """The service's parts, for commands that work on Redis directly."""
    from ivr.services import Hotline
    from ivr.settings import load_settings

    try:
        service = Hotline(load_settings(), clock=clock)
        service.prepare()
        return service
    except IvrError as exc:
        raise click.ClickException(str(exc)) from None
    except redis.RedisError as exc:
        raise click.ClickException(f"cannot reach Redis: {exc}") from None


def as_option(command: Any) -> Any:
    """`--as NAME`: the user an action is recorded under in the audit log."""
    return click.option("--as", "by", default="system", show_default=True, metavar="NAME",
                        help="User the action is recorded under in the audit log.")(command)


def acting(service: Any, by: str) -> str:
    """`--as NAME` checked: a known user, or the system user."""
    from ivr import users

    if by != users.SYSTEM_USER and users.get(service.redis, by) is None:
        raise click.BadParameter(f"no user {by!r}", param_hint="--as")
    return by
