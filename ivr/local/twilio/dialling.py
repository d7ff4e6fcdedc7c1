"""<Dial> (Number, Client, Sip, Queue) and outbound calls: simulated people answer or not."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import NoReturn

from ivr.local.twilio.model import Call, HungUp, Phone, Redirected, new_sid, utcnow
from ivr.local.twilio.queueing import dial_queue
from ivr.local.twilio.runner import Aborted, Runner
from ivr.local.twilio.twiml import (
    WHISPER_VERBS,
    Doc,
    End,
    Next,
    Outcome,
    TwimlError,
    int_attr,
    method_of,
    text_of,
)
from ivr.local.twilio.webhooks import path_of

BUSY_SECONDS = 1.0  # a busy line answers with its tone after this long
FAILED_SECONDS = 0.5
NOUNS = {"Number": "", "Client": "client:", "Sip": ""}
CALLBACK_EVENTS = frozenset({"initiated", "ringing", "answered", "completed"})


@dataclass
class Target:
    """One noun of a <Dial>: who to ring, and the whisper URL to run when they answer."""

    kind: str
    target: str
    url: str | None
    method: str
    status_callback: str | None
    status_callback_method: str
    events: frozenset[str]


def targets(verb: ET.Element, doc: Doc) -> list[Target]:
    text = text_of(verb)
    if text and not len(verb):
        return [Target("Number", text, None, "POST", None, "POST", frozenset())]
    found = []
    for noun in verb:
        if noun.tag not in NOUNS and noun.tag != "Queue":
            raise TwimlError(f"<{noun.tag}> cannot be dialled")
        identity = noun.find("Identity")
        name = text_of(identity) if identity is not None else text_of(noun)
        if not name:
            raise TwimlError(f"<{noun.tag}> without a target")
        prefix = NOUNS.get(noun.tag, "")
        events = frozenset((noun.get("statusCallbackEvent") or "completed").split())
        found.append(Target(noun.tag, name if name.startswith(prefix) else prefix + name,
                            doc.resolve(noun.get("url")), method_of(noun),
                            doc.resolve(noun.get("statusCallback")),
                            method_of(noun, "statusCallbackMethod"), events & CALLBACK_EVENTS))
    return found


def verdict(phone: Phone, timeout: float) -> tuple[str, float]:
    """How a call to this phone ends its ringing, and after how long."""
    if phone.answer == "failed":
        return "failed", FAILED_SECONDS
    if phone.answer == "busy":
        return "busy", BUSY_SECONDS
    if phone.answer == "answer" and phone.ring < timeout:
        return "answer", phone.ring
    return "no-answer", timeout


def ring_outbound(run: Runner) -> bool:
    """An outbound-api call rings its person; True when they answer (the TwiML then runs)."""
    call, world = run.call, run.world
    phone = call.phone or world.phone(call.to)
    with world.lock:
        world.dialled[call.to] += 1
    call.presses.extend(phone.keys)
    run.status_event("initiated")
    call.status = "ringing"
    run.status_event("ringing")
    run.emit("ringing", to=call.to)
    outcome, after = verdict(phone, call.timeout)
    try:
        run.wait(after)
    except HungUp:
        run.finish("canceled")
        return False
    if outcome != "answer":
        run.finish(outcome)
        return False
    run.answer()
    talk = world.talk_time(call)
    if talk is not None and call.hangup_at is not None:
        call.hangup_at, call.hangup_by = min(call.hangup_at, run.now() + talk), "talk"
    run.status_event("answered")
    run.emit("answered", to=call.to)
    return True


def dial(run: Runner, verb: ET.Element, doc: Doc) -> Outcome:
    """Ring the nouns at once; the first to answer hears its whisper, then is bridged."""
    call, world = run.call, run.world
    action, method = doc.resolve(verb.get("action")), method_of(verb)
    timeout = int_attr(verb, "timeout", 30, 1, 600)
    limit = int_attr(verb, "timeLimit", 14400, 1, 14400)
    nouns = targets(verb, doc)
    if not nouns:
        raise TwimlError("<Dial> with nothing to dial")
    if nouns[0].kind == "Queue":
        return dial_queue(run, nouns[0], action, method, timeout, limit)
    caller_id = verb.get("callerId") or call.from_
    legs: list[tuple[Call, Target, Runner]] = []
    for noun in nouns:
        leg = Call(new_sid("CA"), call.account_sid, caller_id, noun.target, "outbound-dial",
                   parent=call, phone=world.phone(noun.target),
                   status_callback=noun.status_callback,
                   status_callback_method=noun.status_callback_method,
                   status_callback_events=noun.events)
        leg.doorbell = call.doorbell
        assert leg.phone is not None
        leg.presses.extend(leg.phone.keys)
        world.add_call(leg)
        with world.lock:
            world.dialled[noun.target] += 1
        legs.append((leg, noun, Runner(world, run.hooks, leg, run.program, partner=call)))
    run.emit("dial", targets=[{"kind": n.kind, "target": n.target,
                               "url": path_of(n.url) if n.url else None} for n in nouns],
             timeout=timeout)
    for leg, _noun, legrun in legs:
        legrun.status_event("initiated")
        leg.status = "ringing"
        legrun.status_event("ringing")
        legrun.emit("ringing", to=leg.to)
    try:
        winner, status = _ring(run, legs, timeout)
    except (HungUp, Redirected) as exc:
        _caller_left(run, exc, legs, action, method, {"DialCallStatus": "canceled"})
    if winner is None:
        return _dialled(action, method, status, None, 0, False)
    return _connect(run, winner, legs, action, method, limit)


def _caller_left(run: Runner, exc: HungUp | Redirected, legs: list[tuple[Call, Target, Runner]],
                 action: str | None, method: str, params: dict[str, str]) -> NoReturn:
    """The caller hung up or was redirected: the legs end; a hang-up still tells the action
    URL (its TwiML is not run); a redirect goes on with the new URL."""
    for leg, _noun, legrun in legs:
        if not leg.is_final:
            legrun.finish("completed" if leg.sim_answered is not None else "canceled")
    if isinstance(exc, HungUp) and action:
        run.notify(action, method, {"DialBridged": "false", **params}, "action")
    raise exc


def _ring(run: Runner, legs: list[tuple[Call, Target, Runner]],
          timeout: int) -> tuple[tuple[Call, Target, Runner] | None, str]:
    """Let the phones ring; the leg that answers first, or the Dial's status."""
    started = run.now()
    plan = sorted(((verdict(entry[0].phone or Phone(), timeout), entry) for entry in legs),
                  key=lambda item: item[0][1])
    cancelled = lambda: any(leg.pending is not None and not leg.is_final  # noqa: E731
                            for leg, _n, _r in legs)
    statuses = []
    while plan:
        (outcome, after), entry = plan[0]
        leg, _noun, legrun = entry
        if leg.is_final:
            plan.pop(0)
            continue
        if run.wait(max(0.0, started + after - run.now()), cancelled):
            for other, _n, other_run in legs:  # cancelled through the REST API
                if other.pending is not None and not other.is_final:
                    other_run.finish("canceled")
                    statuses.append("canceled")
            continue
        plan.pop(0)
        if outcome == "answer":
            return entry, "completed"
        legrun.finish(outcome)
        statuses.append(outcome)
    for status in ("no-answer", "busy", "canceled", "failed"):
        if status in statuses:
            return None, status
    return None, "failed"


def _connect(run: Runner, winner: tuple[Call, Target, Runner],
             legs: list[tuple[Call, Target, Runner]], action: str | None, method: str,
             limit: int) -> Outcome:
    """The answering leg: whisper on its side, then bridged until one side hangs up."""
    call = run.call
    leg, noun, legrun = winner
    for other, _n, other_run in legs:
        if other is not leg and not other.is_final:
            other_run.finish("canceled")
    legrun.answer()
    talk = run.world.talk_time(leg)
    if talk is not None:
        leg.hangup_at, leg.hangup_by = run.now() + talk, "talk"
    legrun.status_event("answered")
    legrun.emit("answered", to=leg.to)
    target: Next | None = Next(noun.url, noun.method, {}, "whisper") if noun.url else None
    try:
        while target is not None:
            doc = legrun.fetch(target)
            if doc is None:
                raise HungUp("whisper error")
            outcome = legrun.run_document(doc, WHISPER_VERBS)
            if isinstance(outcome, End):
                raise HungUp("whisper")
            target = outcome
    except Aborted:
        try:
            run.check()  # raises what happened to the caller
            raise HungUp("caller") from None
        except (HungUp, Redirected) as exc:
            _caller_left(run, exc, legs, action, method, {"DialCallStatus": "canceled"})
    except HungUp:  # the whisper hung up, or the person did: not connected
        legrun.finish("completed")
        return _dialled(action, method, "completed", leg.sid, 0, False)
    except TwimlError as exc:
        legrun.emit("application_error", url=noun.url or "", code=12100, reason=str(exc))
        legrun.finish("completed")
        return _dialled(action, method, "completed", leg.sid, 0, False)
    call.leg = leg
    run.emit("bridged", to=leg.to, kind=noun.kind, url=noun.url, path=path_of(noun.url or ""))
    left = None if leg.hangup_at is None else max(0.0, leg.hangup_at - run.now())
    interrupted: HungUp | Redirected | None = None
    try:
        run.wait(min(limit, left) if left is not None else limit,
                 lambda: leg.pending is not None)
    except (HungUp, Redirected) as exc:
        interrupted = exc
    call.leg = None
    duration = int(run.now() - (leg.sim_answered or run.now()))
    run.emit("unbridged", to=leg.to, duration=duration)
    if interrupted is not None:
        _caller_left(run, interrupted, legs, action, method, {
            "DialCallStatus": "completed", "DialCallSid": leg.sid,
            "DialCallDuration": str(duration), "DialBridged": "true"})
    legrun.finish("completed")
    return _dialled(action, method, "completed", leg.sid, duration, True)


def _dialled(action: str | None, method: str, status: str, sid: str | None, duration: int,
             bridged: bool) -> Outcome:
    """The Dial's action URL with its result, or the next verb when it has none."""
    if not action:
        return None
    params = {"DialCallStatus": status, "DialBridged": "true" if bridged else "false"}
    if sid:
        params["DialCallSid"] = sid
        params["DialCallDuration"] = str(duration)
    return Next(action, method, params, "action")


def hang_up_far_end(call: Call) -> bool:
    """The device API's "the other side hangs up": the bridged leg, or the call itself."""
    leg = call.leg
    target = leg if leg is not None and not leg.is_final else call
    if target.is_final:
        return False
    target.updated = utcnow()
    target.interrupt(HungUp("far end"))
    return True
