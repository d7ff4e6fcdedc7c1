"""The service's parts as the code that orchestrates them sees them, and the service a job runs
with.

`Parts` is what routing, callbacks and the sweeper use of the service: they sit below the
`Hotline` that builds them (ivr/services/hotline.py), which is one of these. A job takes ids;
the worker running it says which service it runs with (`serving`), and the job asks
`current()`. Nothing is kept in a module-level global: the service is the worker's, set around
each job it performs (a forked job process, or the worker's own thread).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Protocol

import redis
from redis.sentinel import Sentinel
from rq import Queue

from ivr.core.clock import Clock
from ivr.core.redis_server import ensure_embedded
from ivr.core.settings import Settings
from ivr.flows.engine import Engine
from ivr.flows.queueing import QueueCalls
from ivr.flows.store import FlowStore
from ivr.queue import Reservation
from ivr.telephony import Telephony

JOB_QUEUE = "routing"  # the RQ queue of routing jobs (connect, place)


def connect(settings: Settings, decode_responses: bool = True) -> redis.Redis:
    """A Redis client: the master named by Sentinel, REDIS_URL, or the embedded server."""
    if settings.redis_sentinels:
        sentinel = Sentinel(settings.redis_sentinels, socket_timeout=1)
        return sentinel.master_for(settings.redis_sentinel_master,
                                   decode_responses=decode_responses, socket_timeout=2,
                                   socket_connect_timeout=2, health_check_interval=30)
    url = settings.redis_url or ensure_embedded(settings.instance_dir)
    return redis.Redis.from_url(url, decode_responses=decode_responses, socket_timeout=2,
                                socket_connect_timeout=2, health_check_interval=30)


class Parts(Protocol):
    """What routing, callbacks and the sweeper use of the service (the Hotline has them)."""

    settings: Settings
    clock: Clock
    redis: redis.Redis
    flows: FlowStore
    engine: Engine
    queues: QueueCalls
    trial: bool
    # told of every callback booked (its id), whoever booked it: the SMS confirmation
    on_booked: Callable[[str], object] | None

    @property
    def job_queue(self) -> Queue: ...

    @property
    def telephony(self) -> Telephony: ...

    def dispatch(self, reservations: Iterable[Reservation]) -> None: ...

    def write_records(self) -> None: ...


_SERVING: ContextVar[Parts] = ContextVar("ivr_serving")


class NoService(RuntimeError):
    """A job asked for its service outside a worker that runs it with one."""


@contextmanager
def serving(service: Parts) -> Iterator[Parts]:
    """Run what is inside (a job) with `service` as its `current()` one."""
    token = _SERVING.set(service)
    try:
        yield service
    finally:
        _SERVING.reset(token)


def current() -> Parts:
    """The service of the job running now (set by the worker that runs it)."""
    try:
        return _SERVING.get()
    except LookupError:
        raise NoService("no service for this job: it runs in a worker built with one "
                        "(`ivr worker`, or HotlineWorker(..., service=...))") from None
