"""What the hotline texts on its own: a booked callback's confirmation, and the support site's
registration link a caller asks for in the flow (node send_sms). Only to mobile numbers the
callback policy allows (never a landline, premium-rate or foreign number); never raises."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from functools import partial
from urllib.parse import urlencode

from callbacks import store
from callbacks.scheduling import policy_of, schedule_of
from ivr.core.phones import mask
from ivr.flows import twiml_text
from ivr.flows.call import STEP_PATH
from ivr.flows.flow import Flow
from ivr.flows.nodes.sms import SEND_STAGE, SendSms
from ivr.flows.speech import speak_window
from ivr.flows.store import UnknownVersion
from ivr.services.hotline import Hotline
from sms import optout
from sms.inbound import remember_confirmed
from sms.outbox import queue_sms
from sms.texts import render

log = logging.getLogger(__name__)


def confirm_bookings(service: Hotline) -> None:
    """Confirm by SMS every callback `service` books from now on, whoever books it (the flow,
    an agent, the API, `ivr callbacks request`): the one place it is decided."""
    service.on_booked = partial(confirm_callback, service)


def confirm_callback(service: Hotline, cb_id: str) -> str | None:
    """Text the client of a callback just booked when and how it will come (the slot in its
    schedule's time zone, in their language) and that ANNULER cancels it: the SMS's id, None
    when none is sent (no sms: section, not a mobile, STOP)."""
    flow = service.flows.current()
    sms = flow.config.sms
    found = store.get(service.redis, cb_id)
    if sms is None or found is None or not found.pending:
        return None
    policy = policy_of(flow)
    number = policy.check_mobile(found.number).number
    if number is None or optout.is_stopped(service.redis, number):
        log.info("callback %s: no SMS to %s (not a mobile we may text, or STOP)", cb_id,
                 mask(found.number))
        return None
    lang = found.get("lang")
    due = found.moment("due")
    values = {"company": found.get("company"), "client_id": found.get("client_id")}
    if found.state == "scheduled" and due is not None:
        local = due.astimezone(schedule_of(flow, found.get("schedule")).tz)
        values["callback_when"] = speak_window(local, policy.window_minutes, lang or "fr")
        body = render(flow, sms.confirm_scheduled, lang, values)
    else:
        body = render(flow, sms.confirm_queued, lang, values)
    out_id = queue_sms(service, number, body, "callback", cb_id)
    if out_id is not None:
        remember_confirmed(service, number, cb_id)
    return out_id


def send_link(service: Hotline, args: Mapping[str, str], params: Mapping[str, str]) -> str:
    """SEND_PATH: queue the SMS a send_sms node prepared, then back to that node (TwiML)."""
    sid = params.get("CallSid", "")
    node_name, seq = args.get("n", ""), args.get("s", "")
    query = {"v": args.get("v", ""), "n": node_name, "s": seq}
    back = twiml_text.Response()
    back.redirect(f"{STEP_PATH}?{urlencode(query)}", method="POST")
    state = service.engine.call_state(sid)
    flow = _flow(service, state.version if state else None)
    node = flow.nodes.get(node_name) if flow else None
    if (state is None or flow is None or not isinstance(node, SendSms)
            or state.node != node_name or state.stage != SEND_STAGE or str(state.seq) != seq):
        log.info("call %s: SMS request out of turn; the flow goes on", sid)
        return back.to_xml()
    number = policy_of(flow).check_mobile(state.caller, also_own=[state.called]).number
    if number is not None and not service.trial:
        client = state.client or {}
        values = {"client_id": client.get("id") or "", "company": client.get("company") or ""}
        queue_sms(service, number, render(flow, node.message, state.lang, values), "link",
                  sid)
    return back.to_xml()


def _flow(service: Hotline, version: str | None) -> Flow | None:
    if not version:
        return None
    try:
        return service.flows.cached(version) or service.flows.get(version)
    except UnknownVersion:
        return None
