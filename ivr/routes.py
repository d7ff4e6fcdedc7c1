"""Twilio's webhooks, voice (`/voice/...`) and SMS (`/sms/...`): check the signature, hand the
form to the engine (or to `sms`), answer TwiML."""

from __future__ import annotations

import base64
import hmac
import logging
from collections.abc import Iterator
from functools import lru_cache
from hashlib import sha1
from urllib.parse import unquote_to_bytes

from flask import Blueprint, Response, abort, g, request
from werkzeug.exceptions import HTTPException

from ivr import queue
from ivr.callers import voicemail
from ivr.core.logsafe import clean
from ivr.flows.apology import apology
from ivr.flows.engine import EMPTY, BadCall
from ivr.flows.token import Tampered
from ivr.services.hotline import Hotline, hotline
from sms import inbound, notify, outbox

log = logging.getLogger(__name__)
bp = Blueprint("voice", __name__, url_prefix="/voice")
sms_bp = Blueprint("sms", __name__, url_prefix="/sms")


def twiml(body: str) -> Response:
    return Response(body, mimetype="text/xml")


def public_url(service: Hotline) -> str:
    """The URL Twilio signed: IVR_PUBLIC_URL + path when set, else the (proxy-fixed) URL."""
    base = service.settings.public_url
    if base:
        query = request.query_string.decode()
        return f"{base}{request.path}" + (f"?{query}" if query else "")
    return request.url


class _FormParams:
    """The form as RequestValidator reads it (`getall`): only for its slower checks."""

    __slots__ = ("pairs",)

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        self.pairs = pairs

    def __iter__(self) -> Iterator[str]:
        return iter(dict(self.pairs))

    def __len__(self) -> int:
        return len(dict(self.pairs))

    def getall(self, name: str) -> list[str]:
        return [value for key, value in self.pairs if key == name]


def parse_form(body: bytes) -> list[tuple[str, str]]:
    """An urlencoded body as `parse_qsl(..., keep_blank_values=True)` reads it, in less time:
    most of Twilio's names and values have nothing to decode."""
    pairs = []
    for part in body.split(b"&"):
        if not part:
            continue
        name, _, value = part.partition(b"=")
        pairs.append((_unquote(name), _unquote(value)))
    return pairs


@lru_cache(maxsize=2048)  # most of Twilio's values repeat from call to call
def _unquote(raw: bytes) -> str:
    if b"%" in raw or b"+" in raw:
        return unquote_to_bytes(raw.replace(b"+", b" ")).decode("utf-8", "replace")
    return raw.decode("utf-8", "replace")


def _pairs() -> list[tuple[str, str]]:
    """The urlencoded body, parsed once (Twilio's bodies are a few hundred bytes)."""
    pairs = g.get("pairs")
    if pairs is None:
        g.pairs = pairs = parse_form(request.get_data(cache=True))
    return pairs


def form() -> dict[str, str]:
    """Twilio's parameters (the first value of each), parsed once per request."""
    params = g.get("params")
    if params is None:
        params = {}
        for key, value in _pairs():
            params.setdefault(key, value)
        g.params = params
    return params


def signature_of(token: bytes, url: str, pairs: list[tuple[str, str]]) -> str:
    """Twilio's X-Twilio-Signature of a form POST, as RequestValidator.compute_signature
    makes it (each name, then each distinct value, sorted), over the parsed body: one HMAC."""
    # the distinct (name, value) pairs sorted: by name, then each name's values
    text = url + "".join([key + value for key, value in sorted(set(pairs))])
    return base64.b64encode(hmac.new(token, text.encode(), sha1).digest()).decode()


@bp.before_request
@sms_bp.before_request
def check_signature() -> None:
    """A body bigger than Twilio's few hundred bytes gets 413 before it is read; then the
    signature (403 when it is not Twilio's)."""
    service = hotline()
    request.max_content_length = service.settings.max_body
    if not service.settings.validate_signatures:
        return
    signature = request.headers.get("X-Twilio-Signature", "")
    url, pairs = public_url(service), _pairs()
    # the URL as Twilio requested it signs almost every request: one HMAC; `validate` then
    # tries the URL with and without its port, as Twilio's own signing varies
    if not signature or not (
        hmac.compare_digest(signature_of(service.validator.token, url, pairs), signature)
        or service.validator.validate(url, _FormParams(pairs), signature)
    ):
        log.warning("refused %s: bad or missing X-Twilio-Signature", clean(request.path))
        abort(403)


@bp.errorhandler(Exception)
def answer_anyway(error: Exception) -> Response | HTTPException:
    """Twilio always gets TwiML: an apology, then the fallback number or goodbye."""
    if isinstance(error, HTTPException) and error.code and error.code < 500:
        return error
    if isinstance(error, Tampered):
        log.warning("refused %s: %s", clean(request.path), clean(error))
        return Response("Forbidden: the call state in this URL is not ours\n", 403,
                        mimetype="text/plain")
    if isinstance(error, BadCall):
        log.warning("%s: %s", clean(request.path), clean(error))
    else:
        log.exception("internal error on %s", clean(request.path))
    return twiml(apology(hotline().settings.fallback_number))


@bp.post("/incoming")
def incoming() -> Response:
    return twiml(hotline().engine.incoming(form()))


@bp.post("/step")
def step() -> Response:
    return twiml(hotline().engine.step(request.args, form()))


@bp.post("/wait")
def wait() -> Response:
    return twiml(hotline().queues.wait(request.args, form()))


@bp.post("/connect")
def connect() -> Response:
    return twiml(hotline().queues.connect(request.args, form()))


@bp.post("/whisper")
def whisper() -> Response:
    return twiml(hotline().queues.whisper(request.args, form()))


@bp.post("/dialed")
def dialed() -> Response:
    return twiml(hotline().queues.dialed(request.args, form()))


@bp.post("/callback")
def callback_request() -> Response:
    return twiml(hotline().callbacks.request(request.args, form()))


@bp.post("/callback/answer")
def callback_answer() -> Response:
    return twiml(hotline().callbacks.answer(request.args, form()))


@bp.post("/callback/key")
def callback_key() -> Response:
    return twiml(hotline().callbacks.key(request.args, form()))


@bp.post("/callback/status")
def callback_status() -> Response:
    hotline().callbacks.status(request.args, form())
    return twiml(EMPTY)


@bp.post("/sms")
def sms_request() -> Response:
    return twiml(notify.send_link(hotline(), request.args, form()))


@bp.post("/status")
def status() -> Response:
    hotline().engine.status(form())
    return twiml(EMPTY)


@bp.post("/recording")
def recording() -> Response:
    service = hotline()
    sid = form().get("CallSid", "")
    state = service.engine.call_state(sid)
    waited = queue.entry(service.redis, sid) if sid else None  # left a queue for voicemail
    voicemail.save(service.redis, form(), state.__dict__ if state else None,
                   service.clock.now(), request.args.get("l", "fr"),
                   waited.get("queue") if waited else None)
    return twiml(EMPTY)


@bp.post("/fallback")
def fallback() -> Response:
    """Twilio's fallback URL, asked when the voice URL failed: no Redis, no flow."""
    log.error("Twilio used the fallback URL for call %s (error %s)",
              clean(form().get("CallSid")), clean(form().get("ErrorCode")))
    return twiml(apology(hotline().settings.fallback_number))


# -- SMS -------------------------------------------------------------------------------------


@sms_bp.errorhandler(Exception)
def answer_sms_anyway(error: Exception) -> Response | HTTPException:
    """An SMS webhook that fails gets an empty answer (no reply sent), never a 500."""
    if isinstance(error, HTTPException) and error.code and error.code < 500:
        return error
    log.exception("internal error on %s", clean(request.path))
    return twiml(EMPTY)


@sms_bp.post("/incoming")
def sms_incoming() -> Response:
    """An SMS to one of our numbers (its messaging webhook): the reply, if any."""
    return twiml(inbound.handle(hotline(), form()))


@sms_bp.post("/status")
def sms_status() -> Response:
    """Twilio's status callback of an SMS we sent."""
    params = form()
    outbox.status(hotline().redis, request.args.get("o", ""), params.get("MessageSid", ""),
                  params.get("MessageStatus", ""), params.get("ErrorCode", ""))
    return twiml(EMPTY)
