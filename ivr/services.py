"""The Flask extension holding the service's parts: settings, Redis, clock, flows, engine."""

from __future__ import annotations

import logging

import redis
from flask import Flask, current_app
from redis.sentinel import Sentinel
from twilio.request_validator import RequestValidator

from ivr import directory
from ivr.clock import Clock
from ivr.exceptions import FlowError
from ivr.flows.engine import Engine
from ivr.flows.store import FlowStore
from ivr.redis_server import ensure_embedded
from ivr.settings import PROJECT_ROOT, Settings

log = logging.getLogger(__name__)
DEMO_CLIENTS = PROJECT_ROOT / "config" / "demo_clients.csv"


def connect(settings: Settings, decode_responses: bool = True) -> redis.Redis:
    """A Redis client: the master named by Sentinel, REDIS_URL, or the embedded server."""
    options = {"decode_responses": decode_responses, "socket_timeout": 2,
               "socket_connect_timeout": 2, "health_check_interval": 30}
    if settings.redis_sentinels:
        sentinel = Sentinel(settings.redis_sentinels, socket_timeout=1)
        return sentinel.master_for(settings.redis_sentinel_master, **options)
    url = settings.redis_url or ensure_embedded(settings.instance_dir)
    return redis.Redis.from_url(url, **options)


class Hotline:
    """Everything a request needs, built once per process; state itself lives in Redis."""

    def __init__(self, settings: Settings, clock: Clock | None = None,
                 r: redis.Redis | None = None) -> None:
        self.settings = settings
        self.clock = clock or Clock()
        self.redis = r or connect(settings)
        self.flows = FlowStore(self.redis)
        self.engine = Engine(self.redis, self.flows, self.clock, settings.call_ttl)
        self.validator = RequestValidator(settings.auth_token())

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
            count = directory.import_csv(self.redis, DEMO_CLIENTS)
            log.info("loaded %d demo clients from %s", count, DEMO_CLIENTS.name)


def hotline() -> Hotline:
    """The running app's Hotline."""
    service: Hotline = current_app.extensions["ivr"]
    return service
