"""Routing from several processes at once never gives one caller two agents or one agent two
callers (real processes, one Redis)."""

from __future__ import annotations

import multiprocessing
import random
from datetime import timedelta

import redis

from ivr import queue
from ivr.centre import agents
from ivr.centre.agents import Agent, AgentError
from ivr.queue import Rules
from tests.conftest import MONDAY_MORNING

RULES = Rules("technical_support", "technical_support", max_size=10_000)
AGENTS, CALLERS, PROCESSES = 300, 2000, 4


def _race(url: str, seed: int, out: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    r = redis.Redis.from_url(url, decode_responses=True)
    rng = random.Random(seed)
    work = [("agent", f"a{n}") for n in range(AGENTS)] + \
           [("caller", f"CA{n}") for n in range(CALLERS)]
    rng.shuffle(work)
    held: list[tuple[str, str]] = []
    for kind, name in work:
        if kind == "agent":
            try:
                _, found = agents.set_state(r, name, "available", MONDAY_MORNING, [RULES])
            except AgentError:  # already held for a caller
                continue
        else:
            found = queue.wait(r, RULES, name, MONDAY_MORNING).reservations
        held.extend((h.entry, h.agent) for h in found)
    out.put(held)


def test_parallel_routing_holds_each_agent_and_each_caller_once(r, redis_url):
    for n in range(AGENTS):
        agents.save(r, Agent(id=f"a{n}", name="A", skills=("technical_support",),
                             reach="+33144003001"), MONDAY_MORNING)
        agents.set_state(r, f"a{n}", "break", MONDAY_MORNING, ())
    pipe = r.pipeline(transaction=False)
    for n in range(CALLERS):
        queue.join(pipe, RULES, f"CA{n}", MONDAY_MORNING + timedelta(milliseconds=n), {})
    pipe.execute()
    results: multiprocessing.Queue = multiprocessing.Queue()  # type: ignore[type-arg]
    workers = [multiprocessing.Process(target=_race, args=(redis_url, seed, results))
               for seed in range(PROCESSES)]
    for worker in workers:
        worker.start()
    held = [pair for _ in workers for pair in results.get(timeout=120)]
    for worker in workers:
        worker.join(timeout=10)
    entries = [entry for entry, _ in held]
    agent_ids = [agent for _, agent in held]
    assert len(held) == AGENTS
    assert len(set(entries)) == len(entries) and len(set(agent_ids)) == len(agent_ids)
    assert {p.state for p in agents.roster(r)} == {"ringing"}
    for entry, agent in held:
        found = queue.entry(r, entry)
        assert found is not None and (found.state, found.get("agent")) == ("reserved", agent)
