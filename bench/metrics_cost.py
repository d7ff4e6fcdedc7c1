"""What timing every webhook for /metrics costs on the webhook path, and what a scrape costs.

Run as `.venv/bin/python bench/metrics_cost.py [--batches 30] [--size 100]`. Each mode runs
signed /voice/incoming requests in-process (Flask's test client), in a fresh process of its
own, batch after batch with its hooks and without them (the baseline, measured in the same
process and the same minutes, so that a busy machine weighs on both alike):

- `memory`: the hooks, prometheus_client's in-process histogram (one web process);
- `multiprocess`: the hooks with PROMETHEUS_MULTIPROC_DIR set (several web processes: each
  observation is written to this process's memory-mapped file), as `make run` serves;
- `redis`: the alternative not taken: the hooks plus the histogram kept in Redis (HINCRBY of
  the bucket, the count and the sum, one pipelined round trip per webhook).

Then a scrape of /metrics (the Redis-read gauges and counters), timed in-process.
Prints a table; REDIS_URL or a redis-server of its own (unix socket, no persistence).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from stack import OPEN_HOURS, TOKEN, bench_redis, service_env
from webhooks import CALL_KEYS, signed_requests

PUBLIC_URL = "http://127.0.0.1:8000"
MODES = ("memory", "multiprocess", "redis")  # each against `none`: no metrics hooks
WARM_UP = 300
HERE = Path(__file__).resolve().parent


def run_mode(mode: str, batches: int, size: int, run: int) -> dict[str, float]:
    """Microseconds per /voice/incoming request in this process, with the metrics hooks of
    `mode` and without them (`none`), batch after batch in turns so that both see the same
    machine: {"none": median us, mode: median us}."""
    import logging

    from flask import Flask, Response, g, request

    from ivr import create_app
    from ivr.core.clock import Clock
    from ivr.web import metrics

    logging.disable(logging.INFO)  # the app's per-call log line is not what is measured
    env = {k: v for k, v in os.environ.items() if k.startswith(("REDIS_", "IVR_", "TWILIO_"))}
    app: Flask = create_app({**env, "CLOCK": Clock(OPEN_HOURS)})
    hooks: list[tuple[list[Any], Any]] = [
        (app.before_request_funcs[None], metrics._start_timer),
        (app.after_request_funcs[None], metrics._observe)]
    if mode == "redis":
        redis = app.extensions["ivr"].redis
        buckets = metrics.WEBHOOK_SECONDS._upper_bounds

        def observe_in_redis(response: Response) -> Response:
            started = g.get("ivr_started")
            if started is not None and request.url_rule is not None:
                seconds = time.perf_counter() - started
                le = next(b for b in buckets if seconds <= b)
                key = f"ivr:bench:hist:{request.url_rule.rule}"
                pipe = redis.pipeline(transaction=False)
                pipe.hincrby(key, f"le:{le}", 1)
                pipe.hincrby(key, "count", 1)
                pipe.hincrbyfloat(key, "sum", seconds)
                pipe.execute()
            return response

        app.after_request_funcs[None].remove(metrics._observe)  # kept in Redis instead
        hooks[1] = (app.after_request_funcs[None], observe_in_redis)

    def hooked(on: bool) -> None:
        for funcs, hook in hooks:
            if on and hook not in funcs:
                funcs.insert(0, hook)
            elif not on and hook in funcs:
                funcs.remove(hook)

    client = app.test_client()
    calls = signed_requests(f"{PUBLIC_URL}/voice/incoming", TOKEN, run=run,
                            count=WARM_UP + 2 * batches * size)

    def post(batch: list[tuple[dict[str, str], str]]) -> float:
        started = time.perf_counter()
        for params, signature in batch:
            response = client.post("/voice/incoming", data=params, base_url=PUBLIC_URL,
                                   headers={"X-Twilio-Signature": signature})
            if response.status_code != 200:
                raise RuntimeError(f"/voice/incoming answered HTTP {response.status_code}")
        return (time.perf_counter() - started) / len(batch) * 1e6

    post(calls[:WARM_UP])
    times: dict[str, list[float]] = {"none": [], mode: []}
    at = WARM_UP
    for n in range(batches):
        for variant in (("none", mode) if n % 2 else (mode, "none")):
            hooked(variant != "none")
            times[variant].append(post(calls[at:at + size]))
            at += size
    return {**{variant: statistics.median(found) for variant, found in times.items()},
            **{f"{variant}_best": min(found) for variant, found in times.items()}}


def observe_cost(samples: int = 200_000) -> float:
    """Nanoseconds per histogram observation in this process's mode."""
    from ivr.web.metrics import WEBHOOK_SECONDS

    child = WEBHOOK_SECONDS.labels("/bench")
    started = time.perf_counter()
    for _ in range(samples):
        child.observe(0.0007)
    return (time.perf_counter() - started) / samples * 1e9


def redis_observe_cost(samples: int = 20_000) -> float:
    """Nanoseconds per observation kept in Redis instead (one pipelined round trip)."""
    import redis

    connection = redis.Redis.from_url(os.environ["REDIS_URL"])
    started = time.perf_counter()
    for _ in range(samples):
        pipe = connection.pipeline(transaction=False)
        pipe.hincrby("ivr:bench:hist:/bench", "le:0.001", 1)
        pipe.hincrby("ivr:bench:hist:/bench", "count", 1)
        pipe.hincrbyfloat("ivr:bench:hist:/bench", "sum", 0.0007)
        pipe.execute()
    return (time.perf_counter() - started) / samples * 1e9


def scrape_cost(count: int = 200) -> float:
    """Milliseconds per /metrics scrape with the demo data (queues, roster, counters)."""
    from ivr import create_app

    env = {k: v for k, v in os.environ.items() if k.startswith(("REDIS_", "IVR_", "TWILIO_"))}
    client = create_app({**env, "IVR_METRICS_TOKEN": "bench-metrics-token-0123"}).test_client()
    headers = {"Authorization": "Bearer bench-metrics-token-0123"}
    client.get("/metrics", headers=headers)
    started = time.perf_counter()
    for _ in range(count):
        assert client.get("/metrics", headers=headers).status_code == 200
    return (time.perf_counter() - started) / count * 1e3


def child(mode: str, options: argparse.Namespace, run: int, folder: Path) -> dict[str, float]:
    """One mode measured in a fresh process (the multiprocess mode is chosen at import)."""
    env = dict(os.environ)
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    if mode == "multiprocess":
        metrics_dir = folder / f"prometheus-{run}"
        metrics_dir.mkdir()
        env["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
    done = subprocess.run([sys.executable, __file__, "--child", mode, "--batches",
                           str(options.batches), "--size", str(options.size), "--run", str(run)],
                          env=env, capture_output=True, text=True, check=False, cwd=HERE)
    if done.returncode:
        raise SystemExit(f"{mode}: {done.stderr.strip().splitlines()[-1]}")
    result: dict[str, float] = json.loads(done.stdout)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=30, help="per variant (30)")
    parser.add_argument("--size", type=int, default=100, help="requests per batch (100)")
    parser.add_argument("--child", choices=MODES)
    parser.add_argument("--run", type=int, default=0)
    options = parser.parse_args()
    if options.child:
        result: dict[str, float] = run_mode(options.child, options.batches, options.size,
                                            options.run)
        if options.child in ("memory", "multiprocess"):
            result["observe_ns"] = observe_cost()
        if options.child == "redis":
            result["observe_ns"] = redis_observe_cost()
        if options.child == "memory":
            result["scrape_ms"] = scrape_cost()
        print(json.dumps(result))
        return
    with tempfile.TemporaryDirectory(prefix="ivr-metrics-bench-") as name, \
            bench_redis(Path(name)) as redis_url:
        import redis

        folder = Path(name)
        os.environ.update({k: v for k, v in service_env(redis_url, folder, PUBLIC_URL).items()
                           if k.startswith(("REDIS_", "IVR_", "TWILIO_"))})
        found = {mode: child(mode, options, 0x100 + n, folder) for n, mode in enumerate(MODES)}
        connection = redis.Redis.from_url(redis_url)
        for pattern in (CALL_KEYS, "ivr:bench:*"):
            for key in connection.scan_iter(pattern, count=1000):
                connection.delete(key)
    print(f"\n/voice/incoming in-process: {options.batches} batches of {options.size} requests "
          "with the hooks and as many without, in turns; medians of the batches\n")
    print("| mode | us per request, without -> with (median) | cost | best batches | cost "
          "| observe() ns |\n|---|---:|---:|---:|---:|---:|")
    for mode in MODES:
        cells = []
        for suffix in ("", "_best"):
            base, us = found[mode]["none" + suffix], found[mode][mode + suffix]
            cells += [f"{base:.0f} -> {us:.0f}", f"{us - base:+.0f} us ({(us - base) / base:+.1%})"]
        print(f"| {mode} | {' | '.join(cells)} | {found[mode]['observe_ns']:.0f} |")
    print(f"\n/metrics scrape (demo data: 3 queues, 3 agents): {found['memory']['scrape_ms']:.2f}"
          " ms")


if __name__ == "__main__":
    main()
