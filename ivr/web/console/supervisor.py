"""The supervisor view, /supervisor: every queue and agent live, and a day's figures with
charts (any day of the records kept, by ?date=YYYY-MM-DD). The page polls its live parts
every second, and the day's figures every ten seconds when the day is today."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, render_template, request
from flask.typing import ResponseReturnValue

from ivr.services.hotline import hotline
from ivr.web.auth import api_required, login_required
from ivr.web.console import add_template_helpers, charts, desk
from maintenance import actions as maintenance

bp = Blueprint("supervisor", __name__, url_prefix="/supervisor")
add_template_helpers(bp)


def _live() -> dict[str, Any]:
    service = hotline()
    return {"queues": desk.live_queues(service), "agents": desk.everyone(service),
            "callbacks": desk.callbacks(service), "labels": desk.labels(service),
            "back": "supervisor"}


def _figures(day_text: str | None) -> dict[str, Any]:
    service = hotline()
    day = desk.parse_day(service, day_text)
    found = desk.figures(service, day)
    return {"figures": found, "charts": charts.for_figures(found),
            "is_today": day == desk.today(service), "day": day.isoformat()}


@bp.get("")
@login_required("supervisor")
def home() -> ResponseReturnValue:
    try:
        figures = _figures(request.args.get("date"))
        problem = None
    except desk.BadInput as exc:
        figures, problem = _figures(None), str(exc)
    status = 400 if problem else 200
    return render_template("supervisor/home.html", problem=problem, **_live(), **figures,
                           maintenance=maintenance.figures(hotline())), status


@bp.get("/live")
@api_required("supervisor")
def live() -> ResponseReturnValue:
    data = _live()
    return jsonify(queues=render_template("supervisor/_queues.html", **data),
                   agents=render_template("supervisor/_agents.html", **data),
                   callbacks=render_template("console/_callbacks.html", **data))


@bp.get("/figures")
@api_required("supervisor")
def figures() -> ResponseReturnValue:
    try:
        data = _figures(request.args.get("date"))
    except desk.BadInput as exc:
        return jsonify(error=str(exc)), 400
    return jsonify(figures=render_template("supervisor/_figures.html", **data))
