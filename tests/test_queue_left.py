"""The record of callers who left a queue's line, and the patience the estimate takes from it."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import timedelta

import redis

from ivr import queue
from ivr.centre.board import queues_view
from tests.conftest import PARIS
from tests.test_queue import EVERY, NOW, SUPPORT, add_agent, join, reserve, state, talking

LINE = "technical_support"


def hang_up(r: redis.Redis, sid: str, waited: int) -> None:
    """Caller `sid`, who joined at NOW, hangs up in the line after `waited` seconds."""
    pipe = r.pipeline(transaction=False)
    queue.left(pipe, sid, NOW + timedelta(seconds=waited), "abandoned")
    pipe.execute()


def test_callers_who_hang_up_and_callers_answered_are_recorded_with_their_wait(r):
    add_agent(r, "bob")  # on a break: the queue is staffed, nobody is routed
    join(r, "CA1")
    join(r, "CA2")
    hang_up(r, "CA1", 120)
    held = reserve(r, "CA2", "ana")
    queue.connect(r, "CA2", held.res, NOW, ring=20)
    queue.answered(r, "CA2", held.res, NOW + timedelta(seconds=45))
    assert queue.left_line(r, LINE) == ["45000:0", "120000:1"]


def test_the_patience_is_the_time_waited_over_the_hang_ups(r):
    add_agent(r, "bob")
    for n, waited in enumerate((100, 300, 200)):
        join(r, f"CA{n}")
        hang_up(r, f"CA{n}", waited)
    known = queue.snapshot(1, 1, 0, [], [300], queue.left_line(r, LINE))
    assert known.patience == 200.0  # (100 + 300 + 200) s / 3 hang-ups


def test_a_caller_sent_to_overflow_counts_as_time_at_risk_not_as_a_hang_up(r):
    add_agent(r, "bob")
    join(r, "CA1")
    join(r, "CA2")
    hang_up(r, "CA1", 100)
    assert queue.wait(r, SUPPORT, "CA2", NOW + timedelta(seconds=600)).state == "overflow"
    assert queue.left_line(r, LINE) == ["600000:0", "100000:1"]
    assert queue.snapshot(1, 1, 0, [], [300], queue.left_line(r, LINE)).patience == 700.0


def test_a_hang_up_while_the_agent_rings_is_recorded_once(r):
    held = reserve(r)
    queue.connect(r, "CA1", held.res, NOW, ring=20)
    later = NOW + timedelta(seconds=30)
    queue.dialed(r, "CA1", held.res, "canceled", 0, later, SUPPORT, EVERY)
    queue.ended(r, "CA1", later, "abandoned", SUPPORT, EVERY)  # Twilio's status callback
    assert queue.left_line(r, LINE) == ["30000:1"]


def test_a_caller_asking_for_a_callback_has_waited_without_hanging_up(r):
    add_agent(r, "bob")
    join(r, "CA1")
    assert queue.hold(r, "CA1", NOW + timedelta(seconds=90)) == "held"
    queue.ended(r, "CA1", NOW + timedelta(seconds=95), "abandoned", SUPPORT, EVERY)
    assert queue.left_line(r, LINE) == ["90000:0"]


def test_the_record_keeps_the_last_200(r):
    add_agent(r, "bob")
    for n in range(205):
        join(r, f"CA{n}")
        hang_up(r, f"CA{n}", n)
    kept = queue.left_line(r, LINE)
    assert (len(kept), kept[0], kept[-1]) == (200, "204000:1", "5000:1")


def test_two_reports_of_one_hang_up_at_once_record_it_once(r):
    add_agent(r, "bob")
    join(r, "CA1")
    barrier = threading.Barrier(2)

    def report(outcome_by: str) -> None:
        client = redis.Redis(connection_pool=r.connection_pool)
        barrier.wait()
        if outcome_by == "queue":
            hang_up(client, "CA1", 60)
        else:
            queue.ended(client, "CA1", NOW + timedelta(seconds=60), "abandoned", SUPPORT, EVERY)

    threads = [threading.Thread(target=report, args=(who,)) for who in ("queue", "status")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert (state(r, "CA1"), queue.left_line(r, LINE)) == ("done", ["60000:1"])


def test_callers_who_hang_up_shorten_the_wait_announced(r):
    rules = replace(SUPPORT, max_size=10)
    r.rpush("ivr:q:handled:technical_support", *[300] * 20)
    talking(r, "ana", "CA0", NOW - timedelta(seconds=10))
    for n in range(1, 6):
        join(r, f"CA{n}", NOW + timedelta(seconds=n), rules)
    before = queue.wait(r, rules, "CA5", NOW + timedelta(seconds=10))
    r.lpush("ivr:q:left:technical_support", *["60000:1"] * 10)  # impatient callers: 1 min
    after = queue.wait(r, rules, "CA5", NOW + timedelta(seconds=11))
    assert before.position == after.position == 5
    assert before.estimate is not None and after.estimate is not None
    # without hang-ups: ana ends in 280 s, then 3.7 calls of 300 s (the median shift, 0.3)
    assert before.estimate == 280 + 1110
    # a mean patience of one minute: most of the 4 callers ahead hang up before their turn
    assert after.estimate < before.estimate / 2
    board = queues_view(r, [rules], {}, NOW + timedelta(seconds=11), PARIS)
    assert board[0]["estimate"] < before.estimate / 2
