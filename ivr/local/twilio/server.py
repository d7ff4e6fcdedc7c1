"""The stand-in's HTTP server: in a background thread (tests) or as a process (make run).

Served by waitress: connections are kept alive between requests, as Twilio's are, so a client
placing hundreds of calls a second pays no TCP handshake per request, and a fixed set of
threads serves the requests (werkzeug's development server closes every connection and starts
a thread for each).
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from types import TracebackType
from typing import Any

from flask import Flask
from waitress import wasyncore
from waitress.server import create_server

from ivr.local.twilio import (
    device,
    messages,  # noqa: F401 (adds Messages.json to rest.bp)
    rest,
)
from ivr.local.twilio.model import World
from ivr.local.twilio.webhooks import TIMEOUT, Webhooks

log = logging.getLogger(__name__)
THREADS = 32  # requests served at once (a long-poll of a call's events holds one)
CONNECTIONS = 1000  # open connections at once (kept-alive ones count)
# requests waiting for a thread are expected under load: no warning for each
logging.getLogger("waitress.queue").setLevel(logging.ERROR)


def create_app(world: World, hooks: Webhooks) -> Flask:
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
        self._server: Any = None  # waitress's server
        self._sockets: dict[int, Any] = {}  # its listening socket and connections
        self._serving = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return self.world.base_url

    def start(self) -> TwilioLocal:
        app = create_app(self.world, self.hooks)
        self._server = create_server(app, map=self._sockets, host=self.host, port=self.port,
                                     threads=THREADS, connection_limit=CONNECTIONS,
                                     ident="twilio-local")
        host = f"[{self.host}]" if ":" in self.host else self.host
        self.world.base_url = f"http://{host}:{self._server.effective_port}"
        self._serving.set()
        self._thread = threading.Thread(target=self._serve, name="twilio-local", daemon=True)
        self._thread.start()
        return self

    def _serve(self) -> None:
        """waitress's loop, until `stop`; then its sockets and threads are closed here, in
        the loop's own thread."""
        while self._serving.is_set():
            wasyncore.loop(timeout=0.05, use_poll=True, map=self._sockets, count=1)
        for dispatcher in list(self._sockets.values()):
            dispatcher.close()
        self._server.task_dispatcher.shutdown(timeout=1)

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
        self._serving.clear()
        if self._thread is not None:
            self._thread.join(timeout=3)

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
