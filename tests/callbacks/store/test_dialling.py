"""Placing a callback step by step: only one dial per reservation, retries with back-off,
failure in sight of agents, the agent freed at each end, never dialled while closed."""

from __future__ import annotations

from datetime import datetime, timedelta

import redis

from callbacks import store
from callbacks.policy import Policy
from callbacks.store import dialling, ready
from ivr import queue
from ivr.queue import Reservation, ms
from tests.callbacks.store.test_records import ask, request, requested
from tests.conftest import MONDAY_MORNING
from tests.test_queue import SUPPORT, add_agent, agent_state, state

NOW = MONDAY_MORNING
POLICY = Policy(attempts=2, retry_delays=(300,))
WATCH = NOW + timedelta(seconds=90)
HOLD = NOW + timedelta(seconds=120)


def reserved(r: redis.Redis) -> Reservation:
    """A due callback with an agent held for it."""
    add_agent(r, "ana", state="available")
    _, [held] = requested(r, ask(), policy=POLICY)
    assert held.entry == "cb-1"
    return held


def claim(r: redis.Redis, res: str, at: datetime = NOW) -> tuple[str, int]:
    """Claim the dial of callback 1 for reservation `res`, as a placer job does."""
    [taken] = ready.take(r, at, WATCH, HOLD, {}, only=[("1", res)]).claims
    return taken.outcome, taken.attempt


def record(r: redis.Redis) -> store.Callback:
    found = store.get(r, "1")
    assert found is not None
    return found


def test_only_the_first_claim_of_a_reservation_may_dial(r):
    held = reserved(r)
    assert claim(r, held.res) == ("dial", 1)
    assert claim(r, held.res) == ("dialling", 0)
    assert claim(r, "999") == ("stale", 0)  # another reservation
    assert (record(r).state, record(r).get("attempts")) == ("dialling", "1")
    assert r.zscore(queue.PENDING_KEY, "cb-1") == ms(HOLD)  # the agent is held while it rings
    assert r.zscore(store.WATCH_KEY, "1") == ms(WATCH)


def test_a_reservation_of_a_callback_no_longer_due_frees_its_agent(r):
    held = reserved(r)
    r.hset(store.RECORD_KEY.format("1"), "state", "scheduled")
    assert claim(r, held.res) == ("stale", 0)
    assert agent_state(r, "ana") == "available"
    assert state(r, "cb-1") == "deferred"


def test_a_failed_attempt_frees_the_agent_and_is_tried_again_later(r):
    held = reserved(r)
    claim(r, held.res)
    later = NOW + timedelta(seconds=40)
    assert dialling.attempt_failed(r, "1", held.res, later, "busy", POLICY) == \
        ("scheduled", later + timedelta(seconds=300))
    assert agent_state(r, "ana") == "available"
    assert state(r, "cb-1") == "deferred" and queue.size(r, "technical_support") == 0
    assert (record(r).state, record(r).get("reason")) == ("scheduled", "busy")
    assert r.zscore(store.WATCH_KEY, "1") is None
    # the same report again, or a late one from the sweeper, changes nothing
    assert dialling.attempt_failed(r, "1", held.res, later, "no report", POLICY) == \
        ("stale", None)


def test_a_woken_retry_takes_back_its_place(r):
    held = reserved(r)
    score = queue.entry(r, "cb-1").get("score")  # type: ignore[union-attr]
    claim(r, held.res)
    dialling.attempt_failed(r, "1", held.res, NOW, "no-answer", POLICY)
    early = NOW + timedelta(seconds=100)
    assert dialling.wake(r, "1", early, open_now=True, next_open=early, score=1) == \
        ("early", NOW + timedelta(seconds=300))
    due = NOW + timedelta(seconds=300)
    assert dialling.wake(r, "1", due, open_now=True, next_open=due, score=1) == ("due", due)
    assert queue.entry(r, "cb-1").get("score") == score  # type: ignore[union-attr]
    assert state(r, "cb-1") == "waiting"


def test_the_last_attempt_fails_the_callback_for_agents_to_follow_up(r):
    held = reserved(r)
    claim(r, held.res)
    dialling.attempt_failed(r, "1", held.res, NOW, "busy", POLICY)
    due = NOW + timedelta(seconds=300)
    dialling.wake(r, "1", due, open_now=True, next_open=due, score=1)
    [again] = queue.route(r, due, [SUPPORT])
    assert claim(r, again.res, due) == ("dial", 2)
    assert dialling.attempt_failed(r, "1", again.res, due, "no key pressed", POLICY) == \
        ("failed", None)
    assert [c.id for c in store.failed(r)] == ["1"] and store.pending(r) == []
    assert (state(r, "cb-1"), queue.entry(r, "cb-1").get("outcome")) == \
        ("done", "callback_failed")  # type: ignore[union-attr]
    assert agent_state(r, "ana") == "available"
    assert store.of_number(r, "+33612345678") is None


def test_reached_while_closed_it_waits_for_the_next_opening(r):
    held = reserved(r)
    opening = NOW + timedelta(hours=20)
    [taken] = ready.take(r, NOW, WATCH, HOLD, {"": opening}, only=[("1", held.res)]).claims
    assert (taken.outcome, taken.opens) == ("closed", opening)
    assert (record(r).state, record(r).moment("due")) == ("scheduled", opening)
    assert agent_state(r, "ana") == "available"
    assert dialling.wake(r, "1", opening, open_now=False,
                         next_open=opening + timedelta(days=1), score=1) == \
        ("scheduled", opening + timedelta(days=1))


def test_connected_then_answered_completes_the_callback(r):
    held = reserved(r)
    claim(r, held.res)
    assert dialling.pressed(r, "1", held.res, NOW, WATCH) is True
    assert dialling.settle(r, "1", NOW) == "connected"  # the agent's phone rings
    queue.connect(r, "cb-1", held.res, NOW, 20)
    queue.answered(r, "cb-1", held.res, NOW)
    queue.dialed(r, "cb-1", held.res, "completed", 300, NOW, SUPPORT, [SUPPORT])
    assert dialling.settle(r, "1", NOW) == "completed"
    assert (record(r).state, record(r).get("reason")) == ("completed", "answered")
    assert [h["state"] for h in store.history(r, "1")] == \
        ["requested", "due", "dialling", "connected", "completed"]


def test_an_agent_who_does_not_answer_sends_the_callback_back_to_its_place(r):
    held = reserved(r)
    claim(r, held.res)
    dialling.pressed(r, "1", held.res, NOW, WATCH)
    queue.connect(r, "cb-1", held.res, NOW, 20)
    queue.dialed(r, "cb-1", held.res, "no-answer", 0, NOW, SUPPORT, [SUPPORT])
    assert state(r, "cb-1") == "waiting"
    assert dialling.settle(r, "1", NOW) == "due"
    assert record(r).state == "due"


def test_reserved_again_before_it_was_settled_it_is_dialled_once_more(r):
    held = reserved(r)
    claim(r, held.res)
    dialling.pressed(r, "1", held.res, NOW, WATCH)
    queue.connect(r, "cb-1", held.res, NOW, 20)
    add_agent(r, "bob", state="available")
    _, again = queue.dialed(r, "cb-1", held.res, "no-answer", 0, NOW, SUPPORT, [SUPPORT])
    assert [h.entry for h in again] == ["cb-1"]
    assert claim(r, again[0].res) == ("dial", 2)


def test_the_sweeper_finds_late_wake_ups_and_late_reports(r):
    request(r, ask(), open_now=False, at=NOW)
    due = NOW + timedelta(days=1)
    assert dialling.overdue(r, due + timedelta(seconds=30)) == []
    assert dialling.overdue(r, due + timedelta(seconds=61)) == ["1"]
    r.zadd(store.WATCH_KEY, {"7": ms(NOW)})
    assert dialling.watched(r, NOW) == ["7"]
    dialling.unwatch(r, "7")
    assert dialling.watched(r, NOW) == []
