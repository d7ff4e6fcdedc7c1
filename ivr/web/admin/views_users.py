"""Users and API tokens; the audit log."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from ivr.admin import accounts, audit
from ivr.core.exceptions import IvrError
from ivr.people import users
from ivr.web.admin import bp, by, form_errors, refused, service
from ivr.web.admin.forms import UserChangeForm, UserForm


@bp.route("/users", methods=["GET", "POST"])
def users_page() -> ResponseReturnValue:
    s = service()
    form = UserForm()
    if form.validate_on_submit():
        try:
            user = accounts.add_user(s, (form.name.data or "").strip(), form.role.data or "",
                                     form.password.data or "", by(), form.agent_id.data)
            flash(f"User {user.name} added.")
            return redirect(url_for("admin.users_page"))
        except IvrError as exc:
            refused(exc)
    elif request.method == "POST":
        form_errors(form)
    return render_template("admin/users.html", form=form, users=users.all_users(s.redis),
                           tokens=users.tokens(s.redis), change=UserChangeForm(),
                           new_token=None)


@bp.post("/users/change")
def user_change() -> ResponseReturnValue:
    s = service()
    form = UserChangeForm()
    new_token = None
    if not form.validate_on_submit():
        form_errors(form)
        return redirect(url_for("admin.users_page"))
    name, action = form.name.data or "", form.action.data
    try:
        if action == "role":
            accounts.change_role(s, name, form.role.data or "", by(), form.agent_id.data)
            flash(f"{name} is now {form.role.data}; their sessions ended.")
        elif action == "password":
            accounts.change_password(s, name, form.password.data or "", by())
            flash(f"Password of {name} changed; their sessions ended.")
        elif action == "remove":
            accounts.remove_user(s, name, by())
            flash(f"User {name} removed.")
        elif action == "token":
            token_id, new_token = accounts.issue_token(s, name, form.label.data or "", by())
        elif action == "revoke":
            accounts.revoke_token(s, name, form.token_id.data or "", by())
            flash(f"Token {form.token_id.data} of {name} revoked.")
        else:
            flash(f"unknown action {action!r}", "error")
    except IvrError as exc:
        refused(exc)
    if new_token is None:
        return redirect(url_for("admin.users_page"))
    # shown once, on this page only (never stored in clear, never put in a URL)
    return render_template("admin/users.html", form=UserForm(), users=users.all_users(s.redis),
                           tokens=users.tokens(s.redis), change=UserChangeForm(),
                           new_token=(name, new_token))


def _day(text: str | None) -> datetime | None:
    try:
        return datetime.combine(datetime.strptime(text or "", "%Y-%m-%d").date(), time(0),
                                tzinfo=service().settings.tz)
    except ValueError:
        return None


@bp.get("/audit")
def audit_page() -> ResponseReturnValue:
    s = service()
    who = (request.args.get("user") or "").strip()[:64] or None
    action = (request.args.get("action") or "").strip()[:64] or None
    since, until = _day(request.args.get("from")), _day(request.args.get("to"))
    entries = audit.entries(s.redis, who=who, action=action, since=since,
                            until=until + timedelta(days=1) if until else None, limit=300)
    return render_template("admin/audit.html", entries=entries, actions=audit.actions(s.redis),
                           users=[u.name for u in users.all_users(s.redis)],
                           args=request.args)
