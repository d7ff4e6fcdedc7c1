"""Replies to the hotline's SMS: ANNULER / CANCEL cancels the number's pending callback, STOP
stops every SMS to it (START undoes), anything else gets one short help message a day.
Answered with TwiML (`<Message>`, or nothing), in the language of the number's callback or
client."""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Mapping

from callbacks import store
from callbacks.scheduling import cancel
from ivr.callers import directory
from ivr.core.phones import mask, parse_phone
from ivr.flows import twiml_text
from ivr.flows.flow import Flow
from ivr.services.hotline import Hotline
from sms import optout
from sms.texts import render

log = logging.getLogger(__name__)
HELP_KEY = "ivr:sms:help:{}:{}"  # help messages sent to a number on a day (the one owner)
CONFIRMED_KEY = "ivr:sms:confirmed:{}"  # the last callback confirmed to a number by SMS
CONFIRMED_TTL = 14 * 86400
CANCEL = frozenset({"ANNULER", "ANNULE", "ANNULATION", "CANCEL"})
STOP = frozenset({"STOP", "ARRET", "STOPALL", "UNSUBSCRIBE", "END", "QUIT"})
START = frozenset({"START", "UNSTOP"})
CANCELLED = frozenset({"cancelled"})  # a callback in this state is gone (two ANNULER at once)


def keyword(body: str) -> str:
    """The reply's first word, upper case, without accents or punctuation ('Arrêt.' -> 'ARRET')."""
    plain = unicodedata.normalize("NFKD", body).encode("ascii", "ignore").decode()
    words = plain.upper().split()
    return "".join(c for c in words[0] if c.isalnum()) if words else ""


def handle(service: Hotline, params: Mapping[str, str]) -> str:
    """An SMS received (Twilio's inbound webhook): the TwiML answer."""
    response = twiml_text.Response()
    number = parse_phone(params.get("From", ""))
    flow = service.flows.current()
    sms = flow.config.sms
    if number is None or sms is None:
        return response.to_xml()
    r, now = service.redis, service.clock.now()
    word = keyword(params.get("Body", ""))
    pending = store.of_number(r, number)
    lang = _language(service, number, pending)
    if word in STOP:
        if optout.stop(r, number, now, "sms"):
            log.info("SMS: %s texted STOP; no more SMS to it", mask(number))
            response.message(render(flow, sms.stopped, lang))
        return response.to_xml()
    if word in START:
        optout.start(r, number, now, "sms")
        response.message(render(flow, sms.started, lang))
        return response.to_xml()
    if optout.is_stopped(r, number):
        return response.to_xml()
    if word in CANCEL:
        response.message(render(flow, _cancel(service, number, pending, sms_of(flow)), lang))
    elif _may_help(service, number, sms.help_per_day):
        response.message(render(flow, sms.help, lang))
    return response.to_xml()


def sms_of(flow: Flow) -> dict[str, str]:
    sms = flow.config.sms
    assert sms is not None
    return {"cancelled": sms.cancelled, "nothing": sms.nothing_to_cancel,
            "busy": sms.cannot_cancel}


def _cancel(service: Hotline, number: str, pending: store.Callback | None,
            prompts: Mapping[str, str]) -> str:
    """Cancel the number's pending callback through the callbacks' own cancel (audited, its
    agent freed): the prompt that says what became of it."""
    if pending is None:  # none now; the one we confirmed may have just been cancelled
        last = service.redis.get(CONFIRMED_KEY.format(number))
        found = store.get(service.redis, str(last)) if last else None
        return prompts["cancelled"] if found and found.state in CANCELLED else prompts["nothing"]
    done, state = cancel(service, pending.id, "sms")
    log.info("SMS: %s cancels callback %s: %s", mask(number), pending.id, state)
    if done or state in CANCELLED:
        return prompts["cancelled"]
    if state in ("dialling", "connected"):
        return prompts["busy"]
    return prompts["nothing"]


def remember_confirmed(service: Hotline, number: str, cb_id: str) -> None:
    """Note the callback an SMS confirmed to `number` (a late ANNULER then says it is gone)."""
    service.redis.set(CONFIRMED_KEY.format(number), cb_id, ex=CONFIRMED_TTL)


def _may_help(service: Hotline, number: str, per_day: int) -> bool:
    """True for the first `per_day` unknown replies of a number on a day (Paris days)."""
    day = service.clock.now().astimezone(service.settings.tz).date().isoformat()
    key = HELP_KEY.format(number, day)
    pipe = service.redis.pipeline(transaction=True)
    pipe.incr(key)
    pipe.expire(key, 2 * 86400)
    count, _ = pipe.execute()
    return int(count) <= per_day


def _language(service: Hotline, number: str, pending: store.Callback | None) -> str | None:
    """The language of the number's pending callback, else of its one client."""
    if pending is not None and pending.get("lang"):
        return pending.get("lang")
    found = directory.clients_by_phone(service.redis, number)
    return found[0].language if len(found) == 1 else None
