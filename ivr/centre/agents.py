"""The agent roster and presence (`ivr:agent*`), in Redis.

An agent has an id, a name, skills (the queues they answer), an agency and a way to be
reached (an E.164 number, a `sip:` URI or a `client:` identity: Twilio's <Number>, <Sip> and
<Client> nouns). Presence: offline, available, ringing (a caller is being put through),
busy, wrapup (ends by itself), break. Changes are Lua calls of `ivr/core/lua/routing.lua`, the
same library that holds agents for callers, so presence and routing never disagree.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import redis
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ivr.core.exceptions import IvrError
from ivr.core.lua import Script
from ivr.core.phones import parse_phone
from ivr.queue import RESERVE_GRACE, Reservation, Rules, ms, reservations_of, rules_args, text_of

AGENT_KEY = "ivr:agent:{}"
AGENTS_KEY = "ivr:agents"
STATES = ("offline", "available", "ringing", "busy", "wrapup", "break")
SETTABLE = ("available", "break", "offline")  # the states an agent chooses; calls set the others
AGENT_ID = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,31}$")
SIP = re.compile(r"^sips?:[^\s@]+@[^\s]+$")
CLIENT = re.compile(r"^client:[A-Za-z0-9_.-]{1,121}$")
ROSTER_FIELDS = ("name", "skills", "agency", "reach", "lang")


class AgentError(IvrError):
    """An agent action refused: unknown agent, bad state, on a call."""


class Agent(BaseModel):
    """An agent as an admin describes them."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=AGENT_ID.pattern)
    name: str = Field(min_length=1, max_length=80)
    skills: tuple[str, ...] = Field(min_length=1)
    agency: str = Field(default="", pattern=r"^[a-z0-9_-]*$")
    reach: str
    lang: Literal["fr", "en"] = "fr"

    @field_validator("skills", mode="before")
    @classmethod
    def _skills(cls, value: object) -> object:
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("skills")
    @classmethod
    def _skill_names(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for skill in value:
            if not re.match(r"^[a-z][a-z0-9_]*$", skill):
                raise ValueError(f"a skill is a queue name like technical_support, got {skill!r}")
        return tuple(dict.fromkeys(value))

    @field_validator("reach")
    @classmethod
    def _reach(cls, value: str) -> str:
        value = value.strip()
        if SIP.match(value) or CLIENT.match(value):
            return value
        number = parse_phone(value)
        if number is None:
            raise ValueError("reach must be a phone number (E.164), a sip: URI or a "
                             f"client:identity, got {value!r}")
        return number

    @property
    def noun(self) -> Literal["number", "sip", "client"]:
        """Twilio's <Dial> noun that reaches this agent."""
        if self.reach.startswith("sip"):
            return "sip"
        if self.reach.startswith("client:"):
            return "client"
        return "number"


@dataclass(frozen=True)
class Presence:
    """An agent with their current presence."""

    agent: Agent
    state: str
    since: datetime | None
    reason: str = ""
    entry: str = ""  # the call they are ringing for or talking to
    wrap_until: datetime | None = None

    @property
    def id(self) -> str:
        return self.agent.id

    def as_json(self, now: datetime) -> dict[str, object]:
        return {
            **self.agent.model_dump(mode="json"), "state": self.state,
            "since": self.since.isoformat() if self.since else None,
            "seconds_in_state": int((now - self.since).total_seconds()) if self.since else None,
            "reason": self.reason or None, "call": self.entry or None,
            "wrap_until": self.wrap_until.isoformat() if self.wrap_until else None,
        }


def _moment(value: str | None) -> datetime | None:
    return datetime.fromtimestamp(int(value) / 1000, UTC) if value else None


def _presence(fields: Mapping[str, str]) -> Presence:
    agent = Agent(id=fields["id"], name=fields["name"], skills=fields["skills"],  # type: ignore[arg-type]
                  agency=fields.get("agency", ""), reach=fields["reach"],
                  lang=fields.get("lang", "fr"))  # type: ignore[arg-type]
    return Presence(agent, fields.get("state", "offline"), _moment(fields.get("since")),
                    fields.get("reason", ""), fields.get("entry", ""),
                    _moment(fields.get("wrap_until")))


# -- roster ----------------------------------------------------------------------------------

_SAVE = Script("""
local id, skills = ARGV[1], ARGV[2]
local key = A .. id
local state = redis.call('HGET', key, 'state')
if state == 'ringing' or state == 'busy' then
  if redis.call('HGET', key, 'skills') ~= skills then return 'busy' end
end
if state then
  not_available(id)
  for _, skill in ipairs(skills_of(id)) do redis.call('SREM', STAFFED .. skill, id) end
end
redis.call('HSET', key, 'id', id, unpack(ARGV, 4))
if not state then
  redis.call('HSET', key, 'state', 'offline', 'since', ARGV[3], 'reason', '', 'entry', '')
  redis.call('SADD', 'ivr:agents', id)
  return 'created'
end
local since = redis.call('HGET', key, 'since')
for _, skill in ipairs(skills_of(id)) do
  if state ~= 'offline' then redis.call('SADD', STAFFED .. skill, id) end
  if state == 'available' then redis.call('ZADD', AVAIL .. skill, since, id) end
end
return 'updated'
""")


def save(r: redis.Redis, agent: Agent, now: datetime,
         known_skills: Iterable[str] | None = None) -> str:
    """Add an agent (offline) or update one, keeping their presence: 'created' or 'updated'.
    With `known_skills` (the queues' skills of the flow), an unknown skill is refused."""
    if known_skills is not None:
        known = set(known_skills)
        unknown = [skill for skill in agent.skills if skill not in known]
        if unknown:
            raise AgentError(f"unknown skill(s) {', '.join(unknown)}; the flow's queues "
                             f"serve: {', '.join(sorted(known))}")
    fields = {"name": agent.name, "skills": ",".join(agent.skills), "agency": agent.agency,
              "reach": agent.reach, "lang": agent.lang}
    pairs = [item for pair in fields.items() for item in pair]
    result = text_of(_SAVE(r, agent.id, fields["skills"], ms(now), *pairs))
    if result == "busy":
        raise AgentError(f"agent {agent.id} is on a call: change their skills after it")
    return result


_REMOVE = Script("""
local id = ARGV[1]
local key = A .. id
local state = redis.call('HGET', key, 'state')
if not state then return 'unknown' end
if state == 'ringing' or state == 'busy' then return 'busy' end
not_available(id)
for _, skill in ipairs(skills_of(id)) do redis.call('SREM', STAFFED .. skill, id) end
redis.call('ZREM', WRAPUP, id)
redis.call('DEL', key)
redis.call('SREM', 'ivr:agents', id)
return 'removed'
""")


def remove(r: redis.Redis, agent_id: str) -> None:
    result = text_of(_REMOVE(r, agent_id))
    if result == "unknown":
        raise AgentError(f"no agent {agent_id!r}")
    if result == "busy":
        raise AgentError(f"agent {agent_id} is on a call: remove them after it")


def get(r: redis.Redis, agent_id: str) -> Presence | None:
    fields: dict[str, str] = r.hgetall(AGENT_KEY.format(agent_id))  # type: ignore[assignment]
    return _presence(fields) if fields.get("id") else None


def roster(r: redis.Redis) -> list[Presence]:
    """Every agent, by id."""
    ids = sorted(r.smembers(AGENTS_KEY))
    if not ids:
        return []
    pipe = r.pipeline(transaction=False)
    for agent_id in ids:
        pipe.hgetall(AGENT_KEY.format(agent_id))
    return [_presence(f) for f in pipe.execute() if f.get("id")]


# -- presence --------------------------------------------------------------------------------

_PRESENCE = Script("""
local id, state, now, reason = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4]
local grace = tonumber(ARGV[5])
local key = A .. id
local current = redis.call('HGET', key, 'state')
if not current then return {'unknown', {}} end
if state == 'available' then
  if current == 'ringing' or current == 'busy' then return {'oncall', {}} end
  if current ~= 'available' then make_available(id, now) end
elseif current ~= state then
  make_state(id, state, now, reason)
end
return {current, route_all(6, now, grace)}
""")


def set_state(r: redis.Redis, agent_id: str, state: str, now: datetime, every: Iterable[Rules],
              reason: str = "") -> tuple[str, tuple[Reservation, ...]]:
    """An agent goes available, on break or offline; returns the state they were in and the
    callers now held for agents (an available agent is given the longest waiting caller).

    Available twice changes nothing (they keep their idle time). Break or offline during a
    call are taken at once: the call goes on, but no wrap-up follows it.
    """
    if state not in SETTABLE:
        raise AgentError(f"state must be one of {', '.join(SETTABLE)}, got {state!r}"
                         + (" (calls set it)" if state in STATES else ""))
    raw = _PRESENCE(r, agent_id, state, ms(now), reason, RESERVE_GRACE * 1000,
                    *rules_args(every))
    previous = text_of(raw[0])
    if previous == "unknown":
        raise AgentError(f"no agent {agent_id!r}")
    if previous == "oncall":
        raise AgentError(f"agent {agent_id} is on a call: available after it")
    return previous, reservations_of(raw[1])


# -- demo data and files ---------------------------------------------------------------------


def read_csv(path: Path) -> list[Agent]:
    """Agents from a CSV file (id, name, skills, agency, reach, lang); skills split by ';'."""
    agents, problems = [], []
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        for row in reader:
            try:
                agents.append(Agent(
                    id=row.get("id", ""), name=row.get("name", ""),
                    skills=tuple(s.strip() for s in (row.get("skills") or "").split(";")
                                 if s.strip()),
                    agency=row.get("agency") or "", reach=row.get("reach") or "",
                    lang=(row.get("lang") or "fr"),  # type: ignore[arg-type]
                ))
            except ValidationError as exc:
                problems.append(f"line {reader.line_num}: " + "; ".join(
                    f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()))
    if problems:
        raise AgentError(f"{path.name}: " + "; ".join(problems))
    return agents


def load_demo(r: redis.Redis, path: Path, now: datetime, state: str = "break") -> int:
    """Add the demo agents when the roster is empty, signed in on a break."""
    if r.exists(AGENTS_KEY):
        return 0
    agents = read_csv(path)
    for agent in agents:
        save(r, agent, now)
        set_state(r, agent.id, state, now, ())
    return len(agents)
