"""Two real `ivr worker` processes (RQ's forking workers); the one placing a batch of
callbacks is killed with SIGKILL after Twilio (the stand-in) has placed one of its calls and
while it has not answered the requests for the others yet. No callback is lost and none is
dialled twice: the job RQ retries on the other worker finds them all claimed and dials none,
the placed call goes on, the sweeper counts the silent attempts as failed, and their retries
reach each client once. Dials are counted at the stand-in."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from rq import Queue, Worker
from rq.job import Job
from rq.registry import StartedJobRegistry
from rq.suspension import resume, suspend

from callbacks import store
from callbacks.scheduling import ask_for
from ivr.centre.dispatch import sweep_once
from ivr.local.simulator_local import LocalTwilio
from ivr.services.parts import JOB_QUEUE
from tests.helpers import TOKEN
from tests.standin import ACCOUNT, hotline

CLIENTS = ("+33612345678", "+33611111111", "+33622222222")  # 1001 (support), two unknown
AGENT_PHONES = ("+33144002001", "+33144002002", "+33299002003")  # sophie, marc, lea
ORPHANS: list[int] = []  # RQ scheduler processes of a killed worker


def eventually(check: Callable[[], Any], timeout: float = 30.0,
               describe: Callable[[], object] = lambda: "") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.02)
    raise AssertionError(f"not reached in {timeout}s {describe()}")


def children(pid: int) -> list[int]:
    """Processes whose parent is `pid`: a worker's work-horse and scheduler."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def dials(device: LocalTwilio) -> int:
    """Calls placed to the three clients, counted at the stand-in."""
    return sum(device.calls(to=number)["dialled"].get(number, 0) for number in CLIENTS)


@pytest.fixture
def workers(env: dict[str, str], clock: Any, r: Any) -> Iterator[Callable[..., Any]]:
    """Start `ivr worker` processes on the test Redis, living at the test's hour. Their own
    children (RQ's scheduler processes) are stopped at the end too."""
    started: list[subprocess.Popen[bytes]] = []

    def start(**extra: str) -> subprocess.Popen[bytes]:
        process = subprocess.Popen(
            [sys.executable, "-m", "ivr", "worker"],
            env={**os.environ, **env, "IVR_CLOCK_SHIFT": f"{clock.offset.total_seconds():.3f}",
                 **extra},
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        started.append(process)
        return process

    yield start
    orphans: list[int] = []
    for process in started:
        orphans += children(process.pid)
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in started:
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    for pid in set(orphans) | set(ORPHANS):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    ORPHANS.clear()


def test_a_worker_killed_mid_batch_loses_none_and_dials_none_twice(r, env, clock, workers):
    with hotline({"TESTING": True, "CLOCK": clock, **env}) as (app, local):
        service = app.extensions["ivr"]
        device = LocalTwilio(local.url)
        for number in CLIENTS:
            device.set_phone(number, keys=["1"], talk=60)
        for agent_phone in AGENT_PHONES:
            device.set_phone(agent_phone, ring=1, talk=10)
        rq_redis = service.job_queue.connection
        for _ in range(2):
            workers(TWILIO_API_URL=local.url, TWILIO_ACCOUNT_SID=ACCOUNT,
                    TWILIO_AUTH_TOKEN=TOKEN, IVR_PUBLIC_URL=local.world.app_url)
        eventually(lambda: len(Worker.all(connection=rq_redis)) == 2, timeout=90)  # start-up
        # Twilio places the batch's first call, then is slow to answer the requests for the
        # others and refuses them (each of their retries too, for a long window): the worker
        # is killed while it waits, with one call placed and two not
        device.session.post(f"{local.url}/_local/faults", json={"match": "Calls.json"})
        device.session.post(f"{local.url}/_local/faults",
                            json={"delay": 4.0, "status": 503, "match": "Calls.json",
                                  "count": 8})
        suspend(rq_redis)  # the three reservations make one batch
        for number, client in zip(CLIENTS, ("1001", None, None), strict=True):
            assert ask_for(service, number, client_id=client, source="cli").state == "due"
        for agent in ("sophie", "marc", "lea"):  # routing sends them to one placer job
            service.change_presence(agent, "available")
        resume(rq_redis)
        ids = [str(n) for n in range(1, 4)]
        eventually(lambda: {store.get(r, i).state for i in ids} <= {"dialling", "connected"}  # type: ignore[union-attr]
                   and dials(device) == 1, describe=lambda: dials(device))
        placing = eventually(lambda: next(
            (w for w in Worker.all(connection=rq_redis)
             if w.get_current_job_id() == "cb-place-1-1"), None))
        own = children(placing.pid)
        horses = [pid for pid in own if os.getpgid(pid) == pid]  # RQ's horse has its group
        ORPHANS.extend(set(own) - set(horses))
        for pid in (placing.pid, *horses):  # the worker and its work-horse, mid-batch
            os.kill(pid, signal.SIGKILL)
        device.session.delete(f"{local.url}/_local/faults")  # Twilio is well again
        # RQ finds the job abandoned (its worker is gone) and retries it on the other worker,
        # which must dial none: the killed run had claimed them all
        jobs = Queue(JOB_QUEUE, connection=rq_redis)
        StartedJobRegistry(queue=jobs).cleanup(timestamp=time.time() + 3600)
        job = Job.fetch("cb-place-1-1", connection=rq_redis)
        eventually(lambda: job.get_status(refresh=True) == "finished",
                   describe=lambda: job.get_status(refresh=True))
        assert job.return_value() == {}
        # the call placed before the kill goes on: answered, put through, completed
        [placed] = [i for i, n in zip(ids, CLIENTS, strict=True)
                    if device.calls(to=n)["dialled"].get(n)]
        eventually(lambda: store.get(r, placed).state == "completed")  # type: ignore[union-attr]
        assert dials(device) == 1
        # minutes later (the sweeper's pass, on the app's clock): no report of the two other
        # calls ever came, so each counts as a failed attempt; a retry is scheduled
        clock.advance(timedelta(minutes=2))
        sweep_once(service)
        silent = [i for i in ids if i != placed]
        for cb_id in silent:
            found = store.get(r, cb_id)
            assert found is not None
            assert (found.state, found.get("reason")) == ("scheduled", "no report of the call")
        # the retries' time: due again, routed, dialled by the surviving worker
        clock.advance(timedelta(minutes=6))
        sweep_once(service)
        eventually(lambda: all(store.get(r, i).state == "completed" for i in ids),  # type: ignore[union-attr]
                   describe=lambda: ([store.history(r, i) for i in ids], dials(device)))
        assert {n: device.calls(to=n)["dialled"].get(n) for n in CLIENTS} == \
            {n: 1 for n in CLIENTS}
        assert [h["state"] for h in store.history(r, placed)] == \
            ["requested", "due", "dialling", "connected", "completed"]
        for cb_id in silent:
            assert [h["state"] for h in store.history(r, cb_id)] == \
                ["requested", "due", "dialling", "scheduled", "due", "dialling", "connected",
                 "completed"]
