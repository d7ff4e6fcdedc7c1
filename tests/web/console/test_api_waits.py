"""`/api/queues` carries the wait estimate of ivr.waits, from the state kept in Redis."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ivr.centre import agents
from ivr.core.clock import Clock
from tests.conftest import MONDAY_MORNING
from tests.web.console.calls import agent_answers, queued, ring_agent
from tests.web.console.test_api import bearer


@pytest.fixture
def clock() -> Clock:
    """A clock that moves only when the test moves it: the estimate depends on the seconds."""
    return Clock(MONDAY_MORNING, frozen=True)


def test_the_board_estimate_counts_how_long_the_agent_has_talked(app, client, validator):
    service = app.extensions["ivr"]
    service.redis.rpush("ivr:q:handled:technical_support", *[300] * 20)  # 5-minute calls
    auth = bearer(app, "sue", "supervisor")
    api = app.test_client()
    call = queued(client, validator, "CA1")
    agents.set_state(service.redis, "sophie", "available", service.clock.now(),
                     service.flows.current().queue_rules.values())
    agent_answers(call, ring_agent(app, call))
    assert agents.get(service.redis, "sophie").state == "busy"  # type: ignore[union-attr]

    def support() -> dict:  # type: ignore[type-arg]
        board = api.get("/api/queues", headers=auth).json["queues"]
        return next(q for q in board if q["queue"] == "technical_support")

    service.clock.advance(timedelta(seconds=200))
    # a new caller waits for sophie's call to end: 100 s more (the former formula: 300 s)
    assert (support()["size"], support()["estimate"]) == (0, 100)
    service.clock.advance(timedelta(seconds=30))
    assert support()["estimate"] == 70
