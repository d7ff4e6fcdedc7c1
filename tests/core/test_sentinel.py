"""Several machines: the service finds its Redis master through a real Redis Sentinel."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from ivr import create_app
from ivr.callers import guard
from ivr.core.redis_server import redis_executable
from tests.helpers import Caller


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(port: int) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            if redis.Redis(port=port).ping():
                return
        except redis.ConnectionError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing answers on port {port}")


@pytest.fixture
def sentinel(tmp_path: Path) -> Iterator[tuple[int, int]]:
    """A master on one port and a Sentinel watching it on another (ports)."""
    master_port, sentinel_port = free_port(), free_port()
    config = tmp_path / "sentinel.conf"
    config.write_text(f"port {sentinel_port}\nbind 127.0.0.1\n"
                      f"sentinel monitor hotline 127.0.0.1 {master_port} 1\n")
    processes = [
        subprocess.Popen([redis_executable(), "--port", str(master_port), "--bind", "127.0.0.1",
                          "--save", "", "--dir", str(tmp_path)], stdout=subprocess.DEVNULL),
        subprocess.Popen([redis_executable(), str(config), "--sentinel"],
                         stdout=subprocess.DEVNULL),
    ]
    try:
        wait_for(master_port)
        wait_for(sentinel_port)
        yield master_port, sentinel_port
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=10)


def test_calls_go_to_the_master_named_by_sentinel(sentinel, env, clock, validator):
    master_port, sentinel_port = sentinel
    app = create_app({**env, "CLOCK": clock, "REDIS_URL": "",
                      "IVR_REDIS_SENTINELS": f"127.0.0.1:{sentinel_port}",
                      "IVR_REDIS_SENTINEL_MASTER": "hotline"})
    caller = Caller(app.test_client(), validator, sid="CA-sentinel")
    assert caller.start().verbs == ["Gather"]
    caller.press(None)
    caller.press("9999")  # a wrong id: the guard counts it, on the master
    master = redis.Redis(port=master_port)
    assert master.zcard(guard.NUMBER_FAILS_KEY.format(caller.params["From"])) == 1
