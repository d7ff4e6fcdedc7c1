"""What building the TwiML costs: ivr/flows/twiml_text.py against twilio's VoiceResponse.

Run as `.venv/bin/python bench/twiml_cost.py [--batches 30] [--size 100]`:

- the greeting's answer (a <Gather> holding two <Say>), built and written out by each
  builder alone, best of 7 timings of 20,000;
- signed /voice/incoming requests in-process (Flask's test client), batch after batch in turns
  (so that a busy machine weighs on each alike), three ways: as shipped (prompts without
  placeholders written once per flow version, Flow.spoken); every prompt built per call with
  the app's builder; every prompt built per call with VoiceResponse in the builder's place
  (the same calls, made on twilio's class: the app before ivr/flows/twiml_text.py). Medians and best
  batches.

REDIS_URL or a redis-server of its own (unix socket, no persistence).
"""

from __future__ import annotations

import argparse
import logging
import statistics
import tempfile
import time
import timeit
from functools import partial
from pathlib import Path
from typing import Any

from twilio.twiml.voice_response import VoiceResponse

from ivr import create_app
from ivr.core.clock import Clock
from ivr.flows import twiml_text
from stack import OPEN_HOURS, TOKEN, bench_redis, service_env
from webhooks import CALL_KEYS, signed_requests

PUBLIC_URL = "http://127.0.0.1:8000"
WARM_UP = 300
BUILDERS: dict[str, Any] = {"twiml_text": twiml_text.Response, "VoiceResponse": VoiceResponse}
# variant: (builder, prompts written once per flow version)
VARIANTS = {"as shipped": ("twiml_text", True), "prompts built per call": ("twiml_text", False),
            "VoiceResponse": ("VoiceResponse", False)}


def built_per_call(name: str, lang: str) -> None:
    """Flow.spoken for no prompt: each is built per call, as before it was written once."""
    return None


def greeting(builder: Any) -> str:
    """The greeting's answer, as the flow builds it."""
    response = builder()
    gather = response.gather(input="dtmf", action="/voice/step?v=a1b2c3d4e5f6&n=greeting&s=1",
                             method="POST", action_on_empty_result=True, num_digits=1,
                             timeout=3)
    gather.say("Bienvenue au support technique.", voice="Polly.Lea-Neural", language="fr-FR")
    gather.say("For English, press 9.", voice="Polly.Amy-Neural", language="en-GB")
    return str(response.to_xml())


def build_cost() -> dict[str, float]:
    """Microseconds per greeting answer, per builder (best of 7)."""
    assert greeting(VoiceResponse) == greeting(twiml_text.Response)
    return {name: min(timeit.repeat(partial(greeting, builder), number=20_000, repeat=7))
            / 20_000 * 1e6 for name, builder in BUILDERS.items()}


def request_cost(redis_url: str, folder: Path, batches: int, size: int) -> dict[str, list[float]]:
    """Microseconds per /voice/incoming request, per batch, per variant."""
    logging.disable(logging.INFO)  # the app's per-call log line is not what is measured
    app = create_app({**service_env(redis_url, folder, PUBLIC_URL), "CLOCK": Clock(OPEN_HOURS)})
    client = app.test_client()
    calls = signed_requests(f"{PUBLIC_URL}/voice/incoming", TOKEN, run=0x7E11,
                            count=WARM_UP + len(VARIANTS) * batches * size)

    def post(batch: list[tuple[dict[str, str], str]]) -> float:
        started = time.perf_counter()
        for params, signature in batch:
            response = client.post("/voice/incoming", data=params, base_url=PUBLIC_URL,
                                   headers={"X-Twilio-Signature": signature})
            if response.status_code != 200:
                raise RuntimeError(f"/voice/incoming answered HTTP {response.status_code}")
        return (time.perf_counter() - started) / len(batch) * 1e6

    post(calls[:WARM_UP])
    flow = app.extensions["ivr"].flows.current()  # the engine's own (cached) object
    spoken = flow.spoken
    times: dict[str, list[float]] = {name: [] for name in VARIANTS}
    order = list(VARIANTS)
    at = WARM_UP
    try:
        for n in range(batches):
            for name in order[n % len(order):] + order[:n % len(order)]:
                builder, written_once = VARIANTS[name]
                twiml_text.Response = BUILDERS[builder]  # type: ignore[misc]
                flow.spoken = spoken if written_once else built_per_call
                times[name].append(post(calls[at:at + size]))
                at += size
    finally:
        twiml_text.Response = BUILDERS["twiml_text"]  # type: ignore[misc]
        flow.spoken = spoken
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=30, help="per variant (30)")
    parser.add_argument("--size", type=int, default=100, help="requests per batch (100)")
    options = parser.parse_args()
    built = build_cost()
    with tempfile.TemporaryDirectory(prefix="ivr-twiml-bench-") as name, \
            bench_redis(Path(name)) as redis_url:
        import redis

        times = request_cost(redis_url, Path(name), options.batches, options.size)
        connection = redis.Redis.from_url(redis_url)
        for key in connection.scan_iter(CALL_KEYS, count=1000):
            connection.delete(key)
    print(f"greeting's answer built and written: VoiceResponse {built['VoiceResponse']:.1f} us,"
          f" twiml_text {built['twiml_text']:.1f} us\n")
    print(f"/voice/incoming in-process, {options.batches} batches of {options.size} per "
          "variant, in turns (us per request)\n")
    print("| TwiML | median | best batch |\n|---|---:|---:|")
    for name, found in times.items():
        print(f"| {name} | {statistics.median(found):.0f} | {min(found):.0f} |")


if __name__ == "__main__":
    main()
