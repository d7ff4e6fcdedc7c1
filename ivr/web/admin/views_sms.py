"""SMS: the numbers SMS are stopped to (stop one by hand, allow one again) and the latest SMS
sent, with what Twilio said of them."""

from __future__ import annotations

from datetime import datetime, tzinfo

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from ivr.core.exceptions import ActionError
from ivr.web.admin import act, bp, by, form_errors, service
from ivr.web.admin.forms import SmsNumberForm
from sms import optout, outbox

SENT_SHOWN = 50


@bp.route("/sms", methods=["GET", "POST"])
def sms_page() -> ResponseReturnValue:
    """The page; its form stops SMS to a number (a bad one is shown beside the field)."""
    s = service()
    form = SmsNumberForm()
    status = 200
    if form.validate_on_submit():
        try:
            number = optout.stop_by_hand(s.redis, form.number.data or "", s.clock.now(), by())
            flash(f"SMS to {number} stopped.")
            return redirect(url_for("admin.sms_page"))
        except ActionError as exc:
            form.number.errors = list(exc.problems)
            status = 400
    elif request.method == "POST":
        if "csrf_token" in form.errors:
            form_errors(form)
        status = 400
    query = (request.args.get("q") or "").strip()[:40]
    tz = s.settings.tz
    stopped = [(number, _when(entry.get("at"), tz), entry.get("by", ""))
               for number, entry in optout.stopped(s.redis, query).items()]
    sent = [{**outbox.summary(record), "when": _when(record.get("created"), tz)}
            for record in outbox.recent(s.redis, SENT_SHOWN)]
    return render_template("admin/sms.html", form=form, start=SmsNumberForm(formdata=None),
                           stopped=stopped, query=query, sent=sent), status


@bp.post("/sms/start")
def sms_start() -> ResponseReturnValue:
    """Allow SMS to a stopped number again (START)."""
    s = service()
    form = SmsNumberForm()

    def allow() -> str:
        number = optout.start_by_hand(s.redis, form.number.data or "", s.clock.now(), by())
        return f"SMS to {number} allowed again."

    act(form, allow)
    return redirect(url_for("admin.sms_page"))


def _when(text: str | None, tz: tzinfo) -> str:
    """An ISO time from Redis as the page shows it, in the service's zone."""
    try:
        return datetime.fromisoformat(text or "").astimezone(tz).strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return ""
