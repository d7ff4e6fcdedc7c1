"""The caller's and the agents' devices (`/_local/`): start calls, press keys, hang up, set
how simulated phones answer, follow a call's events, inject REST faults. JSON, loopback only."""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from flask import Blueprint, abort, jsonify, request
from flask.typing import ResponseReturnValue
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ivr.local import utterance
from ivr.local.twilio.dialling import hang_up_far_end
from ivr.local.twilio.messages import message_json, receive
from ivr.local.twilio.model import Call, HungUp, Phone
from ivr.local.twilio.program import start_inbound
from ivr.local.twilio.rest import hooks, world

bp = Blueprint("twilio_device", __name__, url_prefix="/_local")
KEYS = re.compile(r"^[0-9*#w]{1,64}$")
MAX_WAIT = 30.0  # seconds a long-poll may hold


class NewCall(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    from_: str = Field(alias="from", min_length=1, max_length=64)
    to: str = Field(default="+33825000463", min_length=1, max_length=64)
    presses: list[str] = Field(default_factory=list, max_length=200)
    interactive: bool = False
    hold: float | None = Field(default=None, ge=0, le=14400)
    record_seconds: float = Field(default=5.0, ge=0, le=3600)


class NewText(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    from_: str = Field(alias="from", min_length=1, max_length=64)
    to: str = Field(default="+33825000463", min_length=1, max_length=64)
    body: str = Field(min_length=1, max_length=1600)


class Fault(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: int | None = Field(default=None, ge=400, le=599)
    count: int = Field(default=1, ge=1, le=1000)
    delay: float = Field(default=0.0, ge=0, le=30)
    match: str = ""


@bp.before_request
def loopback_only() -> None:
    try:
        if not ipaddress.ip_address(request.remote_addr or "").is_loopback:
            abort(403)
    except ValueError:
        abort(403)


def _json(model: type[BaseModel]) -> Any:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        abort(_bad("a JSON object is expected"))
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "body"
        abort(_bad(f"{where}: {first['msg']}"))


def _bad(reason: str) -> Any:
    response = jsonify(error=reason)
    response.status_code = 400
    return response


def _call(sid: str) -> Call:
    call = world().call(sid)
    if call is None:
        abort(404)
    return call


def summary(call: Call) -> dict[str, Any]:
    return {"sid": call.sid, "from": call.from_, "to": call.to, "direction": call.direction,
            "status": call.status, "parent_call_sid": call.parent.sid if call.parent else None,
            "queue": call.queue.name if call.queue else None, "duration": call.duration,
            "events": len(call.events), "waiting_for_keys": call.gather_open}


@bp.post("/calls")
def new_call() -> ResponseReturnValue:
    """A caller dials a number (the hotline by default); the app's voice URL answers."""
    spec: NewCall = _json(NewCall)
    for index, press in enumerate(spec.presses):
        if utterance.is_utterance(press):
            problem = utterance.problem(press)
            if problem:
                return _bad(f"presses.{index}: {problem}")
        elif press != "-" and not KEYS.match(press):
            return _bad(f"presses.{index}: '-', keys among 0-9 * #, or 'say:words[@0.0-1.0]'")
    call = start_inbound(world(), hooks(), spec.from_, spec.to, presses=spec.presses,
                         interactive=spec.interactive, hold=spec.hold)
    call.record_seconds = spec.record_seconds
    return jsonify(sid=call.sid), 201


@bp.get("/calls")
def calls() -> ResponseReturnValue:
    """Calls (newest first), and how many times each number was dialled."""
    local, to = world(), request.args.get("to")
    with local.lock:
        found = sorted(local.calls.values(), key=lambda c: c.created, reverse=True)
        dialled = dict(local.dialled)
    if to:
        found = [c for c in found if c.to == to]
        dialled = {to: dialled.get(to, 0)}
    return jsonify(calls=[summary(c) for c in found[:500]], dialled=dialled,
                   active=sum(1 for c in found if not c.is_final))


@bp.get("/calls/<sid>")
def one_call(sid: str) -> ResponseReturnValue:
    return jsonify(summary(_call(sid)))


@bp.get("/calls/<sid>/events")
def events(sid: str) -> ResponseReturnValue:
    """Events after the n-th; waits up to `wait` seconds for a new one (long-poll)."""
    call = _call(sid)
    try:
        after = max(0, int(request.args.get("after", "0")))
        wait = min(MAX_WAIT, max(0.0, float(request.args.get("wait", "0"))))
    except ValueError:
        return _bad("after is an integer, wait a number of seconds")
    found = call.events_after(after, wait)
    return jsonify(events=found, next=after + len(found), ended=call.sim_ended is not None,
                   status=call.status)


@bp.post("/calls/<sid>/digits")
def digits(sid: str) -> ResponseReturnValue:
    """Keys typed now, for the <Gather> that waits ({"digits": null}: let it time out)."""
    call = _call(sid)
    data = request.get_json(silent=True)
    if not isinstance(data, dict) or "digits" not in data:
        return _bad('{"digits": "123#"} or {"digits": null} is expected')
    keys = data["digits"]
    if keys is not None and (not isinstance(keys, str) or not KEYS.match(keys)):
        return _bad("digits: keys among 0-9 * #")
    if not call.gather_open or call.is_final:
        return jsonify(error="no <Gather> is waiting for keys"), 409
    call.digits.append(keys)
    call.doorbell.set()
    return "", 204


@bp.post("/calls/<sid>/hangup")
def hangup(sid: str) -> ResponseReturnValue:
    """The caller hangs up."""
    call = _call(sid)
    if call.is_final:
        return jsonify(error="the call has ended"), 409
    call.interrupt(HungUp("caller"))
    return "", 204


@bp.post("/legs/<sid>/hangup")
def hangup_leg(sid: str) -> ResponseReturnValue:
    """The far end hangs up: a dialled agent's leg, or the leg a call is bridged to."""
    if not hang_up_far_end(_call(sid)):
        return jsonify(error="the call has ended"), 409
    return "", 204


@bp.post("/messages")
def new_text() -> ResponseReturnValue:
    """A person texts `to` (the hotline by default): the app's messaging URL answers, and
    its <Message>s are sent back (`replies`)."""
    spec: NewText = _json(NewText)
    return jsonify(receive(world(), hooks(), spec.from_, spec.to, spec.body)), 201


@bp.get("/messages")
def texts() -> ResponseReturnValue:
    """SMS sent and received (oldest first), those to or from one number with `number`."""
    local, number = world(), request.args.get("number")
    with local.lock:
        found = list(local.messages.values())
    if number:
        found = [m for m in found if number in (m.to, m.from_)]
    return jsonify(messages=[{**message_json(m), "statuses": list(m.statuses)}
                             for m in found[-500:]])


@bp.get("/phones")
def phones() -> ResponseReturnValue:
    local = world()
    with local.lock:
        return jsonify(default=local.default_phone.model_dump(),
                       phones={k: v.model_dump() for k, v in local.phones.items()})


@bp.put("/phones/<path:target>")
def set_phone(target: str) -> ResponseReturnValue:
    """How the person at `target` (E.164, sip:..., client:..., or `default`) answers."""
    phone: Phone = _json(Phone)
    world().set_phone(target, phone)
    return jsonify(phone.model_dump())


@bp.delete("/phones/<path:target>")
def reset_phone(target: str) -> ResponseReturnValue:
    world().set_phone(target, None)
    return "", 204


@bp.post("/faults")
def add_fault() -> ResponseReturnValue:
    """Test only: the next `count` REST requests (whose path has `match`) wait `delay`
    seconds and/or fail with `status`."""
    fault: Fault = _json(Fault)
    local = world()
    with local.lock:
        local.faults.append(fault.model_dump())
    return jsonify(fault.model_dump()), 201


@bp.get("/faults")
def faults() -> ResponseReturnValue:
    """Faults not used yet."""
    local = world()
    with local.lock:
        return jsonify(faults=list(local.faults))


@bp.delete("/faults")
def clear_faults() -> ResponseReturnValue:
    local = world()
    with local.lock:
        local.faults.clear()
    return "", 204


@bp.get("/health")
def health() -> ResponseReturnValue:
    local = world()
    return jsonify(status="ok", app_url=local.app_url, account_sid=local.account_sid,
                   time_scale=local.clock.scale, active_calls=local.active())
