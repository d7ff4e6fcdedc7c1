"""JSON API of callbacks for agents and supervisors: book one, list them, see one, cancel one."""

from __future__ import annotations

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue

from callbacks import store
from callbacks.policy import refusal
from callbacks.scheduling import ask_for, describe
from callbacks.scheduling import cancel as cancel_callback
from ivr.core.exceptions import IvrError
from ivr.services.hotline import hotline
from ivr.web.auth import actor, api_required

bp = Blueprint("callbacks_api", __name__, url_prefix="/api/callbacks")


@bp.get("")
@api_required("agent")
def listing() -> ResponseReturnValue:
    """Pending callbacks (oldest first) and failed ones to follow up (newest first)."""
    service = hotline()
    return jsonify(pending=describe(service, store.pending(service.redis)),
                   failed=describe(service, store.failed(service.redis)))


@bp.post("")
@api_required("agent")
def book() -> ResponseReturnValue:
    """Book a callback, as the flow would: body {"number", "client_id" (optional)}; 201 with
    it, 400 a bad body or an unknown client, 422 a number callbacks may not call."""
    body = request.get_json(silent=True)
    number = body.get("number") if isinstance(body, dict) else None
    client_id = body.get("client_id") if isinstance(body, dict) else None
    if not isinstance(number, str) or not isinstance(client_id, str | None):
        return jsonify(error='send JSON {"number": "...", "client_id": "..." (optional)}'), 400
    try:
        outcome = ask_for(hotline(), number, client_id=client_id or None, source="api")
    except IvrError as exc:
        return jsonify(error=str(exc)), 400
    if not outcome.accepted:
        return jsonify(error=refusal(number, outcome.refused), refused=outcome.refused), 422
    return jsonify(id=outcome.id, status=outcome.status, state=outcome.state,
                   number=outcome.number,
                   due=outcome.due.isoformat(timespec="seconds") if outcome.due else None), 201


@bp.get("/<cb_id>")
@api_required("agent")
def one(cb_id: str) -> ResponseReturnValue:
    service = hotline()
    found = store.get(service.redis, cb_id)
    if found is None:
        return jsonify(error=f"no callback {cb_id[:20]!r}"), 404
    return jsonify(**describe(service, [found])[0],
                   history=store.history(service.redis, found.id))


@bp.post("/<cb_id>/cancel")
@api_required("agent")
def cancel(cb_id: str) -> ResponseReturnValue:
    """Cancel a pending callback; 404 unknown, 409 while its client is called or once over."""
    done, state = cancel_callback(hotline(), cb_id, actor())
    if done:
        return jsonify(id=cb_id, state="cancelled")
    if state == "unknown":
        return jsonify(error=f"no callback {cb_id[:20]!r}"), 404
    return jsonify(error=f"callback {cb_id} is {state}: it cannot be cancelled", state=state), 409
