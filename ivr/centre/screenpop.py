"""What an agent sees of the call routed to them: the caller, their client and contract, what
they chose, how long they waited, and their previous calls (the "screen pop").

Read by the agent console and its JSON API; it reads through the owners of the data (queue,
directory, records) and writes nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import redis

from ivr import queue
from ivr.callers import directory
from ivr.centre import records
from ivr.centre.agents import Presence
from ivr.flows.flow import Flow
from maintenance import store as follow_ups

ON_A_CALL = ("ringing", "busy")
MAINTENANCE_SKILL = "maintenance"  # calls for it show the client's open follow-up
KIND_LABELS = {"renewal": "renewal", "delivery": "new order"}


def _moment(value: str) -> datetime | None:
    return datetime.fromtimestamp(int(value) / 1000, UTC) if value.isdigit() else None


def choices(flow: Flow, pressed: str) -> list[dict[str, str]]:
    """The caller's menu choices ("node:key,...") with where each led (a queue's label, or
    the next step's name)."""
    found = []
    for item in filter(None, pressed.split(",")):
        node_name, _, key = item.partition(":")
        node = flow.nodes.get(node_name)
        target = (getattr(node, "options", None) or {}).get(key, "")
        renewal = getattr(node, "renewal", None)  # the contract check's key to maintenance
        if not target and renewal is not None and key == renewal.key:
            target = renewal.to
        led_to = flow.nodes.get(target) if target else None
        queue_name = getattr(led_to, "queue", None)
        label = (flow.config.queues[queue_name].label
                 if queue_name in flow.config.queues else target)
        found.append({"menu": node_name, "key": key, "choice": label})
    return found


def screen_pop(r: redis.Redis, presence: Presence, flow: Flow,
               now: datetime) -> dict[str, Any] | None:
    """The call an agent's phone rings for or they talk to, or None when they have none."""
    if presence.state not in ON_A_CALL or not presence.entry:
        return None
    entry = queue.entry(r, presence.entry)
    if entry is None:  # expired with its call: say what is known
        return {"sid": presence.entry, "state": presence.state, "queue": None,
                "queue_label": None, "caller": None, "client": None, "contract": None,
                "follow_up": None,
                "pressed": [], "lang": None, "waited": None, "enqueued_at": None,
                "answered_at": None, "talking": None, "previous": []}
    enq, answered = _moment(entry.get("enq")), _moment(entry.get("answered"))
    client_id = entry.get("client_id")
    client = directory.get_client(r, client_id) if client_id else None
    contract = None
    if client is not None or entry.get("contract"):
        terms = client.contract if client else None
        contract = {"state": entry.get("contract") or "none",
                    "start": terms.start.isoformat() if terms and terms.start else None,
                    "end": terms.end.isoformat() if terms else None,
                    "level": terms.level if terms else None}
    queue_config = flow.config.queues.get(entry.get("queue"))
    return {
        "sid": entry.id, "state": presence.state, "queue": entry.get("queue") or None,
        "queue_label": queue_config.label if queue_config else entry.get("queue") or None,
        "caller": entry.get("caller") or None,
        "client": {
            "id": client.id, "company": client.company, "agency": client.agency,
            "language": client.language, "phones": client.phones,
            "licences": client.licences, "products": client.products,
        } if client else ({"id": client_id, "company": entry.get("company") or None,
                           "agency": entry.get("agency") or None, "language": None,
                           "phones": [], "licences": [], "products": []}
                          if client_id else None),
        "contract": contract,
        "pressed": choices(flow, entry.get("pressed")),
        "lang": entry.get("lang") or None,
        "waited": int(((answered or now) - enq).total_seconds()) if enq else None,
        "enqueued_at": enq.isoformat() if enq else None,
        "answered_at": answered.isoformat() if answered else None,
        "talking": int((now - answered).total_seconds()) if answered else None,
        "follow_up": _follow_up(r, flow, client, now)
        if client is not None and queue_config is not None
        and (queue_config.skill or entry.get("queue")) == MAINTENANCE_SKILL else None,
        "previous": [call for call in records.of_client(r, client_id, 11)
                     if call["sid"] != entry.id][:10] if client_id else [],
    }


def _follow_up(r: redis.Redis, flow: Flow, client: directory.Client,
               now: datetime) -> dict[str, Any] | None:
    """The client's open maintenance follow-up (renewal or new order estimate), if any."""
    item = follow_ups.open_item(r, client.id, client.agency)
    if item is None:
        return None
    agency = flow.config.agencies.get(client.agency)
    tz = flow.schedules[agency.schedule].tz if agency is not None else UTC
    return {"id": item.id, "kind": item.kind, "kind_label": KIND_LABELS.get(item.kind, item.kind),
            "due": item.due.isoformat(), "state": item.state, "reference": item.reference,
            "overdue": item.overdue(now.astimezone(tz).date())}
