"""Queue operations with 10,000 callers waiting in one queue: enqueue, position, a waiting
caller's wait request, and the routing decision when an agent becomes available.

Run as `.venv/bin/python bench/queue_ops.py [--waiting 10000] [--samples 2000]`. Each figure is
the latency of one call from Python (one Redis round trip, Lua included), on a redis-server
of the bench's own (unix socket) unless REDIS_URL is set. Targets (issue 6): median < 1 ms,
p99 < 5 ms for each.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import redis

from ivr import queue
from ivr.centre import agents
from ivr.centre.agents import Agent
from ivr.queue import Rules
from stack import OPEN_HOURS, bench_redis

RULES = Rules("technical_support", "technical_support", priority=("active", "expiring"),
              max_size=1_000_000)
TARGET_MEDIAN, TARGET_P99 = 1.0, 5.0  # ms


def timed(samples: int, operation: Callable[[int], object]) -> dict[str, float]:
    spent = []
    for n in range(samples):
        started = time.perf_counter()
        operation(n)
        spent.append((time.perf_counter() - started) * 1000)
    spent.sort()
    return {"median": statistics.median(spent), "p99": spent[int(len(spent) * 0.99) - 1],
            "max": spent[-1]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--waiting", type=int, default=10_000)
    parser.add_argument("--samples", type=int, default=2000)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder, bench_redis(Path(folder)) as url:
        r = redis.Redis.from_url(url, decode_responses=True)
        r.flushdb()
        now = OPEN_HOURS
        for n in range(options.samples + 1):
            agents.save(r, Agent(id=f"a{n}", name="A", skills=("technical_support",),
                                 reach="+33144003001"), now)
            agents.set_state(r, f"a{n}", "break", now, ())
        contracts = ("active", "expiring", "none")
        pipe = r.pipeline(transaction=False)
        for n in range(options.waiting):
            queue.join(pipe, RULES, f"CAwait{n}", now + timedelta(milliseconds=n),
                       {"contract": contracts[n % 3], "agency": "paris"})
            if n % 1000 == 999:
                pipe.execute()
        pipe.execute()
        for n in range(options.waiting):  # every caller has heard the wait: all are "waiting"
            queue.wait(r, RULES, f"CAwait{n}", now)

        def enqueue(n: int) -> None:
            pipe = r.pipeline(transaction=False)
            queue.join(pipe, RULES, f"CAnew{n}", now + timedelta(seconds=20 + n),
                       {"contract": contracts[n % 3], "agency": "paris"})
            pipe.execute()

        def position(n: int) -> None:
            assert queue.position(r, "technical_support", f"CAwait{options.waiting - 1 - n}")

        def wait_request(n: int) -> None:
            queue.wait(r, RULES, f"CAwait{options.waiting - 1 - n}", now)

        def route(n: int) -> None:
            _, held = agents.set_state(r, f"a{n}", "available", now, [RULES])
            assert len(held) == 1

        figures = {
            "enqueue": timed(options.samples, enqueue),
            "position": timed(options.samples, position),
            "wait request": timed(options.samples, wait_request),
            "routing decision": timed(options.samples, route),
        }
        print(f"{options.waiting} callers waiting in one queue, {options.samples} samples each "
              f"(ms)\n")
        print("| operation | median | p99 | max | target |\n|---|---:|---:|---:|---|")
        failed = False
        for name, f in figures.items():
            ok = f["median"] < TARGET_MEDIAN and f["p99"] < TARGET_P99
            failed |= not ok
            print(f"| {name} | {f['median']:.3f} | {f['p99']:.3f} | {f['max']:.3f} | "
                  f"{'met' if ok else 'MISSED'} |")
        r.flushdb()
    raise SystemExit(1 if failed else 0)


if __name__ == "__main__":
    main()
