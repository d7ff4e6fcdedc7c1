"""`make bench`: the bare-Flask ceiling and /voice/incoming under granian and gunicorn (sync),
loaded by wrk with Twilio-signed requests, plus Redis round trips per webhook.

Run as `.venv/bin/python bench/run.py [--quick]`; prints a table and writes
bench/results/latest.json. See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import signal
import socket
import sys
import tempfile
import time
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

import redis
from twilio.request_validator import RequestValidator

from ivr import create_app
from ivr.clock import Clock
from load import Load, require_wrk, run_wrk
from machine import OtherWork
from roundtrips import count_round_trips
from servers import SERVERS, Server, ServerKind
from stack import OPEN_HOURS, TOKEN, bench_redis, service_env
from webhooks import CALL_KEYS, incoming_params, write_signed

HOST = "127.0.0.1"
CONSTANT = "/bench/constant"
INCOMING = "/voice/incoming"
ROUTES = (("constant", CONSTANT), ("incoming", INCOMING))
MIN_BODIES = 20_000
WARM_UP = 2  # seconds of load before each measured run, not measured
BUSY = 0.2  # CPUs used by other work above which the numbers are flagged
RESULTS = Path(__file__).resolve().parent / "results"
TARGETS = {"incoming/constant": 0.60, "granian incoming/gunicorn constant": 1.5, "p99": 15.0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=20, help="seconds per wrk run (20)")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="5 s runs")
    options = parser.parse_args()
    load = Load(5 if options.quick else options.duration, options.connections, options.threads)
    require_wrk()
    with OtherWork() as others:
        time.sleep(1)
    if others.cpus > BUSY:
        print(f"warning: other work uses {others.cpus:.1f} of {os.cpu_count()} CPUs here; "
              "it lowers every number (see the 'others' column)")
    signal.signal(signal.SIGTERM, interrupt)
    with tempfile.TemporaryDirectory(prefix="ivr-bench-") as folder:
        results = bench(Path(folder), load)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "latest.json").write_text(json.dumps(results, indent=2) + "\n")
    print_report(results)
    print(f"\nwritten: {RESULTS / 'latest.json'}")
    if results["failures"]:
        sys.exit("FAILED: " + "; ".join(results["failures"]))


def interrupt(*_: object) -> None:
    """A SIGTERM unwinds like Ctrl-C, through the `finally` blocks that stop the servers."""
    raise KeyboardInterrupt


def bench(folder: Path, load: Load) -> dict[str, Any]:
    with bench_redis(folder) as redis_url:
        port = free_port()
        env = service_env(redis_url, folder, f"http://{HOST}:{port}")
        # publishes the shipped flow and loads the demo clients, then counts round trips
        app = create_app({**env, "IVR_LOG_LEVEL": "WARNING", "CLOCK": Clock(OPEN_HOURS)})
        print("counting Redis round trips per webhook...", flush=True)
        round_trips = count_round_trips(app, env["IVR_PUBLIC_URL"], TOKEN)
        runs = []
        for kind in SERVERS:
            runs += bench_server(kind, port, env, load, folder)
            forget_calls(redis_url)
    results: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                    "python": platform.python_version()},
        "versions": {name: version(name) for name in ("granian", "gunicorn", "flask", "werkzeug",
                                                      "redis", "twilio")},
        "load": {"duration_s": load.duration, "connections": load.connections,
                 "threads": load.threads},
        "runs": runs,
        "redis_round_trips": round_trips,
    }
    results["ratios"] = ratios(runs)
    results["failures"] = [
        f"{run['server']} {run['path']}: {run['non200']} non-200 answers, "
        f"{run['not_twiml']} answers without <Response>"
        for run in runs if run["non200"] or run["not_twiml"]]
    return results


def bench_server(kind: ServerKind, port: int, env: dict[str, str], load: Load,
                 folder: Path) -> list[dict[str, Any]]:
    """Start `kind`, check a sample of each route, warm it up, then load each route."""
    base = f"http://{HOST}:{port}"
    runs = []
    print(f"{kind.name}: starting ({' '.join(kind.command(HOST, port)[1:])})", flush=True)
    server = Server(kind, HOST, port, env, folder / f"{kind.name}.log")
    try:
        server.wait_ready(CONSTANT)
        for number, (route, path) in enumerate(ROUTES):
            # distinct CallSids for every request of the bench: a replayed call is cheaper
            first_run = 16 * SERVERS.index(kind) + 4 * number
            url, signed_url = base + path, env["IVR_PUBLIC_URL"] + path
            check_sample(url, signed_url, route, run=first_run)
            warm = write_signed(folder / "warm.txt", signed_url, TOKEN, first_run + 1,
                                MIN_BODIES)
            warm_rate = run_wrk(url, warm, load, duration=WARM_UP)["requests_per_s"]
            count = max(MIN_BODIES, math.ceil(warm_rate * load.duration * 1.5))
            data = write_signed(folder / "calls.txt", signed_url, TOKEN, first_run + 2, count)
            print(f"{kind.name}: loading {path} for {load.duration}s...", flush=True)
            with OtherWork() as others:
                result = run_wrk(url, data, load)
            runs.append({"server": kind.name, "route": route, "path": path, **result,
                         "other_cpus": round(others.cpus, 2)})
    finally:
        server.stop()
    return runs


def check_sample(url: str, signed_url: str, route: str, run: int) -> None:
    """One signed request before the load: HTTP 200 and a TwiML <Response> with a <Gather>."""
    params = incoming_params(run, 0)
    signature = RequestValidator(TOKEN).compute_signature(signed_url, params)
    request = urllib.request.Request(url, data=urllib.parse.urlencode(params).encode(),
                                     headers={"X-Twilio-Signature": signature}, method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        kind = response.headers.get("Content-Type", "")
        body = response.read()
    root = ET.fromstring(body)
    if not kind.startswith("text/xml") or root.tag != "Response" or root.find("Gather") is None:
        raise RuntimeError(f"{route}: not the greeting's TwiML ({kind}): {body[:300]!r}")


def forget_calls(redis_url: str) -> None:
    """Drop the bench's call states, so that each server starts on the same Redis."""
    r = redis.Redis.from_url(redis_url)
    try:
        batch = []
        for key in r.scan_iter(CALL_KEYS, count=1000):
            batch.append(key)
            if len(batch) == 1000:
                r.unlink(*batch)
                batch.clear()
        if batch:
            r.unlink(*batch)
    finally:
        r.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def ratios(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    by = {(run["server"], run["route"]): run for run in runs}
    rows = []

    def add(name: str, value: float, target: float, at_least: bool) -> None:
        ok = value >= target if at_least else value <= target
        rows.append({"name": name, "value": round(value, 2),
                     "target": f"{'>=' if at_least else '<='} {target}", "ok": ok})

    for kind in SERVERS:
        add(f"incoming / constant, {kind.name}",
            rate(by, kind.name, "incoming") / rate(by, kind.name, "constant"),
            TARGETS["incoming/constant"], at_least=True)
    add("incoming granian / constant gunicorn-sync",
        rate(by, "granian", "incoming") / rate(by, "gunicorn-sync", "constant"),
        TARGETS["granian incoming/gunicorn constant"], at_least=True)
    for kind in SERVERS:
        add(f"p99 ms of incoming, {kind.name}", by[(kind.name, "incoming")]["p99_ms"],
            TARGETS["p99"], at_least=False)
    return rows


def rate(by: dict[tuple[str, str], dict[str, Any]], server: str, route: str) -> float:
    return float(by[(server, route)]["requests_per_s"])


def print_report(results: dict[str, Any]) -> None:
    load = results["load"]
    print(f"\nwrk -t{load['threads']} -c{load['connections']} -d{load['duration_s']}s, "
          f"{results['machine']['cpus']} CPUs, {results['date']}\n")
    print(f"{'server':<15}{'route':<18}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'non-200':>9}"
          f"{'sock err':>10}{'others':>8}")
    for run in results["runs"]:
        errors = sum(run["socket_errors"].values()) - run["socket_errors"]["status"]
        notes = [note for note, shown in (
            ("calls replayed", run["route"] == "incoming" and run["wraps"]),
            ("machine busy", run["other_cpus"] > BUSY)) if shown]
        print(f"{run['server']:<15}{run['path']:<18}{run['requests_per_s']:>9.0f}"
              f"{run['p50_ms']:>9.2f}{run['p99_ms']:>9.2f}{run['non200']:>9}{errors:>10}"
              f"{run['other_cpus']:>8.2f}  {', '.join(notes)}".rstrip())
    print("(others: CPUs used by other work on the machine during the run)")
    print()
    for row in results["ratios"]:
        verdict = "ok" if row["ok"] else "MISSED"
        print(f"{row['name']:<44}{row['value']:>8.2f}   target {row['target']:<8} {verdict}")
    print("\nRedis round trips per webhook (in-process, min / mean / max):")
    for path, count in results["redis_round_trips"].items():
        print(f"  {path:<16}{count['min']} / {count['mean']:.2f} / {count['max']}")


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit("interrupted: the servers and Redis were stopped")
