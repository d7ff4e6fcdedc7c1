"""The WSGI servers compared, each started on bench/app.py and stopped with its workers."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from ivr.local.runner import web_command

BENCH_DIR = Path(__file__).resolve().parent
TARGET = "app:app"  # bench/app.py, served from the bench folder
BARE = "bare:app"  # bench/bare.py: the ceiling, a Flask app with nothing of ours


@dataclass(frozen=True)
class ServerKind:
    name: str
    workers: int
    threads: int = 1  # per worker

    def command(self, host: str, port: int, target: str = TARGET) -> list[str]:
        if self.name == "granian":
            # the command `make run` uses (there behind nginx, on a unix socket), on the bench app
            command = web_command(host, port, self.workers, target)
            return [*command[:-1], "--working-dir", str(BENCH_DIR), command[-1]]
        if self.name.startswith("gunicorn-"):
            return [sys.executable, "-m", "gunicorn", "--worker-class", self.name[9:],
                    "--workers", str(self.workers), "--threads", str(self.threads),
                    "--bind", f"{host}:{port}", "--chdir", str(BENCH_DIR), target]
        raise ValueError(f"unknown server {self.name!r}: expected one of {', '.join(NAMES)}")

    def describe(self) -> str:
        threads = f" x {self.threads} threads" if self.threads > 1 else ""
        return f"{self.name}, {self.workers} workers{threads}"


SERVERS = (ServerKind("granian", 2), ServerKind("gunicorn-sync", 2),
           ServerKind("gunicorn-gthread", 2, threads=4))
NAMES = tuple(kind.name for kind in SERVERS)


class Server:
    """One running server process group; `stop()` ends it and its workers, always."""

    def __init__(self, kind: ServerKind, host: str, port: int, env: dict[str, str],
                 log: Path, target: str = TARGET) -> None:
        self.kind = kind
        self.base = f"http://{host}:{port}"
        self.log = log
        with log.open("wb") as output:
            # a session of its own, so that its workers can be signalled with it
            self.process = subprocess.Popen(kind.command(host, port, target), env=env,
                                            stdout=output, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL, start_new_session=True)

    def wait_ready(self, path: str, timeout: float = 30) -> None:
        """Wait until `path` answers (any HTTP status), or fail if the server died."""
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.kind.name} exited with {self.process.returncode}:\n"
                                   f"{self.log_tail()}")
            try:
                urllib.request.urlopen(urllib.request.Request(self.base + path, method="POST",
                                                              data=b""), timeout=2).close()
                return
            except urllib.error.HTTPError:
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{self.kind.name} did not answer {path} in {timeout}s:\n"
                                       f"{self.log_tail()}") from None
                time.sleep(0.1)

    def log_tail(self, lines: int = 15) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        if self.process.poll() is not None:
            self._signal(signal.SIGKILL)  # the master died first: its workers may be left
            return
        self.process.send_signal(signal.SIGTERM)  # the master stops its workers
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self._signal(signal.SIGKILL)
            self.process.wait(timeout=5)

    def _signal(self, sig: signal.Signals) -> None:
        try:
            os.killpg(self.process.pid, sig)
        except ProcessLookupError:
            pass
