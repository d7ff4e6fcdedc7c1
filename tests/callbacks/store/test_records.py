"""Asking for and cancelling callbacks: one pending per client and per number, a daily cap, the
caller's place in the line, two requests at once."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from typing import Any

import redis

from callbacks import store
from callbacks.policy import Policy
from ivr import queue
from ivr.queue import PRIORITY_STEP, Reservation, ms
from tests.conftest import MONDAY_MORNING
from tests.test_queue import SUPPORT, add_agent, agent_state, join, state

NOW = MONDAY_MORNING
TUESDAY = NOW + timedelta(days=1)
POLICY = Policy(daily_cap=3)
DAY = "2026-12-07"


def ask(number: str = "+33612345678", client: str = "1001", *, from_entry: str = "",
        queue_name: str = "technical_support", source: str = "cli") -> store.Request:
    return store.Request(number=number, queue=queue_name, skill=queue_name, schedule="support",
                         lang="fr", version="v1", source=source, client_id=client,
                         company="ACME" if client else "", contract="active",
                         from_entry=from_entry)


def requested(r: redis.Redis, req: store.Request, *, open_now: bool = True, at: datetime = NOW,
              due: datetime | None = None, score: int | None = None, day: str = DAY,
              policy: Policy = POLICY) -> tuple[store.Outcome, tuple[Reservation, ...]]:
    """The outcome, and the agents held for the callback (routed at once when due)."""
    due = due or (at if open_now else TUESDAY)
    return store.request(r, req, policy, at, open_now=open_now, due=due,
                         score=ms(due) if score is None else score, day=day, rules=SUPPORT)


def request(r: redis.Redis, req: store.Request, **options: Any) -> store.Outcome:
    return requested(r, req, **options)[0]


def test_asked_while_open_it_joins_its_line_as_an_entry_of_its_own(r):
    outcome = request(r, ask())
    assert (outcome.status, outcome.id, outcome.state, outcome.due) == ("created", "1", "due", NOW)
    entry = queue.entry(r, "cb-1")
    assert entry is not None
    assert (entry.state, entry.get("kind"), entry.get("callback"), entry.get("caller")) == \
        ("waiting", "callback", "1", "+33612345678")
    assert queue.position(r, "technical_support", "cb-1") == 1
    found = store.get(r, "1")
    assert found is not None and (found.state, found.number, found.get("client_id")) == \
        ("due", "+33612345678", "1001")
    assert [h["state"] for h in store.history(r, "1")] == ["requested", "due"]


def test_asked_while_closed_it_is_scheduled_out_of_any_line(r):
    outcome = request(r, ask(), open_now=False)
    assert (outcome.state, outcome.due) == ("scheduled", TUESDAY)
    assert queue.entry(r, "cb-1") is None
    assert r.zscore(store.SCHED_KEY, "1") == ms(TUESDAY)


def test_a_second_request_of_the_same_client_updates_the_first(r):
    request(r, ask("+33612345678"), open_now=False)
    again = request(r, ask("+33699887766"), open_now=False)
    assert (again.status, again.id) == ("updated", "1")
    assert [c.number for c in store.pending(r)] == ["+33699887766"]
    assert store.of_number(r, "+33612345678") is None
    assert store.of_number(r, "+33699887766").id == "1"  # type: ignore[union-attr]


def test_a_second_request_for_the_same_number_updates_the_first(r):
    request(r, ask("+33612345678", client=""), open_now=False)
    again = request(r, ask("+33612345678", client="1002"), open_now=False)
    assert (again.status, again.id) == ("updated", "1")
    assert len(store.pending(r)) == 1
    assert store.get(r, "1").get("client_id") == "1002"  # type: ignore[union-attr]


def test_a_client_taking_another_pending_number_replaces_that_callback(r):
    request(r, ask("+33611111111", client="1001"), open_now=False)
    request(r, ask("+33622222222", client="1002"), open_now=False)
    again = request(r, ask("+33622222222", client="1001"), open_now=False)
    assert (again.status, again.id) == ("updated", "1")
    assert [c.id for c in store.pending(r)] == ["1"]
    assert store.get(r, "2").state == "cancelled"  # type: ignore[union-attr]


def test_asked_again_while_open_a_scheduled_callback_becomes_due_now(r):
    request(r, ask(), open_now=False)
    again = request(r, ask(), open_now=True)
    assert (again.status, again.state) == ("updated", "due")
    assert queue.position(r, "technical_support", "cb-1") == 1
    assert r.zscore(store.SCHED_KEY, "1") is None


def test_a_callback_being_dialled_is_left_alone(r):
    request(r, ask())
    r.hset(store.RECORD_KEY.format("1"), "state", "dialling")
    again = request(r, ask("+33699887766"))
    assert (again.status, again.id, again.state) == ("in_progress", "1", "dialling")
    assert store.get(r, "1").number == "+33612345678"  # type: ignore[union-attr]


def test_a_number_gets_at_most_the_daily_cap_of_callbacks(r):
    for _ in range(3):
        outcome = request(r, ask(client=""))
        assert outcome.status == "created"
        assert store.cancel(r, outcome.id, NOW, "test") == (True, "cancelled")
    assert request(r, ask(client="")) == store.Outcome("refused", refused="too_many",
                                                       number="+33612345678")
    assert request(r, ask(client=""), day="2026-12-08").status == "created"
    assert request(r, ask("+33699887766", client="")).status == "created"


def test_a_caller_who_pressed_the_callback_key_hands_their_place_over(r):
    add_agent(r, "ana", state="break")
    for n in range(1, 4):
        join(r, f"CA{n}", NOW + timedelta(seconds=n))
    assert queue.hold(r, "CA2", NOW + timedelta(minutes=4)) == "held"
    outcome = request(r, ask(from_entry="CA2"), at=NOW + timedelta(minutes=5),
                      score=PRIORITY_STEP * 9)
    assert outcome.state == "due"
    assert [e.id for e in queue.waiting(r, "technical_support")] == ["CA1", "cb-1", "CA3"]
    assert (state(r, "CA2"), queue.entry(r, "CA2").get("outcome")) == ("done", "callback")  # type: ignore[union-attr]


def test_a_caller_sent_to_overflow_keeps_their_place_too(r):
    add_agent(r, "ana", state="break")
    join(r, "CA1", NOW)
    join(r, "CA2", NOW + timedelta(seconds=1))
    pipe = r.pipeline()
    queue.left(pipe, "CA1", NOW + timedelta(minutes=20), "overflow")
    pipe.execute()
    request(r, ask(from_entry="CA1"), at=NOW + timedelta(minutes=21), score=PRIORITY_STEP * 9)
    assert [e.id for e in queue.waiting(r, "technical_support")] == ["cb-1", "CA2"]


def test_a_held_caller_who_hangs_up_leaves_the_line(r):
    add_agent(r, "ana", state="break")
    join(r, "CA1")
    queue.hold(r, "CA1", NOW)
    queue.ended(r, "CA1", NOW, "abandoned", SUPPORT, [SUPPORT])
    assert queue.size(r, "technical_support") == 0
    assert state(r, "CA1") == "done"


def test_held_callers_are_routed_to_nobody(r):
    add_agent(r, "ana", state="break")
    join(r, "CA1")
    join(r, "CA2", NOW + timedelta(seconds=1))
    queue.wait(r, SUPPORT, "CA2", NOW)  # waiting now
    queue.hold(r, "CA1", NOW)
    held = queue.route(r, NOW, [SUPPORT])
    assert held == ()
    add_agent(r, "bob", state="available")
    held = queue.route(r, NOW, [SUPPORT])
    assert [h.entry for h in held] == ["CA2"]


def test_a_callback_due_now_is_routed_at_once(r):
    add_agent(r, "ana", state="available")
    outcome, [held] = requested(r, ask())
    assert (held.entry, held.agent, outcome.state) == ("cb-1", "ana", "due")
    assert (state(r, "cb-1"), agent_state(r, "ana")) == ("reserved", "ringing")
    _, none = requested(r, ask("+33699887766", client="1002"))
    assert none == ()  # nobody else is free


def test_cancelling_takes_a_callback_out_of_its_line_and_frees_its_agent(r):
    add_agent(r, "ana", state="available")
    _, [held] = requested(r, ask())
    assert (held.entry, agent_state(r, "ana")) == ("cb-1", "ringing")
    assert store.cancel(r, "1", NOW, "agent:ana") == (True, "cancelled")
    assert agent_state(r, "ana") == "available"
    assert (state(r, "cb-1"), queue.entry(r, "cb-1").get("outcome")) == ("done", "cancelled")  # type: ignore[union-attr]
    assert store.pending(r) == [] and [c.id for c in store.finished(r)] == ["1"]
    assert store.cancel(r, "1", NOW, "again") == (False, "cancelled")
    assert store.cancel(r, "99", NOW, "x") == (False, "unknown")
    assert store.cancel(r, "../1", NOW, "x") == (False, "unknown")


def test_a_callback_being_dialled_cannot_be_cancelled(r):
    request(r, ask())
    r.hset(store.RECORD_KEY.format("1"), "state", "dialling")
    assert store.cancel(r, "1", NOW, "agent") == (False, "dialling")


def test_two_requests_for_one_number_at_once_make_one_callback(r, redis_url):
    barrier = threading.Barrier(8)
    outcomes: list[store.Outcome] = []

    def one(n: int) -> None:
        connection = redis.Redis.from_url(redis_url, decode_responses=True)
        barrier.wait()
        outcomes.append(request(connection, ask(client=f"{1000 + n}")))

    threads = [threading.Thread(target=one, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(o.status for o in outcomes) == ["created"] + ["updated"] * 7
    assert {o.id for o in outcomes} == {"1"}
    assert queue.size(r, "technical_support") == 1
    assert r.get(store.CAP_KEY.format(DAY, "+33612345678")) == "1"


def test_a_pending_callback_is_found_by_number_for_the_flow(r):
    request(r, ask(), open_now=False)
    pipe = r.pipeline()
    store.fetch_pending(pipe, "+33612345678")
    store.fetch_pending(pipe, "+33699999999")
    store.fetch_pending(pipe, None, "1001")
    found, missing, by_client = (store.parse_pending(raw) for raw in pipe.execute())
    assert found is not None and (found.id, found.state, found.moment("due")) == \
        ("1", "scheduled", TUESDAY)
    assert missing is None
    assert by_client is not None and by_client.id == "1"
