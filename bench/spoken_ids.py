"""What a client id said aloud costs: the parser alone, and the identify step answered by voice
against the same step answered by keys (in-process, Flask's test client, a Redis of its own).

Run as `.venv/bin/python bench/spoken_ids.py [--calls 300]`. Each call is started, its greeting
times out, then only the identify answer is timed: `Digits=1001` for one half of the calls,
`SpeechResult="mille un"` (Confidence 0.93) for the other, in alternate batches so that a busy
moment weighs on both alike. Prints microseconds per answer (median and p90).
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import tempfile
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from twilio.request_validator import RequestValidator

from ivr import create_app
from ivr.callers.spoken import digits_said
from ivr.core.clock import Clock
from stack import bench_redis

TOKEN = "bench-auth-token-0123456789abcdef"
BASE = "http://localhost"
SAYINGS = ["mille un", "un zéro zéro un", "ten oh one", "euh... mille, heu, un",
           "quatre-vingt-dix-sept mille deux cent trente-quatre", "1001.", "10 01",
           "mon numéro client est le mille un", "one thousand and one", "double zero seven"]
ANSWERS = {"keys": {"Digits": "1001", "FinishedOnKey": "#"},
           "speech": {"SpeechResult": "mille un", "Confidence": "0.93"}}


def parser_microseconds(rounds: int) -> float:
    start = time.perf_counter()
    for _ in range(rounds):
        for text in SAYINGS:
            digits_said(text)
    return (time.perf_counter() - start) / (rounds * len(SAYINGS)) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=300, help="calls per kind of answer")
    options = parser.parse_args()
    logging.basicConfig(level=logging.INFO, stream=open(os.devnull, "w"))
    print(f"parser: {parser_microseconds(2000):.1f} us per saying ({len(SAYINGS)} sayings)")
    monday = datetime(2026, 12, 7, 9, 0, tzinfo=ZoneInfo("Europe/Paris"))
    with tempfile.TemporaryDirectory(prefix="ivr-spoken-") as folder, \
            bench_redis(Path(folder)) as redis_url:
        app = create_app({"CLOCK": Clock(monday), "REDIS_URL": redis_url,
                          "TWILIO_AUTH_TOKEN": TOKEN, "IVR_DEMO_DATA": "true",
                          "IVR_INSTANCE_DIR": str(Path(folder) / "instance"),
                          "IVR_PUBLIC_URL": ""})
        client, validator = app.test_client(), RequestValidator(TOKEN)

        def post(path: str, params: dict[str, str]) -> str:
            signature = validator.compute_signature(BASE + path, params)
            response = client.post(path, data=params, headers={"X-Twilio-Signature": signature})
            assert response.status_code == 200, response.data
            body: str = response.get_data(as_text=True)
            return body

        def action(twiml: str) -> str:
            start = twiml.index('action="') + len('action="')
            return twiml[start:twiml.index('"', start)].replace("&amp;", "&")

        timings: dict[str, list[float]] = {kind: [] for kind in ANSWERS}
        for batch in range(0, options.calls, 25):
            for kind, extra in ANSWERS.items():
                for n in range(batch, min(batch + 25, options.calls)):
                    params = {"CallSid": f"CA{kind}{n:08d}", "AccountSid": "AC" + "0" * 32,
                              "From": f"+336{n:08d}", "To": "+33825000463",
                              "CallStatus": "in-progress", "Direction": "inbound"}
                    asked = post(action(post("/voice/incoming", params)), params)
                    start = time.perf_counter()
                    answered = post(action(asked), {**params, **extra})
                    timings[kind].append((time.perf_counter() - start) * 1e6)
                    assert "Pour le support technique" in answered, answered[:300]
        app.extensions["ivr"].close()
    for kind, found in timings.items():
        found.sort()
        print(f"identify answered by {kind:6}: median {statistics.median(found):7.0f} us, "
              f"p90 {found[int(len(found) * 0.9)]:7.0f} us ({len(found)} calls)")


if __name__ == "__main__":
    main()
