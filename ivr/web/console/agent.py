"""The agent console, /agent: presence, the call routed to the agent (screen pop), their
queues live, their recent calls, voicemails, callbacks (book one, cancel one). The page polls
/agent/live for its parts."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from callbacks.policy import refusal
from callbacks.scheduling import ask_for, cancel
from ivr.callers import voicemail
from ivr.centre import agents
from ivr.core.exceptions import IvrError
from ivr.services.hotline import hotline
from ivr.web.auth import api_required, current_user, login_required
from ivr.web.console import add_template_helpers, desk

bp = Blueprint("agents", __name__, url_prefix="/agent")
add_template_helpers(bp)
PARTS = ("presence", "call", "queues", "recent", "voicemails", "callbacks")


def _parts() -> dict[str, Any]:
    """What the page shows, as the API returns it; `problem` when the user has no agent."""
    service, user = hotline(), current_user()
    assert user is not None
    labels = desk.labels(service)
    try:
        presence = desk.my_presence(service, user)
    except desk.NotAnAgent as exc:
        return {"problem": str(exc), "presence": None, "call": None, "recent": [],
                "queues": desk.live_queues(service), "labels": labels,
                "voicemails": desk.my_voicemails(service, user, None),
                "callbacks": desk.callbacks(service), "back": "agent"}
    return {
        "problem": None, "labels": labels, "presence": desk.presence_json(service, presence),
        "call": desk.my_call(service, presence),
        "queues": desk.live_queues(service, presence.agent.skills),
        "recent": desk.my_calls(service, presence),
        "voicemails": desk.my_voicemails(service, user, presence),
        "callbacks": desk.callbacks(service, presence.agent.skills), "back": "agent",
    }


@bp.get("")
@login_required("agent")
def home() -> ResponseReturnValue:
    return render_template("console/agent.html", settable=agents.SETTABLE, **_parts())


@bp.get("/live")
@api_required("agent")
def live() -> ResponseReturnValue:
    """The page's parts, rendered: {part: html}; the page swaps those that changed."""
    data = _parts()
    return jsonify({part: render_template(f"console/_{part}.html", **data) for part in PARTS})


@bp.post("/presence")
@login_required("agent")
def presence() -> ResponseReturnValue:
    service, user = hotline(), current_user()
    assert user is not None
    try:
        desk.change_presence(service, user, request.form.get("state", ""),
                             request.form.get("reason", "")[:80])
    except (desk.BadInput, desk.NotAnAgent, agents.AgentError) as exc:
        flash(str(exc), "error")
    return redirect(url_for("agents.home"))


@bp.post("/voicemails/<msg_id>/handled")
@login_required("agent")
def voicemail_handled(msg_id: str) -> ResponseReturnValue:
    service, user = hotline(), current_user()
    assert user is not None
    try:
        voicemail.mark_handled(service.redis, msg_id, user.name, service.clock.now())
    except voicemail.VoicemailError as exc:
        flash(str(exc), "error")
    return redirect(url_for("agents.home", _anchor="voicemails"))


@bp.post("/callbacks")
@login_required("agent")
def callback_book() -> ResponseReturnValue:
    """Book a callback for a client (or nobody known) on a number, as the flow would."""
    number = request.form.get("number", "").strip()[:40]
    client_id = request.form.get("client_id", "").strip()[:20]
    try:
        outcome = ask_for(hotline(), number, client_id=client_id or None, source="agent")
    except IvrError as exc:
        flash(str(exc), "error")
        return redirect(url_for("agents.home", _anchor="book-callback"))
    if not outcome.accepted:
        flash(f"No callback: {refusal(number, outcome.refused)}.", "error")
        return redirect(url_for("agents.home", _anchor="book-callback"))
    flash(f"Callback {outcome.id} booked for {outcome.number} ({outcome.state}).", "info")
    return redirect(url_for("agents.home", _anchor="callbacks"))


@bp.post("/callbacks/<cb_id>/cancel")
@login_required("agent")
def callback_cancel(cb_id: str) -> ResponseReturnValue:
    """Cancel a pending callback (from the console or the supervisor view); audited."""
    user = current_user()
    assert user is not None
    done, state = cancel(hotline(), cb_id, user.name)
    if done:
        flash(f"Callback {cb_id} cancelled.", "info")
    else:
        flash(f"Callback {cb_id[:20]} is {state}: it cannot be cancelled.", "error")
    back = "supervisor.home" if request.form.get("back") == "supervisor" else "agents.home"
    return redirect(url_for(back, _anchor="callbacks"))
