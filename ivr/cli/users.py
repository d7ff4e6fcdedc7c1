"""`ivr users`: add, list, change the password of, remove users; API tokens.

Commands import their parts in their body: see `ivr.cli` for why."""

from __future__ import annotations

import json
import sys

import click

from ivr.cli.common import hotline
from ivr.commands import acting, as_option


@click.group()
def users() -> None:
    """Users of the web pages and API (roles agent, supervisor, admin)."""


def _password() -> str:
    """Asked twice on a terminal; otherwise the first line of standard input."""
    if sys.stdin.isatty():
        password: str = click.prompt("Password", hide_input=True, confirmation_prompt=True)
        return password
    return sys.stdin.readline().rstrip("\r\n")


@users.command("add")
@click.argument("name")
@click.option("--role", required=True, type=click.Choice(["agent", "supervisor", "admin"]))
@click.option("--agent-id", help="The agent of the roster this user is (agents: required).")
@as_option
def users_add(name: str, role: str, agent_id: str | None, by: str) -> None:
    """Add a user; the password is asked (or read from standard input)."""
    from ivr.admin import accounts

    service = hotline()
    user = accounts.add_user(service, name, role, _password(), acting(service, by), agent_id)
    click.echo(f"added {user.name} ({user.role})")


@users.command("list")
@click.option("--json", "as_json", is_flag=True)
def users_list(as_json: bool) -> None:
    """Every user with their role and agent id."""
    from ivr.people import users as domain

    found = domain.all_users(hotline().redis)
    if as_json:
        click.echo(json.dumps([u.as_json() for u in found], indent=2))
        return
    if not found:
        click.echo("no user")
    for user in found:
        agent = f"  agent {user.agent_id}" if user.agent_id else ""
        click.echo(f"{user.name}  {user.role}{agent}")


@users.command("password")
@click.argument("name")
@as_option
def users_password(name: str, by: str) -> None:
    """Set a new password (asked, or read from standard input); open sessions end."""
    from ivr.admin import accounts

    service = hotline()
    accounts.change_password(service, name, _password(), acting(service, by))
    click.echo(f"password of {name} changed")


@users.command("remove")
@click.argument("name")
@as_option
def users_remove(name: str, by: str) -> None:
    """Remove a user; their sessions end and their API tokens stop working."""
    from ivr.admin import accounts

    service = hotline()
    accounts.remove_user(service, name, acting(service, by))
    click.echo(f"removed {name}")


@users.command("token")
@click.argument("name")
@click.option("--label", default="", help="What the token is for (e.g. 'CI').")
@as_option
def users_token(name: str, label: str, by: str) -> None:
    """Issue an API token for NAME (printed once: keep it)."""
    from ivr.admin import accounts

    service = hotline()
    token_id, token = accounts.issue_token(service, name, label, acting(service, by))
    click.echo(token)
    click.echo(f"token {token_id} for {name}: send it as 'Authorization: Bearer <token>'",
               err=True)
