"""The data of the agent console and the supervisor view, shared by their pages and the JSON
API (the pages render exactly what the API returns). Reads only, through the domain modules."""

from __future__ import annotations

import logging
import math
from datetime import date, timedelta
from typing import Any

from callbacks import store as callbacks_store
from callbacks.scheduling import describe
from ivr import queue
from ivr.callers import voicemail
from ivr.centre import agents, records
from ivr.centre.agents import Presence
from ivr.centre.board import queues_view
from ivr.centre.screenpop import ON_A_CALL, screen_pop
from ivr.people.users import User
from ivr.services.hotline import Hotline

log = logging.getLogger(__name__)
DAY_FORMAT = "YYYY-MM-DD"


class BadInput(ValueError):
    """A request value the console cannot use; the message says which and why."""


class NotAnAgent(Exception):
    """The signed-in user has no agent of the roster to act as."""


def labels(service: Hotline) -> dict[str, str]:
    return {name: q.label for name, q in service.flows.current().config.queues.items()}


def live_queues(service: Hotline, only: tuple[str, ...] | None = None) -> list[dict[str, Any]]:
    """The live board of every queue (or of the queues whose skill is in `only`)."""
    flow = service.flows.current()
    every = [rules for rules in flow.queue_rules.values() if only is None or rules.skill in only]
    return queues_view(service.redis, every, labels(service), service.clock.now(),
                       service.settings.tz, limit=20, among=flow.queue_rules.values())


def presence_of(service: Hotline, user: User) -> Presence | None:
    return agents.get(service.redis, user.agent_id) if user.agent_id else None


def my_presence(service: Hotline, user: User) -> Presence:
    """The signed-in user's agent, or NotAnAgent saying why there is none."""
    if not user.agent_id:
        raise NotAnAgent(f"user {user.name} is not linked to an agent")
    presence = agents.get(service.redis, user.agent_id)
    if presence is None:
        raise NotAnAgent(f"agent {user.agent_id} of user {user.name} is not in the roster")
    return presence


def change_presence(service: Hotline, user: User, state: str,
                    reason: str = "") -> tuple[str, Presence]:
    """The signed-in agent goes available, on break or offline (Hotline.change_presence, so
    callers are put through to them at once); their previous state and new presence."""
    presence = my_presence(service, user)
    if state not in agents.SETTABLE:
        raise BadInput(f"state must be one of {', '.join(agents.SETTABLE)}, got {state[:20]!r}")
    previous, _ = service.change_presence(presence.id, state, reason)
    log.info("agent %s: %s -> %s (user %s)", presence.id, previous, state, user.name)
    return previous, my_presence(service, user)


def presence_json(service: Hotline, presence: Presence) -> dict[str, Any]:
    now = service.clock.now()
    found = presence.as_json(now)
    found["wrap_left"] = (max(0, math.ceil((presence.wrap_until - now).total_seconds()))
                          if presence.state == "wrapup" and presence.wrap_until else None)
    return found


def my_call(service: Hotline, presence: Presence) -> dict[str, Any] | None:
    return screen_pop(service.redis, presence, service.flows.current(), service.clock.now())


def my_calls(service: Hotline, presence: Presence, limit: int = 10) -> list[dict[str, Any]]:
    return records.of_agent(service.redis, presence.id, limit)


def my_voicemails(service: Hotline, user: User, presence: Presence | None, status: str = "open",
                  limit: int = 30) -> list[dict[str, Any]]:
    """Voicemails of the agent's queues (and of no queue); a supervisor sees every one."""
    skills = None if user.can("supervisor") or presence is None else set(presence.agent.skills)
    queues = None if skills is None else [
        rules.queue for rules in service.flows.current().queue_rules.values()
        if rules.skill in skills]
    return voicemail.for_agents(service.redis, queues, status, limit)


def everyone(service: Hotline) -> list[dict[str, Any]]:
    """Every agent with their presence, time in state and current call's company."""
    found = []
    for presence in agents.roster(service.redis):
        item = presence_json(service, presence)
        entry = (queue.entry(service.redis, presence.entry)
                 if presence.state in ON_A_CALL and presence.entry else None)
        item["call_company"] = entry.get("company") or None if entry else None
        item["call_queue"] = entry.get("queue") or None if entry else None
        found.append(item)
    return found


def today(service: Hotline) -> date:
    return service.clock.now().astimezone(service.settings.tz).date()


def parse_day(service: Hotline, text: str | None) -> date:
    """A day of figures: `YYYY-MM-DD`, today when not given; never after today, nor before
    the records kept."""
    if not text:
        return today(service)
    try:
        day = date.fromisoformat(text)
        if len(text) != 10:
            raise ValueError
    except ValueError:
        raise BadInput(f"date must be {DAY_FORMAT}, got {text[:40]!r}") from None
    if day > today(service):
        raise BadInput(f"date {day} is in the future")
    oldest = today(service) - timedelta(days=service.settings.records_days - 1)
    if day < oldest:
        raise BadInput(f"date {day} is older than the records kept "
                       f"({service.settings.records_days} days, from {oldest})")
    return day


def figures(service: Hotline, day: date) -> dict[str, Any]:
    names = labels(service)
    found = records.day_figures(service.redis, day, service.settings.tz, names)
    for item in found["queues"]:
        item["label"] = names.get(item["queue"], item["queue"])
    return found


def parse_limit(text: str | None, default: int, most: int) -> int:
    if text is None or text == "":
        return default
    if not text.isdigit() or not 1 <= int(text) <= most:
        raise BadInput(f"limit must be a whole number from 1 to {most}, got {text[:20]!r}")
    return int(text)


def callbacks(service: Hotline, only: tuple[str, ...] | None = None) -> dict[str, Any]:
    """Callbacks pending (oldest first) and failed ones to follow up by hand (newest first),
    of every queue or of the queues whose skill is in `only`."""
    flow = service.flows.current()
    mine = {name for name, rules in flow.queue_rules.items() if only is None or rules.skill in only}
    pending = describe(service, callbacks_store.pending(service.redis, limit=200))
    failed = describe(service, callbacks_store.failed(service.redis, limit=50))
    return {"pending": [c for c in pending if c["queue"] in mine],
            "failed": [c for c in failed if c["queue"] in mine]}
