"""How right the announced wait is through the stand-in, from the waits callers really had.

    .venv/bin/python bench/standin_waits.py                          # 20 agents, 500 callers
    .venv/bin/python bench/standin_waits.py --agents 5 --callers 50  # a first, short run

Its own stack (bench/standin_calls.py `own_stack`): a Redis, the app under granian, `ivr worker`
processes and the stand-in, every clock of them running --speed simulated seconds per real
second from one start (IVR_CLOCK_SCALE, IVR_CLOCK_START), on a Monday morning. --agents agents
answer technical support; each call they answer lasts a lognormal time of mean --handle and
coefficient of variation --cv (the stand-in's phones, seeded). --callers callers dial in at
Poisson times of rate --load x agents / handle, go through the menu to technical support and
wait as long as it takes (no abandonment, no maximum wait).

Scored as bench/wait_accuracy.py scores its simulation: the first estimate each caller who had
to wait was told (the unrounded figure the app computed, kept in the call record with when it
was said), right when within 30% or 60 s of the wait from then until an agent answered; the
first 10% of callers warm the queue up and are not scored. The same parameters then go
through the simulation, for --seeds seeds: one morning of a few hundred callers is one draw,
so the stand-in's figure is compared with the simulation's mean over the seeds (their range
beside it). `clock_check` compares the wait the app measured with the stand-in's time in
queue for each caller: a constant gap (the few seconds of putting a call through) says the
clocks agree. Prints one JSON document; exit status 1 when a call did not end or was not
answered.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any

import redis
import requests

from ivr.centre import records
from ivr.local.simulator_local import LocalTwilio, StandInError
from standin_calls import ACME, HOTLINE, Staff, staffed_stack
from wait_accuracy import Params, simulate

PRESSES = ["-", "1", "1"]  # the greeting times out, the caller's number is confirmed, support
QUEUE = "technical_support"


def arrivals(callers: int, rate: float, seed: int) -> list[float]:
    """Poisson arrival times (simulated s from the start), as the simulation draws them."""
    rng, at, times = random.Random(seed), 0.0, []
    for _ in range(callers):
        at += rng.expovariate(rate)
        times.append(at)
    return times


def place_calls(device: LocalTwilio, times: list[float], speed: float) -> list[str]:
    """Start one call at each arrival time (simulated s), on the real clock; their sids."""
    started, sids = time.monotonic(), []
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = []
        for at in times:
            delay = started + at / speed - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            futures.append(pool.submit(device.start_call, ACME, HOTLINE, PRESSES))
        for future in futures:
            try:
                sids.append(future.result())
            except StandInError:  # counted below: fewer sids than callers
                pass
    return sids


def wait_until_quiet(device: LocalTwilio, timeout: float) -> int:
    """Wait for every call to end (real s at most); the most calls active at once."""
    deadline, peak = time.monotonic() + timeout, 0
    while time.monotonic() < deadline:
        active = requests.get(device.base_url + "/_local/health", timeout=10).json()[
            "active_calls"]
        peak = max(peak, active)
        if active == 0:
            break
        time.sleep(0.5)
    return peak


def call_records(r: redis.Redis, sids: list[str], timeout: float) -> list[dict[str, Any]]:
    """The call records of these calls, once the workers' sweeper has written them all."""
    deadline = time.monotonic() + timeout
    while True:
        found = records.calls(r, sids)
        if len(found) == len(sids) or time.monotonic() > deadline:
            return found
        time.sleep(0.5)


def score(found: list[dict[str, Any]], sids: list[str], warmup: int) -> dict[str, Any]:
    """The share of first announcements right, as the simulation counts it."""
    order = {sid: n for n, sid in enumerate(sids)}  # callers in arrival order
    errors, rights, waits = [], [], []
    for record in found:
        if order[record["sid"]] < warmup or record["announced"] is None \
                or record["outcome"] != "answered":
            continue
        told = datetime.fromisoformat(record["announced_at"])
        actual = (datetime.fromisoformat(record["answered_at"]) - told).total_seconds()
        error = abs(record["announced"] - actual)
        errors.append(error)
        rights.append(error <= max(0.3 * actual, 60.0))
        waits.append(actual)
    if not rights:
        return {"within": None, "n": 0}
    return {"within": round(sum(rights) / len(rights), 3),
            "median_error": round(statistics.median(errors), 1),
            "mean_wait": round(statistics.fmean(waits), 1), "n": len(rights)}


def stand_in_check(device: LocalTwilio, found: list[dict[str, Any]]) -> dict[str, Any]:
    """The app's clock against the stand-in's: the wait each side measured for a caller
    answered (app: joined to answered; stand-in: time in Twilio's queue), compared."""
    gaps = []
    for record in found:
        if record["outcome"] != "answered" or record["waited"] is None:
            continue
        try:
            events = device.events(record["sid"])["events"]
        except StandInError:  # the stand-in keeps the last 1,000 calls and legs only
            continue
        left = [e for e in events if e["type"] == "left_queue" and "leg" not in e]
        if left:
            gaps.append(record["waited"] - left[0]["queue_time"])
    if not gaps:
        return {"calls": 0}
    return {"calls": len(gaps), "median_gap_seconds": statistics.median(gaps),
            "gap_range": [min(gaps), max(gaps)]}


def simulation(p: Params, seeds: int) -> dict[str, Any]:
    """bench/wait_accuracy.py's figure for the same parameters: this seed, and the spread of
    `seeds` seeds (a run of a few hundred callers varies from one morning to the next)."""
    def within(seed: int) -> float | None:
        first = simulate(Params(**{**vars(p), "seed": seed}))["first"]
        return first["residual"]["within"] if "residual" in first else None

    same = simulate(p)["first"].get("residual", {})
    spread = [w for w in (within(p.seed + n) for n in range(seeds)) if w is not None]
    return {"within": same.get("within"), "median_error": same.get("median_error"),
            "n": same.get("n", 0),
            "seeds": {"count": len(spread), "mean": round(statistics.fmean(spread), 3),
                      "min": min(spread), "max": max(spread)} if spread else None}


def run(args: argparse.Namespace) -> dict[str, Any]:
    rate = args.load * args.agents / args.handle
    times = arrivals(args.callers, rate, args.seed)
    staffing = Staff(args.agents, args.handle, args.cv, args.seed)
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="standin-waits-") as tmp, \
            staffed_stack(1 / args.speed, Path(tmp), staffing, args.workers, same_clock=True,
                          queue_settings={"max_wait": 0, "reminder": args.reminder},
                          ) as (device, redis_url):
        started = time.monotonic()
        sids = place_calls(device, times, args.speed)
        peak = wait_until_quiet(device, args.timeout)
        seconds = time.monotonic() - started
        r = redis.Redis.from_url(redis_url, decode_responses=True)
        found = call_records(r, sids, 30)
        check = stand_in_check(device, found)
    outcomes = Counter(record["outcome"] for record in found)
    problems = {"not started": args.callers - len(sids), "no record": len(sids) - len(found),
                "not answered": len(found) - outcomes["answered"]}
    stand_in = score(found, sids, args.callers // 10)
    sim = simulation(Params(args.agents, args.load, args.handle, args.cv, 0.0, args.callers,
                            args.reminder, args.seed), args.seeds)
    # the stand-in's morning is one draw among many: it is compared with the simulation's
    # mean over seeds, the figure a run of this size is expected to give
    expected = sim["seeds"]["mean"] if sim["seeds"] else None
    gap = None if stand_in["within"] is None or expected is None \
        else round((stand_in["within"] - expected) * 100, 1)
    return {
        "params": {"agents": args.agents, "callers": args.callers, "load": args.load,
                   "handle": args.handle, "cv": args.cv, "reminder": args.reminder,
                   "seed": args.seed, "speed": args.speed, "workers": args.workers},
        "stand_in": {**stand_in, "waited": sum(1 for f in found if f["announced"] is not None),
                     "outcomes": dict(outcomes), "clock_check": check},
        "simulation": sim,
        "difference_points": gap,
        "agree_within_10_points": None if gap is None else abs(gap) <= 10,
        "real_seconds": round(seconds, 1), "peak_active_calls": peak,
        # other work on the machine slows every process, and at --speed x a real stall is
        # --speed times as long for the callers: the 1-minute load before and after
        "load_average": [round(load_before, 1), round(os.getloadavg()[0], 1)],
        "errors": {k: v for k, v in problems.items() if v},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=20)
    parser.add_argument("--callers", type=int, default=500)
    parser.add_argument("--load", type=float, default=0.9, help="offered load per agent, < 1")
    parser.add_argument("--handle", type=float, default=300.0, help="mean handle time (s)")
    parser.add_argument("--cv", type=float, default=1.0, help="handle times' coeff. of variation")
    parser.add_argument("--reminder", type=int, default=60, help="seconds between announcements")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--seeds", type=int, default=20, help="simulation seeds for its spread")
    parser.add_argument("--speed", type=float, default=20.0,
                        help="simulated seconds per real second, for every clock of the run")
    parser.add_argument("--workers", type=int, default=2, help="`ivr worker` processes")
    parser.add_argument("--timeout", type=float, default=3600.0,
                        help="real seconds the calls may take after the last arrival")
    args = parser.parse_args(argv)
    if args.agents < 1 or args.callers < 10 or not 0 < args.load < 1 or args.handle <= 0 \
            or args.cv < 0 or not 1 <= args.speed <= 1000 or args.seeds < 1 \
            or not 10 <= args.reminder <= 3600:
        print("standin_waits: need --agents >= 1, --callers >= 10, 0 < --load < 1, --handle > 0, "
              "--cv >= 0, 1 <= --speed <= 1000, --seeds >= 1, 10 <= --reminder <= 3600",
              file=sys.stderr)
        return 2
    report = run(args)
    print(json.dumps(report, indent=1))
    return 1 if report["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
