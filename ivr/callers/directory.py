"""The client directory: clients, their maintenance contracts and phone numbers, in Redis."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date
from typing import Any, Literal

import redis
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from ivr.core.phones import parse_phone

CLIENT_KEY = "ivr:client:{}"
PHONE_KEY = "ivr:phone:{}"
CLIENTS_KEY = "ivr:clients"
IMPORT_LOCK_KEY = "ivr:clients:import"
CLIENT_ID = r"^[0-9]{1,12}$"
ContractState = Literal["active", "expiring", "expired", "none"]


class Contract(BaseModel):
    """A maintenance contract; it covers its end date."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    start: date | None = None
    end: date
    level: str = "standard"

    @model_validator(mode="after")
    def _ordered(self) -> Contract:
        if self.start and self.start > self.end:
            raise ValueError(f"starts ({self.start}) after it ends ({self.end})")
        return self

    def state(self, today: date, expiring_days: int) -> ContractState:
        if self.start and today < self.start:
            return "none"  # not current yet
        if self.end < today:
            return "expired"
        if (self.end - today).days <= expiring_days:
            return "expiring"
        return "active"


class Client(BaseModel):
    """A client of the vendor, as known to the hotline."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=CLIENT_ID)
    company: str = Field(min_length=1)
    agency: str = Field(pattern=r"^[a-z0-9_-]+$")
    language: Literal["fr", "en"] = "fr"
    phones: list[str] = []
    licences: list[str] = []
    contract: Contract | None = None
    products: list[str] = []

    @field_validator("phones")
    @classmethod
    def _e164(cls, values: list[str]) -> list[str]:
        parsed = []
        for value in values:
            number = parse_phone(value)
            if number is None:
                raise ValueError(f"not a valid phone number: {value!r}")
            parsed.append(number)
        return parsed

    def contract_state(self, today: date, expiring_days: int) -> ContractState:
        return self.contract.state(today, expiring_days) if self.contract else "none"

    def dumps(self) -> str:
        return self.model_dump_json()


def client_from_json(raw: str | bytes | None) -> Client | None:
    return Client.model_validate_json(raw) if raw else None


def get_client(r: redis.Redis, client_id: str) -> Client | None:
    return client_from_json(r.get(CLIENT_KEY.format(client_id)))


def clients_by_phone(r: redis.Redis, phone: str) -> list[Client]:
    return [Client.model_validate_json(v) for v in r.hgetall(PHONE_KEY.format(phone)).values()]


def all_clients(r: redis.Redis) -> list[Client]:
    ids = sorted(r.smembers(CLIENTS_KEY), key=lambda i: (len(i), i))
    raws = r.mget([CLIENT_KEY.format(i) for i in ids]) if ids else []
    return [Client.model_validate_json(raw) for raw in raws if raw]


def save_clients(r: redis.Redis, clients: Iterable[Client]) -> int:
    """Upsert clients in one transaction, keeping the phone index exact."""
    clients = list(clients)
    if not clients:
        return 0
    pipe = r.pipeline(transaction=True)
    upsert_commands(r, clients, pipe)
    pipe.execute()
    return len(clients)


def upsert_commands(r: redis.Redis, clients: list[Client], pipe: Any) -> None:
    """Queue on `pipe` (anything with Redis's mset, eval and sadd) the writes that upsert
    `clients`, a few commands however many they are, keeping the phone index exact; reads
    their previous state from `r`."""
    previous = r.mget([CLIENT_KEY.format(c.id) for c in clients])
    entries: list[tuple[str, str, str]] = []  # (phone key, client id, client JSON or '')
    values: dict[str, str] = {}
    for client, raw in zip(clients, previous, strict=True):
        # only the stored phones are needed: no need to validate the whole stored client again
        old_phones: list[str] = json.loads(raw)["phones"] if raw else []
        for phone in set(old_phones) - set(client.phones):
            entries.append((PHONE_KEY.format(phone), client.id, ""))
        data = values[CLIENT_KEY.format(client.id)] = client.dumps()
        entries.extend((PHONE_KEY.format(phone), client.id, data) for phone in client.phones)
    pipe.mset(values)
    if entries:
        pipe.eval(_PHONE_INDEX, len(entries), *(e[0] for e in entries),
                  *(part for e in entries for part in e[1:]))
    pipe.sadd(CLIENTS_KEY, *(client.id for client in clients))


# KEYS: phone index hashes; ARGV: per key, the client id and its JSON ('' removes it)
_PHONE_INDEX = """
for i, key in ipairs(KEYS) do
  local id, value = ARGV[2 * i - 1], ARGV[2 * i]
  if value == '' then
    redis.call('HDEL', key, id)
  else
    redis.call('HSET', key, id, value)
  end
end
"""


def import_lock(r: redis.Redis, token: str, seconds: int) -> bool:
    """Take the directory's import lock (one import at a time); False when another holds it."""
    return bool(r.set(IMPORT_LOCK_KEY, token, nx=True, ex=seconds))


def import_unlock(r: redis.Redis, token: str) -> None:
    if r.get(IMPORT_LOCK_KEY) == token:
        r.delete(IMPORT_LOCK_KEY)


def client_summary(client: Client) -> dict[str, Any]:
    """What a call keeps of its identified client (no licences)."""
    return json.loads(client.model_dump_json(exclude={"licences"}))
