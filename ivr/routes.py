"""Twilio's voice webhooks: check the signature, hand the form to the engine, answer TwiML."""

from __future__ import annotations

import hmac
import logging
from collections.abc import Iterator

from flask import Blueprint, Response, abort, request
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException

from ivr import queue, voicemail
from ivr.flows.engine import EMPTY, BadCall
from ivr.logsafe import clean
from ivr.services import hotline
from ivr.twiml import apology

log = logging.getLogger(__name__)
bp = Blueprint("voice", __name__, url_prefix="/voice")


def twiml(body: str) -> Response:
    return Response(body, mimetype="text/xml")


def public_url() -> str:
    """The URL Twilio signed: IVR_PUBLIC_URL + path when set, else the (proxy-fixed) URL."""
    base = hotline().settings.public_url
    if base:
        query = request.query_string.decode()
        return f"{base}{request.path}" + (f"?{query}" if query else "")
    return request.url


class _FormParams:
    """The form as RequestValidator reads it (`getall`), without copying it."""

    __slots__ = ("form",)

    def __init__(self, form: MultiDict[str, str]) -> None:
        self.form = form

    def __iter__(self) -> Iterator[str]:
        return iter(self.form)

    def __len__(self) -> int:
        return len(self.form)

    def getall(self, name: str) -> list[str]:
        return self.form.getlist(name)


@bp.before_request
def limit_body() -> None:
    """Twilio's bodies are a few hundred bytes: a bigger one gets 413 before it is read."""
    request.max_content_length = hotline().settings.max_body


@bp.before_request
def check_signature() -> None:
    service = hotline()
    if not service.settings.validate_signatures:
        return
    signature = request.headers.get("X-Twilio-Signature", "")
    url, params = public_url(), _FormParams(request.form)
    # the URL as Twilio requested it signs almost every request: one HMAC; `validate` then
    # tries the URL with and without its port, as Twilio's own signing varies
    if not signature or not (
        hmac.compare_digest(service.validator.compute_signature(url, params), signature)
        or service.validator.validate(url, params, signature)
    ):
        log.warning("refused %s: bad or missing X-Twilio-Signature", clean(request.path))
        abort(403)


@bp.errorhandler(Exception)
def answer_anyway(error: Exception) -> Response | HTTPException:
    """Twilio always gets TwiML: an apology, then the fallback number or goodbye."""
    if isinstance(error, HTTPException) and error.code and error.code < 500:
        return error
    if isinstance(error, BadCall):
        log.warning("%s: %s", clean(request.path), clean(error))
    else:
        log.exception("internal error on %s", clean(request.path))
    return twiml(apology(hotline().settings.fallback_number))


@bp.post("/incoming")
def incoming() -> Response:
    return twiml(hotline().engine.incoming(request.form))


@bp.post("/step")
def step() -> Response:
    return twiml(hotline().engine.step(request.args, request.form))


@bp.post("/wait")
def wait() -> Response:
    return twiml(hotline().queues.wait(request.args, request.form))


@bp.post("/connect")
def connect() -> Response:
    return twiml(hotline().queues.connect(request.args, request.form))


@bp.post("/whisper")
def whisper() -> Response:
    return twiml(hotline().queues.whisper(request.args, request.form))


@bp.post("/dialed")
def dialed() -> Response:
    return twiml(hotline().queues.dialed(request.args, request.form))


@bp.post("/callback")
def callback_request() -> Response:
    return twiml(hotline().callbacks.request(request.args, request.form))


@bp.post("/callback/answer")
def callback_answer() -> Response:
    return twiml(hotline().callbacks.answer(request.args, request.form))


@bp.post("/callback/key")
def callback_key() -> Response:
    return twiml(hotline().callbacks.key(request.args, request.form))


@bp.post("/callback/status")
def callback_status() -> Response:
    hotline().callbacks.status(request.args, request.form)
    return twiml(EMPTY)


@bp.post("/status")
def status() -> Response:
    hotline().engine.status(request.form)
    return twiml(EMPTY)


@bp.post("/recording")
def recording() -> Response:
    service = hotline()
    sid = request.form.get("CallSid", "")
    state = service.engine.call_state(sid)
    waited = queue.entry(service.redis, sid) if sid else None  # left a queue for voicemail
    voicemail.save(service.redis, request.form, state.__dict__ if state else None,
                   service.clock.now(), request.args.get("l", "fr"),
                   waited.get("queue") if waited else None)
    return twiml(EMPTY)


@bp.post("/fallback")
def fallback() -> Response:
    """Twilio's fallback URL, asked when the voice URL failed: no Redis, no flow."""
    log.error("Twilio used the fallback URL for call %s (error %s)",
              clean(request.form.get("CallSid")), clean(request.form.get("ErrorCode")))
    return twiml(apology(hotline().settings.fallback_number))
