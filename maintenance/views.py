"""/maintenance: an agency's follow-ups for its maintenance agents and for supervisors, overdue
first; each item's state changed by a form (CSRF), refused when someone changed it first."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField
from wtforms.validators import DataRequired

from ivr.centre import agents
from ivr.core.exceptions import IvrError
from ivr.services.hotline import Hotline, hotline
from ivr.web.auth import actor, current_user, login_required
from maintenance import actions, store

bp = Blueprint("maintenance", __name__, url_prefix="/maintenance",
               template_folder="templates")
SKILL = "maintenance"  # the queue, and the skill of its agents


class StateForm(FlaskForm):
    seen = HiddenField(validators=[DataRequired()])
    state = SelectField(choices=list(actions.STATE_LABELS),
                        validators=[DataRequired()])


def _agency_of_user(service: Hotline) -> str | None:
    """None for a supervisor (every agency); an agent's own agency when they have the
    maintenance skill; otherwise 403."""
    user = current_user()
    assert user is not None  # login_required
    if user.can("supervisor"):
        return None
    presence = agents.get(service.redis, user.agent_id) if user.agent_id else None
    if presence is None or SKILL not in presence.agent.skills or not presence.agent.agency:
        abort(403)
    return presence.agent.agency


@bp.get("")
@login_required("agent")
def home() -> ResponseReturnValue:
    service = hotline()
    own = _agency_of_user(service)
    chosen = own or (request.args.get("agency") or "").strip()[:40] or None
    try:
        found = actions.agency_items(service, chosen)
        problem, status = None, 200
    except IvrError as exc:
        found, problem, status = actions.agency_items(service, None), str(exc), 400
        chosen = None
    known = sorted(service.flows.current().config.agencies)
    return render_template("maintenance/list.html", items=found, today=actions.today(service),
                           labels=actions.STATE_LABELS, agency=chosen, own=own,
                           agencies=known, problem=problem, form=StateForm()), status


@bp.post("/items/<item_id>")
@login_required("agent")
def change(item_id: str) -> ResponseReturnValue:
    service = hotline()
    own = _agency_of_user(service)
    item = store.get(service.redis, item_id[:80])
    if item is None or (own is not None and item.agency != own):
        abort(404)
    form = StateForm()
    back = url_for("maintenance.home", agency=None if own else request.args.get("agency"))
    if not form.validate_on_submit():
        flash("Choose a state from the list.", "error")
        return redirect(back)
    try:
        changed = actions.set_state(service, item.id, form.seen.data or "",
                                    form.state.data or "", actor())
        flash(f"{changed.id}: {actions.STATE_LABELS[changed.state]}.")
    except IvrError as exc:
        flash(str(exc), "error")
    return redirect(back + f"#{item.id}")
