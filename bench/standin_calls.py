"""Calls through the local Twilio stand-in: N callers at once, end to end, errors counted.

    .venv/bin/python bench/standin_calls.py --calls 200            # its own stack
    .venv/bin/python bench/standin_calls.py --calls 500 --agents 20 # ... routed to 20 agents
    .venv/bin/python bench/standin_calls.py --app http://127.0.0.1:5000 --calls 50

Without --app it starts its own: a Redis, the app under granian with 2 workers, its clock
shifted to a Monday morning (support open), and the stand-in as a process
(`python -m ivr.local.twilio`); with --agents N, also `ivr worker` processes (--workers) and N
agents, available, whose simulated phones answer and talk --talk simulated seconds. With
--app it calls through the stand-in that app's /healthz names (e.g. under `make run`).
Every call dials the hotline from --from, presses --press keys, and hangs up after --hold
simulated seconds in a queue. Reported: calls per second (calls ended / seconds from the first
call to the last end), webhooks per second and their latency, the most calls active at once,
outcomes, and errors (calls not started or not ended, webhooks not answered 200, application
errors). Exit status 1 on any error. See docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import redis
import requests
import yaml

from ivr.centre.agents import Agent
from ivr.core.settings import LOCAL_ACCOUNT_SID, load_settings
from ivr.local.runner import web_command
from ivr.local.simulator_local import LocalTwilio, outcome
from ivr.services.hotline import Hotline
from servers import Server
from stack import OPEN_HOURS, bench_redis, service_env

HOST = "127.0.0.1"
HOTLINE = "+33825000463"
ACME = "+33144001001"  # a demo client known by their number: confirm, then menu
SHIPPED_FLOW = Path(__file__).resolve().parent.parent / "config" / "flow.yaml"


class StandinApp:
    """granian, 2 workers, as `make run` serves the app."""

    name = "granian"

    def command(self, host: str, port: int, target: str | None = None) -> list[str]:
        return web_command(host, port, 2)  # the app itself (ivr.wsgi), whatever `target`


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass(frozen=True)
class Staff:
    """The bench's agents: how many, and how long each call they answer lasts (simulated s):
    `talk`, or with `cv` a lognormal draw of mean `talk` from each phone's seeded generator."""

    agents: int = 0
    talk: float = 10.0
    cv: float = 0.0
    seed: int | None = None


@contextmanager
def own_stack(scale: float, folder: Path, agents: int = 0, workers: int = 1,
              talk: float = 10.0) -> Iterator[LocalTwilio]:
    """Redis, the app under granian, the stand-in process and, with agents, `ivr worker`
    processes, all stopped on the way out."""
    with staffed_stack(scale, folder, Staff(agents, talk), workers) as (device, _):
        yield device


@contextmanager
def staffed_stack(scale: float, folder: Path, staffing: Staff, workers: int = 1,
                  same_clock: bool = False, queue_settings: dict[str, Any] | None = None,
                  ) -> Iterator[tuple[LocalTwilio, str]]:
    """`own_stack` with its agents, and the Redis URL beside the stand-in. With `same_clock`,
    the app and its workers run their clock at the stand-in's pace (IVR_CLOCK_SCALE from one
    IVR_CLOCK_START) instead of real time."""
    app_port, twilio_port = free_port(), free_port()
    app_url, twilio_url = f"http://{HOST}:{app_port}", f"http://{HOST}:{twilio_port}"
    start = time.time()
    shift = (OPEN_HOURS - datetime.fromtimestamp(start, UTC)).total_seconds()
    clock = {"IVR_CLOCK_SCALE": f"{1 / scale:.6f}", "IVR_CLOCK_START": f"{start:.6f}"} \
        if same_clock else {}
    with bench_redis(folder) as redis_url:
        env = {**service_env(redis_url, folder, app_url), "TWILIO_API_URL": twilio_url,
               "TWILIO_ACCOUNT_SID": LOCAL_ACCOUNT_SID, "IVR_LOG_LEVEL": "WARNING",
               "IVR_CLOCK_SHIFT": f"{shift:.3f}", **clock,
               "IVR_FLOW_FILE": str(no_wrapup(folder, queue_settings))}
        redis.Redis.from_url(redis_url).flushdb()
        server = Server(StandinApp(), HOST, app_port, env, folder / "app.log")  # type: ignore[arg-type]
        processes = []
        with (folder / "twilio.log").open("wb") as log:
            processes.append(subprocess.Popen(
                [sys.executable, "-m", "ivr.local.twilio", "--port", str(twilio_port),
                 "--app-url", app_url, "--time-scale", str(scale)],
                env=env, stdout=log, stderr=subprocess.STDOUT))
            for _ in range(workers if staffing.agents else 0):
                processes.append(subprocess.Popen([sys.executable, "-m", "ivr", "worker"],
                                                  env=env, stdout=log, stderr=subprocess.STDOUT))
        try:
            server.wait_ready("/healthz")
            device = LocalTwilio(twilio_url)
            wait_answering(twilio_url + "/_local/health")
            if staffing.agents:
                staff(env, device, staffing)
            yield device, redis_url
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                process.wait(timeout=10)
            server.stop()


def no_wrapup(folder: Path, queue_settings: dict[str, Any] | None = None) -> Path:
    """The shipped flow without wrap-up and room for every caller (and `queue_settings`): the
    app keeps real time while the stand-in's calls run faster (--scale), so a real 30 s
    wrap-up would be most of the bench, and the shipped queues send callers beyond 50 to a
    message."""
    data = yaml.safe_load(SHIPPED_FLOW.read_text(encoding="utf-8"))
    for settings in data["queues"].values():
        settings.update(wrapup=0, max_size=10_000, **(queue_settings or {}))
    path = folder / "flow.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def staff(env: dict[str, str], device: LocalTwilio, staffing: Staff) -> None:
    """Technical support agents, available, their phones answering after a ring and hanging
    up after their talk time (each phone its own seed); the demo agents stay on a break."""
    service = Hotline(load_settings(env))
    for n in range(staffing.agents):
        reach = f"+3314400{3000 + n}"
        service.save_agent(Agent(id=f"bench{n}", name=f"Bench {n}", skills=("technical_support",),
                                 reach=reach), ["technical_support"], [])
        seed = None if staffing.seed is None else staffing.seed * 1000 + n
        device.set_phone(reach, ring=1, talk=staffing.talk, talk_cv=staffing.cv, seed=seed)
        service.change_presence(f"bench{n}", "available")


def wait_answering(url: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            requests.get(url, timeout=2).raise_for_status()
            return
        except requests.RequestException:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def run_calls(device: LocalTwilio, calls: int, caller: str, presses: list[str], hold: float,
              timeout: float) -> dict[str, Any]:
    """Start `calls` calls at once, wait for them all to end, and sum up what happened."""
    errors: Counter[str] = Counter()
    load_before = os.getloadavg()[0]
    started = time.monotonic()

    def start(_: int) -> str | None:
        try:
            return device.start_call(caller, HOTLINE, presses, hold=hold)
        except Exception:  # counted, the bench goes on
            return None

    with ThreadPoolExecutor(max_workers=32) as pool:
        sids = [sid for sid in pool.map(start, range(calls)) if sid]
    errors["not started"] = calls - len(sids)
    launched = time.monotonic() - started
    peak, health_url = 0, device.base_url + "/_local/health"
    while time.monotonic() - started < timeout:
        active = requests.get(health_url, timeout=10).json()["active_calls"]
        peak = max(peak, active)
        if active == 0:
            break
        time.sleep(0.2)
    seconds = time.monotonic() - started
    with ThreadPoolExecutor(max_workers=16) as pool:
        histories = list(pool.map(lambda sid: device.events(sid)["events"], sids))
    outcomes: Counter[str] = Counter()
    dials: Counter[str] = Counter()  # how each <Dial> to an agent ended
    latencies: list[float] = []
    for events in histories:
        if not any(e["type"] == "ended" and "leg" not in e for e in events):
            errors["not ended"] += 1
        hooks = [e for e in events if e["type"] == "webhook"]
        latencies.extend(e["ms"] for e in hooks)
        errors["webhook not 200"] += sum(1 for e in hooks if e["status"] != 200)
        errors["application error"] += sum(1 for e in events
                                           if e["type"] == "application_error")
        dials.update(e["params"].get("DialCallStatus", "?") for e in hooks
                     if e["path"].startswith("/voice/dialed"))
        result = outcome(events)
        outcomes[f"{result['type']}:{result['target']}"] += 1
    latencies.sort()
    ended = calls - errors["not started"] - errors["not ended"]
    return {
        "calls": calls, "ended": ended, "seconds": round(seconds, 2),
        "launch_seconds": round(launched, 2),
        "calls_per_second": round(ended / seconds, 1) if seconds else None,
        "webhooks": len(latencies),
        "webhooks_per_second": round(len(latencies) / seconds, 1) if seconds else None,
        "webhook_ms": {"p50": percentile(latencies, 0.5), "p99": percentile(latencies, 0.99),
                       "max": latencies[-1] if latencies else None},
        "peak_active_calls": peak, "outcomes": dict(outcomes), "agent_dials": dict(dials),
        # other work on the machine slows everything: the 1-minute load before and after
        "load_average": [round(load_before, 1), round(os.getloadavg()[0], 1)],
        "errors": {k: v for k, v in errors.items() if v},
    }


def percentile(values: list[float], share: float) -> float | None:
    if not values:
        return None
    return values[min(len(values) - 1, int(share * len(values)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--scale", type=float, default=0.05,
                        help="real seconds per simulated second, for its own stand-in")
    parser.add_argument("--hold", type=float, default=60.0,
                        help="simulated seconds a caller waits in a queue, at most")
    parser.add_argument("--from", dest="caller", default=ACME)
    parser.add_argument("--press", action="append", help="keys per <Gather> (default: - 1 1)")
    parser.add_argument("--app", help="an app already running with a stand-in (make run)")
    parser.add_argument("--timeout", type=float, default=300.0, help="real seconds, at most")
    parser.add_argument("--agents", type=int, default=0,
                        help="agents available for technical support (own stack only)")
    parser.add_argument("--workers", type=int, default=2, help="`ivr worker` processes")
    parser.add_argument("--talk", type=float, default=10.0,
                        help="simulated seconds an agent talks before hanging up")
    args = parser.parse_args()
    presses = args.press or ["-", "1", "1"]
    if args.app:
        device = LocalTwilio.discover(args.app)
        if device is None:
            print(f"{args.app}/healthz names no local Twilio stand-in", file=sys.stderr)
            return 2
        report = run_calls(device, args.calls, args.caller, presses, args.hold, args.timeout)
    else:
        with tempfile.TemporaryDirectory(prefix="standin-bench-") as tmp, \
                own_stack(args.scale, Path(tmp), args.agents, args.workers, args.talk) as device:
            report = run_calls(device, args.calls, args.caller, presses, args.hold,
                               args.timeout)
    report["scale"] = args.scale if not args.app else None
    report["agents"] = args.agents
    print(json.dumps(report, indent=2))
    return 1 if report["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
