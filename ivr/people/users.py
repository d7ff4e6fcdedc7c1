"""Users of the web pages and API: names, roles, hashed passwords, API tokens, in Redis.

Roles are ranked: an admin may do what a supervisor may, a supervisor what an agent may.
Passwords are hashed with werkzeug.security; API tokens are stored as their SHA-256 only.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import redis
from werkzeug.security import check_password_hash, generate_password_hash

from ivr.centre import agents  # the roster: the one place every face passes through
from ivr.core.exceptions import UserError

Role = Literal["agent", "supervisor", "admin"]
ROLES: tuple[Role, ...] = ("agent", "supervisor", "admin")  # ranked, lowest first
SYSTEM_USER = "system"  # who the command line acts as when not told (`--as NAME`)

USERS_KEY = "ivr:users"  # hash: name -> user JSON (with the password hash)
TOKENS_KEY = "ivr:user:tokens"  # hash: sha256(token) -> {name, id, label, created}

NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,31}$")
AGENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
MIN_PASSWORD = 10
MAX_PASSWORD = 256
TOKEN_PREFIX = "ivr_"
DEFAULT_HASH_METHOD = "scrypt"  # werkzeug's default
HASH_METHOD = DEFAULT_HASH_METHOD  # the test suite sets a cheaper one, for speed
_dummy: dict[str, str] = {}


def _hash(password: str) -> str:
    return generate_password_hash(password, method=HASH_METHOD)


def _dummy_hash() -> str:
    """Checked against when the name is unknown, so a wrong name costs as long as a wrong
    password."""
    if HASH_METHOD not in _dummy:
        _dummy[HASH_METHOD] = _hash(secrets.token_hex(16))
    return _dummy[HASH_METHOD]


@dataclass(frozen=True)
class User:
    """A user as the pages see it (no password hash)."""

    name: str
    role: Role
    agent_id: str | None = None
    created: str = ""

    def can(self, role: str) -> bool:
        """True when this user has `role` or a higher one."""
        return role in ROLES and ROLES.index(self.role) >= ROLES.index(role)

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def check_name(name: str) -> str:
    if not NAME.match(name or ""):
        raise UserError(f"user name must be 1-32 lower-case letters, digits, '.', '_' or '-', "
                        f"starting with a letter or digit; got {name!r}")
    if name == SYSTEM_USER:
        raise UserError(f"{SYSTEM_USER!r} is reserved for actions taken by the system")
    return name


def check_role(role: str) -> Role:
    if role not in ROLES:
        raise UserError(f"role must be one of {', '.join(ROLES)}; got {role!r}")
    return role


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise UserError(f"password must have at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise UserError(f"password must have at most {MAX_PASSWORD} characters")
    return password


def check_agent(r: redis.Redis, role: str, agent_id: str | None) -> str | None:
    """An agent user is linked to an agent of the roster; other roles may be linked to one."""
    agent_id = (agent_id or "").strip() or None
    if agent_id is None:
        if role == "agent":
            raise UserError("an agent user needs an agent id (--agent-id)")
        return None
    if not AGENT_ID.match(agent_id):
        raise UserError(f"agent id must be letters, digits, '.', '_' or '-'; got {agent_id!r}")
    if agents.get(r, agent_id) is None:
        raise UserError(f"no agent {agent_id!r} in the roster (add it with `ivr agents add`)")
    return agent_id


def _record(r: redis.Redis, name: str) -> dict[str, Any] | None:
    raw = r.hget(USERS_KEY, name)
    return json.loads(raw) if raw else None


def _user(data: dict[str, Any]) -> User:
    return User(data["name"], data["role"], data.get("agent_id"), data.get("created", ""))


def get(r: redis.Redis, name: str) -> User | None:
    data = _record(r, name)
    return _user(data) if data else None


def all_users(r: redis.Redis) -> list[User]:
    raw: dict[str, str] = r.hgetall(USERS_KEY)  # type: ignore[assignment]
    return [_user(json.loads(raw[name])) for name in sorted(raw)]


def add(r: redis.Redis, name: str, role: str, password: str, now: datetime,
        agent_id: str | None = None) -> User:
    """A new user; refused when the name is taken."""
    check_name(name)
    role = check_role(role)
    data = {"name": name, "role": role, "agent_id": check_agent(r, role, agent_id),
            "created": now.isoformat(), "password": _hash(check_password(password))}
    if not r.hsetnx(USERS_KEY, name, json.dumps(data)):
        raise UserError(f"user {name!r} already exists")
    return _user(data)


def _update(r: redis.Redis, name: str, **changes: Any) -> User:
    """Change fields of a user atomically (a concurrent removal is not undone)."""

    def change(pipe: redis.client.Pipeline) -> User:
        raw = pipe.hget(USERS_KEY, name)
        if not raw:
            raise UserError(f"no user {name!r}")
        data = {**json.loads(raw), **changes}
        pipe.multi()
        pipe.hset(USERS_KEY, name, json.dumps(data))
        return _user(data)

    user: User = r.transaction(change, USERS_KEY,  # type: ignore[arg-type,assignment]
                               value_from_callable=True)
    return user


def set_password(r: redis.Redis, name: str, password: str, now: datetime) -> User:
    return _update(r, name, password=_hash(check_password(password)),
                   changed=now.isoformat())


def set_role(r: redis.Redis, name: str, role: str, agent_id: str | None) -> User:
    role = check_role(role)
    return _update(r, name, role=role, agent_id=check_agent(r, role, agent_id))


def remove(r: redis.Redis, name: str) -> User:
    """Remove a user and revoke their API tokens (their sessions are closed by the caller)."""
    user = get(r, name)
    if user is None:
        raise UserError(f"no user {name!r}")
    tokens: dict[str, str] = r.hgetall(TOKENS_KEY)  # type: ignore[assignment]
    pipe = r.pipeline(transaction=True)
    pipe.hdel(USERS_KEY, name)
    for digest, raw in tokens.items():
        if json.loads(raw)["name"] == name:
            pipe.hdel(TOKENS_KEY, digest)
    pipe.execute()
    return user


def verify(r: redis.Redis, name: str, password: str) -> User | None:
    """The user when the password is theirs; a wrong name costs as long as a wrong password."""
    data = _record(r, name) if NAME.match(name or "") else None
    if len(password) > MAX_PASSWORD:
        return None
    if data is None:
        check_password_hash(_dummy_hash(), password)
        return None
    return _user(data) if check_password_hash(data["password"], password) else None


# -- API tokens ------------------------------------------------------------------------------


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(r: redis.Redis, name: str, label: str, now: datetime) -> tuple[str, str]:
    """A new bearer token for `name`: (token id, token). The token is shown once, kept hashed."""
    if get(r, name) is None:
        raise UserError(f"no user {name!r}")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token_id = secrets.token_hex(4)
    r.hset(TOKENS_KEY, _digest(token), json.dumps(
        {"name": name, "id": token_id, "label": label[:80], "created": now.isoformat()}))
    return token_id, token


def tokens(r: redis.Redis, name: str | None = None) -> list[dict[str, str]]:
    """API tokens (without the secret), of one user or all."""
    raw: dict[str, str] = r.hgetall(TOKENS_KEY)  # type: ignore[assignment]
    found = [json.loads(v) for v in raw.values()]
    return sorted((t for t in found if name is None or t["name"] == name),
                  key=lambda t: (t["name"], t["created"]))


def revoke_token(r: redis.Redis, name: str, token_id: str) -> None:
    raw: dict[str, str] = r.hgetall(TOKENS_KEY)  # type: ignore[assignment]
    for digest, value in raw.items():
        data = json.loads(value)
        if data["name"] == name and data["id"] == token_id:
            r.hdel(TOKENS_KEY, digest)
            return
    raise UserError(f"user {name!r} has no token {token_id!r}")


def user_for_token(r: redis.Redis, token: str) -> User | None:
    """The user a bearer token belongs to, or None."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 100:
        return None
    raw = r.hget(TOKENS_KEY, _digest(token))  # looked up by hash: no timing on the secret
    return get(r, json.loads(raw)["name"]) if raw else None


# -- demo users (development, with demo data only) ----------------------------------------------

# (name, role, agent id): the agent id is a demo agent of the roster (config/demo_agents.csv)
DEMO_USERS = (("admin", "admin", None), ("supervisor", "supervisor", None),
              ("agent", "agent", "sophie"))


def ensure_demo_users(r: redis.Redis, instance_dir: Path, now: datetime) -> list[tuple[str, str]]:
    """Create the demo users when missing; their passwords, random and kept private in the
    instance folder, are returned so that `make run` can print them: [(name, password)]."""
    path = instance_dir / "demo_users.json"
    try:
        known: dict[str, str] = json.loads(path.read_text())
    except (FileNotFoundError, ValueError):
        known = {}
    logins = []
    for name, role, agent_id in DEMO_USERS:
        password = known.get(name) or secrets.token_urlsafe(9)
        if get(r, name) is None:
            add(r, name, role, password, now, agent_id)
        elif name not in known:  # a user from an earlier run whose password was not kept
            set_password(r, name, password, now)
        known[name] = password
        logins.append((name, password))
    instance_dir.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.write_text(json.dumps(known))
    return logins
