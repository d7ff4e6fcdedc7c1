"""One wrk run: signed POSTs at a fixed concurrency, read back from signed.lua's JSON line."""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ivr.flows.apology import APOLOGY

SCRIPT = Path(__file__).resolve().parent / "signed.lua"
MARK = "BENCH_JSON "
# a sentence of the apology the webhooks answer on an internal error: such an answer is valid
# TwiML, but the run had an error
APOLOGY_MARKER = APOLOGY[-1][0]


@dataclass(frozen=True)
class Load:
    duration: int  # seconds
    connections: int
    threads: int


def require_wrk() -> str:
    found = shutil.which("wrk")
    if not found:
        raise SystemExit("wrk is not installed: apt-get install wrk (`make bench` does it)")
    return found


def run_wrk(base_url: str, data: Path, load: Load, duration: int | None = None) -> dict[str, Any]:
    """Load the server at `base_url` with the signed requests of `data`; requests/s and
    latencies in ms, and the counts of signed.lua's checks."""
    seconds = duration or load.duration
    command = [require_wrk(), f"-t{load.threads}", f"-c{load.connections}", f"-d{seconds}s",
               "--timeout", "10s", "-s", str(SCRIPT), base_url, "--", str(data),
               str(load.threads), APOLOGY_MARKER]
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 120)
    lines = [line for line in done.stdout.splitlines() if line.startswith(MARK)]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr or done.stdout}")
    raw = json.loads(lines[-1][len(MARK):])
    latency = {name: round(value / 1000, 2) for name, value in raw["latency_us"].items()}
    errors = raw["errors"]
    return {
        "requests_per_s": round(raw["requests"] / (raw["duration_us"] / 1e6), 1),
        "p50_ms": latency["p50"], "p90_ms": latency["p90"], "p99_ms": latency["p99"],
        "mean_ms": latency["mean"], "max_ms": latency["max"],
        "requests": raw["requests"],
        **{name: raw[name] for name in ("non200", "not_twiml", "leaves", "dials", "apologies",
                                        "replayed")},
        # connect, read, write errors and timeouts (non-2xx answers are non200)
        "socket_errors": sum(errors.values()) - errors["status"],
    }
