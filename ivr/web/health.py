"""Liveness and readiness for load balancers and operators."""

from __future__ import annotations

import redis
from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue

from ivr.services.hotline import hotline

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    """200 when Redis answers and a flow is published, else 503 with the reason."""
    service = hotline()
    # a local Twilio stand-in is named, so that `ivr call --url` can call through it
    local = {"twilio_local": service.settings.twilio_local} if service.settings.twilio_local else {}
    try:
        version = service.flows.current_version()
    except redis.RedisError as exc:
        return jsonify(status="down", reason=f"redis: {exc}", **local), 503
    if version is None:
        return jsonify(status="down", reason="no flow published", **local), 503
    return jsonify(status="ok", flow=version, **local)
