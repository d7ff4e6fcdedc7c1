"""10,000 callback requests, as the flow makes them: number check, the opening hours (live
switches read), the atomic request in Redis (one pending per client and number, daily cap;
due now: the place in the line and a routing pass), two round trips in all. Then the RQ jobs
of the scheduled ones, as a worker makes them off the request's path.

Run as `.venv/bin/python bench/callback_requests.py [--requests 10000]`. Target (issue 8):
>= 1,000 requests per second, in one process. Baselines measured in the same run, on the same
Redis: a bare Redis round trip (PING) and the request's Lua script alone.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import redis

from callbacks import store
from callbacks.policy import Policy
from callbacks.scheduling import ask, build_request, make_wake_jobs
from ivr import create_app
from ivr.core.clock import Clock
from stack import OPEN_HOURS, TOKEN, bench_redis

CLOSED_HOURS = OPEN_HOURS.replace(hour=20)
TARGET = 1000.0  # requests per second


def rate(count: int, operation: Callable[[int], object], clients: int = 1) -> float:
    """Requests per second making `count` requests from `clients` threads (as web workers
    would, each waiting on Redis in turn)."""
    share = count // clients

    def run(first: int) -> None:
        for n in range(first, first + share):
            operation(n)

    threads = [threading.Thread(target=run, args=(k * share,)) for k in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return share * clients / (time.perf_counter() - started)


def number(n: int, block: int) -> str:
    return f"+336{block:02d}{n:06d}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=4,
                        help="threads making requests at once, like web workers")
    options = parser.parse_args()
    count = options.requests
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as folder, bench_redis(Path(folder)) as url:
        r = redis.Redis.from_url(url, decode_responses=True)
        r.flushdb()
        clock = Clock(CLOSED_HOURS)
        app = create_app({"CLOCK": clock, "REDIS_URL": url, "TWILIO_AUTH_TOKEN": TOKEN,
                          "IVR_INSTANCE_DIR": str(Path(folder) / "instance"),
                          "IVR_DEMO_DATA": "true", "IVR_LOG_LEVEL": "WARNING"})
        service = app.extensions["ivr"]
        flow = service.flows.current()
        policy = flow.config.callbacks

        def as_the_flow(n: int, block: int) -> None:
            """What /voice/callback does for a caller who typed their number."""
            checked = policy.check(number(n, block)[3:].rjust(10, "0"))
            request = build_request(flow, checked.number, clock.now(), source="bench",
                                    client=None)
            assert ask(service, request, flow=flow).accepted

        for n in range(200):  # warm-up: scripts loaded, connections open
            as_the_flow(n, 99)
        r.flushdb()
        service.prepare()

        ping = rate(count, lambda n: r.ping())
        bare_ask = store.Request(number="", queue="technical_support", skill="technical_support",
                                 schedule="support", lang="fr", version="bench", source="bench")
        bare_policy = Policy()

        def bare(n: int) -> None:
            store.request(r, store.Request(**{**bare_ask.__dict__, "number": number(n, 1)}),
                          bare_policy, CLOSED_HOURS, open_now=False,
                          due=CLOSED_HOURS + timedelta(hours=12), score=0, day="2026-12-07")

        lua = rate(count, bare)
        closed = rate(count, lambda n: as_the_flow(n, 2))
        closed_many = rate(count, lambda n: as_the_flow(n, 4), options.clients)
        started = time.perf_counter()
        jobs = make_wake_jobs(service)
        jobs_rate = jobs / (time.perf_counter() - started)
        clock.set(OPEN_HOURS)
        opened = rate(count, lambda n: as_the_flow(n, 3))
        opened_many = rate(count, lambda n: as_the_flow(n, 5), options.clients)
        waiting = r.zcard("ivr:q:line:maintenance") + r.zcard("ivr:q:line:technical_support")
        print(f"{count} callback requests each, one process, Redis at {url.split('://')[0]}, "
              f"load average before: {load:.1f}\n")
        n = options.clients
        print(f"| what | per second, 1 client | {n} clients |\n|---|---:|---:|")
        print(f"| baseline: Redis round trip (PING) | {ping:.0f} | |")
        print(f"| baseline: the request's Lua script alone | {lua:.0f} | |")
        print(f"| requests while closed (scheduled at the next opening) | {closed:.0f} | "
              f"{closed_many:.0f} |")
        print(f"| requests while open (a place in the line, a routing pass) | {opened:.0f} | "
              f"{opened_many:.0f} |")
        print(f"| RQ jobs made by a worker for the {jobs} scheduled ones | {jobs_rate:.0f} | |")
        print(f"\ncallbacks waiting in lines at the end: {waiting}")
        worst = min(closed_many, opened_many)
        print(f"target >= {TARGET:.0f}/s: {'met' if worst >= TARGET else 'MISSED'}")
        r.flushdb()
    raise SystemExit(0 if worst >= TARGET else 1)


if __name__ == "__main__":
    main()
