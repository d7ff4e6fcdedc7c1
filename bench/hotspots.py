"""Where each webhook of the call mix spends its time: in-process requests per kind, timed, then
profiled with cProfile.

Run as `.venv/bin/python bench/hotspots.py [--requests 500] [--kind wait] [--lines 30]`; REDIS_URL
(an empty database: it is emptied) or a redis-server of its own. Requests are the mix's (see
bench/calls.py), each the first of its (call, step), on the bench's Redis state and a Monday
morning. The app logs at INFO (as served), to nowhere. `constant` is the floor: the bench's
constant route through the same test client.
"""

from __future__ import annotations

import argparse
import cProfile
import logging
import os
import pstats
import random
import statistics
import tempfile
import time
from pathlib import Path

from calls import Walk
from constant import CONSTANT_PATH, with_constant_route
from prepare import Ids, InProcess, Post, kinds_of_calls, reset, walks
from roundtrips import counting_sends
from stack import bench_redis, require_empty, service_env, shift_to_open_hours, write_bench_flow
from webhooks import Webhook

PUBLIC_URL = "http://127.0.0.1:8000"
WARM_UP = 30  # requests of each kind before the timing
BATCH = 50  # requests of one kind timed together
# the frames worth reading: the app, and the libraries it calls per request
SHOWN = (r"ivr/|redis/(client|connection)|twilio/|phonenumberutil.py:\d+\(parse\)|"
         r"werkzeug/(wrappers|formparser)|logging/__init__.py:\d+\(info\)|xml/|json/")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=500, help="per kind, timed and profiled")
    parser.add_argument("--kind", action="append", help="only this kind (repeatable)")
    parser.add_argument("--lines", type=int, default=30, help="profile lines per kind")
    parser.add_argument("--sort", default="cumulative", choices=("cumulative", "tottime"))
    options = parser.parse_args()
    # the app logs each call at INFO: kept, so that its cost is counted, but not shown
    logging.basicConfig(level=logging.INFO, stream=open(os.devnull, "w"))
    with tempfile.TemporaryDirectory(prefix="ivr-hotspots-") as folder, \
            bench_redis(Path(folder)) as redis_url:
        if os.environ.get("REDIS_URL"):
            require_empty(redis_url)
        env = service_env(redis_url, Path(folder), PUBLIC_URL, write_bench_flow(Path(folder)),
                          shift_to_open_hours())
        app = with_constant_route(reset(env))
        post = InProcess(app).post
        stamp, ids = random.getrandbits(32), Ids()
        kinds = kinds_of_calls(post, PUBLIC_URL, stamp, ids.take(1))
        chosen = [kind for kind in kinds if not options.kind or kind in options.kind]
        if not chosen:
            parser.error(f"--kind: the mix's kinds are {', '.join(kinds)}")
        print(f"preparing {WARM_UP + 2 * options.requests} calls per kind in-process...",
              flush=True)
        per_kind = WARM_UP + 2 * options.requests
        prepared = walks(env, app, kinds, per_kind, stamp, ids)
        hooks = {kind: [walk.current for walk in prepared[depth * per_kind:(depth + 1) * per_kind]
                        if walk.current is not None]
                 for depth, kind in enumerate(kinds) if kind in chosen}
        hooks["constant"] = [Webhook("constant", PUBLIC_URL + CONSTANT_PATH,
                                     Walk(PUBLIC_URL, stamp, index).first().params)
                             for index in range(per_kind)]
        for batch in hooks.values():
            post_all(post, batch[:WARM_UP])
        timing = timed(post, {kind: batch[WARM_UP:WARM_UP + options.requests]
                              for kind, batch in hooks.items()})
        for kind, batch in hooks.items():
            profile = cProfile.Profile()
            profile.runcall(post_all, post, batch[WARM_UP + options.requests:])
            median, best, trips = timing[kind]
            print(f"\n=== {kind}: {median:.0f} us per request in-process (median of batches, "
                  f"no profiler), {trips:.2f} Redis round trips ===")
            stats = pstats.Stats(profile)
            stats.sort_stats(options.sort).print_stats(SHOWN, options.lines)
    floor = timing["constant"][0]
    print(f"\n{'kind':<10}{'us/request':>12}{'best batch':>12}{'above constant':>16}"
          f"{'round trips':>13}")
    for kind, (median, best, trips) in timing.items():
        print(f"{kind:<10}{median:>12.0f}{best:>12.0f}{median - floor:>16.0f}{trips:>13.2f}")
    print(f"(in-process through Flask's test client, batches of {BATCH} of each kind in turn; "
          "`constant` is the floor of the client and Flask)")


def timed(post: Post, hooks: dict[str, list[Webhook]]) -> dict[str, tuple[float, float, float]]:
    """Microseconds per request of each kind (median and best batch) and Redis round trips.
    The kinds take turns batch by batch, so that a busy moment of the machine weighs on all."""
    times: dict[str, list[float]] = {kind: [] for kind in hooks}
    trips: dict[str, int] = dict.fromkeys(hooks, 0)
    with counting_sends() as sent:
        for start in range(0, max(len(batch) for batch in hooks.values()), BATCH):
            for kind, batch in hooks.items():
                chunk = batch[start:start + BATCH]
                if not chunk:
                    continue
                before, started = sent(), time.perf_counter()
                post_all(post, chunk)
                times[kind].append((time.perf_counter() - started) / len(chunk) * 1e6)
                trips[kind] += sent() - before
    return {kind: (statistics.median(found), min(found), trips[kind] / len(hooks[kind]))
            for kind, found in times.items()}


def post_all(post: Post, hooks: list[Webhook]) -> None:
    for hook in hooks:
        post(hook)  # raises on anything but HTTP 200


if __name__ == "__main__":
    main()
