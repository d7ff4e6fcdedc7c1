"""The embedded Redis of an instance folder: shared by every process, started once, stopped by
the last one to leave."""

from __future__ import annotations

import json
import multiprocessing
import os
import subprocess
import sys
from pathlib import Path

import redis

from ivr.core.redis_server import SharedServer, shared_server


def server_left(instance: Path) -> bool:
    folder = instance / "redis"
    return (folder / "redis.pid").exists() or (folder / "redis.sock").exists()


def started(instance: Path) -> int:
    log = instance / "redis" / "redis.log"
    return log.read_text().count("Redis is starting") if log.exists() else 0


def test_six_commands_at_once_all_succeed_and_leave_no_server(tmp_path):
    environ = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    environ.update(IVR_INSTANCE_DIR=str(tmp_path), IVR_DEMO_DATA="false")
    commands = [subprocess.Popen([sys.executable, "-m", "ivr", "hours", "status", "--json"],
                                 env=environ, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                for _ in range(6)]
    for command in commands:
        out, err = command.communicate(timeout=60)
        assert command.returncode == 0, err.decode()
        assert set(json.loads(out)) >= {"open", "reason", "next_open"}
    assert not server_left(tmp_path)


def _use(folder: str, barrier: multiprocessing.synchronize.Barrier) -> None:
    server = SharedServer(Path(folder))
    url = server.acquire()
    connection = redis.Redis.from_url(url)
    connection.incr("uses")
    barrier.wait(timeout=30)  # all six use it at once
    connection.close()
    server.release()


def test_twenty_rounds_of_six_processes_all_succeed(tmp_path):
    folder = tmp_path / "redis"
    context = multiprocessing.get_context("fork")
    for _ in range(20):
        barrier = context.Barrier(6)
        processes = [context.Process(target=_use, args=(str(folder), barrier)) for _ in range(6)]
        for process in processes:
            process.start()
        for process in processes:
            process.join(timeout=60)
        assert [p.exitcode for p in processes] == [0] * 6
        assert not server_left(tmp_path)
    assert started(tmp_path) == 20
    # the data outlives the server: 120 uses counted in its append-only file
    server = SharedServer(folder)
    assert redis.Redis.from_url(server.acquire()).get("uses") == b"120"
    server.release()


def test_the_server_stays_up_while_another_process_uses_it(tmp_path):
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys; from pathlib import Path; "
         "from ivr.core.redis_server import ensure_embedded; ensure_embedded(Path(sys.argv[1])); "
         "print('ready', flush=True); sys.stdin.readline()", str(tmp_path)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "ready\n"
        mine = shared_server(tmp_path)
        connection = redis.Redis.from_url(mine.acquire())
        mine.release()  # not the last user: the server stays
        assert connection.ping() is True
        connection.close()
        assert holder.communicate("\n", timeout=30)[0] == ""
        assert holder.returncode == 0
        assert not server_left(tmp_path)  # the last user stopped it
    finally:
        if holder.poll() is None:
            holder.kill()
    assert started(tmp_path) == 1


def test_a_stale_socket_from_a_killed_server_is_replaced(tmp_path):
    folder = tmp_path / "redis"
    folder.mkdir()
    (folder / "redis.sock").touch()  # left behind by a crash
    (folder / "redis.pid").write_text("999999999\n")
    server = SharedServer(folder)
    assert redis.Redis.from_url(server.acquire()).ping() is True
    server.release()
    assert not server_left(tmp_path)
