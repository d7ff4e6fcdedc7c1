"""`ivr run` (what `make run` starts) serves like production: nginx reads each request whole
before granian's workers see it, so connections that send their bodies slowly hold no worker,
and a body over IVR_MAX_BODY is refused (413) before the app reads it. Timings are measured by
bench/slow_clients.py; this test checks that the webhook is answered at all."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import pytest
import redis
import requests
from twilio.request_validator import RequestValidator

from ivr.local.proxy import check_port
from tests.helpers import HOTLINE, TOKEN, UNKNOWN_CALLER, TwiML

SLOW = 200


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def served(redis_url, tmp_path_factory):  # type: ignore[no-untyped-def]
    """One `ivr run` for the module (it takes seconds to start); the last test stops it."""
    port = free_port()
    # an account of its own: no local Twilio stand-in on port+1, which may not be free
    env = {"REDIS_URL": redis_url, "TWILIO_AUTH_TOKEN": TOKEN, "IVR_DEMO_DATA": "true",
           "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
           "IVR_INSTANCE_DIR": str(tmp_path_factory.mktemp("instance")), "IVR_PUBLIC_URL": ""}
    redis.Redis.from_url(redis_url).flushdb()
    process = subprocess.Popen([sys.executable, "-m", "ivr", "run", "--port", str(port)],
                               env={**os.environ, **env}, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if requests.get(f"{base}/healthz", timeout=1).status_code == 200:
                break
        except requests.RequestException:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            os.killpg(process.pid, signal.SIGKILL)
            pytest.fail(f"ivr run did not serve: {process.communicate()[0].decode()}")
        time.sleep(0.2)
    yield base, port, process
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    process.stdout.close()  # type: ignore[union-attr]


def signed_incoming(base: str, sid: str) -> requests.Response:
    url = f"{base}/voice/incoming"
    params = {"CallSid": sid, "From": UNKNOWN_CALLER, "To": HOTLINE, "CallStatus": "ringing"}
    signature = RequestValidator(TOKEN).compute_signature(url, params)
    return requests.post(url, data=params, headers={"X-Twilio-Signature": signature}, timeout=10)


def test_webhooks_are_answered_while_slow_clients_hold_connections(served):
    base, port, process = served
    slow = []
    try:
        for _ in range(SLOW):
            connection = socket.create_connection(("127.0.0.1", port))
            connection.sendall(b"POST /voice/incoming HTTP/1.1\r\nHost: x\r\nContent-Type: "
                               b"application/x-www-form-urlencoded\r\nContent-Length: 2000\r\n"
                               b"\r\nCallSid=CA")
            slow.append(connection)
        for n in range(3):
            response = signed_incoming(base, f"CA-slow-test-{n}")
            assert response.status_code == 200
            assert TwiML(response.content).verbs == ["Gather"]
    finally:
        for connection in slow:
            connection.close()


def test_a_body_over_the_limit_is_refused_unread(served):
    base, _, _ = served
    response = requests.post(f"{base}/voice/incoming", data=b"CallSid=CA&x=" + b"a" * 70_000,
                             headers={"Content-Type": "application/x-www-form-urlencoded"},
                             timeout=10)
    assert response.status_code == 413


def test_ctrl_c_stops_every_part(served):  # last: it stops the server
    _, port, process = served
    os.killpg(process.pid, signal.SIGINT)  # what a terminal's Ctrl-C sends
    assert process.wait(timeout=10) == 0
    output = process.stdout.read().decode()
    assert "stopping..." in output
    check_port("127.0.0.1", port)  # nothing listens any more
    assert subprocess.run(["pgrep", "-g", str(process.pid)], capture_output=True).stdout == b""
