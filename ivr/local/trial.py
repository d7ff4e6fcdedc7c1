"""Trying a call in this process, on any saved flow version and at any time, through the same
routes and engine as a real call (for `ivr call --flow-version N` and the admin's panel)."""

from __future__ import annotations

from datetime import datetime

from flask import Flask

from ivr import routes
from ivr.core.clock import Clock
from ivr.flows.flow import Flow
from ivr.flows.store import TrialStore
from ivr.local.simulator import IN_PROCESS_BASE, FlaskTransport, Result, Simulator
from ivr.services.hotline import Hotline

HOTLINE_NUMBER = "+33825000463"


def use_version(service: Hotline, number: int) -> Flow:
    """Make every call of `service` run saved version `number` (this process only)."""
    flow = service.flows.revision_flow(number)
    store = TrialStore(service.redis, flow)
    service.flows = store
    service.engine.store = store
    service.queues.store = store
    return flow


def try_call(service: Hotline, number: int | None, at: datetime, caller: str,
             presses: list[str]) -> Result:
    """A simulated call on version `number` (None: the published one) at `at`; the running
    app's own clock and flow are left alone. The call's state is written to Redis like any."""
    trial = Hotline(service.settings, clock=Clock(at), r=service.redis, trial=True)
    if number is not None:
        use_version(trial, number)
    app = Flask(__name__)
    app.extensions["ivr"] = trial
    app.register_blueprint(routes.bp)
    base = service.settings.public_url or IN_PROCESS_BASE
    simulator = Simulator(FlaskTransport(app), service.settings.auth_token(), base, caller,
                          HOTLINE_NUMBER, presses)
    return simulator.run()
