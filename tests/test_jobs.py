"""RQ plumbing: the callbacks job queue on raw-bytes Redis, and a real worker that runs it."""

from __future__ import annotations

from ivr import jobs
from ivr.settings import load_settings


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
