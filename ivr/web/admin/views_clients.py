"""Clients: import a CSV, search, view one; locked-out caller numbers with an unlock button."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from ivr.admin import clients
from ivr.callers import directory, guard
from ivr.core.exceptions import ImportRowsError
from ivr.web.admin import act, bp, by, form_errors, problems_of, service
from ivr.web.admin.forms import ImportForm, UnlockForm

MAX_SHOWN = 200


@bp.route("/clients", methods=["GET", "POST"])
def clients_page() -> ResponseReturnValue:
    s = service()
    form = ImportForm()
    problems: list[str] = []
    status = 200
    if form.validate_on_submit():
        upload = form.file.data
        try:
            count = clients.import_clients(s, upload.read(), upload.filename or "upload.csv",
                                           by())
            flash(f"Imported {count} client(s).")
            return redirect(url_for("admin.clients_page"))
        except ImportRowsError as exc:
            problems, status = problems_of(exc), 422
    elif request.method == "POST":
        form_errors(form)
        status = 400
    query = (request.args.get("q") or "").strip()[:100]
    found = directory.all_clients(s.redis)
    if query:
        words = query.lower().split()
        found = [c for c in found
                 if all(w in " ".join([c.id, c.company, c.agency, *c.phones]).lower().replace(
                     " ", "") or w in c.company.lower() for w in words)]
    today = s.clock.now().astimezone(s.settings.tz).date()
    locked = guard.locked_numbers(s.redis, s.clock.now())
    return render_template("admin/clients.html", form=form, problems=problems, query=query,
                           clients=found[:MAX_SHOWN], total=len(found), today=today,
                           locked=locked, unlock=UnlockForm()), status


@bp.get("/clients/<client_id>")
def client_page(client_id: str) -> ResponseReturnValue:
    s = service()
    client = directory.get_client(s.redis, client_id[:20])
    if client is None:
        abort(404)
    today = s.clock.now().astimezone(s.settings.tz).date()
    return render_template("admin/client.html", client=client,
                           state=client.contract_state(today, 60))


@bp.post("/clients/unlock")
def unlock() -> ResponseReturnValue:
    form = UnlockForm()
    act(form, lambda: f"{clients.unlock_number(service(), form.number.data or '', by())} "
                      "unlocked.")
    return redirect(url_for("admin.clients_page") + "#locked")
