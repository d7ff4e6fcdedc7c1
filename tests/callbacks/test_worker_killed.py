"""Two real `ivr worker` processes (RQ's forking workers); the one placing a callback is killed
with SIGKILL while Twilio (the stand-in, slowed down) has not answered its request yet. The
callback is neither lost nor dialled twice: the job RQ retries on the other worker does not
dial again, the sweeper counts the silent attempt as failed, and the retry reaches the client
once. Dials are counted at the stand-in."""

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

from callbacks.scheduling import ask_for
from ivr import callbacks_store as store
from ivr.dispatch import JOB_QUEUE, sweep_once
from ivr.simulator_local import LocalTwilio
from tests.helpers import TOKEN
from tests.standin import ACCOUNT, hotline

CLIENT = "+33612345678"
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


def test_a_worker_killed_while_placing_loses_nothing_and_dials_once(r, env, clock, workers):
    with hotline({"TESTING": True, "CLOCK": clock, **env}) as (app, local):
        service = app.extensions["ivr"]
        device = LocalTwilio(local.url)
        device.set_phone(CLIENT, keys=["1"], talk=60)
        device.set_phone("+33144002001", ring=1, talk=10)  # Sophie
        rq_redis = service.job_queue.connection
        for _ in range(2):
            workers(TWILIO_API_URL=local.url, TWILIO_ACCOUNT_SID=ACCOUNT,
                    TWILIO_AUTH_TOKEN=TOKEN, IVR_PUBLIC_URL=local.world.app_url)
        eventually(lambda: len(Worker.all(connection=rq_redis)) == 2, timeout=90)  # start-up
        # Twilio is slow to answer the request that places the call, and then refuses it
        # (each of its retries too, for a long window): the worker is killed while it waits,
        # before any call exists
        device.session.post(f"{local.url}/_local/faults",
                            json={"delay": 4.0, "status": 503, "match": "Calls.json",
                                  "count": 4})
        assert ask_for(service, CLIENT, client_id="1001", source="cli").state == "due"
        service.change_presence("sophie", "available")  # routing sends the connect job
        eventually(lambda: store.get(r, "1").state == "dialling")  # type: ignore[union-attr]
        placing = eventually(lambda: next(
            (w for w in Worker.all(connection=rq_redis)
             if w.get_current_job_id() == "connect-cb-1-1"), None))
        own = children(placing.pid)
        horses = [pid for pid in own if os.getpgid(pid) == pid]  # RQ's horse has its group
        ORPHANS.extend(set(own) - set(horses))
        for pid in (placing.pid, *horses):  # the worker and its work-horse, mid-job
            os.kill(pid, signal.SIGKILL)
        device.session.delete(f"{local.url}/_local/faults")  # Twilio is well again
        # RQ finds the job abandoned (its worker is gone) and retries it on the other worker,
        # which must not dial: that reservation's dial was claimed by the killed run
        jobs = Queue(JOB_QUEUE, connection=rq_redis)
        StartedJobRegistry(queue=jobs).cleanup(timestamp=time.time() + 3600)
        job = Job.fetch("connect-cb-1-1", connection=rq_redis)
        eventually(lambda: job.get_status(refresh=True) == "finished",
                   describe=lambda: job.get_status(refresh=True))
        assert job.return_value() == "dialling"
        assert device.calls(to=CLIENT)["dialled"] == {CLIENT: 0}
        # minutes later (the sweeper's pass, on the app's clock): no report of that call ever
        # came, so it counts as a failed attempt; the agent is freed, a retry is scheduled
        clock.advance(timedelta(minutes=2))
        sweep_once(service)
        found = store.get(r, "1")
        assert found is not None
        assert (found.state, found.get("reason")) == ("scheduled", "no report of the call")
        # the retry's time: due again, routed to Sophie, dialled by the surviving worker
        clock.advance(timedelta(minutes=6))
        sweep_once(service)
        eventually(lambda: store.get(r, "1").state == "completed",  # type: ignore[union-attr]
                   describe=lambda: (store.history(r, "1"), device.calls(to=CLIENT)))
        assert device.calls(to=CLIENT)["dialled"] == {CLIENT: 1}
        assert [h["state"] for h in store.history(r, "1")] == \
            ["requested", "due", "dialling", "scheduled", "due", "dialling", "connected",
             "completed"]
