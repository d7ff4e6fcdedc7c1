"""The Hotline: the service's parts built once per process (the app factory, `ivr worker`), and
passed; the Flask extension the web's requests find it in."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

import redis
from flask import Flask, current_app
from rq import Queue
from twilio.request_validator import RequestValidator

from callbacks.calls import CallbackCalls
from ivr.centre import agents, records
from ivr.centre.dispatch import Dispatcher
from ivr.centre.metrics import count_twilio_error
from ivr.core.clock import Clock
from ivr.core.exceptions import FlowError
from ivr.core.settings import Settings, load_settings
from ivr.flows.engine import Engine
from ivr.flows.queueing import QueueCalls
from ivr.flows.store import FlowStore
from ivr.flows.token import Sealer
from ivr.queue import Reservation
from ivr.services import demo
from ivr.services.parts import JOB_QUEUE, NoService, connect, current
from ivr.telephony import Telephony

log = logging.getLogger(__name__)


class Hotline:
    """Everything a request needs, built once per process; state itself lives in Redis."""

    callbacks: CallbackCalls  # the callbacks' webhooks (built below, after the queues' ones)

    def __init__(self, settings: Settings, clock: Clock | None = None,
                 r: redis.Redis | None = None, trial: bool = False) -> None:
        self.settings = settings
        self.clock = clock or Clock.shifted(settings.clock_shift, settings.clock_scale,
                                             settings.clock_start)
        self.redis = r or connect(settings)
        self.flows = FlowStore(self.redis)
        self.queues = QueueCalls(self.redis, self.flows, self.clock, self.dispatch,
                                 self.write_records,
                                 lambda entry, result: self.callbacks.dialed(entry, result))
        # a trial service (the simulator in this process) runs calls that may wait in a
        # queue but are never routed to an agent
        self.trial = trial
        # told of every callback booked, by the flow, an agent, the API or a command (its
        # id): the SMS confirmation, set by what sits above the service (sms.notify)
        self.on_booked: Callable[[str], object] | None = None
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
            self._job_queue = Queue(JOB_QUEUE, connection=connect(self.settings, False))
        return self._job_queue

    @property
    def telephony(self) -> Telephony:
        if self._telephony is None:
            self._telephony = Telephony(
                self.settings, on_error=lambda exc: count_twilio_error(self.redis, exc.status))
        return self._telephony

    def dispatch(self, reservations: Iterable[Reservation]) -> None:
        """Send callers held for agents to the connect job, callbacks to the placer job."""
        reservations = tuple(reservations)
        if reservations:
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

    def prepare(self, demo_today: bool = False) -> None:
        """Publish the shipped flow and load the demo data when Redis has none yet; with
        `demo_today` (`make run`), its dates moved to today's (`ivr.services.demo`)."""
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
        if self.settings.load_demo_data:
            today = self.clock.now().astimezone(self.settings.tz).date()
            demo.load(self.redis, self.clock.now(), today if demo_today else None)


def for_command(clock: Clock | None = None) -> Hotline:
    """A Hotline from the environment for a command: Redis reached first (before anything logs
    that it is away), then the shipped flow published. Raises IvrError or RedisError."""
    service = Hotline(load_settings(), clock=clock)
    service.redis.ping()
    service.prepare()
    return service


def hotline() -> Hotline:
    """The running app's Hotline."""
    service: Hotline = current_app.extensions["ivr"]
    return service


def current_hotline() -> Hotline:
    """The Hotline of the job running now (the worker's: see `ivr.services.parts.current`)."""
    service = current()
    if not isinstance(service, Hotline):
        raise NoService(f"this job needs a Hotline; its worker runs with a "
                        f"{type(service).__name__}")
    return service
