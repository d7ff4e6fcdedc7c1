"""The JSON API under /api/: the console's and the supervisor's data, and presence changes.

Authenticated by a bearer token (`ivr users token NAME`) or the browser's session (then
changes carry the X-CSRFToken header). Bad input gets a 4xx with {"error": reason}.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from werkzeug.exceptions import HTTPException

from ivr.callers import voicemail
from ivr.centre import agents
from ivr.people.users import User
from ivr.services.hotline import Hotline, hotline
from ivr.web.auth import api_required, current_user
from ivr.web.console import desk

bp = Blueprint("api", __name__, url_prefix="/api")


class PresenceChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    state: str = Field(description="available, break or offline")
    reason: str = Field(default="", max_length=80, pattern=r"^[^\x00-\x1f\x7f]*$")


def error(status: int, reason: str) -> ResponseReturnValue:
    return jsonify(error=reason), status


def _me() -> tuple[Hotline, User]:
    user = current_user()
    assert user is not None  # api_required let the request in
    return hotline(), user


@bp.get("/me")
@api_required()
def me() -> ResponseReturnValue:
    service, user = _me()
    presence = desk.presence_of(service, user)
    return jsonify(user=user.as_json(),
                   agent=desk.presence_json(service, presence) if presence else None)


@bp.get("/me/presence")
@api_required("agent")
def my_presence() -> ResponseReturnValue:
    service, user = _me()
    presence = desk.my_presence(service, user)
    return jsonify(desk.presence_json(service, presence))


@bp.post("/me/presence")
@api_required("agent")
def change_presence() -> ResponseReturnValue:
    """{"state": "available"|"break"|"offline", "reason": "..."}: the new presence."""
    service, user = _me()
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return error(400, 'send a JSON object: {"state": "available"}')
    try:
        change = PresenceChange.model_validate(body)
    except ValidationError as exc:
        first = exc.errors()[0]
        return error(400, f"{'.'.join(str(p) for p in first['loc']) or 'body'}: {first['msg']}")
    try:
        previous, presence = desk.change_presence(service, user, change.state, change.reason)
    except agents.AgentError as exc:
        return error(409, str(exc))
    return jsonify(previous=previous, presence=desk.presence_json(service, presence))


@bp.get("/me/call")
@api_required("agent")
def my_call() -> ResponseReturnValue:
    """The screen pop of the call the agent's phone rings for or they talk to (or null)."""
    service, user = _me()
    presence = desk.my_presence(service, user)
    return jsonify(call=desk.my_call(service, presence))


@bp.get("/me/calls")
@api_required("agent")
def my_calls() -> ResponseReturnValue:
    service, user = _me()
    presence = desk.my_presence(service, user)
    limit = desk.parse_limit(request.args.get("limit"), 10, 50)
    return jsonify(calls=desk.my_calls(service, presence, limit))


@bp.get("/queues")
@api_required("agent")
def queues() -> ResponseReturnValue:
    service, _ = _me()
    return jsonify(at=service.clock.now().isoformat(), queues=desk.live_queues(service))


@bp.get("/agents")
@api_required("supervisor")
def roster() -> ResponseReturnValue:
    service, _ = _me()
    return jsonify(at=service.clock.now().isoformat(), agents=desk.everyone(service))


@bp.get("/voicemails")
@api_required("agent")
def voicemails() -> ResponseReturnValue:
    """?status=open|handled|all (open), ?limit=N (30, at most 500)."""
    service, user = _me()
    status = request.args.get("status", "open")
    limit = desk.parse_limit(request.args.get("limit"), 30, 500)
    try:
        found = desk.my_voicemails(service, user, desk.presence_of(service, user), status, limit)
    except voicemail.VoicemailError as exc:
        return error(400, str(exc))
    return jsonify(voicemails=found)


@bp.post("/voicemails/<msg_id>/handled")
@api_required("agent")
def voicemail_handled(msg_id: str) -> ResponseReturnValue:
    service, user = _me()
    try:
        message = voicemail.mark_handled(service.redis, msg_id, user.name, service.clock.now())
    except voicemail.UnknownVoicemail as exc:
        return error(404, str(exc))
    except voicemail.HandledAlready as exc:
        return error(409, str(exc))
    except voicemail.VoicemailError as exc:
        return error(400, str(exc))
    return jsonify(voicemail=message)


@bp.get("/figures")
@api_required("supervisor")
def figures() -> ResponseReturnValue:
    """?date=YYYY-MM-DD (today): the day's figures per queue and in total."""
    service, _ = _me()
    day = desk.parse_day(service, request.args.get("date"))
    return jsonify(desk.figures(service, day))


@bp.errorhandler(desk.BadInput)
def bad_input(exc: desk.BadInput) -> ResponseReturnValue:
    return error(400, str(exc))


@bp.errorhandler(desk.NotAnAgent)
def not_an_agent(exc: desk.NotAnAgent) -> ResponseReturnValue:
    return error(409, str(exc))


@bp.app_errorhandler(404)
@bp.app_errorhandler(405)
def not_here(exc: HTTPException) -> Any:
    """Unknown API paths and methods answer JSON; other paths keep Flask's own page."""
    if request.path.startswith("/api/"):
        return error(exc.code or 404, "no such API route" if exc.code == 404
                     else f"method {request.method} not allowed here")
    return exc


@bp.app_errorhandler(500)
def failed(exc: HTTPException) -> Any:
    if request.path.startswith("/api/"):
        return error(500, "internal error (logged); try again")
    return exc
