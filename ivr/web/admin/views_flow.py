"""Flow pages: the editor, versions, diff, the diagram, trying a call."""

from __future__ import annotations

import re
from collections.abc import Callable

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from ivr.admin import flows, switches
from ivr.core.exceptions import Conflict, FlowError, IvrError
from ivr.flows.store import UnknownRevision
from ivr.local.trial import try_call
from ivr.web.admin import act, bp, by, form_errors, local, problems_of, refused, service
from ivr.web.admin.diagram import svg
from ivr.web.admin.forms import FlowForm, TryForm, VersionForm

LINE = re.compile(r"^line (\d+):")


@bp.get("/")
def home() -> ResponseReturnValue:
    s = service()
    store = s.flows
    flow = store.current()
    now = s.clock.now()
    statuses = {name: schedule.status(now, None) for name, schedule in flow.schedules.items()}
    return render_template("admin/home.html", published=store.published_number(),
                           head=store.head(), live=switches.active(s), statuses=statuses,
                           history=store.history(5))


def _number(text: str | None, default: int) -> int:
    return int(text) if text and text.isdigit() and len(text) < 9 else default


@bp.route("/flow", methods=["GET", "POST"])
def flow_editor() -> ResponseReturnValue:
    s = service()
    store = s.flows
    head = store.head()
    form = FlowForm()
    problems: list[str] = []
    status = 200
    if form.validate_on_submit():
        publish = form.action.data == "publish"
        try:
            revision = flows.save(s, form.source.data or "", form.message.data or "", by(),
                                  form.base.data, publish=publish)
        except Conflict as exc:
            problems, status = problems_of(exc), 409
        except IvrError as exc:
            problems, status = problems_of(exc), 422
        else:
            flash(f"Saved version {revision.number}" + (" and published it." if publish
                                                        else " (not published)."))
            return redirect(url_for("admin.flow_editor", v=revision.number))
    elif request.method == "POST":
        form_errors(form)
        status = 400
    else:
        number = _number(request.args.get("v"), head)
        try:
            revision = store.revision(number)
        except UnknownRevision as exc:
            refused(exc)
            return redirect(url_for("admin.flow_editor"))
        form.source.data, form.base.data = revision.source, head
    try:
        shown = flows.check(form.source.data or "")
        picture = svg(shown.config, _editor_link(head))
    except FlowError:
        picture = None
    marks = sorted({int(m.group(1)) for p in problems if (m := LINE.match(p))})
    return render_template("admin/flow.html", form=form, problems=problems, marks=marks,
                           head=head, published=store.published_number(),
                           diagram=picture), status


def _editor_link(number: int | None) -> Callable[[str], str]:
    """A node's box links to the editor of that version, at the node."""
    return lambda name: url_for("admin.flow_editor", v=number, node=name)


@bp.get("/flow/versions")
def flow_versions() -> ResponseReturnValue:
    store = service().flows
    before = _number(request.args.get("before"), 0) or None
    return render_template("admin/versions.html", revisions=store.revisions(30, before),
                           published=store.published_number(), head=store.head(),
                           form=VersionForm())


@bp.post("/flow/publish")
def flow_publish() -> ResponseReturnValue:
    form = VersionForm()

    def publish() -> str:
        revision = flows.publish(service(), form.number.data or 0, by(), form.expect.data)
        return f"Version {revision.number} published: new calls start on it."

    act(form, publish)
    return redirect(url_for("admin.flow_versions"))


@bp.post("/flow/rollback")
def flow_rollback() -> ResponseReturnValue:
    form = VersionForm()
    act(form, lambda: f"Rolled back: version "
                      f"{flows.rollback(service(), form.number.data, by()).number} "
                      "is published again.")
    return redirect(url_for("admin.flow_versions"))


@bp.get("/flow/diff")
def flow_diff() -> ResponseReturnValue:
    s = service()
    head = s.flows.head()
    a = _number(request.args.get("a"), max(1, head - 1))
    b = _number(request.args.get("b"), head)
    try:
        text = flows.diff(s, a, b)
    except IvrError as exc:
        refused(exc)
        return redirect(url_for("admin.flow_versions"))
    return render_template("admin/diff.html", a=a, b=b, lines=text.splitlines())


@bp.get("/flow/diagram")
def flow_diagram() -> ResponseReturnValue:
    store = service().flows
    number = _number(request.args.get("v"), store.published_number() or store.head())
    try:
        flow = store.revision_flow(number)
    except IvrError as exc:
        refused(exc)
        return redirect(url_for("admin.flow_versions"))
    return render_template("admin/diagram.html", number=number,
                           diagram=svg(flow.config, _editor_link(number)))


@bp.route("/flow/try", methods=["GET", "POST"])
def flow_try() -> ResponseReturnValue:
    s = service()
    form = TryForm()
    result = None
    if request.method == "GET":
        form.number.data = _number(request.args.get("v"), s.flows.head())
        form.at.data = s.clock.now().astimezone(s.settings.tz).replace(tzinfo=None, second=0,
                                                                      microsecond=0)
    elif form.validate_on_submit():
        keys = (form.keys.data or "").split()
        try:
            result = try_call(s, form.number.data, local(form.at.data),
                              (form.caller.data or "").strip(), keys)
        except IvrError as exc:
            refused(exc)
        except RuntimeError as exc:  # the simulator: an answer Twilio would not accept
            flash(str(exc), "error")
    else:
        form_errors(form)
    return render_template("admin/try.html", form=form, result=result)
