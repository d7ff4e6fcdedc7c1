"""The live board of the contact centre: each queue's callers, agents and figures of the day.

Read by `ivr queues`, the agent console and the supervisor view; it reads through the
owners of the data (queue, agents, records) and writes nothing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime, tzinfo
from typing import Any

import redis

from ivr import queue, waits
from ivr.centre import agents, records
from ivr.core.phones import mask
from ivr.queue import Rules
from ivr.waits import Snapshot, estimate_wait


def queues_view(r: redis.Redis, every: Iterable[Rules], labels: dict[str, str], now: datetime,
                tz: tzinfo, limit: int = 50,
                among: Iterable[Rules] | None = None) -> list[dict[str, Any]]:
    """For each queue: callers waiting (in order), agents by state, the estimated wait for a
    new caller, and today's figures. `among` is all the flow's queues (`every` by default):
    the estimate counts the callers of the other queues the agents serve."""
    roster = agents.roster(r)
    today = now.astimezone(tz).date()
    every = list(every)
    flow = list(every if among is None else among)
    sizes = {name: queue.size(r, name) for name in {rules.queue for rules in [*flow, *every]}}
    view = []
    for rules in every:
        waiting = queue.waiting(r, rules.queue, limit)
        staff = [p for p in roster if rules.skill in p.agent.skills]
        states = Counter(p.state for p in staff)
        staffed = sum(n for state, n in states.items() if state != "offline")
        handled = queue.handle_times(r, rules.queue)
        size = sizes[rules.queue]
        # for each signed-in agent, the callers waiting in the other queues they serve
        others = [sum(sizes[other.queue] for other in flow
                      if other.queue != rules.queue and other.skill in p.agent.skills)
                  for p in staff if p.state != "offline"]
        stats = records.day_stats(r, today, rules.queue)
        answered = stats.get("answered", 0)
        view.append({
            "queue": rules.queue, "label": labels.get(rules.queue, rules.queue),
            "size": size,
            "longest_wait": queue.oldest_wait(r, rules.queue, now),
            "waiting": [{
                "position": n, "caller": mask(e.get("caller")), "client_id": e.get("client_id"),
                "company": e.get("company"), "contract": e.get("contract"),
                "waited": e.waited(now), "state": e.state, "trial": e.get("trial") == "1",
                "kind": e.get("kind") or "call",  # a callback waits in the line too
            } for n, e in enumerate(waiting, start=1)],
            "agents": {state: sorted(p.id for p in staff if p.state == state)
                       for state in agents.STATES},
            "estimate": _estimate(queue.snapshot(
                size + 1, staffed, states.get("available", 0),
                [(now - p.since).total_seconds() for p in staff if p.state == "busy" and p.since],
                handled, queue.left_line(r, rules.queue), waits.share(size + 1, others))),
            "today": {
                "offered": stats.get("offered", 0), "answered": answered,
                "abandoned": stats.get("abandoned", 0), "overflow": stats.get("overflow", 0),
                "service_level": round(stats.get("answered_in_time", 0) / answered, 3)
                if answered else None,
                "average_wait": round(stats.get("wait_sum", 0) / answered) if answered else None,
            },
        })
    return view


def _estimate(snapshot: Snapshot) -> int | None:
    seconds = estimate_wait(snapshot)
    return None if seconds is None else int(round(seconds))
