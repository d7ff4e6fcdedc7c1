"""Fixtures: one real Redis server per test session (unless REDIS_URL), flushed per test."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import redis
from click.testing import CliRunner
from flask import Flask
from twilio.request_validator import RequestValidator

from ivr import create_app
from ivr.core.clock import Clock
from ivr.core.redis_server import RedisServer
from tests.helpers import TOKEN


def pytest_configure(config: pytest.Config) -> None:
    """The suite sets what it needs: a shell's own settings (`export IVR_CLOCK_SHIFT=...`, as
    the README suggests beside `make run`) must not change what the tests see. REDIS_URL is
    kept. (A hook, not module code: processes a test starts import this file too.)"""
    for name in [n for n in os.environ if n.startswith(("IVR_", "TWILIO_"))]:
        del os.environ[name]


PARIS = ZoneInfo("Europe/Paris")
MONDAY_MORNING = datetime(2026, 12, 7, 9, 0, tzinfo=PARIS)


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """REDIS_URL when given, else a redis-server started for this session."""
    if os.environ.get("REDIS_URL"):
        yield os.environ["REDIS_URL"]
        return
    server = RedisServer(tmp_path_factory.mktemp("redis"), persistent=False).start()
    yield server.url
    server.stop()


@pytest.fixture
def r(redis_url: str) -> Iterator[redis.Redis]:
    connection = redis.Redis.from_url(redis_url, decode_responses=True)
    connection.flushdb()
    yield connection
    connection.close()


@pytest.fixture
def clock() -> Clock:
    """The app's clock, set to a Monday morning when support is open."""
    return Clock(MONDAY_MORNING)


@pytest.fixture
def env(redis_url: str, tmp_path: Path) -> dict[str, str]:
    """Environment of the service under test (also given to CLI commands)."""
    return {
        "REDIS_URL": redis_url,
        "TWILIO_AUTH_TOKEN": TOKEN,
        "IVR_INSTANCE_DIR": str(tmp_path / "instance"),
        "IVR_DEMO_DATA": "true",
        "IVR_PUBLIC_URL": "",
        # every webhook reads the current flow and the switches: a test's publish is seen at
        # once (tests/flows/test_sealed_calls.py covers the cache)
        "IVR_SHARED_CACHE": "0",
    }


@pytest.fixture
def app(r: redis.Redis, env: dict[str, str], clock: Clock) -> Iterator[Flask]:
    app = create_app({"TESTING": True, "CLOCK": clock, **env})
    yield app
    app.extensions["ivr"].close()  # not left to the garbage collector: no unclosed sockets


@pytest.fixture
def client(app: Flask):  # type: ignore[no-untyped-def]
    return app.test_client()


@pytest.fixture
def validator() -> RequestValidator:
    return RequestValidator(TOKEN)


@pytest.fixture
def runner(env: dict[str, str], r: redis.Redis) -> CliRunner:
    return CliRunner(env=env)


@pytest.fixture(autouse=True, scope="session")
def _cheap_password_hashes() -> None:
    """Passwords are hashed with a cheap method in tests (scrypt costs ~0.1 s a hash)."""
    from ivr.people import users

    users.HASH_METHOD = "pbkdf2:sha256:1000"
