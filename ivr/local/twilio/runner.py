"""One call's thread: ring, fetch TwiML, run its verbs, send status callbacks, as Twilio does."""

from __future__ import annotations

import logging
import math
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from ivr.local.twilio.model import (
    Call,
    HungUp,
    Interrupt,
    Redirected,
    World,
    utcnow,
)
from ivr.local.twilio.twiml import Doc, End, Next, Outcome, TwimlError
from ivr.local.twilio.webhooks import Reply, Webhooks, parse, path_of

log = logging.getLogger(__name__)
TIME_LIMIT = 14400.0  # Twilio ends any call after 4 hours
POLL = 0.5  # real seconds between checks of the stop flag while nothing happens
EMPTY_WAIT = 1.0  # a document that did nothing still takes a simulated second
ERROR_MESSAGE = "An application error has occurred. Goodbye."


class Aborted(Interrupt):
    """The other side of a whisper or bridge changed course; its own runner says how."""


Verb = Callable[["Runner", ET.Element, Doc], Outcome]


@dataclass(frozen=True)
class Program:
    """What a runner plays: a handler for each TwiML verb it knows, and how an outbound call
    rings (False: nobody answered). Assembled above the verbs (`ivr.local.twilio.program`), so
    the runner knows no verb and the verbs run nested documents through their runner."""

    verbs: Mapping[str, Verb]
    ring_outbound: Callable[[Runner], bool]


class Runner:
    """Runs one call in its own thread; also runs a dialled leg's whisper for its parent."""

    def __init__(self, world: World, hooks: Webhooks, call: Call, program: Program,
                 partner: Call | None = None) -> None:
        self.world = world
        self.hooks = hooks
        self.call = call
        self.program = program
        self.partner = partner  # whose hang-up or redirect aborts what this runner does
        self.sequence = 0

    def start(self) -> threading.Thread:
        thread = threading.Thread(target=self._run_then_forget,
                                  name=f"call-{self.call.sid[:10]}", daemon=True)
        with self.world.lock:
            self.world.threads.add(thread)
        thread.start()
        return thread

    def _run_then_forget(self) -> None:
        try:
            self.run()
        finally:
            with self.world.lock:
                self.world.threads.discard(threading.current_thread())

    # -- time ---------------------------------------------------------------------------

    def now(self) -> float:
        return self.world.clock.now()

    def check(self) -> None:
        """Raise what happened to the call from outside (hang-up, redirect, time up)."""
        call = self.call
        pending = call.take_pending() if call.pending is not None else None
        if pending is not None:
            raise HungUp(pending.by) if isinstance(pending, HungUp) else pending
        if call.hangup_at is not None and self.now() >= call.hangup_at:
            call.interrupt(HungUp(call.hangup_by))
            raise HungUp(call.hangup_by)
        partner = self.partner
        if partner is not None and (partner.pending is not None or (
                partner.hangup_at is not None and self.now() >= partner.hangup_at)):
            raise Aborted("partner")
        if self.world.stopping.is_set():
            raise HungUp("shutdown")

    def wait(self, seconds: float | None, stop: Callable[[], bool] | None = None) -> bool:
        """Let simulated time pass; True as soon as `stop()` holds, False when the time is
        over. Whatever interrupts the call is raised at once."""
        call, clock = self.call, self.world.clock
        end = None if seconds is None else clock.now() + seconds
        while True:
            call.doorbell.clear()
            self.check()
            if stop is not None and stop():
                return True
            now = clock.now()
            if end is not None and now >= end:
                return False
            deadlines = [t for t in (end, call.hangup_at) if t is not None]
            timeout = POLL if not deadlines else min(POLL, clock.real(min(deadlines) - now))
            call.doorbell.wait(timeout)

    # -- requests to the app --------------------------------------------------------------

    def params(self, call: Call | None = None) -> dict[str, str]:
        """Twilio's standard voice request parameters for a call."""
        call = call or self.call
        params = {"CallSid": call.sid, "AccountSid": call.account_sid, "From": call.from_,
                  "To": call.to, "Caller": call.from_, "Called": call.to,
                  "CallStatus": call.status, "Direction": call.direction,
                  "ApiVersion": "2010-04-01"}
        if call.parent is not None:
            params["ParentCallSid"] = call.parent.sid
        return params

    def request(self, url: str, method: str, extra: dict[str, str], kind: str) -> Reply:
        """Send one webhook for this runner's call and record it in the call's events."""
        params = {**self.params(), **extra}
        started = time.perf_counter()
        reply = self.hooks.send(url, method, params)
        event = {"kind": kind, "method": method, "url": url, "path": path_of(url),
                 "params": params, "status": reply.status, "twiml": reply.body,
                 "ms": round((time.perf_counter() - started) * 1000, 1)}
        if reply.error:
            event["error"] = reply.error
            event["reason"] = reply.reason
        self.emit("webhook", **event)
        return reply

    def notify(self, url: str | None, method: str, extra: dict[str, str], kind: str) -> None:
        """A request whose answer is ignored (status callbacks, actions after a hang-up)."""
        if url:
            self.request(url, method, extra, kind)

    def fetch(self, target: Next) -> Doc | None:
        """The document to run next; on the app's failure, the fallback URL's, else None."""
        if target.twiml is not None:
            reply = parse(Reply(target.url, 200, target.twiml))
        else:
            reply = self.request(target.url, target.method, target.params, target.kind)
        if reply.root is not None:
            return Doc(reply.root, target.url, target.method)
        log.info("call %s: %s answered %s", self.call.sid, path_of(target.url), reply.reason)
        fallback, failed = self.call.fallback_url, {}
        if fallback and target.kind != "fallback":
            extra = {**target.params, "ErrorCode": str(reply.error), "ErrorUrl": target.url}
            second = self.request(fallback, self.call.fallback_method, extra, "fallback")
            if second.root is not None:
                return Doc(second.root, fallback, self.call.fallback_method)
            failed = {"fallback_code": second.error, "fallback_reason": second.reason}
        self.emit("application_error", url=target.url, code=reply.error, reason=reply.reason,
                  say=ERROR_MESSAGE, **failed)
        return None

    def emit(self, event: str, /, **data: object) -> None:
        """An event of this call; a dialled leg's events also show on its parent's."""
        now = self.now()
        self.call.emit(event, now, **data)
        if self.call.parent is not None:
            self.call.parent.emit(event, now, leg=self.call.sid, **data)

    # -- the call -------------------------------------------------------------------------

    def run(self) -> None:
        call = self.call
        try:
            if call.hangup_at is None:
                call.hangup_at, call.hangup_by = call.sim_created + TIME_LIMIT, "limit"
            if call.direction == "outbound-api" and not self.program.ring_outbound(self):
                return
            status = self.run_twiml(Next(call.url or "", call.method, {}, "voice", call.twiml))
        except HungUp as exc:
            status = "completed" if call.sim_answered is not None else "canceled"
            log.debug("call %s hung up (%s) before its TwiML ran", call.sid, exc.by)
        except Exception:  # a bug here must still end the call and say so
            log.exception("call %s: stand-in error", call.sid)
            self.emit("application_error", url="", code=0, reason="stand-in error",
                      say=ERROR_MESSAGE)
            status = "failed" if call.sim_answered is None else "completed"
        self.finish(status)

    def run_twiml(self, target: Next | None) -> str:
        """Follow documents until the call ends; its final status."""
        call = self.call
        while target is not None:
            try:
                doc = self.fetch(target)
                self.check()
                if doc is None:
                    self.answer()
                    return "completed"
                if call.sim_answered is None and not (len(doc.root) and doc.root[0].tag
                                                      == "Reject"):
                    self.answer()
                outcome: Outcome = self.run_document(doc)
            except Redirected as exc:
                self.emit("redirected", url=exc.url, member=exc.member)
                target = Next(exc.url, exc.method, {}, "redirect", exc.twiml)
                continue
            except TwimlError as exc:
                self.emit("application_error", url=target.url, code=12100, reason=str(exc),
                          say=ERROR_MESSAGE)
                return "completed"
            except HungUp as exc:
                self.emit("hangup", by=exc.by)
                return "completed" if call.sim_answered is not None else "canceled"
            if isinstance(outcome, End):
                self.emit("hangup", by="twiml")
                return outcome.status if call.sim_answered is None else "completed"
            target = outcome
        self.emit("hangup", by="twiml")  # no verb left: Twilio hangs up
        return "completed"

    def run_document(self, doc: Doc, allowed: frozenset[str] | None = None) -> Outcome:
        """Run a document's verbs in order; where to go next, or None when it ran out."""
        for verb in doc.root:
            if allowed is not None and verb.tag not in allowed:
                raise TwimlError(f"<{verb.tag}> is not allowed in this document")
            handler = self.program.verbs.get(verb.tag)
            if handler is None:
                raise TwimlError(f"unknown TwiML verb <{verb.tag}>")
            outcome = handler(self, verb, doc)
            if outcome is not None:
                return outcome
        return None

    def answer(self) -> None:
        call = self.call
        if call.sim_answered is None:
            call.sim_answered, call.started, call.status = self.now(), utcnow(), "in-progress"

    def finish(self, status: str) -> None:
        """End the call: leave any queue, final status, status callbacks, `ended` event."""
        call, now = self.call, self.now()
        self.world.leave(call)
        duration = int(now - call.sim_answered) if call.sim_answered is not None else 0
        call.status, call.ended, call.updated = status, utcnow(), utcnow()
        call.duration = duration
        extra = {"CallDuration": str(duration), "Duration": str(math.ceil(duration / 60))}
        if call.direction == "inbound":
            self.notify(self.world.app_url + "/voice/status", "POST",
                        self.callback_params(extra), "status")
        elif "completed" in call.status_callback_events:
            self.notify(call.status_callback, call.status_callback_method,
                        self.callback_params(extra), "status")
        self.emit("ended", status=status, duration=duration, to=call.to)
        call.mark_ended(now)
        self.world.forget_old(call)

    def status_event(self, event: str) -> None:
        """A call-progress callback (initiated, ringing, answered) when the call asked for it."""
        call = self.call
        if event in call.status_callback_events:
            self.notify(call.status_callback, call.status_callback_method,
                        self.callback_params({"CallStatus": event if event == "initiated"
                                              else call.status}), "status")

    def callback_params(self, extra: dict[str, str]) -> dict[str, str]:
        self.sequence += 1
        return {"Timestamp": utcnow().strftime("%a, %d %b %Y %H:%M:%S +0000"),
                "CallbackSource": "call-progress-events", "SequenceNumber": str(self.sequence),
                **extra}

