"""The stand-in's HTTP server: in a background thread (tests) or as a process (make run)."""

from __future__ import annotations

import logging
import signal
import threading
import time
from types import TracebackType

from flask import Flask
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from ivr.twilio_local.model import World
from ivr.twilio_local.webhooks import TIMEOUT, Webhooks

log = logging.getLogger(__name__)


class _QuietHandler(WSGIRequestHandler):
    """No access log line per request (hundreds a second under load)."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


def create_app(world: World, hooks: Webhooks) -> Flask:
    from ivr.twilio_local import device, rest

    app = Flask(__name__)
    app.extensions["twilio_local"] = world
    app.extensions["twilio_local_hooks"] = hooks
    app.register_blueprint(rest.bp)
    app.register_blueprint(device.bp)
    return app


class TwilioLocal:
    """The local Twilio: `start()` serves it on a port (0: any free one), `stop()` ends it."""

    def __init__(self, app_url: str, account_sid: str, auth_token: str, *,
                 time_scale: float = 1.0, host: str = "127.0.0.1", port: int = 0,
                 webhook_timeout: float = TIMEOUT) -> None:
        self.world = World(app_url, account_sid, auth_token, time_scale)
        self.hooks = Webhooks(auth_token, webhook_timeout)
        self.host, self.port = host, port
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return self.world.base_url

    def start(self) -> TwilioLocal:
        app = create_app(self.world, self.hooks)
        self._server = make_server(self.host, self.port, app, threaded=True,
                                   request_handler=_QuietHandler)
        host = f"[{self.host}]" if ":" in self.host else self.host
        self.world.base_url = f"http://{host}:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05},
                                        name="twilio-local", daemon=True)
        self._thread.start()
        return self

    def stop(self, grace: float = 1.5) -> None:
        """Hang up every call (waiting up to `grace` seconds for them to end), stop serving."""
        world = self.world
        world.stopping.set()
        with world.lock:
            calls, threads = list(world.calls.values()), list(world.threads)
        for call in calls:
            call.doorbell.set()
            with call.changed:
                call.changed.notify_all()
        deadline = time.monotonic() + grace
        for thread in threads:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=2)

    def __enter__(self) -> TwilioLocal:
        return self.start() if self._server is None else self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.stop()


def serve(local: TwilioLocal, announce: bool = True) -> None:
    """Run until SIGINT or SIGTERM, then stop in under two seconds."""
    stop = threading.Event()

    def on_signal(signum: int, frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    local.start()
    if announce:
        print(f"Local Twilio stand-in on {local.url} -> app {local.world.app_url} "
              f"(time scale {local.world.clock.scale})", flush=True)
    stop.wait()
    local.stop()
