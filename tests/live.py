"""The whole contact centre in one test process: the real app served over HTTP, the local
Twilio stand-in calling it, and a background worker running the routing jobs and the sweeper
on the app's own service (so they share its clock), as `ivr worker` does in production.

    def test_something(live):
        live.device.start_call(...); live.service.change_presence("sophie", "available")
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from flask import Flask
from rq.timeouts import TimerDeathPenalty

from ivr.centre.dispatch import sweep_once
from ivr.centre.jobs import HotlineSimpleWorker, rq_connection
from ivr.local.simulator_local import LocalTwilio
from ivr.local.twilio import TwilioLocal
from ivr.services.hotline import Hotline
from ivr.services.parts import JOB_QUEUE
from tests.standin import SCALE, hotline


class ThreadWorker(HotlineSimpleWorker):
    """Our RQ SimpleWorker, that may run outside the main thread: no signal handlers, and job
    timeouts by a timer thread instead of SIGALRM."""

    death_penalty_class = TimerDeathPenalty

    def _install_signal_handlers(self) -> None:
        pass


class Background(threading.Thread):
    """Runs queued jobs and the sweeper every `every` seconds until stopped."""

    def __init__(self, service: Hotline, queues: tuple[str, ...], every: float = 0.05) -> None:
        super().__init__(name="test-worker", daemon=True)
        self.service = service
        self.queues = queues
        self.every = every
        self.stopped = threading.Event()
        self.errors: list[BaseException] = []

    def run(self) -> None:
        worker = ThreadWorker(list(self.queues), connection=rq_connection(self.service.settings),
                              service=self.service)
        while not self.stopped.wait(self.every):
            try:
                worker.work(burst=True, with_scheduler=False, logging_level="WARNING")
                sweep_once(self.service)
            except Exception as exc:  # surfaced by the fixture at the end of the test
                self.errors.append(exc)

    def stop(self) -> None:
        self.stopped.set()
        self.join(timeout=5)


@dataclass
class Live:
    app: Flask
    service: Hotline
    local: TwilioLocal
    device: LocalTwilio


@contextmanager
def contact_centre(config: dict[str, Any], scale: float = SCALE,
                   queues: tuple[str, ...] = (JOB_QUEUE,)) -> Iterator[Live]:
    """The app, the stand-in and a background worker, stopped on the way out."""
    with hotline(config, scale) as (app, local):
        service: Hotline = app.extensions["ivr"]
        worker = Background(service, queues)
        worker.start()
        try:
            yield Live(app, service, local, LocalTwilio(local.url))
        finally:
            worker.stop()
        assert not worker.errors, f"the background worker failed: {worker.errors!r}"
