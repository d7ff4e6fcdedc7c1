"""Callback jobs run by real RQ workers (SimpleWorker, burst) on the test Redis."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from rq import Queue
from rq.job import Job
from rq.registry import ScheduledJobRegistry

from callbacks import QUEUE
from ivr.centre.jobs import HotlineSimpleWorker
from ivr.services.parts import JOB_QUEUE


@pytest.fixture
def service(app: Flask) -> Iterator[Any]:
    """The app's service, also the one the test's workers run jobs with."""
    yield app.extensions["ivr"]


def job_queues(service: Any) -> list[Queue]:
    connection = service.job_queue.connection
    return [Queue(JOB_QUEUE, connection=connection), Queue(QUEUE, connection=connection)]


def scheduled(service: Any) -> list[str]:
    """Ids of the callbacks' jobs RQ's scheduler holds for later (not a booking's SMS
    confirmation, retried later when no stand-in takes it: tests/sms/ follow those)."""
    return [i for q in job_queues(service) for i in ScheduledJobRegistry(queue=q).get_job_ids()
            if not i.startswith("sms-")]


def run_jobs(service: Any, *, due: bool = False) -> None:
    """Work the job queues until empty; with `due`, every scheduled job first (their time has
    come on the app's clock, which the tests move instead of waiting)."""
    queues = job_queues(service)
    if due:
        for q in queues:
            registry = ScheduledJobRegistry(queue=q)
            for job_id in registry.get_job_ids():
                job = Job.fetch(job_id, connection=q.connection)
                registry.remove(job)
                q.enqueue_job(job)
    HotlineSimpleWorker(queues, connection=queues[0].connection, service=service).work(burst=True)
