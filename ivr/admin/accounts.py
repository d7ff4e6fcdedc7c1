"""Admin actions on users: add, change password or role, remove, API tokens."""

from __future__ import annotations

from typing import Any

from ivr.admin import audit
from ivr.core.exceptions import UserError
from ivr.people import sessions, users
from ivr.people.users import User
from ivr.services.hotline import Hotline


def _shown(user: User | None) -> dict[str, Any] | None:
    return user.as_json() if user else None


def _check_last_admin(service: Hotline, name: str) -> None:
    """The last admin is never removed or demoted: someone must be able to sign in to fix."""
    admins = [u.name for u in users.all_users(service.redis) if u.role == "admin"]
    if admins == [name]:
        raise UserError(f"{name!r} is the last admin; add another admin first")


def add_user(service: Hotline, name: str, role: str, password: str, by: str,
             agent_id: str | None = None) -> User:
    """A new user with a role (an agent user is linked to an agent of the roster)."""
    now = service.clock.now()
    user = users.add(service.redis, name, role, password, now, agent_id)
    audit.record(service.redis, now, by, "user.add", f"user {name} ({user.role})",
                 None, _shown(user))
    return user


def change_password(service: Hotline, name: str, password: str, by: str) -> User:
    """A new password; the user's open sessions end."""
    now = service.clock.now()
    user = users.set_password(service.redis, name, password, now)
    ended = sessions.close_all(service.redis, name)
    audit.record(service.redis, now, by, "user.password",
                 f"password of {name} changed ({ended} session(s) ended)")
    return user


def change_role(service: Hotline, name: str, role: str, by: str,
                agent_id: str | None = None) -> User:
    """A new role (and agent id); the user's open sessions end."""
    before = users.get(service.redis, name)
    if before is None:
        raise UserError(f"no user {name!r}")
    if before.role == "admin" and role != "admin":
        _check_last_admin(service, name)
    user = users.set_role(service.redis, name, role, agent_id)
    sessions.close_all(service.redis, name)
    audit.record(service.redis, service.clock.now(), by, "user.role",
                 f"user {name}: {before.role} -> {user.role}", _shown(before), _shown(user))
    return user


def remove_user(service: Hotline, name: str, by: str) -> User:
    """Remove a user: their sessions end and their API tokens stop working."""
    user = users.get(service.redis, name)
    if user is None:
        raise UserError(f"no user {name!r}")
    if user.role == "admin":
        _check_last_admin(service, name)
    users.remove(service.redis, name)
    sessions.close_all(service.redis, name)
    audit.record(service.redis, service.clock.now(), by, "user.remove",
                 f"user {name} ({user.role})", _shown(user), None)
    return user


def issue_token(service: Hotline, name: str, label: str, by: str) -> tuple[str, str]:
    """A new API token for `name`: (token id, token); the token is shown only this once."""
    now = service.clock.now()
    token_id, token = users.issue_token(service.redis, name, label, now)
    audit.record(service.redis, now, by, "user.token", f"API token {token_id} for {name}",
                 None, {"id": token_id, "label": label})
    return token_id, token


def revoke_token(service: Hotline, name: str, token_id: str, by: str) -> None:
    users.revoke_token(service.redis, name, token_id)
    audit.record(service.redis, service.clock.now(), by, "user.token.revoke",
                 f"API token {token_id} of {name} revoked", {"id": token_id}, None)
