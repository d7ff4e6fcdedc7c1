"""`ivr call` in a terminal with no --press: it shows what the caller hears and reads keys."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time


def read_until(fd: int, marker: bytes, timeout: float = 30) -> bytes:
    seen = b""
    deadline = time.monotonic() + timeout
    while marker not in seen:
        remaining = deadline - time.monotonic()
        assert remaining > 0, f"no {marker!r} in {seen.decode(errors='replace')}"
        ready, _, _ = select.select([fd], [], [], remaining)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
    return seen


def test_interactive_call_reads_keys_from_the_terminal(env, r):
    primary, secondary = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "ivr", "call", "--at", "2026-12-07T09:00:00+01:00"],
        stdin=secondary, stdout=secondary, stderr=secondary, env={**os.environ, **env})
    os.close(secondary)
    try:
        greeting = read_until(primary, b"keys (")
        assert b"Bienvenue au support technique." in greeting
        os.write(primary, b"9\r")
        ask_id = read_until(primary, b"keys (")
        assert b"[en-GB] Please say your client ID" in ask_id
        os.write(primary, b"1001#\r")
        menu = read_until(primary, b"keys (")
        assert b"For technical support, press 1." in menu
        os.write(primary, b"3\r")
        end = read_until(primary, b"= enqueue delivery")
        assert b"You are waiting for the delivery service" in end
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
        os.close(primary)
