"""1,000 callback placements by 2 real workers against the local Twilio stand-in: placer jobs
that each claim a batch of ready callbacks (one Lua call), place their calls through Twilio's
REST API (`ivr/telephony.py`, twilio's Client, a few requests at once) and note the CallSids
(one Lua call). Then the dials counted by the stand-in: every client must have been dialled
exactly once.

Run as `.venv/bin/python bench/callback_placements.py [--placements 1000] [--workers 2]`.
Target (issue 8): >= 200 placements per second per worker. Baseline measured in the same run
by the same workers: as many callback jobs that read their record and stop (RQ's own cost).
The workers are `ivr worker` processes (RQ's forking Worker) living at an open hour
(IVR_CLOCK_SHIFT); the stand-in runs in this process; nobody answers within the run.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import redis
import requests
from rq import Queue, Worker
from rq.job import Job
from rq.registry import StartedJobRegistry
from rq.suspension import resume, suspend

from callbacks import QUEUE, store
from callbacks.scheduling import ask_for, wake_job
from callbacks.store import ready
from ivr.centre import agents
from ivr.centre.agents import Agent
from ivr.core.clock import Clock
from ivr.core.settings import load_settings
from ivr.local.twilio import TwilioLocal
from ivr.services.hotline import Hotline
from ivr.services.parts import JOB_QUEUE
from stack import OPEN_HOURS, TOKEN, bench_redis

ACCOUNT = "AC" + "be" * 16
TARGET = 200.0  # placements per second per worker


def cpu_seconds(pid: int) -> float:
    """User and system CPU time a process and its ended children (RQ's forked job
    processes) have used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(value) for value in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def placed(rq_redis: redis.Redis, r: redis.Redis, timeout: float = 300) -> None:
    """Back once no callback is ready any more and the workers are idle (polled cheaply)."""
    deadline = time.monotonic() + timeout
    queues = [Queue(name, connection=rq_redis) for name in (JOB_QUEUE, QUEUE)]
    while time.monotonic() < deadline:
        if r.zcard(ready.READY_KEY) == 0 and all(
                q.count == 0 and StartedJobRegistry(queue=q).count == 0 for q in queues):
            return
        time.sleep(0.05)
    raise SystemExit(f"callbacks still ready after {timeout}s: {r.zcard(ready.READY_KEY)}")


def finished(rq_redis: redis.Redis, ids: list[str], timeout: float = 300) -> list[Job]:
    """The jobs, once every one has finished (polled cheaply: the stand-in shares this
    process's CPU)."""
    deadline = time.monotonic() + timeout
    queues = [Queue(name, connection=rq_redis) for name in (JOB_QUEUE, QUEUE)]
    while time.monotonic() < deadline:
        if all(q.count == 0 and StartedJobRegistry(queue=q).count == 0 for q in queues):
            jobs = [j for j in Job.fetch_many(ids, connection=rq_redis) if j is not None]
            if all(j.get_status() == "finished" for j in jobs):
                return jobs
        time.sleep(0.05)
    statuses = [j.get_status() if j else None for j in Job.fetch_many(ids, connection=rq_redis)]
    raise SystemExit(f"jobs not finished in {timeout}s: "
                     f"{dict((s, statuses.count(s)) for s in set(statuses))}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--placements", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--fork", action="store_true",
                        help="RQ's forking workers (a process per job) instead of --no-fork")
    options = parser.parse_args()
    count = options.placements
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as folder, bench_redis(Path(folder)) as url:
        r = redis.Redis.from_url(url, decode_responses=True)
        r.flushdb()
        local = TwilioLocal("http://127.0.0.1:9", ACCOUNT, TOKEN, time_scale=1.0).start()
        # nobody answers within the run: the placements are all that is measured
        requests.put(f"{local.url}/_local/phones/default", json={"answer": "no-answer"},
                     timeout=5).raise_for_status()
        shift = (OPEN_HOURS - Clock().now()).total_seconds()  # every process at this hour
        env = {**os.environ, "REDIS_URL": url, "TWILIO_API_URL": local.url,
               "TWILIO_ACCOUNT_SID": ACCOUNT, "TWILIO_AUTH_TOKEN": TOKEN,
               "IVR_PUBLIC_URL": "http://127.0.0.1:9", "IVR_INSTANCE_DIR": f"{folder}/i",
               "IVR_DEMO_DATA": "false", "IVR_CLOCK_SHIFT": f"{shift:.3f}",
               "IVR_LOG_LEVEL": "WARNING"}
        service = Hotline(load_settings(env))
        service.prepare()
        rq_redis = service.job_queue.connection
        command = [sys.executable, "-m", "ivr", "worker", "--fork" if options.fork else
                   "--no-fork"]
        suspend(rq_redis)  # the workers start, then wait for the jobs to be all there
        workers = [subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL) for _ in range(options.workers)]
        try:
            while len(Worker.all(connection=rq_redis)) < options.workers:
                time.sleep(0.1)
            # baseline: as many callback jobs that find nothing to do
            callbacks_queue = Queue(QUEUE, connection=rq_redis)
            baseline_ids = [callbacks_queue.enqueue(wake_job, f"missing{n}", job_id=f"base-{n}").id
                            for n in range(count)]
            started = time.perf_counter()
            resume(rq_redis)
            finished(rq_redis, baseline_ids)
            baseline = count / (time.perf_counter() - started) / options.workers
            suspend(rq_redis)
            # the placements: as many agents available as callbacks due (unidentified callers
            # are called back by maintenance), each reserved for one
            for n in range(count):
                agents.save(r, Agent(id=f"a{n}", name="A", skills=("maintenance",),
                                     reach="+33144003001"), OPEN_HOURS)
                service.change_presence(f"a{n}", "available")
            for n in range(count):
                assert ask_for(service, f"+3361{n:07d}", client_id=None,
                               source="bench").state == "due"
            pids = {"workers": [w.pid for w in workers], "Redis": [int(r.info()["process_id"])],
                    "stand-in (this process)": [os.getpid()]}
            cpu_before = {name: sum(map(cpu_seconds, ids)) for name, ids in pids.items()}
            started = time.perf_counter()
            resume(rq_redis)
            placed(rq_redis, r)
            elapsed = time.perf_counter() - started
            rate = count / elapsed / options.workers
            cpu = {name: sum(map(cpu_seconds, ids)) - cpu_before[name]
                   for name, ids in pids.items()}
        finally:
            resume(rq_redis)
            for worker in workers:
                worker.send_signal(signal.SIGTERM)
            for worker in workers:
                worker.wait(timeout=30)
        placer_ids = [key.decode().removeprefix("rq:job:")
                      for key in rq_redis.keys("rq:job:cb-place-*")]
        outcomes = [outcome for job in Job.fetch_many(placer_ids, connection=rq_redis)
                    if job is not None and job.get_status() == "finished"
                    for outcome in (job.return_value() or {}).values()]
        records = [store.get(r, str(n)) for n in range(1, count + 1)]
        noted = sum(1 for found in records if found and found.state == "dialling"
                    and found.get("call_sid"))
        dialled: dict[str, Any] = requests.get(f"{local.url}/_local/calls",
                                               timeout=30).json()["dialled"]
        local.stop(grace=0)
        twice = sum(1 for n in dialled.values() if n > 1)
        print(f"{count} placements, {options.workers} `{' '.join(command[2:])}` processes, "
              f"Redis at {url.split('://')[0]}, load average before: {load:.1f}\n")
        print("| per worker | jobs/s |\n|---|---:|")
        print(f"| baseline: callback jobs that read their record and stop | {baseline:.0f} |")
        print(f"| placements (batch claimed, REST calls to the stand-in, CallSids noted) | "
              f"{rate:.0f} |")
        print("\nCPU per placement: " + ", ".join(
            f"{name} {1000 * seconds / count:.2f} ms" for name, seconds in cpu.items())
            + f" (of {1000 * elapsed / count:.2f} ms of wall time per placement, 2 CPUs)")
        print(f"{len(placer_ids)} placer jobs; their outcomes: "
              f"{dict((v, outcomes.count(v)) for v in set(outcomes))}; callbacks dialling with "
              f"their CallSid noted: {noted}; numbers dialled: {len(dialled)}, dialled twice: "
              f"{twice}")
        ok = rate >= TARGET and twice == 0 and len(dialled) == count == noted
        print(f"target >= {TARGET:.0f}/s per worker, none twice: {'met' if ok else 'MISSED'}")
        r.flushdb()
    raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    main()
