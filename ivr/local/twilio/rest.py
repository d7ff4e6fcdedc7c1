"""Twilio's REST API for Calls, Queues and their Members, in Twilio's JSON shapes."""

from __future__ import annotations

import io
import time
import wave
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request
from flask.typing import ResponseReturnValue

from ivr.local.twilio.model import Call, HungUp, Queue, Redirected, World, new_sid, utcnow
from ivr.local.twilio.program import start_outbound
from ivr.local.twilio.shapes import (
    API,
    call_json,
    events_of,
    int_of,
    is_url,
    member_json,
    newest_matching,
    page,
    queue_json,
)
from ivr.local.twilio.webhooks import Webhooks

bp = Blueprint("twilio_rest", __name__, url_prefix=API + "/Accounts/<account>")
FAULT_CODES = {429: 20429, 500: 20500, 502: 20500, 503: 20503, 504: 20504}
NOT_IN_PROGRESS = 21220


def world() -> World:
    found: World = current_app.extensions["twilio_local"]
    return found


def hooks() -> Webhooks:
    found: Webhooks = current_app.extensions["twilio_local_hooks"]
    return found


def error(status: int, code: int, message: str) -> ResponseReturnValue:
    """Twilio's error document."""
    body = {"code": code, "message": message, "status": status,
            "more_info": f"https://www.twilio.com/docs/errors/{code}"}
    return jsonify(body), status


def not_found() -> ResponseReturnValue:
    return error(404, 20404, f"The requested resource {request.path} was not found")


@bp.before_request
def authenticate() -> ResponseReturnValue | None:
    """Injected faults first (as a struggling Twilio would), then HTTP Basic auth."""
    fault = _next_fault(world(), request.path)
    if fault is not None:
        if fault.get("delay"):
            time.sleep(float(fault["delay"]))
        status = fault.get("status")
        if status:
            return error(int(status), FAULT_CODES.get(int(status), 20500), "injected fault")
    if request.endpoint == "twilio_rest.recording":
        return None  # media URLs are public by default
    auth, local = request.authorization, world()
    if auth is None or auth.username != local.account_sid or auth.password != local.auth_token:
        response = jsonify(code=20003, message="Authenticate", status=401,
                           more_info="https://www.twilio.com/docs/errors/20003")
        response.status_code = 401
        response.headers["WWW-Authenticate"] = 'Basic realm="Twilio API"'
        return response
    if (request.view_args or {}).get("account") != local.account_sid:
        return not_found()
    return None


def _next_fault(local: World, path: str) -> dict[str, Any] | None:
    with local.lock:
        if not local.faults or local.faults[0].get("match", "") not in path:
            return None
        fault = local.faults[0]
        fault["count"] -= 1
        if fault["count"] <= 0:
            local.faults.popleft()
        return dict(fault)


# -- Calls ---------------------------------------------------------------------------------


@bp.post("/Calls.json")
def create_call(account: str) -> ResponseReturnValue:
    form, local = request.form, world()
    if not form.get("To"):
        return error(400, 21201, "No 'To' number is specified")
    if not form.get("From"):
        return error(400, 21603, "A 'From' phone number is required.")
    url, twiml = form.get("Url"), form.get("Twiml")
    if not twiml and not is_url(url):
        return error(400, 21205, f"Url is not a valid URL: {url!r}")
    events = events_of(form.getlist("StatusCallbackEvent") or ["completed"])
    if events is None:
        return error(400, 21626, "StatusCallbackEvent: initiated, ringing, answered, completed")
    call = Call(new_sid("CA"), local.account_sid, form["From"], form["To"], "outbound-api",
                url=url, method=form.get("Method", "POST").upper(), twiml=twiml,
                fallback_url=form.get("FallbackUrl"),
                fallback_method=form.get("FallbackMethod", "POST").upper(),
                status_callback=form.get("StatusCallback"),
                status_callback_method=form.get("StatusCallbackMethod", "POST").upper(),
                status_callback_events=events | {"completed"},
                timeout=int_of(form.get("Timeout"), 60, 1, 600), phone=local.phone(form["To"]))
    if not call.status_callback:
        call.status_callback_events = frozenset()
    start_outbound(local, hooks(), call)
    return jsonify(call_json(call)), 201


@bp.get("/Calls.json")
def list_calls(account: str) -> ResponseReturnValue:
    local, args = world(), request.args
    with local.lock:
        every = list(local.calls.values())
    calls = newest_matching(every, {"To": "to", "From": "from_", "Status": "status"})
    if args.get("ParentCallSid"):
        calls = [c for c in calls if c.parent and c.parent.sid == args["ParentCallSid"]]
    return jsonify(page("calls", [call_json(c) for c in calls]))


@bp.get("/Calls/<sid>.json")
def fetch_call(account: str, sid: str) -> ResponseReturnValue:
    call = world().call(sid)
    return jsonify(call_json(call)) if call else not_found()


@bp.post("/Calls/<sid>.json")
def update_call(account: str, sid: str) -> ResponseReturnValue:
    call, form = world().call(sid), request.form
    if call is None:
        return not_found()
    status, url, twiml = form.get("Status"), form.get("Url"), form.get("Twiml")
    if status not in (None, "completed", "canceled"):
        return error(400, 20001, f"Status must be completed or canceled, got {status!r}")
    if url is not None and not is_url(url):
        return error(400, 21205, f"Url is not a valid URL: {url!r}")
    if call.is_final:
        return error(400, NOT_IN_PROGRESS, "Call is not in-progress. Cannot redirect.")
    call.updated = utcnow()
    if status == "completed" or (status == "canceled" and call.status in ("queued", "ringing")):
        call.interrupt(HungUp("api"))
    elif url or twiml:
        method = form.get("Method", "POST").upper()
        if call.direction == "outbound-dial":
            return error(400, 20001, "the local stand-in cannot redirect a dialled leg")
        if call.direction == "outbound-api" and call.status in ("queued", "ringing"):
            call.url, call.method, call.twiml = url, method, twiml  # used once answered
        else:
            call.interrupt(Redirected(url or "", method, twiml=twiml))
    return jsonify(call_json(call))


@bp.delete("/Calls/<sid>.json")
def delete_call(account: str, sid: str) -> ResponseReturnValue:
    local = world()
    call = local.call(sid)
    if call is None:
        return not_found()
    if not call.is_final:
        return error(400, 20009, "Cannot delete a call in progress")
    with local.lock:
        local.calls.pop(sid, None)
    return "", 204


# -- Queues and Members ----------------------------------------------------------------------


def _queue(sid: str) -> Queue | None:
    local = world()
    with local.lock:
        return local.queues.get(sid)


@bp.post("/Queues.json")
def create_queue(account: str) -> ResponseReturnValue:
    local, name = world(), request.form.get("FriendlyName", "")
    if not name or len(name) > 64:
        return error(400, 20001, "FriendlyName is required (64 characters at most)")
    size = int_of(request.form.get("MaxSize"), 1000, 1, 5000)
    with local.lock:
        if local.queue_named(name, create=False) is not None:
            return error(400, 22003, f"A queue named {name!r} already exists")
        queue = local.queue_named(name)
        assert queue is not None
        queue.max_size = size
    return jsonify(queue_json(local, queue)), 201


@bp.get("/Queues.json")
def list_queues(account: str) -> ResponseReturnValue:
    local = world()
    with local.lock:
        queues = sorted(local.queues.values(), key=lambda q: q.created)
        return jsonify(page("queues", [queue_json(local, q) for q in queues]))


@bp.get("/Queues/<sid>.json")
def fetch_queue(account: str, sid: str) -> ResponseReturnValue:
    queue = _queue(sid)
    return jsonify(queue_json(world(), queue)) if queue else not_found()


@bp.post("/Queues/<sid>.json")
def update_queue(account: str, sid: str) -> ResponseReturnValue:
    local, queue, form = world(), _queue(sid), request.form
    if queue is None:
        return not_found()
    with local.lock:
        if form.get("MaxSize"):
            queue.max_size = int_of(form["MaxSize"], queue.max_size, 1, 5000)
        if form.get("FriendlyName"):
            queue.name = form["FriendlyName"][:64]
        queue.updated = utcnow()
    return jsonify(queue_json(local, queue))


@bp.delete("/Queues/<sid>.json")
def delete_queue(account: str, sid: str) -> ResponseReturnValue:
    local, queue = world(), _queue(sid)
    if queue is None:
        return not_found()
    with local.lock:
        if queue.members:
            return error(400, 20001, "Cannot delete a queue that has members")
        local.queues.pop(sid, None)
    return "", 204


@bp.get("/Queues/<sid>/Members.json")
def list_members(account: str, sid: str) -> ResponseReturnValue:
    local, queue = world(), _queue(sid)
    if queue is None:
        return not_found()
    with local.lock:
        members = [member_json(local, queue, c, i + 1) for i, c in enumerate(queue.members)]
    return jsonify(page("queue_members", members))


def _member(queue: Queue, call_sid: str) -> tuple[Call, int] | None:
    for index, call in enumerate(queue.members):
        if call_sid in (call.sid, "Front" if index == 0 else ""):
            return call, index + 1
    return None


@bp.get("/Queues/<sid>/Members/<call_sid>.json")
def fetch_member(account: str, sid: str, call_sid: str) -> ResponseReturnValue:
    local, queue = world(), _queue(sid)
    with local.lock:
        found = _member(queue, call_sid) if queue else None
        if queue is None or found is None:
            return not_found()
        return jsonify(member_json(local, queue, *found))


@bp.post("/Queues/<sid>/Members/<call_sid>.json")
def dequeue_member(account: str, sid: str, call_sid: str) -> ResponseReturnValue:
    """Take the member out of the queue at once and run the URL for it."""
    local, queue, url = world(), _queue(sid), request.form.get("Url")
    if not is_url(url):
        return error(400, 21205, f"Url is not a valid URL: {url!r}")
    with local.lock:
        found = _member(queue, call_sid) if queue else None
        if queue is None or found is None:
            return not_found()
        call, position = found
        body = member_json(local, queue, call, position)
        queue.members.remove(call)
    call.interrupt(Redirected(url or "", request.form.get("Method", "POST").upper(), True))
    return jsonify(body)


# -- recordings (media only) ---------------------------------------------------------------


@bp.get("/Recordings/<sid>")
def recording(account: str, sid: str) -> ResponseReturnValue:
    """A recording made by <Record>: silence of its duration (up to 60 s), as WAV."""
    sid = sid.removesuffix(".wav")
    seconds = world().recordings.get(sid)
    if seconds is None:
        return not_found()
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(1)
        out.setframerate(8000)
        out.writeframes(b"\x80" * 8000 * int(min(seconds, 60)))
    return Response(buffer.getvalue(), mimetype="audio/x-wav")
