"""Where one /voice/incoming spends its time: cProfile over in-process test-client requests.

Run as `.venv/bin/python bench/hotspots.py [--requests 2000]`; REDIS_URL or a redis-server
of its own. The wall time per request is measured first, without the profiler's overhead.
"""

from __future__ import annotations

import argparse
import cProfile
import logging
import os
import pstats
import tempfile
import time
from pathlib import Path

from flask.testing import FlaskClient

from ivr import create_app
from stack import TOKEN, bench_redis, service_env
from webhooks import signed_requests

PUBLIC_URL = "http://127.0.0.1:8000"
WARM_UP = 200
# the frames worth reading: the app, and the libraries it calls per request
SHOWN = (r"ivr/|redis/client|twilio/|phonenumberutil.py:\d+\(parse\)|"
         r"werkzeug/wrappers/request.py:\d+\(form\)|logging/__init__.py:\d+\(info\)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    count = parser.parse_args().requests
    # the app logs each call at INFO: kept, so that its cost is counted, but not shown
    logging.basicConfig(level=logging.INFO, stream=open(os.devnull, "w"))
    with tempfile.TemporaryDirectory(prefix="ivr-hotspots-") as folder, \
            bench_redis(Path(folder)) as redis_url:
        app = create_app(service_env(redis_url, Path(folder), PUBLIC_URL))
        client = app.test_client()
        calls = signed_requests(f"{PUBLIC_URL}/voice/incoming", TOKEN, run=0xFFF0,
                                count=WARM_UP + 2 * count)
        post_all(client, calls[:WARM_UP])
        started = time.perf_counter()
        post_all(client, calls[WARM_UP:WARM_UP + count])
        wall = (time.perf_counter() - started) / count
        profile = cProfile.Profile()
        profile.runcall(post_all, client, calls[WARM_UP + count:])
    print(f"/voice/incoming in-process: {wall * 1e6:.0f} us per request (no profiler)\n")
    pstats.Stats(profile).sort_stats("cumulative").print_stats(SHOWN, 40)


def post_all(client: FlaskClient, calls: list[tuple[dict[str, str], str]]) -> None:
    for params, signature in calls:
        response = client.post("/voice/incoming", data=params, base_url=PUBLIC_URL,
                               headers={"X-Twilio-Signature": signature})
        if response.status_code != 200:
            raise RuntimeError(f"/voice/incoming answered HTTP {response.status_code}")


if __name__ == "__main__":
    main()
