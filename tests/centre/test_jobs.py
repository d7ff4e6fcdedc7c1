"""RQ plumbing: the callbacks job queue on raw-bytes Redis, and a real worker that runs it."""

from __future__ import annotations

import threading
import time

import pytest
from rq import Queue

from ivr.centre import jobs
from ivr.core.settings import load_settings
from ivr.services.hotline import Hotline
from ivr.services.parts import JOB_QUEUE, current


def its_service() -> str:
    """A job that says which service it runs with: a trial one, or not."""
    return "trial" if current().trial else "hotline"


@pytest.mark.parametrize("kind", [jobs.HotlineWorker, jobs.HotlineSimpleWorker])
def test_a_job_runs_with_the_service_of_its_worker(env, r, kind):
    """Forked or not, a job finds the service its worker was built with (a trial one here),
    not one built again from the environment."""
    settings = load_settings(env)
    service = Hotline(settings, trial=True)
    connection = jobs.rq_connection(settings)
    job = Queue(JOB_QUEUE, connection=connection).enqueue(its_service)
    assert kind([JOB_QUEUE], connection=connection, service=service).work(burst=True) is True
    job.refresh()
    assert job.is_finished and job.return_value() == "trial"
    service.close()
    connection.close()


def test_a_job_of_a_worker_built_without_a_service_fails_saying_so(env, r):
    connection = jobs.rq_connection(load_settings(env))
    job = Queue(JOB_QUEUE, connection=connection).enqueue(its_service)
    jobs.HotlineSimpleWorker([JOB_QUEUE], connection=connection).work(burst=True)
    job.refresh()
    assert job.is_failed
    assert "NoService: no service for this job" in (job.latest_result().exc_string or "")
    connection.close()


def test_a_job_runs_in_a_real_worker(env, r):
    settings = load_settings(env)
    queue = jobs.queue(settings)
    assert queue.name == "callbacks"
    job = queue.enqueue("builtins.len", "abcd")
    assert jobs.run_worker(settings, burst=True) is True
    job.refresh()
    assert job.is_finished and job.return_value() == 4
    assert queue.count == 0


def test_the_rq_connection_returns_bytes(env, r):
    connection = jobs.rq_connection(load_settings(env))
    connection.set("ivr:test:bytes", "é")
    assert connection.get("ivr:test:bytes") == "é".encode()
    connection.close()


@pytest.mark.parametrize("kind", [jobs.HotlineWorker, jobs.HotlineSimpleWorker])
def test_a_worker_stops_its_listener_that_already_read_the_unsubscribe_reply(env, r, kind):
    """The race behind the redis-py 8.2 break: the listener reads the unsubscribe reply, goes
    back to waiting, and only then is told to stop. RQ's own workers then wait 60 s for it
    (redis-py 8.2's stop() joins the thread); ours, at most LISTEN_SECONDS."""
    connection = jobs.rq_connection(load_settings(env))
    worker = kind([JOB_QUEUE], connection=connection)
    worker.subscribe()
    listener = worker.pubsub_thread
    worker.pubsub.unsubscribe()
    for _ in range(100):  # the listener reads the reply: nothing is subscribed any more
        if not worker.pubsub.subscribed:
            break
        time.sleep(0.05)
    assert not worker.pubsub.subscribed
    stopping = threading.Thread(target=worker.unsubscribe, daemon=True)
    stopping.start()
    stopping.join(timeout=20)  # a hang, not a speed: RQ's own listener takes 60 s
    assert not stopping.is_alive() and not listener.is_alive()
    connection.close()


def test_a_burst_worker_runs_each_routing_job_and_returns(env, r):
    settings = load_settings(env)
    connection = jobs.rq_connection(settings)
    routing = Queue(JOB_QUEUE, connection=connection)
    for text in ("a", "bb", "ccc"):
        done = routing.enqueue("builtins.len", text)
        worker = jobs.HotlineSimpleWorker([JOB_QUEUE], connection=connection)
        assert worker.work(burst=True) is True
        done.refresh()
        assert done.is_finished and done.return_value() == len(text)
    assert routing.count == 0
    connection.close()
