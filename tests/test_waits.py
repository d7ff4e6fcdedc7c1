"""The wait estimate: residual service, what the caller hears, the never-rising rule."""

from __future__ import annotations

import heapq
import math
import os
import random
import statistics
import subprocess
import sys

import pytest

from ivr.flows.speech import speak_wait
from ivr.waits import Said, Snapshot, estimate_wait, patience, share, spread, steady

FIVE_MINUTES = [300.0] * 200


def twenty_busy(position: int) -> Snapshot:
    """20 agents on calls of exactly 5 minutes, one of them ending every 15 s."""
    return Snapshot(position=position, staffed=20, available=0,
                    busy_elapsed=[15.0 * i for i in range(20)], handle_times=FIVE_MINUTES)


def test_the_next_caller_waits_for_the_first_of_twenty_agents_not_a_whole_call():
    # the former formula, ceil(1 / 20) x 300, said 5 minutes: the agent who has talked
    # 285 s of a 300 s call frees up in 15 s
    assert estimate_wait(twenty_busy(1)) == pytest.approx(15, abs=1)
    assert math.ceil(1 / 20) * 300 == 300


def test_residual_service_counts_how_long_each_busy_agent_has_talked():
    fresh = Snapshot(position=1, staffed=2, available=0, busy_elapsed=[0.0, 0.0],
                     handle_times=[100.0, 200.0, 300.0, 400.0])
    late = Snapshot(position=1, staffed=2, available=0, busy_elapsed=[250.0, 250.0],
                    handle_times=[100.0, 200.0, 300.0, 400.0])
    # the first of two calls to end, from their start: 187.5 s on average, 200 s the median;
    # after 250 s only the 300 s and 400 s calls remain: 50 or 150 s to go, 50 s the median
    assert estimate_wait(fresh) == pytest.approx(187.5, abs=20)
    assert estimate_wait(late) == pytest.approx(50, abs=2)


def test_the_wait_grows_with_the_position_at_the_agents_rate():
    first, tenth, fortieth, sixtieth = (estimate_wait(twenty_busy(k)) for k in (1, 10, 40, 60))
    assert first is not None and tenth is not None and fortieth is not None
    assert sixtieth is not None
    assert first < tenth < fortieth < sixtieth
    assert tenth == pytest.approx(150, rel=0.15)  # the 10th agent to end, 10 x 15 s
    # beyond the calls in progress, 20 agents answer one caller per 300 / 20 = 15 s
    assert sixtieth - fortieth == pytest.approx(20 * 15, rel=0.05)


def test_an_available_agent_for_the_caller_means_no_wait():
    assert estimate_wait(Snapshot(position=2, staffed=3, available=2, busy_elapsed=[10.0],
                                  handle_times=FIVE_MINUTES)) == 0.0


@pytest.mark.parametrize("snapshot", [
    Snapshot(position=1, staffed=2, available=0, busy_elapsed=[1.0, 2.0], handle_times=[]),
    Snapshot(position=1, staffed=0, available=0, busy_elapsed=[], handle_times=[60.0]),
])
def test_nothing_known_gives_no_estimate(snapshot):
    assert estimate_wait(snapshot) is None


def test_an_agent_talking_longer_than_any_recent_call_still_counts():
    seconds = estimate_wait(Snapshot(position=1, staffed=1, available=0,
                                     busy_elapsed=[900.0], handle_times=[100.0, 300.0]))
    assert seconds == pytest.approx(100, abs=1)  # half a mean call


def lognormal_times(mean: float, cv: float, n: int = 200) -> list[float]:
    """`n` handle times spread as a lognormal law of that mean and cv (its quantiles)."""
    sigma = math.sqrt(math.log(1 + cv * cv))
    mu = math.log(mean) - sigma * sigma / 2
    law = statistics.NormalDist(mu, sigma)
    return [math.exp(law.inv_cdf((i + 0.5) / n)) for i in range(n)]


def test_a_long_call_of_a_lognormal_queue_is_expected_to_go_on():
    # recent calls of mean 5 minutes, widely spread as call centres' are (lognormal, cv 1.5),
    # the longest just under an hour; an agent on a call for 80 minutes: such a call is one of the
    # longest ones, whose remaining time (about half an hour) grows with the talk so far, not
    # half a mean call as when the calls fit no known law
    times = lognormal_times(300, 1.5)
    assert max(times) < 3600
    seconds = estimate_wait(Snapshot(position=1, staffed=1, available=0,
                                     busy_elapsed=[4800.0], handle_times=times))
    assert seconds is not None and 900 <= seconds <= 3600
    shorter = estimate_wait(Snapshot(position=1, staffed=1, available=0,
                                     busy_elapsed=[1200.0], handle_times=times))
    assert shorter is not None and shorter < seconds


def test_agents_shared_with_another_queue_free_up_for_this_one_part_of_the_time():
    alone = twenty_busy(10)
    shared = Snapshot(position=10, staffed=20, available=0, busy_elapsed=alone.busy_elapsed,
                      handle_times=FIVE_MINUTES, share=0.5)
    # half their departures go to the other queue: as long as twice as many callers ahead
    assert estimate_wait(shared) == pytest.approx(estimate_wait(twenty_busy(20)), rel=0.05)
    assert estimate_wait(shared) > 1.5 * estimate_wait(alone)  # type: ignore[operator]


def test_the_share_is_each_agents_part_of_the_callers_of_the_queues_they_serve():
    # 3 callers here; one agent serves only this queue, one also a queue of 1, one a queue of
    # 9 (or two queues of 4 and 5): 1, 3/4 and 3/12 of their work, 2/3 on average
    assert share(3, [0, 1, 9]) == pytest.approx((1 + 0.75 + 0.25) / 3)
    assert share(3, [0, 0]) == 1.0
    assert share(0, [0]) == 1.0  # nobody waiting anywhere: nothing to share
    assert share(3, []) == 1.0  # no agent
    assert share(1, [3]) == 0.25


@pytest.mark.parametrize(("seconds", "lang", "said"), [
    (0, "fr", "moins d'une minute"),
    (59, "en", "less than a minute"),
    (80, "fr", "environ 1 minute"),
    (290, "fr", "environ 5 minutes"),
    (290, "en", "about 5 minutes"),
    (760, "fr", "environ 15 minutes"),
])
def test_a_narrow_wait_is_said_about_so_many_minutes(seconds, lang, said):
    assert speak_wait(seconds, lang) == said


def test_a_wide_wait_is_said_between_two_steps_of_five_minutes():
    assert speak_wait(720, "fr", 540, 900) == "entre 10 et 15 minutes"
    assert speak_wait(720, "en", 540, 900) == "between 10 and 15 minutes"
    assert speak_wait(720, "fr", 690, 750) == "environ 10 minutes"  # narrow: one figure


def test_the_spread_narrows_as_more_departures_average_out():
    near, far = twenty_busy(2), twenty_busy(80)
    low_near, high_near = spread(near, 100)
    low_far, high_far = spread(far, 100)
    assert high_near - low_near > high_far - low_far


def test_a_caller_moving_up_never_hears_a_larger_figure():
    last = Said(seconds=300, position=5, staffed=4)
    assert steady(last, 360, position=4, staffed=4) == 300
    assert steady(last, 240, position=4, staffed=4) == 240


def test_a_rise_is_said_when_there_is_a_reason():
    last = Said(seconds=300, position=5, staffed=4)
    assert steady(last, 420, position=4, staffed=3) == 420  # an agent left
    assert steady(last, 420, position=6, staffed=4) == 420  # a priority caller went ahead
    assert steady(None, 420, position=6, staffed=4) == 420


def replayed_waits(snapshot: Snapshot, runs: int = 4000) -> list[float]:
    """The waits of `snapshot`'s caller over many replays of its agents' calls (Monte Carlo)."""
    rng = random.Random(7)
    times = snapshot.handle_times
    waits = []
    for _ in range(runs):
        ends = [rng.choice([h for h in times if h > e]) - e for e in snapshot.busy_elapsed]
        heapq.heapify(ends)
        for _ in range(snapshot.position - 1):  # each departure takes the next caller ahead
            heapq.heappush(ends, heapq.heappop(ends) + rng.choice(times))
        waits.append(ends[0])
    return waits


def hits(guess: float, waits: list[float]) -> float:
    return sum(abs(guess - w) <= max(0.3 * w, 60) for w in waits) / len(waits)


def test_with_widely_varying_calls_the_figure_is_the_one_most_often_right():
    # handle times of cv about 1.5 (many short calls, a few very long ones), 5 agents busy
    times = [40.0] * 90 + [150.0] * 60 + [400.0] * 35 + [2000.0] * 15
    snapshot = Snapshot(position=4, staffed=5, available=0,
                        busy_elapsed=[10.0, 30.0, 60.0, 100.0, 200.0], handle_times=times)
    waits = replayed_waits(snapshot)
    seconds = estimate_wait(snapshot)
    assert seconds is not None
    best = max(hits(guess, waits) for guess in range(10, 2000, 5))
    # within 3 points of the best figure there is (the mean-departure rule for regular calls
    # said 188 s here, right 50% of the time; queue length 226 s, right 32%)
    assert hits(seconds, waits) >= best - 0.03
    assert hits(seconds, waits) >= hits(4 / 5 * statistics.mean(times), waits) + 0.2


def test_a_wait_most_callers_finish_within_a_minute_is_not_said_as_its_mean():
    # two agents who have just started; three calls in four last 30 s, one lasts 30 minutes:
    # the caller at position 2 is answered at 30 s (9 in 16), 60 s (4.5 in 16) or 1800 s
    # (2.5 in 16); the mean wait, 315 s, is right for nobody, a figure under 90 s for 13.5 in 16
    snapshot = Snapshot(position=2, staffed=2, available=0, busy_elapsed=[0.0, 0.0],
                        handle_times=[30.0, 30.0, 30.0, 1800.0] * 10)
    seconds = estimate_wait(snapshot)
    assert seconds is not None and 30 <= seconds <= 90


def test_the_same_snapshot_always_gives_the_same_figure():
    # the replays are drawn from a seed taken from the snapshot: no figure changes between two
    # wait requests that see the same queue, nor between two processes
    times = [40.0] * 90 + [150.0] * 60 + [400.0] * 35 + [2000.0] * 15
    snapshot = Snapshot(position=7, staffed=5, available=0,
                        busy_elapsed=[10.0, 30.0, 60.0, 100.0, 200.0], handle_times=times)
    first = estimate_wait(snapshot)
    assert [estimate_wait(Snapshot(**vars(snapshot))) for _ in range(5)] == [first] * 5
    script = ("from ivr.waits import Snapshot, estimate_wait; "
              f"print(estimate_wait(Snapshot(**{vars(snapshot)!r})))")
    elsewhere = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                               check=True, env={**os.environ, "PYTHONHASHSEED": "12345"})
    assert float(elsewhere.stdout) == first


def test_patience_is_the_time_waited_over_the_hang_ups():
    assert patience([(100.0, True), (300.0, False), (200.0, True)]) == 300.0
    assert patience([(100.0, False)]) == 0.0  # nobody hung up: no abandonment to expect
