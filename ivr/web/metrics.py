"""Prometheus metrics at /metrics, behind a bearer token (IVR_METRICS_TOKEN).

Two sources, chosen by where each value lives:

- Webhook latency is observed in the web process that answered, by a prometheus_client
  histogram: a few microseconds, no Redis round trip on the webhook path (bench/metrics_cost.py).
  With several web processes on a host, `PROMETHEUS_MULTIPROC_DIR` (set by `make run`) makes
  each process write its own file there, and a scrape of any of them adds all the files up
  (prometheus_client's multiprocess mode).
- Everything else is read from Redis at scrape time, where it already is: waiting callers and
  the oldest wait per queue, agents by state, calls by outcome (the call records' counters),
  and errors of Twilio's REST API (counted by `ivr.centre.metrics`, by whichever process or
  host met them: RQ jobs run in forked processes, often on other hosts).
  These are the whole contact centre's, the same on every web node.
"""

from __future__ import annotations

import hmac
import os
import shutil
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from flask import Blueprint, Flask, Response, g, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector

from ivr import queue
from ivr.centre import agents, records
from ivr.centre.metrics import twilio_errors
from ivr.services.hotline import Hotline, hotline

bp = Blueprint("metrics", __name__)

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
WEBHOOK_SECONDS = Histogram(
    "ivr_webhook_seconds", "Time to answer a Twilio webhook, by route", ["route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
    registry=None,
)


def init_app(app: Flask) -> None:
    """Time every webhook (the /voice/ routes) and serve /metrics."""
    app.before_request(_start_timer)
    app.after_request(_observe)
    app.register_blueprint(bp)


def _start_timer() -> None:
    if request.blueprint == "voice":
        g.ivr_started = time.perf_counter()


def _observe(response: Response) -> Response:
    started = g.pop("ivr_started", None)
    if started is not None and request.url_rule is not None:
        WEBHOOK_SECONDS.labels(request.url_rule.rule).observe(time.perf_counter() - started)
    return response


def multiprocess_dir(instance_dir: Path, port: int) -> Path:
    """A fresh folder for the metric files of the web processes serving `port` (`make run`
    passes it to them as PROMETHEUS_MULTIPROC_DIR): files of an earlier run would add up."""
    path = instance_dir / f"prometheus-{port}"
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


# -- the scrape ------------------------------------------------------------------------------


class ContactCentre:
    """A prometheus_client collector reading the contact centre's state from Redis."""

    def __init__(self, service: Hotline) -> None:
        self.service = service

    def describe(self) -> list[Metric]:
        return []  # nothing to check at registration (and no Redis read then)

    def collect(self) -> Iterator[Metric]:
        service = self.service
        r, now = service.redis, service.clock.now()
        names = list(service.flows.current().queue_rules)
        waiting = GaugeMetricFamily("ivr_queue_waiting", "Callers waiting, by queue",
                                    labels=["queue"])
        oldest = GaugeMetricFamily("ivr_queue_oldest_wait_seconds",
                                   "How long the longest-waiting caller has waited, by queue",
                                   labels=["queue"])
        for name in names:
            waiting.add_metric([name], queue.size(r, name))
            oldest.add_metric([name], queue.oldest_wait(r, name, now))
        yield waiting
        yield oldest
        states = Counter(p.state for p in agents.roster(r))
        by_state = GaugeMetricFamily("ivr_agents", "Agents, by presence", labels=["state"])
        for state in agents.STATES:
            by_state.add_metric([state], states.get(state, 0))
        yield by_state
        calls = CounterMetricFamily("ivr_queue_calls", "Queued calls ended, by queue and "
                                    "outcome (answered, abandoned, overflow)",
                                    labels=["queue", "outcome"])
        for (name, outcome), total in sorted(records.totals(r).items()):
            calls.add_metric([name, outcome], total)
        yield calls
        errors = CounterMetricFamily("ivr_twilio_rest_errors", "Failed requests to Twilio's "
                                     "REST API, by HTTP status (network: no answer)",
                                     labels=["status"])
        for status, failed in sorted(twilio_errors(r).items()):
            errors.add_metric([status], failed)
        yield errors


def registry(service: Hotline) -> CollectorRegistry:
    """What a scrape shows: webhook timings (of every web process of this host in
    multiprocess mode, of this one otherwise) and the contact centre's state."""
    found = CollectorRegistry(auto_describe=False)
    if os.environ.get(MULTIPROC_ENV):
        MultiProcessCollector(found)
    else:
        found.register(WEBHOOK_SECONDS)
    found.register(ContactCentre(service))
    return found


@bp.get("/metrics")
def scrape() -> Response:
    service = hotline()
    token = service.settings.metrics_token
    if not token:
        return Response("metrics are off: set IVR_METRICS_TOKEN\n", 404, mimetype="text/plain")
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(),
                                                              token.encode()):
        return Response("send Authorization: Bearer <IVR_METRICS_TOKEN>\n", 401,
                        {"WWW-Authenticate": 'Bearer realm="metrics"'}, mimetype="text/plain")
    return Response(generate_latest(registry(service)), mimetype=CONTENT_TYPE_LATEST)
