"""<Enqueue> with its wait loop, and the waiting side of a <Dial><Queue> bridge."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from ivr.local.twilio.model import Bridge, Bridging, Call, HungUp, Queue, Redirected
from ivr.local.twilio.runner import Runner
from ivr.local.twilio.twiml import (
    PLAY_SECONDS,
    QUEUE_URL_VERBS,
    WAIT_VERBS,
    Doc,
    End,
    LeaveQueue,
    Next,
    Outcome,
    TwimlError,
    method_of,
    text_of,
)
from ivr.local.twilio.webhooks import path_of

MAX_NAME = 64
DEFAULT_MUSIC = "http://com.twilio.music.classical.s3.amazonaws.com/"


class WaitFailed(Exception):
    """The wait URL answered something Twilio could not run (QueueResult=error)."""


def enqueue(run: Runner, verb: ET.Element, doc: Doc) -> Outcome:
    """Wait in the named queue until something takes the call out; then the action URL."""
    name = text_of(verb)
    if not name or len(name) > MAX_NAME:
        raise TwimlError(f"<Enqueue> needs a queue name of 1 to {MAX_NAME} characters")
    call, world = run.call, run.world
    action, method = doc.resolve(verb.get("action")), method_of(verb)
    queue = world.queue_named(name)
    assert queue is not None
    position = world.join(queue, call)
    if position is None:
        run.emit("queue_full", queue=name, queue_sid=queue.sid)
        return _after(action, method, {"QueueResult": "queue-full"})
    run.emit("enqueued", queue=name, queue_sid=queue.sid, position=position)
    saved = call.hangup_at, call.hangup_by
    if call.hold is not None and (call.hangup_at is None
                                  or run.now() + call.hold < call.hangup_at):
        call.hangup_at, call.hangup_by = run.now() + call.hold, "hold"
    wait_url = verb.get("waitUrl")
    try:
        try:
            _wait_loop(run, queue, doc.resolve(wait_url) if wait_url else wait_url,
                       method_of(verb, "waitUrlMethod"))
        except LeaveQueue:
            result = "leave"
        except WaitFailed:
            result = "error"
        except Bridging as exc:
            return _bridged(run, exc.bridge, queue, action, method)
        except (Redirected, HungUp) as exc:
            world.leave(call)
            result = "hangup" if isinstance(exc, HungUp) else "redirected"
            run.emit("left_queue", queue=name, result=result, queue_time=call.queue_time)
            run.notify(action, method, _queue_params(result, queue, call), "action")
            raise
    finally:
        if call.hangup_by == "hold" and call.pending is None:
            call.hangup_at, call.hangup_by = saved
    world.leave(call)
    run.emit("left_queue", queue=name, result=result, queue_time=call.queue_time)
    return _after(action, method, _queue_params(result, queue, call))


def _after(action: str | None, method: str, params: dict[str, str]) -> Outcome:
    """Twilio requests the action URL, or goes on with the verb after <Enqueue>."""
    return Next(action, method, params, "action") if action else None


def _queue_params(result: str, queue: Queue, call: Call) -> dict[str, str]:
    return {"QueueResult": result, "QueueSid": queue.sid, "QueueTime": str(call.queue_time)}


def _wait_loop(run: Runner, queue: Queue, wait_url: str | None, method: str) -> None:
    """Request the wait URL and run its document, again and again (raises to leave)."""
    call, world = run.call, run.world
    while True:
        if wait_url is None:  # Twilio's default: classical hold music
            run.emit("play", url=DEFAULT_MUSIC, loop=1)
            run.wait(PLAY_SECONDS)
            continue
        if wait_url == "":
            run.wait(PLAY_SECONDS)  # waitUrl="": silence
            continue
        with world.lock:
            extra = {"QueueSid": queue.sid, "QueuePosition": str(world.position(call)),
                     "QueueTime": str(int(run.now() - call.sim_enqueued)),
                     "AvgQueueTime": str(world.average_wait(queue)),
                     "CurrentQueueSize": str(len(queue.members)),
                     "MaxQueueSize": str(queue.max_size)}
        target: Next | None = Next(wait_url, method, extra, "wait")
        started = run.now()
        while target is not None:
            reply = run.request(target.url, target.method, target.params, target.kind)
            run.check()
            if reply.root is None:
                raise WaitFailed(reply.reason)
            try:
                outcome = run.run_document(Doc(reply.root, target.url, target.method),
                                       WAIT_VERBS)
            except TwimlError as exc:
                raise WaitFailed(str(exc)) from None
            if isinstance(outcome, End):
                raise HungUp("twiml")
            target = outcome
        if run.now() - started < 0.5:
            run.wait(1.0)  # an empty wait document: Twilio does not spin on it


def _bridged(run: Runner, bridge: Bridge, queue: Queue, action: str | None,
             method: str) -> Outcome:
    """Taken out by <Dial><Queue>: the queue's `url` for this caller, then the bridge."""
    call, world = run.call, run.world
    world.leave(call)
    run.emit("left_queue", queue=queue.name, result="bridging", queue_time=call.queue_time)
    params = _queue_params("bridged", queue, call)
    try:
        if bridge.url:
            reply = run.request(bridge.url, bridge.method, {
                "QueueSid": queue.sid, "QueueTime": str(call.queue_time),
                "DequeingCallSid": bridge.dialer.sid}, "queue_url")
            if reply.root is not None:
                run.run_document(Doc(reply.root, bridge.url, bridge.method), QUEUE_URL_VERBS)
        bridge.connected_at = run.now()
        bridge.connected.set()
        bridge.dialer.doorbell.set()
        run.emit("bridged", to=bridge.dialer.from_, call=bridge.dialer.sid, url=None,
                 queue=queue.name)
        run.wait(None, bridge.ended.is_set)
    except (HungUp, Redirected) as exc:
        bridge.end()
        run.emit("unbridged", call=bridge.dialer.sid)
        if isinstance(exc, Redirected):
            params["QueueResult"] = "redirected-from-bridged"
        run.notify(action, method, params, "action")
        raise
    run.emit("unbridged", call=bridge.dialer.sid)
    return _after(action, method, params)


def take_front(run: Runner, queue_name: str, timeout: float, url: str | None,
               method: str) -> tuple[Bridge | None, Queue | None]:
    """<Dial><Queue>: take the first waiting call (waiting up to `timeout` for one)."""
    world = run.world
    queue = world.queue_named(queue_name, create=False)
    if queue is None:
        return None, None
    deadline = run.now() + timeout
    member: Call | None = None

    def someone() -> bool:
        nonlocal member
        with world.lock:
            if queue.members:
                member = queue.members.pop(0)
                return True
        return False

    with world.lock:
        queue.waiters.add(run.call.doorbell)
    try:
        if not run.wait(max(0.0, deadline - run.now()), someone) or member is None:
            return None, queue
    finally:
        with world.lock:
            queue.waiters.discard(run.call.doorbell)
    bridge = Bridge(run.call, member, url, method)
    run.emit("dequeued", queue=queue_name, call=member.sid, url=path_of(url) if url else None)
    member.interrupt(Bridging(bridge))
    return bridge, queue


def dial_queue(run: Runner, noun: Any, action: str | None, method: str, timeout: int,
               limit: int) -> Outcome:
    """<Dial><Queue>: bridge this call to the first waiting caller of the queue."""
    bridge, queue = take_front(run, noun.target, timeout, noun.url, noun.method)
    if queue is None or bridge is None:
        status = "failed" if queue is None else "no-answer"  # no such queue / nobody came
        return _after(action, method, {"DialCallStatus": status, "DialBridged": "false"})
    member = bridge.member
    gone = lambda: (bridge.connected.is_set() or bridge.ended.is_set()  # noqa: E731
                    or isinstance(member.pending, HungUp) or member.sim_ended is not None)
    try:
        run.wait(None, gone)  # the waiting caller's side hears the queue's url, then joins
        if bridge.connected.is_set() and not bridge.ended.is_set():
            run.emit("bridged", to=member.from_, call=member.sid, queue=queue.name, url=None)
            run.wait(limit, bridge.ended.is_set)
    except (HungUp, Redirected) as exc:
        bridge.end()
        if isinstance(exc, HungUp):
            run.notify(action, method, _dial_queue_params(run, bridge, queue), "action")
        raise
    bridge.end()
    if bridge.connected_at is None:
        return _after(action, method, {"DialCallStatus": "no-answer", "DialBridged": "false"})
    run.emit("unbridged", call=member.sid)
    return _after(action, method, _dial_queue_params(run, bridge, queue))


def _dial_queue_params(run: Runner, bridge: Bridge, queue: Queue) -> dict[str, str]:
    duration = int(run.now() - bridge.connected_at) if bridge.connected_at else 0
    return {"DialCallStatus": "completed" if bridge.connected_at else "no-answer",
            "DialCallSid": bridge.member.sid, "DialCallDuration": str(duration),
            "DialBridged": "true" if bridge.connected_at else "false",
            "QueueSid": queue.sid, "QueueTime": str(bridge.member.queue_time)}
