"""JSON API of callbacks for agents and supervisors: list them, see one, cancel one."""

from __future__ import annotations

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue

from callbacks import store
from callbacks.scheduling import cancel as cancel_callback
from callbacks.scheduling import describe
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
