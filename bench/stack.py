"""What the app under benchmark runs on: its Redis, its environment, its auth token, and (for
the call mix) the shipped flow with queues that never overflow, on a Monday morning."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import redis
import yaml

from ivr.core.redis_server import RedisServer
from ivr.core.settings import PROJECT_ROOT

TOKEN = "bench-auth-token-0123456789abcdef"
# a Monday morning, support open: the greeting's answer goes on to identification
OPEN_HOURS = datetime(2026, 12, 7, 9, 0, tzinfo=ZoneInfo("Europe/Paris"))
SHIPPED_FLOW = PROJECT_ROOT / "config" / "flow.yaml"
# the bench's queues: every caller of a run waits (the shipped ones overflow at 50 callers)
QUEUE_SIZE = 100_000
QUEUE_WAIT = 86_400
# recent handle times (s) in each queue, as answered calls leave them: the wait URL then says
# an estimated wait, as it does on a working day
HANDLE_TIMES = (180, 240, 300, 420)


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


def service_env(redis_url: str, folder: Path, public_url: str, flow_file: Path | None = None,
                clock_shift: float | None = None) -> dict[str, str]:
    """The environment of the app: this process's, plus the bench's settings. With
    `clock_shift` (seconds), every process of the app shares one travelled clock."""
    env = {**os.environ, "REDIS_URL": redis_url, "TWILIO_AUTH_TOKEN": TOKEN,
           "IVR_INSTANCE_DIR": str(folder / "instance"), "IVR_DEMO_DATA": "true",
           "IVR_PUBLIC_URL": public_url}
    if flow_file is not None:
        env["IVR_FLOW_FILE"] = str(flow_file)
    if clock_shift is not None:
        env["IVR_CLOCK_SHIFT"] = f"{clock_shift:.3f}"
    return env


def shift_to_open_hours() -> float:
    """Seconds that move the real clock to OPEN_HOURS: a run of minutes stays in the morning."""
    return (OPEN_HOURS - datetime.now(UTC)).total_seconds()


def write_bench_flow(folder: Path) -> Path:
    """The shipped flow with roomy queues (QUEUE_SIZE callers, QUEUE_WAIT seconds), published
    through IVR_FLOW_FILE like the shipped one."""
    doc: dict[str, Any] = yaml.safe_load(SHIPPED_FLOW.read_text(encoding="utf-8"))
    for queue in doc["queues"].values():
        queue.update(max_size=QUEUE_SIZE, max_wait=QUEUE_WAIT)
    doc["description"] = f"{doc.get('description', '')} (bench copy: queues never overflow)"
    path = folder / "bench-flow.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def require_empty(redis_url: str) -> None:
    """A REDIS_URL given to the call-mix bench must be an empty database: it is emptied."""
    r = redis.Redis.from_url(redis_url)
    try:
        keys = r.dbsize()
    finally:
        r.close()
    if keys:
        raise SystemExit(f"REDIS_URL has {keys} keys: the bench empties its database between "
                         "servers; give it an empty one (e.g. redis://127.0.0.1:6379/15)")
