"""`make bench`: a bare Flask route (bench/bare.py, the ceiling), the constant route inside our
app, /voice/incoming and a realistic call mix under granian and gunicorn (sync, gthread),
loaded by wrk with Twilio-signed requests, judged against issue 11's targets; plus Redis
round trips per webhook kind.

Run as `.venv/bin/python bench/run.py [--quick] [--only granian]`; prints a table and writes
bench/results/latest.json. Exit status 1 when an answer was not valid TwiML or a run had
errors; targets missed are reported, not failed. See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import signal
import socket
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from twilio.request_validator import RequestValidator

from calls import Walk
from checks import check_samples, log_problems, run_problems
from constant import CONSTANT_PATH
from load import Load, require_wrk, run_wrk
from machine import OtherWork
from prepare import (
    Ids,
    InProcess,
    Prepared,
    kinds_of_calls,
    nobody_routed,
    per_kind_for,
    prepare,
    reset,
    walks,
)
from report import judge, print_report
from roundtrips import count_round_trips
from servers import BARE, NAMES, SERVERS, Server, ServerKind
from stack import (
    TOKEN,
    bench_redis,
    require_empty,
    service_env,
    shift_to_open_hours,
    write_bench_flow,
)
from webhooks import Webhook, write_lines

HOST = "127.0.0.1"
WARM_UP = 2  # seconds of load before each measured run, not measured
# requests prepared beyond the warm-up's rate x the duration: the run may go faster than its
# warm-up, and one wrk thread faster than the other (each sends its own half of the lines)
MARGIN = 1.6
MIN_REQUESTS = 5_000  # per run of incoming; per kind of the mix, a fifth of it
SAMPLES = 3  # answers per kind parsed in full, before the load and after it
RESULTS = Path(__file__).resolve().parent / "results"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run (10)")
    parser.add_argument("--quick", action="store_true", help="4 s runs")
    parser.add_argument("--only", default=",".join(NAMES),
                        help=f"servers, comma-separated (default all: {','.join(NAMES)})")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 2,
                        help="processes preparing the mix (CPUs)")
    parser.add_argument("--calls", type=int, default=50,
                        help="whole calls whose Redis round trips are counted (50)")
    options = parser.parse_args()
    names = [name.strip() for name in options.only.split(",")]
    servers = [spec for spec in SERVERS if spec.name in names]
    unknown = set(names) - set(NAMES)
    if unknown or not servers:
        parser.error(f"--only: unknown server(s) {', '.join(sorted(unknown))}; "
                     f"known: {', '.join(NAMES)}")
    load = Load(4 if options.quick else options.duration, options.connections, options.threads)
    require_wrk()
    with OtherWork() as others:
        time.sleep(1)
    if others.cpus > 0.2:
        print(f"warning: other work uses {others.cpus:.1f} of {os.cpu_count()} CPUs here; "
              "it lowers every number (see the 'others' column)")
    signal.signal(signal.SIGTERM, interrupt)
    with tempfile.TemporaryDirectory(prefix="ivr-bench-") as folder:
        results = bench(Path(folder), load, servers, options)
    results["machine"]["others_before"] = round(others.cpus, 2)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "latest.json").write_text(json.dumps(results, indent=2) + "\n")
    print_report(results)
    print(f"\nwritten: {RESULTS / 'latest.json'}")
    if results["failures"]:
        sys.exit("FAILED:\n  " + "\n  ".join(results["failures"]))


def interrupt(*_: object) -> None:
    """A SIGTERM unwinds like Ctrl-C, through the `finally` blocks that stop the servers."""
    raise KeyboardInterrupt


class Bench:
    """One bench run: its Redis and settings, its call ids, what it measured and found."""

    def __init__(self, folder: Path, load: Load, env: dict[str, str], processes: int) -> None:
        self.folder = folder
        self.load = load
        self.env = env
        self.processes = processes
        self.public_url = env["IVR_PUBLIC_URL"]
        self.port = int(self.public_url.rsplit(":", 1)[1])
        self.base = f"http://{HOST}:{self.port}"
        self.stamp = random.getrandbits(32)
        self.ids = Ids()
        self.validator = RequestValidator(TOKEN)
        self.kinds: list[str] = []
        self.runs: list[dict[str, Any]] = []
        self.samples: dict[str, dict[str, int]] = {}
        self.failures: list[str] = []

    def bare(self, spec: ServerKind) -> None:
        """The ceiling: `spec` serving bench/bare.py (nothing of ours), loaded on its own
        port just before the real app."""
        log = self.folder / f"{spec.name}-bare.log"
        port = free_port()
        server = Server(spec, HOST, port, self.env, log, target=BARE)
        print(f"{spec.name}: starting the bare ceiling ({BARE})", flush=True)
        try:
            server.wait_ready(CONSTANT_PATH)
            self.record(self.measure(spec, "bare", self.constant_file(), WARM_UP,
                                     base=f"http://{HOST}:{port}"))
        finally:
            server.stop()
            self.failures += log_problems(f"{spec.name} (bare)", log)

    def server(self, spec: ServerKind) -> None:
        """Start `spec` on a fresh Redis, check samples, then load constant, incoming, mix."""
        self.bare(spec)
        app = reset(self.env)
        before = walks(self.env, app, self.kinds, SAMPLES, self.stamp, self.ids)
        after = walks(self.env, app, self.kinds, SAMPLES, self.stamp, self.ids)
        log = self.folder / f"{spec.name}.log"
        print(f"{spec.name}: starting ({' '.join(spec.command(HOST, self.port)[1:])})", flush=True)
        server = Server(spec, HOST, self.port, self.env, log)
        try:
            server.wait_ready(CONSTANT_PATH)
            checked, problems = check_samples(self.base, before)
            if problems:
                self.failures += [f"{spec.name}: {problem}" for problem in problems]
                return
            constant = self.record(self.measure(spec, "constant", self.constant_file(), WARM_UP))
            incoming = self.measure_incoming(spec, constant["requests_per_s"])
            self.measure_mix(spec, incoming["requests_per_s"])
            checked_after, problems = check_samples(self.base, after)
            self.failures += [f"{spec.name} (after the load): {problem}" for problem in problems]
            self.samples[spec.name] = {k: checked.get(k, 0) + checked_after.get(k, 0)
                                       for k in self.kinds}
        finally:
            server.stop()
            found = log_problems(spec.name, log)
            if found:
                RESULTS.mkdir(exist_ok=True)
                shutil.copy(log, RESULTS / log.name)
            self.failures += found
            self.failures += [f"{spec.name}: routing put a caller through: {agent}"
                              for agent in nobody_routed(self.env)]

    def measure(self, spec: ServerKind, route: str, data: Path, warm_up: int | None = None,
                base: str | None = None, **extra: Any) -> dict[str, Any]:
        """One measured run of `route` (after a warm-up on the same data, if asked)."""
        base = base or self.base
        if warm_up:
            run_wrk(base, data, self.load, duration=warm_up)
        print(f"{spec.name}: loading {route} for {self.load.duration}s...", flush=True)
        with OtherWork() as others:
            result = run_wrk(base, data, self.load)
        return {"server": spec.name, "route": route, **result, **extra,
                "other_cpus": round(others.cpus, 2)}

    def record(self, run: dict[str, Any]) -> dict[str, Any]:
        self.runs.append(run)
        self.failures += run_problems(run["server"], run)
        return run

    def first_seen(self, spec: ServerKind, route: str, warm_rate: float,
                   data: Callable[[float], tuple[Path, dict[str, Any]]]) -> dict[str, Any]:
        """A run of requests each sent once, sized by `data(rate)` from the warm-up's rate. A
        run that ran out of them (the warm-up went slower than the run) is measured again,
        sized from the rate it reached (replays included: more than enough)."""
        path, extra = data(warm_rate)
        run = self.measure(spec, route, path, **extra, warm_rate=warm_rate)
        if run["replayed"]:
            print(f"{spec.name}: {run['replayed']} {route} requests sent twice: measuring "
                  "again with more", flush=True)
            path, extra = data(run["requests_per_s"])
            run = self.measure(spec, route, path, **extra, warm_rate=warm_rate,
                               first_replayed=run["replayed"])
        return self.record(run)

    def constant_file(self) -> Path:
        """Bodies of new calls, sent to the constant route (which reads none)."""
        url = self.public_url + CONSTANT_PATH
        hooks = (Webhook("constant", url, Walk(self.public_url, self.stamp, index).base)
                 for index in range(MIN_REQUESTS))
        path = self.folder / "constant.txt"
        write_lines(path, (hook.line(self.validator) for hook in hooks))
        return path

    def incoming_file(self, name: str, count: int) -> Path:
        first = self.ids.take(count)
        path = self.folder / name
        write_lines(path, (Walk(self.public_url, self.stamp, index).first().line(self.validator)
                           for index in range(first, first + count)))
        return path

    def measure_incoming(self, spec: ServerKind, constant_rate: float) -> dict[str, Any]:
        # no more new calls than the constant route could take in the warm-up
        warm = self.incoming_file("incoming-warm.txt", int(constant_rate * WARM_UP * 1.2) + 100)
        warm_rate = run_wrk(self.base, warm, self.load, duration=WARM_UP)["requests_per_s"]

        def data(rate: float) -> tuple[Path, dict[str, Any]]:
            count = max(MIN_REQUESTS, int(rate * self.load.duration * MARGIN))
            return self.incoming_file("incoming.txt", count), {}

        return self.first_seen(spec, "incoming", warm_rate, data)

    def mix_file(self, name: str, per_kind: int) -> tuple[Path, Prepared]:
        print(f"preparing {per_kind} requests of each kind of the mix "
              f"({self.processes} processes)...", flush=True)
        prepared = prepare(self.env, self.kinds, per_kind, self.stamp, self.ids, self.processes)
        path = self.folder / name
        write_lines(path, prepared.shuffled(seed=self.ids.next))
        return path, prepared

    def measure_mix(self, spec: ServerKind, incoming_rate: float) -> dict[str, Any]:
        at_least = MIN_REQUESTS // len(self.kinds)
        warm, _ = self.mix_file("mix-warm.txt", per_kind_for(
            incoming_rate, WARM_UP, 1.5, self.kinds, at_least // 5))
        warm_rate = run_wrk(self.base, warm, self.load, duration=WARM_UP)["requests_per_s"]

        def data(rate: float) -> tuple[Path, dict[str, Any]]:
            path, prepared = self.mix_file("mix.txt", per_kind_for(
                rate, self.load.duration, MARGIN, self.kinds, at_least))
            return path, {"prepared": {"requests": prepared.count(),
                                       "seconds": round(prepared.seconds, 1),
                                       "processes": prepared.processes}}

        return self.first_seen(spec, "mix", warm_rate, data)


def bench(folder: Path, load: Load, servers: list[ServerKind],
          options: argparse.Namespace) -> dict[str, Any]:
    with bench_redis(folder) as redis_url:
        if os.environ.get("REDIS_URL"):
            require_empty(redis_url)
        env = service_env(redis_url, folder, f"http://{HOST}:{free_port()}",
                          write_bench_flow(folder), shift_to_open_hours())
        session = Bench(folder, load, env, options.processes)
        app = reset(env)
        post = InProcess(app).post
        session.kinds = kinds_of_calls(post, session.public_url, session.stamp, session.ids.take(1))
        print(f"the mix: {', '.join(session.kinds)}; counting Redis round trips per kind...",
              flush=True)
        round_trips = count_round_trips(app, session.public_url, session.stamp, session.ids,
                                        options.calls)
        for spec in servers:
            session.server(spec)
    names = [spec.name for spec in servers]
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                    "python": platform.python_version()},
        "versions": {name: installed(name) for name in ("granian", "gunicorn", "flask",
                                                        "werkzeug", "redis", "hiredis", "twilio")},
        "load": {"duration_s": load.duration, "connections": load.connections,
                 "threads": load.threads, "warm_up_s": WARM_UP},
        "servers": [spec.describe() for spec in servers],
        "mix_kinds": session.kinds,
        "runs": session.runs,
        "round_trips": round_trips,
        "round_trip_calls": options.calls,
        "samples": session.samples,
        "judged": judge(session.runs, round_trips, names),
        "failures": session.failures,
    }


def installed(name: str) -> str | None:
    try:
        return version(name)
    except PackageNotFoundError:
        return None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit("interrupted: the servers and Redis were stopped")
