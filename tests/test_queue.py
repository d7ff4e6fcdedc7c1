"""Waiting callers and routing: order, overflow, reservations, their end, the sweeper."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
import redis

from ivr import queue
from ivr.centre import agents, records
from ivr.centre.agents import Agent
from ivr.centre.board import queues_view
from ivr.queue import Rules
from ivr.waits import Snapshot, estimate_wait
from tests.conftest import MONDAY_MORNING, PARIS

NOW = MONDAY_MORNING
SUPPORT = Rules("technical_support", "technical_support", priority=("active", "expiring"),
                max_size=3, max_wait=600, reminder=60, wrapup=30)
MAINTENANCE = Rules("maintenance", "maintenance", agency_first=60, wrapup=0)
EVERY = (SUPPORT, MAINTENANCE)


def add_agent(r: redis.Redis, agent_id: str, skills: str = "technical_support",
              agency: str = "paris", state: str = "break", at: datetime = NOW) -> None:
    agents.save(r, Agent(id=agent_id, name=agent_id, skills=skills, agency=agency,  # type: ignore[arg-type]
                         reach="+33144003001"), at)
    agents.set_state(r, agent_id, state, at, ())


def join(r: redis.Redis, sid: str, at: datetime = NOW, rules: Rules = SUPPORT,
         contract: str = "active", agency: str = "paris") -> None:
    pipe = r.pipeline(transaction=False)
    queue.join(pipe, rules, sid, at, {"contract": contract, "agency": agency,
                                      "caller": "+33612345678", "client_id": "1001"})
    pipe.execute()


def state(r: redis.Redis, entry: str) -> str:
    found = queue.entry(r, entry)
    return found.state if found else ""


def agent_state(r: redis.Redis, agent_id: str) -> str:
    presence = agents.get(r, agent_id)
    return presence.state if presence else ""


def test_callers_wait_by_contract_priority_then_arrival(r):
    add_agent(r, "ana")
    join(r, "CA1", NOW, contract="expiring")
    join(r, "CA2", NOW + timedelta(seconds=1), contract="none")
    join(r, "CA3", NOW + timedelta(seconds=2), contract="active")
    assert [e.id for e in queue.waiting(r, "technical_support")] == ["CA3", "CA1", "CA2"]
    assert queue.position(r, "technical_support", "CA2") == 3


def test_a_full_queue_or_one_nobody_staffs_sends_the_caller_to_overflow(r):
    join(r, "CA0")
    assert (state(r, "CA0"), queue.entry(r, "CA0").get("reason")) == ("overflow", "unstaffed")  # type: ignore[union-attr]
    add_agent(r, "ana")
    for n in range(1, 5):
        join(r, f"CA{n}", NOW + timedelta(seconds=n))
    assert [state(r, f"CA{n}") for n in range(1, 5)] == ["joining"] * 3 + ["overflow"]
    assert queue.wait(r, SUPPORT, "CA4", NOW).state == "overflow"


def test_a_repeated_join_changes_nothing(r):
    add_agent(r, "ana")
    join(r, "CA1", NOW)
    join(r, "CA1", NOW + timedelta(seconds=30))
    entry = queue.entry(r, "CA1")
    assert entry is not None and entry.get("enq") == str(queue.ms(NOW))
    assert queue.size(r, "technical_support") == 1


def test_the_wait_says_the_position_and_reminds_only_every_period(r):
    add_agent(r, "ana")
    join(r, "CA1")
    join(r, "CA2", NOW + timedelta(seconds=1))
    first = queue.wait(r, SUPPORT, "CA2", NOW + timedelta(seconds=2))
    assert (first.state, first.position, first.size, first.staffed) == ("waiting", 2, 2, 1)
    assert first.remind and first.estimate is None  # no handle time known yet
    assert not queue.wait(r, SUPPORT, "CA2", NOW + timedelta(seconds=30)).remind
    assert queue.wait(r, SUPPORT, "CA2", NOW + timedelta(seconds=62)).remind


def talking(r: redis.Redis, agent_id: str, sid: str, since: datetime) -> None:
    """`agent_id` answers caller `sid` at `since` and is on the call from then on."""
    add_agent(r, agent_id, state="available", at=since)
    join(r, sid, since)
    (held,) = queue.wait(r, SUPPORT, sid, since).reservations
    queue.connect(r, sid, held.res, since, ring=20)
    assert queue.answered(r, sid, held.res, since)


def test_the_estimate_counts_each_busy_agents_talk_so_far(r):
    r.rpush("ivr:q:handled:technical_support", *[300] * 20)  # calls of 5 minutes
    talking(r, "ana", "CA1", NOW - timedelta(seconds=280))
    talking(r, "bob", "CA2", NOW - timedelta(seconds=100))
    join(r, "CA3", NOW)
    status = queue.wait(r, SUPPORT, "CA3", NOW + timedelta(seconds=5))
    assert (status.position, status.staffed, status.available) == (1, 2, 0)
    # ana ends in 15 s; the former formula said ceil(1 / 2) x 300 = 300 s
    assert status.estimate == 15


DELIVERY = Rules("delivery", "delivery", wrapup=0)


def test_agents_who_serve_another_queue_with_callers_waiting_make_a_longer_wait(r):
    r.rpush("ivr:q:handled:delivery", *[300] * 20)  # calls of 5 minutes
    for agent_id, since in (("lea", 280), ("tom", 100)):
        add_agent(r, agent_id, skills="delivery,technical_support", state="available",
                  at=NOW - timedelta(seconds=since))
        join(r, f"CA{agent_id}", NOW - timedelta(seconds=since), rules=DELIVERY)
        (held,) = queue.wait(r, DELIVERY, f"CA{agent_id}", NOW - timedelta(seconds=since),
                             (DELIVERY, SUPPORT)).reservations
        queue.connect(r, f"CA{agent_id}", held.res, NOW - timedelta(seconds=since), ring=20)
        assert queue.answered(r, f"CA{agent_id}", held.res, NOW - timedelta(seconds=since))
    join(r, "CA1", NOW, rules=DELIVERY)
    alone = queue.wait(r, DELIVERY, "CA1", NOW, (DELIVERY, SUPPORT))
    for n in range(3):  # three callers wait for the same two agents in technical support
        join(r, f"CS{n}", NOW + timedelta(seconds=n))
    # between reminders (the figure said is not held down): what the estimate is now
    shared = queue.wait(r, DELIVERY, "CA1", NOW + timedelta(seconds=10), (DELIVERY, SUPPORT))
    without = queue.wait(r, DELIVERY, "CA1", NOW + timedelta(seconds=10))  # no other queue known
    # lea ends in 20 s. Shared, each end goes to this caller a quarter of the time (1 caller
    # here, 3 there for the same agents): they wait for about 4 ends, not 1
    assert alone.estimate == 20
    assert without.estimate == 10
    assert (shared.remind, shared.estimate) == (False, round(estimate_wait(Snapshot(
        position=1, staffed=2, available=0, busy_elapsed=[290.0, 110.0],
        handle_times=[300.0] * 20, share=0.25))))  # type: ignore[arg-type]
    assert shared.estimate > 200  # type: ignore[operator]


def test_the_board_counts_the_callers_of_the_other_queues_its_agents_serve(r):
    r.rpush("ivr:q:handled:delivery", *[300] * 20)
    add_agent(r, "lea", skills="delivery,technical_support")  # on a break: staffed, not routed
    add_agent(r, "ana")  # technical support only
    for n in range(3):
        join(r, f"CS{n}", NOW + timedelta(seconds=n))
    board = {q["queue"]: q for q in queues_view(r, [DELIVERY], {}, NOW, PARIS,
                                                among=[DELIVERY, SUPPORT])}
    alone = {q["queue"]: q for q in queues_view(r, [DELIVERY], {}, NOW, PARIS)}
    # a new delivery caller would be 1 in their line, lea has 3 in technical support: a
    # quarter of her work; ana, who serves only technical support, does not count here
    assert board["delivery"]["estimate"] == round(estimate_wait(Snapshot(
        position=1, staffed=1, available=0, handle_times=[300.0] * 20, share=0.25)))  # type: ignore[arg-type]
    assert alone["delivery"]["estimate"] == round(estimate_wait(Snapshot(
        position=1, staffed=1, available=0, handle_times=[300.0] * 20)))  # type: ignore[arg-type]
    assert board["delivery"]["estimate"] > alone["delivery"]["estimate"]


def test_the_figure_said_does_not_rise_while_the_caller_moves_up(r):
    r.rpush("ivr:q:handled:technical_support", *[300] * 20)
    talking(r, "ana", "CA1", NOW - timedelta(seconds=290))
    join(r, "CA2", NOW)
    join(r, "CA3", NOW + timedelta(seconds=1))
    first = queue.wait(r, SUPPORT, "CA3", NOW + timedelta(seconds=2))
    # ana ends in 8 s, then CA2 takes her: CA3 waits for the next end, 0.7 of a call later
    assert (first.position, first.remind, first.estimate) == (2, True, 219)
    # ana's call runs on past every recent one: the model alone would now say 360 s
    later = queue.wait(r, SUPPORT, "CA3", NOW + timedelta(seconds=70))
    assert (later.position, later.remind, later.estimate) == (2, True, 219)
    stored = queue.entry(r, "CA3")
    assert stored is not None and stored.get("said_pos") == "2"


def test_waiting_too_long_leaves_for_overflow(r):
    add_agent(r, "ana")
    join(r, "CA1")
    status = queue.wait(r, SUPPORT, "CA1", NOW + timedelta(seconds=600))
    assert (status.state, status.reason) == ("overflow", "max_wait")
    assert queue.size(r, "technical_support") == 0


def test_the_longest_waiting_caller_goes_to_the_longest_idle_agent(r):
    add_agent(r, "ana", state="available", at=NOW)
    add_agent(r, "bob", state="available", at=NOW - timedelta(minutes=5))
    join(r, "CA1", NOW)
    join(r, "CA2", NOW + timedelta(seconds=1))
    status = queue.wait(r, SUPPORT, "CA2", NOW + timedelta(seconds=2))
    # CA2 asked first, but CA1 (not yet heard waiting) is not routed before it waits
    assert [(h.entry, h.agent) for h in status.reservations] == [("CA2", "bob")]
    status = queue.wait(r, SUPPORT, "CA1", NOW + timedelta(seconds=3))
    assert [(h.entry, h.agent) for h in status.reservations] == [("CA1", "ana")]
    assert (agent_state(r, "ana"), agent_state(r, "bob")) == ("ringing", "ringing")


def test_an_agent_going_available_takes_the_first_caller(r):
    add_agent(r, "ana")
    for n in (1, 2):
        join(r, f"CA{n}", NOW + timedelta(seconds=n))
        queue.wait(r, SUPPORT, f"CA{n}", NOW + timedelta(seconds=n))
    _, held = agents.set_state(r, "ana", "available", NOW + timedelta(seconds=5), EVERY)
    assert [(h.entry, h.agent, h.sid) for h in held] == [("CA1", "ana", "CA1")]
    assert queue.position(r, "technical_support", "CA2") == 1
    assert state(r, "CA1") == "reserved"


def test_maintenance_callers_wait_for_their_agency_first(r):
    add_agent(r, "paul", skills="maintenance", agency="paris")
    join(r, "CA1", NOW, rules=MAINTENANCE, agency="rennes")
    queue.wait(r, MAINTENANCE, "CA1", NOW)
    _, held = agents.set_state(r, "paul", "available", NOW + timedelta(seconds=10), EVERY)
    assert held == ()  # a Rennes caller waits for Rennes agents for 60 s
    add_agent(r, "rose", skills="maintenance", agency="rennes")
    _, held = agents.set_state(r, "rose", "available", NOW + timedelta(seconds=20), EVERY)
    assert [(h.entry, h.agent) for h in held] == [("CA1", "rose")]


def test_after_the_agency_wait_any_maintenance_agent_answers(r):
    add_agent(r, "paul", skills="maintenance", agency="paris", state="available")
    join(r, "CA1", NOW, rules=MAINTENANCE, agency="rennes")
    assert queue.wait(r, MAINTENANCE, "CA1", NOW + timedelta(seconds=59)).reservations == ()
    held = queue.wait(r, MAINTENANCE, "CA1", NOW + timedelta(seconds=60)).reservations
    assert [(h.entry, h.agent) for h in held] == [("CA1", "paul")]


def reserve(r: redis.Redis, sid: str = "CA1", agent_id: str = "ana") -> queue.Reservation:
    add_agent(r, agent_id, state="available")
    join(r, sid)
    (held,) = queue.wait(r, SUPPORT, sid, NOW).reservations
    return held


def test_an_answered_call_puts_the_agent_in_wrap_up_then_available(r):
    held = reserve(r)
    assert queue.connect(r, "CA1", held.res, NOW, ring=20) == "ana"
    assert queue.answered(r, "CA1", held.res, NOW + timedelta(seconds=5))
    assert (state(r, "CA1"), agent_state(r, "ana")) == ("bridged", "busy")
    result, _ = queue.dialed(r, "CA1", held.res, "completed", 120, NOW + timedelta(minutes=2),
                             SUPPORT, EVERY)
    assert result == "answered" and agent_state(r, "ana") == "wrapup"
    assert queue.handle_times(r, "technical_support") == [120]
    queue.route(r, NOW + timedelta(minutes=2, seconds=29), EVERY)
    assert agent_state(r, "ana") == "wrapup"
    queue.route(r, NOW + timedelta(minutes=2, seconds=30), EVERY)
    assert agent_state(r, "ana") == "available"


def test_an_agent_who_does_not_answer_goes_offline_and_the_caller_keeps_their_place(r):
    held = reserve(r)
    join(r, "CA2", NOW + timedelta(seconds=1))
    queue.connect(r, "CA1", held.res, NOW, ring=20)
    result, again = queue.dialed(r, "CA1", held.res, "no-answer", 0, NOW + timedelta(seconds=20),
                                 SUPPORT, EVERY)
    assert (result, again) == ("requeued", ())
    presence = agents.get(r, "ana")
    assert presence is not None
    assert (presence.state, presence.reason) == ("offline", "did not answer (no-answer)")
    assert [e.id for e in queue.waiting(r, "technical_support")] == ["CA1", "CA2"]


def test_a_caller_hanging_up_while_the_agent_rings_frees_the_agent(r):
    held = reserve(r)
    queue.connect(r, "CA1", held.res, NOW, ring=20)
    result, _ = queue.dialed(r, "CA1", held.res, "canceled", 0, NOW, SUPPORT, EVERY)
    assert (result, state(r, "CA1"), agent_state(r, "ana")) == ("abandoned", "done", "available")


def test_repeated_or_late_reports_change_nothing(r):
    held = reserve(r)
    queue.connect(r, "CA1", held.res, NOW, ring=20)
    queue.answered(r, "CA1", held.res, NOW)
    assert queue.dialed(r, "CA1", held.res, "completed", 60, NOW, SUPPORT, EVERY)[0] == "answered"
    assert queue.dialed(r, "CA1", held.res, "completed", 60, NOW, SUPPORT, EVERY)[0] == "stale"
    assert queue.dialed(r, "CA1", "999", "no-answer", 0, NOW, SUPPORT, EVERY)[0] == "stale"
    assert queue.ended(r, "CA1", NOW, "abandoned", SUPPORT, EVERY)[0] == "done"
    assert queue.handle_times(r, "technical_support") == [60]
    assert not queue.answered(r, "CA1", held.res, NOW)


def test_a_call_that_ends_while_waiting_or_reserved_leaves_no_one_held(r):
    held = reserve(r)
    join(r, "CA2", NOW + timedelta(seconds=1))
    assert queue.ended(r, "CA2", NOW, "abandoned", SUPPORT, EVERY)[0] == "joining"
    previous, _ = queue.ended(r, "CA1", NOW, "abandoned", SUPPORT, EVERY)
    assert previous == "reserved"
    assert (agent_state(r, "ana"), queue.size(r, "technical_support")) == ("available", 0)
    assert queue.connect(r, "CA1", held.res, NOW, ring=20) is None


def test_the_sweeper_releases_a_reservation_nobody_came_back_for(r):
    held = reserve(r)
    join(r, "CA2", NOW + timedelta(seconds=1))
    assert queue.route(r, NOW + timedelta(seconds=queue.RESERVE_GRACE - 1), EVERY) == ()
    again = queue.route(r, NOW + timedelta(seconds=queue.RESERVE_GRACE), EVERY)
    # released: CA1 back at the head of the line, and at once routed to the agent again
    assert [(h.entry, h.agent) for h in again] == [("CA1", "ana")]
    assert again[0].res != held.res
    assert queue.connect(r, "CA1", held.res, NOW, ring=20) is None


def test_finished_calls_become_records_once_with_the_day_figures(r):
    held = reserve(r)
    queue.connect(r, "CA1", held.res, NOW, ring=20)
    queue.answered(r, "CA1", held.res, NOW + timedelta(seconds=40))
    queue.dialed(r, "CA1", held.res, "completed", 90, NOW + timedelta(minutes=2), SUPPORT, EVERY)
    join(r, "CA2", NOW)
    queue.ended(r, "CA2", NOW + timedelta(seconds=80), "abandoned", SUPPORT, EVERY)
    assert records.collect(r, PARIS, 90) == 2
    assert records.collect(r, PARIS, 90) == 0
    stats = records.day_stats(r, NOW.date(), "technical_support")
    assert stats == {"offered": 2, "answered": 1, "abandoned": 1, "hour:09": 2,
                     "wait_sum": 40, "answered_in_time": 1, "handle_sum": 90, "handled": 1}
    (call,) = records.of_agent(r, "ana")
    assert (call["sid"], call["waited"], call["handled"], call["client_id"]) == \
        ("CA1", 40, 90, "1001")
    assert [c["outcome"] for c in records.of_client(r, "1001")] == ["abandoned", "answered"]
    assert 0 < r.ttl("ivr:rec:call:CA1") <= 90 * 86400


@pytest.mark.parametrize("n", [1, 2])
def test_an_agent_with_two_skills_is_held_for_one_caller_only(r, n):
    add_agent(r, "lea", skills="technical_support,maintenance")
    join(r, "CA1", NOW)
    join(r, "CA2", NOW, rules=MAINTENANCE, agency="")
    queue.wait(r, SUPPORT, "CA1", NOW)
    queue.wait(r, MAINTENANCE, "CA2", NOW)
    _, held = agents.set_state(r, "lea", "available", NOW, EVERY[::n])
    assert len(held) == 1
    assert r.zcard("ivr:agents:avail:maintenance") == 0
    assert r.zcard("ivr:agents:avail:technical_support") == 0


def test_the_longest_wait_is_the_oldest_caller_not_the_first_in_line(r):
    add_agent(r, "ana")
    assert queue.oldest_wait(r, "technical_support", NOW) == 0
    join(r, "CA1", NOW, contract="none")
    join(r, "CA2", NOW + timedelta(seconds=30), contract="expiring")
    join(r, "CA3", NOW + timedelta(seconds=50), contract="active")
    assert [e.id for e in queue.waiting(r, "technical_support")] == ["CA3", "CA2", "CA1"]
    assert queue.oldest_wait(r, "technical_support", NOW + timedelta(seconds=100)) == 100


def test_the_first_estimate_said_is_kept_unrounded_with_its_time_for_the_call_record(r):
    talking(r, "ana", "CA1", NOW - timedelta(seconds=200))
    join(r, "CA2", NOW)
    first = queue.wait(r, SUPPORT, "CA2", NOW + timedelta(seconds=2))
    assert (first.remind, first.estimate) == (True, None)  # nothing known: nothing said
    r.rpush("ivr:q:handled:technical_support", 400, 333, 310, 250)  # newest first
    told = queue.wait(r, SUPPORT, "CA2", NOW + timedelta(seconds=62))
    # ana (262 s so far) ends like the recent calls longer than that: 310, 333 or 400 s
    assert (told.remind, told.estimate) == (True, 76)
    entry = queue.entry(r, "CA2")
    assert entry is not None
    assert entry.json("announced") == {"seconds": 75.8, "at": queue.ms(NOW) + 62_000}
    r.lpush("ivr:q:handled:technical_support", 600, 600)
    later = queue.wait(r, SUPPORT, "CA2", NOW + timedelta(seconds=130))
    assert (later.remind, later.estimate) == (True, 76)  # said again, never higher
    r.hdel("ivr:q:e:CA2", "said")  # even when the figure said is forgotten
    queue.wait(r, SUPPORT, "CA2", NOW + timedelta(seconds=200))
    entry = queue.entry(r, "CA2")
    assert entry is not None and entry.json("announced")["seconds"] == 75.8  # the first stays
    queue.ended(r, "CA2", NOW + timedelta(seconds=140), "abandoned", SUPPORT, EVERY)
    assert records.collect(r, PARIS, 90) == 1  # CA2 (ana's caller is still on the line)
    (call,) = records.of_client(r, "1001")
    assert (call["sid"], call["announced"], call["announced_at"]) == (
        "CA2", 75.8, (NOW + timedelta(seconds=62)).astimezone(UTC).isoformat())


def test_two_wait_requests_at_once_keep_one_first_estimate_and_its_time(r, redis_url):
    r.rpush("ivr:q:handled:technical_support", 400, 333, 310, 250)
    talking(r, "ana", "CA1", NOW - timedelta(seconds=200))
    join(r, "CA2", NOW)
    heard: dict[datetime, tuple[bool, int | None]] = {}
    moments = (NOW + timedelta(seconds=62), NOW + timedelta(seconds=100))
    start = threading.Barrier(len(moments))

    def ask(at: datetime) -> None:
        own = redis.Redis.from_url(redis_url, decode_responses=True)
        start.wait()
        status = queue.wait(own, SUPPORT, "CA2", at)
        heard[at] = (status.remind, status.estimate)
        own.close()

    threads = [threading.Thread(target=ask, args=(at,)) for at in moments]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # the two are within one reminder period: one of them says the wait, whichever came first
    (told,) = [at for at in moments if heard[at][0]]
    entry = queue.entry(r, "CA2")
    assert entry is not None
    announced = entry.json("announced")
    assert announced["at"] == queue.ms(told)
    assert round(announced["seconds"]) == heard[told][1]
