"""Helpers for tests through the local Twilio stand-in: a small customer app written in the
tests (it plays the customer's app, served over real HTTP), and ways to follow a call."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, Response, request
from twilio.request_validator import RequestValidator
from twilio.rest import Client
from werkzeug.serving import make_server

from ivr.local.simulator_local import LocalTwilio
from ivr.local.twilio import TwilioLocal
from tests.helpers import TOKEN

ACCOUNT = "AC" + "ab" * 16
SCALE = 0.01  # one simulated second lasts 10 ms
CALLER = "+33612345678"
HOTLINE = "+33825000463"


@dataclass
class Hit:
    """One webhook request the customer app received."""

    path: str
    args: dict[str, str]
    form: dict[str, str]
    signed: bool


@dataclass
class Customer:
    """A customer app: a TwiML answer (or a function of the request) per path."""

    url: str = ""
    answers: dict[str, str | Callable[[Hit], str | tuple[str, int]]] = field(
        default_factory=dict)
    hits: list[Hit] = field(default_factory=list)

    def on(self, path: str, answer: str | Callable[[Hit], str | tuple[str, int]]) -> None:
        self.answers[path] = answer

    def hits_to(self, path: str) -> list[Hit]:
        return [hit for hit in self.hits if hit.path == path]


def rest_client(local: TwilioLocal) -> Client:
    """twilio's own REST client, pointed at the stand-in."""
    client = Client(ACCOUNT, TOKEN)
    client.api.base_url = local.url
    return client


def customer_app(customer: Customer) -> Flask:
    app = Flask("customer")
    validator = RequestValidator(TOKEN)

    @app.route("/<path:path>", methods=["GET", "POST"])
    def answer(path: str) -> Response:
        params = request.form.to_dict() if request.method == "POST" else {}
        hit = Hit("/" + path, request.args.to_dict(), {**request.args.to_dict(), **params},
                  validator.validate(request.url, params,
                                     request.headers.get("X-Twilio-Signature", "")))
        customer.hits.append(hit)
        found = customer.answers.get(hit.path)
        if found is None:
            return Response("<Response/>" if path == "voice/status" else "no such page",
                            status=200 if path == "voice/status" else 404)
        body = found(hit) if callable(found) else found
        body, status = body if isinstance(body, tuple) else (body, 200)
        return Response(body, status=status, mimetype="text/xml")

    return app


@contextmanager
def serve(app: Any) -> Iterator[str]:
    """A WSGI app served over real HTTP on a free port, in a thread; its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def serve_customer() -> Iterator[Customer]:
    found = Customer()
    with serve(customer_app(found)) as url:
        found.url = url
        yield found


@contextmanager
def stand_in(app_url: str, scale: float = SCALE) -> Iterator[TwilioLocal]:
    with TwilioLocal(app_url, ACCOUNT, TOKEN, time_scale=scale) as local:
        yield local


def events_until(device: LocalTwilio, sid: str, done: Callable[[dict[str, Any]], bool],
                 timeout: float = 10.0) -> list[dict[str, Any]]:
    """The call's events up to the first one for which `done` holds (fails after `timeout`
    real seconds)."""
    deadline, after, seen = time.monotonic() + timeout, 0, []
    while time.monotonic() < deadline:
        batch = device.events(sid, after, wait=min(1.0, deadline - time.monotonic()))
        for event in batch["events"]:
            seen.append(event)
            if done(event):
                return seen
        after = batch["next"]
    raise AssertionError(f"not seen in {timeout}s; events: {[e['type'] for e in seen]}")


def ended(device: LocalTwilio, sid: str, timeout: float = 10.0) -> list[dict[str, Any]]:
    """Every event of the call, once it has ended."""
    return events_until(device, sid, lambda e: e["type"] == "ended" and "leg" not in e,
                        timeout)


def until(device: LocalTwilio, sid: str, kind: str, **match: Any) -> list[dict[str, Any]]:
    """The call's events up to the first `kind` event with these values."""
    return events_until(device, sid, lambda e: e["type"] == kind and all(
        e.get(k) == v for k, v in match.items()))


def of(events: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [e for e in events if e["type"] == kind]


def webhooks(events: list[dict[str, Any]], kind: str | None = None) -> list[dict[str, Any]]:
    """The webhook requests of the call itself (not its dialled legs)."""
    return [e for e in events if e["type"] == "webhook" and "leg" not in e
            and (kind is None or e["kind"] == kind)]


@contextmanager
def hotline(config: dict[str, Any], scale: float = SCALE) -> Iterator[tuple[Flask, TwilioLocal]]:
    """The real app (create_app with `config`), served over HTTP at its IVR_PUBLIC_URL and
    pointed at a stand-in that calls it: (the app, the stand-in)."""
    from ivr import create_app

    served: dict[str, Flask] = {}

    def wsgi(environ: Any, start_response: Any) -> Any:  # the app, once it is built
        return served["app"](environ, start_response)

    with stand_in("http://127.0.0.1:9", scale) as local, serve(wsgi) as url:
        served["app"] = create_app({**config, "TWILIO_API_URL": local.url,
                                    "TWILIO_ACCOUNT_SID": ACCOUNT, "IVR_PUBLIC_URL": url})
        local.world.app_url = url
        yield served["app"], local
