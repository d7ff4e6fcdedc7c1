"""RQ plumbing: the queue callbacks go through, and the worker that runs them with its service.

`ivr worker` builds the one Hotline of its process and gives it to its worker; the worker runs
each job with it (`ivr.services.parts.serving`), where the job, which takes ids, finds it.
"""

from __future__ import annotations

from typing import Any

import redis
from rq import Queue, SimpleWorker, Worker
from rq.executions import Execution
from rq.job import Job

from callbacks import QUEUE
from ivr.centre.dispatch import Sweeper
from ivr.core.settings import Settings
from ivr.services.hotline import Hotline
from ivr.services.parts import JOB_QUEUE, Parts, connect, serving

# Seconds the worker's command listener (RQ's pubsub thread: shutdown, stop or kill a job)
# waits for a message before it looks whether it should stop.
LISTEN_SECONDS = 1.0


class HotlineWorker(Worker):
    """RQ's Worker (a process per job), whose command listener stops within LISTEN_SECONDS.

    RQ listens with `sleep_time=60` and, on its way out, unsubscribes and stops the thread,
    counting on the unsubscribe reply to wake it. When the thread reads that reply before it is
    told to stop, it goes back to waiting (60 s, nothing subscribed). redis-py 8.1 left it
    there; from 8.2, `PubSubWorkerThread.stop()` waits for it: every burst worker, and every
    worker's shutdown, then hung up to a minute (no job ran, no sweep, no agent put through).

    Each job runs with the worker's `service` (in the forked job process, or in the worker's
    own with HotlineSimpleWorker); a job asking for it in a worker built without one is told so.
    """

    def __init__(self, *args: Any, service: Parts | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.service = service

    def perform_job(self, job: Job, queue: Queue, execution: Execution) -> bool:
        if self.service is None:
            return super().perform_job(job, queue, execution)
        with serving(self.service):
            return super().perform_job(job, queue, execution)

    def subscribe(self) -> None:
        self.pubsub = self.connection.pubsub()
        self.pubsub.subscribe(**{self.pubsub_channel_name: self.handle_payload})
        # RQ's __init__ leaves the attribute typed None (`self.pubsub_thread = None`)
        self.pubsub_thread = self.pubsub.run_in_thread(  # type: ignore[assignment]
            sleep_time=LISTEN_SECONDS, daemon=True,
            exception_handler=self._pubsub_exception_handler)


class HotlineSimpleWorker(HotlineWorker, SimpleWorker):
    """RQ's SimpleWorker (jobs in the worker's process), stopping promptly."""


def rq_connection(settings: Settings) -> redis.Redis:
    """RQ needs raw bytes from Redis, so it gets its own connection."""
    return connect(settings, decode_responses=False)


def queue(settings: Settings) -> Queue:
    return Queue(QUEUE, connection=rq_connection(settings))


def run_worker(settings: Settings, burst: bool = False, fork: bool = True) -> bool:
    """Work the routing and callbacks queues, with RQ's scheduler for jobs due at a given
    time, and the sweeper thread (late reservations, wrap-ups, call records). `fork=False`
    runs jobs in the worker's own process (RQ's SimpleWorker): no fork per job, so many more
    jobs a second; a job that crashes the process is retried as an abandoned job."""
    service = Hotline(settings)  # built once: forked job processes inherit it
    if fork:  # twilio's client too (0.1 s to build): each job's process starts with it
        service.telephony.warm_up()
    sweeper = Sweeper(service)
    if not burst:
        sweeper.start()
    kind = HotlineWorker if fork else HotlineSimpleWorker
    worker = kind([JOB_QUEUE, QUEUE], connection=rq_connection(settings), service=service)
    try:
        return worker.work(burst=burst, with_scheduler=True, logging_level=settings.log_level)
    finally:
        sweeper.stop()
