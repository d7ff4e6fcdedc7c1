"""Callbacks held for agents wait to be dialled and are taken a batch at a time: one placer job
on its way at once, each callback claimed before anyone dials it, none claimed twice, none
dialled while its schedule is closed."""

from __future__ import annotations

from datetime import timedelta

import redis

from callbacks import store
from callbacks.store import ready
from ivr.queue import Reservation
from tests.callbacks.store.test_dialling import HOLD, NOW, POLICY, WATCH
from tests.callbacks.store.test_records import ask, requested
from tests.test_queue import add_agent, agent_state, state

OPENING = NOW + timedelta(hours=20)


def three_reserved(r: redis.Redis) -> list[Reservation]:
    """Three due callbacks (ids 1, 2, 3), an agent held for each."""
    held: list[Reservation] = []
    for n, agent in enumerate(("ana", "bob", "cyd")):
        add_agent(r, agent, state="available")
        held += requested(r, ask(f"+3361234567{n}", client=f"100{n}"), policy=POLICY)[1]
    assert [h.entry for h in held] == ["cb-1", "cb-2", "cb-3"]
    return held


def outcomes(taken: ready.Taken) -> list[tuple[str, str, int]]:
    return [(claim.id, claim.outcome, claim.attempt) for claim in taken.claims]


def test_callbacks_are_taken_by_batches_and_one_placer_job_is_on_its_way_at_a_time(r):
    held = three_reserved(r)
    assert ready.add(r, held[:1], NOW) is True  # the caller makes the placer job
    assert ready.add(r, held[1:], NOW) is False  # on its way: it takes these too
    first = ready.take(r, NOW, WATCH, HOLD, {}, limit=2)
    assert outcomes(first) == [("1", "dial", 1), ("2", "dial", 1)]
    assert first.next == f"3-{held[2].res}"  # the next job, named after what it takes first
    assert [claim.number for claim in first.claims] == ["+33612345670", "+33612345671"]
    last = ready.take(r, NOW, WATCH, HOLD, {}, limit=2)
    assert (outcomes(last), last.next) == ([("3", "dial", 1)], "")
    assert {store.get(r, i).state for i in "123"} == {"dialling"}  # type: ignore[union-attr]
    # the same reservation sent again (a job run twice): a new job, which never dials it
    assert ready.add(r, held[:1], NOW) is True
    assert outcomes(ready.take(r, NOW, WATCH, HOLD, {})) == [("1", "dialling", 0)]
    assert ready.oldest(r) is None


def test_a_callback_whose_schedule_is_closed_waits_for_its_opening(r):
    held = three_reserved(r)
    ready.add(r, held, NOW)
    # callback 1's schedule is closed; '' stands for schedules no longer in the flow
    r.hset(store.RECORD_KEY.format("3"), "schedule", "gone")
    taken = ready.take(r, NOW, WATCH, HOLD, {"support": OPENING, "": None})
    assert outcomes(taken) == [("1", "closed", 0), ("2", "closed", 0), ("3", "dial", 1)]
    assert taken.claims[0].opens == OPENING
    found = store.get(r, "1")
    assert found is not None and (found.state, found.moment("due")) == ("scheduled", OPENING)
    assert (agent_state(r, "ana"), state(r, "cb-1")) == ("available", "deferred")


def test_a_reservation_that_no_longer_stands_is_dropped_and_its_agent_freed(r):
    held = three_reserved(r)
    ready.add(r, held[:1], NOW)
    r.hset(store.RECORD_KEY.format("1"), "state", "scheduled")  # moved on meanwhile
    assert outcomes(ready.take(r, NOW, WATCH, HOLD, {})) == [("1", "stale", 0)]
    assert (agent_state(r, "ana"), ready.oldest(r)) == ("available", None)


def test_the_callsids_of_a_batch_are_noted_for_their_own_attempt_only(r):
    held = three_reserved(r)
    ready.add(r, held, NOW)
    ready.take(r, NOW, WATCH, HOLD, {})
    ready.dialled(r, [("1", held[0].res, "CA1"), ("2", "999", "CA2")])
    assert [store.get(r, i).get("call_sid") for i in "12"] == ["CA1", ""]  # type: ignore[union-attr]


def test_the_oldest_ready_callback_is_what_the_sweeper_looks_at(r):
    held = three_reserved(r)
    ready.add(r, held[1:2], NOW)
    ready.add(r, held[:1], NOW + timedelta(seconds=5))
    assert ready.oldest(r) == (f"2-{held[1].res}", NOW)
