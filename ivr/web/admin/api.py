"""The admin JSON API under /api/admin/ (bearer token per user, or the admin's session):
flows (list, get, validate, save, publish, rollback, diff), closures, the emergency switch,
announcements. Bad input gets a 4xx with a JSON reason."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException

from ivr.admin import flows, switches
from ivr.core.exceptions import ActionError, Conflict, FlowError, IvrError
from ivr.flows.store import UnknownRevision
from ivr.services.hotline import hotline
from ivr.web.auth import actor, require

bp = Blueprint("admin_api", __name__, url_prefix="/api/admin")
bp.before_request(require("admin", api=True))


class BadRequest(Exception):
    """The request itself is unusable (not JSON, a missing or malformed field)."""


@bp.errorhandler(BadRequest)
def _bad_request(exc: BadRequest) -> ResponseReturnValue:
    return jsonify(error=str(exc)), 400


@bp.errorhandler(IvrError)
def _refused(exc: IvrError) -> ResponseReturnValue:
    if isinstance(exc, Conflict):
        return jsonify(error="conflict", problems=exc.problems), 409
    problems = exc.problems if isinstance(exc, ActionError | FlowError) else [str(exc)]
    status = 404 if isinstance(exc, UnknownRevision) else 422
    return jsonify(error="refused", problems=problems), status


@bp.errorhandler(HTTPException)
def _http(exc: HTTPException) -> ResponseReturnValue:
    return jsonify(error=exc.description or exc.name), exc.code or 400


def _body() -> dict[str, Any]:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise BadRequest("send a JSON object (Content-Type: application/json)")
    return data


def _text(data: dict[str, Any], key: str, required: bool = False, default: str = "") -> str:
    value = data.get(key)
    if value is None:
        if required:
            raise BadRequest(f"{key}: required")
        return default
    if not isinstance(value, str):
        raise BadRequest(f"{key}: must be a string")
    return value


def _int(data: dict[str, Any], key: str) -> int | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise BadRequest(f"{key}: must be a whole number")
    return value


def _parsed(kind: type, text: str, key: str) -> Any:
    try:
        return kind.fromisoformat(text) if text else None  # type: ignore[attr-defined]
    except ValueError:
        raise BadRequest(f"{key}: not an ISO 8601 {kind.__name__}: {text[:40]!r}") from None


def _source() -> tuple[str, dict[str, Any]]:
    """The flow's YAML: a JSON body's `source`, or the raw body (YAML)."""
    if request.is_json:
        data = _body()
        return _text(data, "source", required=True), data
    return request.get_data(as_text=True), dict(request.args)


# -- flows -------------------------------------------------------------------------------------


@bp.get("/flows")
def flow_list() -> ResponseReturnValue:
    store = hotline().flows
    published = store.published_number()
    raw = request.args.get("limit", "")
    limit = min(int(raw), 500) if raw.isdigit() and len(raw) < 6 else 50
    return jsonify(published=published, head=store.head(),
                   versions=[{**r.summary(), "published": r.number == published}
                             for r in store.revisions(limit)])


@bp.get("/flows/<int:number>")
def flow_get(number: int) -> ResponseReturnValue:
    store = hotline().flows
    revision = store.revision(number)
    return jsonify(**revision.summary(), source=revision.source,
                   published=revision.number == store.published_number())


@bp.post("/flows/validate")
def flow_validate() -> ResponseReturnValue:
    text, _ = _source()
    try:
        flow = flows.check(text)
    except FlowError as exc:
        return jsonify(valid=False, problems=exc.problems)
    return jsonify(valid=True, hash=flow.version, nodes=len(flow.nodes))


@bp.post("/flows")
def flow_save() -> ResponseReturnValue:
    """Save a version: {"source": YAML, "message": ..., "base": N, "publish": bool}, or the
    YAML as the body with ?message=&base=&publish=true."""
    text, data = _source()
    if request.is_json:
        base, publish = _int(data, "base"), data.get("publish") is True
    else:
        raw_base = str(data.get("base", ""))
        if raw_base and not raw_base.isdigit():
            raise BadRequest("base: must be a whole number")
        base, publish = (int(raw_base) if raw_base else None), data.get("publish") == "true"
    revision = flows.save(hotline(), text, str(data.get("message") or ""), actor(), base,
                          publish=publish)
    return jsonify(**revision.summary(), published=publish), 201


@bp.post("/flows/<int:number>/publish")
def flow_publish(number: int) -> ResponseReturnValue:
    data = request.get_json(silent=True) or {}
    expect = _int(data, "expect") if isinstance(data, dict) else None
    revision = flows.publish(hotline(), number, actor(), expect)
    return jsonify(published=revision.number, hash=revision.version)


@bp.post("/flows/rollback")
def flow_rollback() -> ResponseReturnValue:
    data = request.get_json(silent=True) or {}
    to = _int(data, "to") if isinstance(data, dict) else None
    revision = flows.rollback(hotline(), to, actor())
    return jsonify(published=revision.number, hash=revision.version)


@bp.get("/flows/diff")
def flow_diff() -> ResponseReturnValue:
    a, b = request.args.get("a", ""), request.args.get("b", "")
    if not (a.isdigit() and b.isdigit()):
        raise BadRequest("give two versions: ?a=N&b=M")
    return jsonify(a=int(a), b=int(b), diff=flows.diff(hotline(), int(a), int(b)))


# -- closures ----------------------------------------------------------------------------------


@bp.get("/closures")
def closure_list() -> ResponseReturnValue:
    flow = hotline().flows.current()
    return jsonify({name: [c.model_dump(mode="json", by_alias=True, exclude_none=True)
                           for c in schedule.closures]
                    for name, schedule in flow.schedules.items()})


@bp.post("/closures/<schedule>")
def closure_add(schedule: str) -> ResponseReturnValue:
    """{"date": "2026-12-24", "to": optional, "from_time": "13:30", "to_time": ..., "reason"}"""
    data = _body()
    first = _parsed(date, _text(data, "date", required=True), "date")
    last = _parsed(date, _text(data, "to"), "to")
    revision = flows.add_closure(
        hotline(), schedule, first, last, _text(data, "reason", required=True), actor(),
        _parsed(time, _text(data, "from_time"), "from_time"),
        _parsed(time, _text(data, "to_time"), "to_time"), _int(data, "expect"))
    return jsonify(published=revision.number), 201


@bp.delete("/closures/<schedule>/<int:index>")
def closure_remove(schedule: str, index: int) -> ResponseReturnValue:
    revision = flows.remove_closure(hotline(), schedule, index, actor())
    return jsonify(published=revision.number)


# -- switches ----------------------------------------------------------------------------------


@bp.get("/emergency")
def emergency_get() -> ResponseReturnValue:
    return jsonify(emergency=switches.active(hotline())["emergency"])


@bp.put("/emergency")
def emergency_set() -> ResponseReturnValue:
    """{"until": "2026-12-07T14:00:00+01:00", "reason": "..."}"""
    data = _body()
    until: datetime = _parsed(datetime, _text(data, "until", required=True), "until")
    emergency = switches.set_emergency(hotline(), until, _text(data, "reason"), actor())
    return jsonify(emergency={"until": emergency.until.isoformat(), "reason": emergency.reason})


@bp.delete("/emergency")
def emergency_end() -> ResponseReturnValue:
    return jsonify(ended=switches.end_emergency(hotline(), actor()))


@bp.get("/announcements")
def announcements() -> ResponseReturnValue:
    service = hotline()
    return jsonify(playing=switches.active(service)["announcements"],
                   names=switches.announcement_names(service))


@bp.put("/announcements/<name>")
def announcement_set(name: str) -> ResponseReturnValue:
    """{"text": {"fr": "...", "en": "..."}, "until": ISO 8601}"""
    data = _body()
    texts = data.get("text")
    if not isinstance(texts, dict) or not all(isinstance(v, str) for v in texts.values()):
        raise BadRequest('text: an object of texts by language, e.g. {"fr": "..."}')
    until = _parsed(datetime, _text(data, "until", required=True), "until")
    return jsonify(switches.set_announcement(hotline(), name, texts, until, actor()))


@bp.delete("/announcements/<name>")
def announcement_clear(name: str) -> ResponseReturnValue:
    return jsonify(cleared=switches.clear_announcement(hotline(), name, actor()))
