"""Signed webhooks while 200 connections send their bodies slowly: the web tier `make run` serves
(nginx in front of granian, as in production) against granian alone.

    .venv/bin/python bench/slow_clients.py [--slow 200] [--requests 20]

Exits 1 when a webhook through `make run`'s tier takes 1 s or more, or is not answered 200.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

from ivr.local.runner import web_command
from stack import TOKEN, bench_redis, service_env
from webhooks import incoming_params

ROOT = Path(__file__).resolve().parents[1]
LIMIT = 1.0  # seconds a signed webhook may take with the slow clients open
TIMEOUT = 5.0  # seconds before a webhook counts as not answered


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def serving(command: list[str], env: dict[str, str], base: str) -> Iterator[None]:
    process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{command[:4]} did not start")
            time.sleep(0.2)
        yield
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@contextmanager
def slow_clients(port: int, count: int) -> Iterator[None]:
    """`count` connections that sent headers for a 2 KB body, then one byte a second."""
    sockets = []
    for _ in range(count):
        connection = socket.create_connection(("127.0.0.1", port))
        connection.sendall(b"POST /voice/incoming HTTP/1.1\r\nHost: x\r\nContent-Type: "
                           b"application/x-www-form-urlencoded\r\nContent-Length: 2000\r\n\r\n"
                           b"CallSid=")
        sockets.append(connection)
    stop = threading.Event()

    def dribble() -> None:
        while not stop.wait(1):
            for connection in sockets:
                try:
                    connection.send(b"a")
                except OSError:
                    pass

    thread = threading.Thread(target=dribble, daemon=True)
    thread.start()
    time.sleep(1)  # every connection accepted and waiting
    try:
        yield
    finally:
        stop.set()
        thread.join()
        for connection in sockets:
            connection.close()


def webhooks(base: str, run: int, count: int) -> list[float | None]:
    """Seconds each signed /voice/incoming took (None: no 200 TwiML within TIMEOUT)."""
    from twilio.request_validator import RequestValidator

    url = f"{base}/voice/incoming"
    validator = RequestValidator(TOKEN)
    times: list[float | None] = []
    for index in range(count):
        if times[-3:] == [None, None, None]:
            times.append(None)  # stalled: no need to wait out every timeout
            continue
        params = incoming_params(run, index)
        started = time.monotonic()
        try:
            response = requests.post(url, data=params, timeout=TIMEOUT, headers={
                "X-Twilio-Signature": validator.compute_signature(url, params)})
            ok = response.status_code == 200 and "<Response>" in response.text
        except requests.RequestException:
            ok = False
        times.append(time.monotonic() - started if ok else None)
    return times


def summary(times: list[float | None]) -> str:
    answered = [t for t in times if t is not None]
    if not answered:
        return f"0/{len(times)} answered"
    return (f"{len(answered)}/{len(times)} answered, p50 {statistics.median(answered) * 1000:.0f}"
            f" ms, max {max(answered) * 1000:.0f} ms")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--slow", type=int, default=200, help="slow connections (200)")
    parser.add_argument("--requests", type=int, default=20, help="webhooks measured (20)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, bench_redis(Path(tmp)) as redis_url:
        env = service_env(redis_url, Path(tmp), public_url="")
        env["PYTHONPATH"] = str(ROOT)
        env["TWILIO_ACCOUNT_SID"] = "AC" + "0" * 32  # no local Twilio stand-in: the web tier only
        tiers = {
            "make run (nginx -> granian)": lambda port: [
                sys.executable, "-m", "ivr", "run", "--port", str(port)],
            "granian alone": lambda port: web_command("127.0.0.1", port, 2),
        }
        worst = None
        for run, (name, command) in enumerate(tiers.items()):
            port = free_port()
            base = f"http://127.0.0.1:{port}"
            with serving(command(port), env, base):
                quiet = webhooks(base, 2 * run, args.requests)
                with slow_clients(port, args.slow):
                    loaded = webhooks(base, 2 * run + 1, args.requests)
            print(f"{name:28}  alone: {summary(quiet)}")
            print(f"{'':28}  with {args.slow} slow clients: {summary(loaded)}")
            if run == 0:
                worst = None if None in loaded else max(t for t in loaded if t is not None)
    if worst is None or worst >= LIMIT:
        print(f"FAILED: a webhook through make run's tier took {LIMIT} s or more, or failed")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
