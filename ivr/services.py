"""The Flask extension holding the service's parts: settings, Redis, clock, flows, engine."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING

import redis
from flask import Flask, current_app
from redis.sentinel import Sentinel
from twilio.request_validator import RequestValidator

from callbacks.calls import CallbackCalls
from ivr.callers import client_csv, directory
from ivr.centre import agents, records
from ivr.core.clock import Clock
from ivr.core.exceptions import FlowError
from ivr.core.redis_server import ensure_embedded
from ivr.core.settings import PROJECT_ROOT, Settings, load_settings
from ivr.flows.engine import Engine
from ivr.flows.queueing import QueueCalls
from ivr.flows.store import FlowStore
from ivr.flows.token import Sealer
from ivr.queue import Reservation
from maintenance import orders

if TYPE_CHECKING:
    from rq import Queue

    from ivr.telephony import Telephony

log = logging.getLogger(__name__)
DEMO_CLIENTS = PROJECT_ROOT / "config" / "demo_clients.csv"
DEMO_AGENTS = PROJECT_ROOT / "config" / "demo_agents.csv"
DEMO_ORDERS = PROJECT_ROOT / "config" / "demo_orders.csv"


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


class Hotline:
    """Everything a request needs, built once per process; state itself lives in Redis."""

    def __init__(self, settings: Settings, clock: Clock | None = None,
                 r: redis.Redis | None = None, trial: bool = False) -> None:
        self.settings = settings
        self.clock = clock or Clock.shifted(settings.clock_shift)
        self.redis = r or connect(settings)
        self.flows = FlowStore(self.redis)
        self.queues = QueueCalls(self.redis, self.flows, self.clock, self.dispatch,
                                 self.write_records,
                                 lambda entry, result: self.callbacks.dialed(entry, result))
        # a trial service (the simulator in this process) runs calls that may wait in a
        # queue but are never routed to an agent
        self.trial = trial
        self.callbacks = CallbackCalls(self)
        self.engine = Engine(self.redis, self.flows, self.clock, settings.call_ttl,
                             on_ended=self.queues.ended, trial=trial,
                             sealer=Sealer(settings.flask_secret()),
                             cache_seconds=settings.shared_cache)
        self.validator = RequestValidator(settings.auth_token())
        self._job_queue: Queue | None = None
        self._telephony: Telephony | None = None

    @property
    def job_queue(self) -> Queue:
        """The RQ queue routing jobs go through (RQ needs its own, bytes, connection)."""
        if self._job_queue is None:
            from rq import Queue

            from ivr.centre.dispatch import JOB_QUEUE

            self._job_queue = Queue(JOB_QUEUE, connection=connect(self.settings, False))
        return self._job_queue

    @property
    def telephony(self) -> Telephony:
        if self._telephony is None:
            from ivr.centre.metrics import count_twilio_error
            from ivr.telephony import Telephony

            self._telephony = Telephony(
                self.settings, on_error=lambda exc: count_twilio_error(self.redis, exc.status))
        return self._telephony

    def dispatch(self, reservations: Iterable[Reservation]) -> None:
        """Send callers held for agents to the connect job, callbacks to the placer job."""
        reservations = tuple(reservations)
        if reservations:
            from ivr.centre.dispatch import Dispatcher

            Dispatcher(self.job_queue, self.redis, self.clock)(reservations)

    def change_presence(self, agent_id: str, state: str,
                        reason: str = "") -> tuple[str, tuple[Reservation, ...]]:
        """An agent goes available, on break or offline; callers held for them are put
        through. Returns the previous state and those callers."""
        flow = self.flows.current()
        previous, held = agents.set_state(self.redis, agent_id, state, self.clock.now(),
                                          flow.queue_rules.values(), reason)
        self.dispatch(held)
        return previous, held

    def save_agent(self, agent: agents.Agent, skills: Iterable[str],
                   agencies: Iterable[str]) -> str:
        """Add or update an agent whose skills are queues of the flow and agency is known."""
        if agent.agency and agent.agency not in set(agencies):
            raise agents.AgentError(f"unknown agency {agent.agency!r}; the flow has: "
                                    f"{', '.join(sorted(agencies))}")
        return agents.save(self.redis, agent, self.clock.now(), known_skills=skills)

    def write_records(self) -> None:
        """Write the records of calls that have just left their queue (never raises)."""
        try:
            records.collect(self.redis, self.settings.tz, self.settings.records_days)
        except redis.RedisError:
            log.exception("call records not written now (the sweeper will write them)")

    def close(self) -> None:
        """Close its Redis connections (the end of a test, of a command)."""
        self.redis.close()
        if self._job_queue is not None:
            self._job_queue.connection.close()

    def init_app(self, app: Flask) -> None:
        app.extensions["ivr"] = self
        self.prepare()

    def prepare(self) -> None:
        """Publish the shipped flow and load demo clients when Redis has none yet."""
        try:
            self.flows.ensure_published(self.settings.flow_file, self.clock.now())
        except FlowError as exc:
            log.error("flow file refused: %s", exc)
            if self.flows.current_version() is None:
                raise
        except redis.RedisError as exc:
            log.error("Redis unavailable at start-up (%s); calls get the apology until it is back",
                      exc)
            return
        if self.settings.load_demo_data and not self.redis.exists(directory.CLIENTS_KEY):
            count = client_csv.import_csv(self.redis, DEMO_CLIENTS)
            log.info("loaded %d demo clients from %s", count, DEMO_CLIENTS.name)
        if self.settings.load_demo_data and not orders.any_order(self.redis):
            known = {client.id for client in directory.all_clients(self.redis)}
            demo = orders.read_orders(DEMO_ORDERS.read_text(encoding="utf-8").splitlines(True))
            count = orders.save(self.redis, (o for o in demo if o.client_id in known))
            log.info("loaded %d demo orders from %s", count, DEMO_ORDERS.name)
        if self.settings.load_demo_data:
            count = agents.load_demo(self.redis, DEMO_AGENTS, self.clock.now())
            if count:
                log.info("loaded %d demo agents from %s (on a break)", count, DEMO_AGENTS.name)


def hotline() -> Hotline:
    """The running app's Hotline."""
    service: Hotline = current_app.extensions["ivr"]
    return service


_WORKER: Hotline | None = None


def worker_hotline() -> Hotline:
    """The Hotline of a worker process (jobs take ids and find the service here), built once
    from the environment; a forked job process inherits its parent's."""
    global _WORKER
    if _WORKER is None:
        _WORKER = Hotline(load_settings())
    return _WORKER


def set_worker_hotline(service: Hotline | None) -> None:
    """Give jobs of this process a service built elsewhere (the worker's, or a test's)."""
    global _WORKER
    _WORKER = service
