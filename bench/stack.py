"""What the app under benchmark runs on: its Redis, its environment, its auth token."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from ivr.redis_server import RedisServer

TOKEN = "bench-auth-token-0123456789abcdef"
# a Monday morning, support open: the greeting's answer goes on to identification
OPEN_HOURS = datetime(2026, 12, 7, 9, 0, tzinfo=ZoneInfo("Europe/Paris"))


@contextmanager
def bench_redis(folder: Path) -> Iterator[str]:
    """REDIS_URL when set, else a redis-server of the bench's own in `folder` (no persistence),
    stopped on the way out."""
    if os.environ.get("REDIS_URL"):
        yield os.environ["REDIS_URL"]
        return
    server = RedisServer(folder / "redis", persistent=False).start()
    try:
        yield server.url
    finally:
        server.stop()


def service_env(redis_url: str, folder: Path, public_url: str) -> dict[str, str]:
    """The environment of the app: this process's, plus the bench's settings."""
    return {**os.environ, "REDIS_URL": redis_url, "TWILIO_AUTH_TOKEN": TOKEN,
            "IVR_INSTANCE_DIR": str(folder / "instance"), "IVR_DEMO_DATA": "true",
            "IVR_PUBLIC_URL": public_url}
