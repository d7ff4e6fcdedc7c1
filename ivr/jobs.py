"""RQ plumbing: the queue callbacks go through, and the worker that runs them."""

from __future__ import annotations

import redis
from rq import Queue, SimpleWorker, Worker

from callbacks import QUEUE
from ivr.settings import Settings


def rq_connection(settings: Settings) -> redis.Redis:
    """RQ needs raw bytes from Redis, so it gets its own connection."""
    from ivr.services import connect

    return connect(settings, decode_responses=False)


def queue(settings: Settings) -> Queue:
    return Queue(QUEUE, connection=rq_connection(settings))


def run_worker(settings: Settings, burst: bool = False, fork: bool = True) -> bool:
    """Work the routing and callbacks queues, with RQ's scheduler for jobs due at a given
    time, and the sweeper thread (late reservations, wrap-ups, call records). `fork=False`
    runs jobs in the worker's own process (RQ's SimpleWorker): no fork per job, so many more
    jobs a second; a job that crashes the process is retried as an abandoned job."""
    from ivr.dispatch import JOB_QUEUE, Sweeper
    from ivr.services import Hotline, set_worker_hotline

    service = Hotline(settings)
    set_worker_hotline(service)  # built once: forked job processes inherit it
    if fork:  # twilio's client too (0.1 s to build): each job's process starts with it
        service.telephony.warm_up()
    sweeper = Sweeper(service)
    if not burst:
        sweeper.start()
    kind = Worker if fork else SimpleWorker
    worker = kind([JOB_QUEUE, QUEUE], connection=rq_connection(settings))
    try:
        return worker.work(burst=burst, with_scheduler=True, logging_level=settings.log_level)
    finally:
        sweeper.stop()
