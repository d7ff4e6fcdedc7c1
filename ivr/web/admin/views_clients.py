"""Clients: import a CSV, search, view one; their software orders, imported and exported as
CSV; locked-out caller numbers with an unlock button."""

from __future__ import annotations

import io

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from ivr.admin import clients
from ivr.callers import client_csv, directory, guard
from ivr.core.exceptions import IvrError
from ivr.web.admin import act, bp, by, form_errors, problems_of, service
from ivr.web.admin.forms import ImportForm, OrdersImportForm, UnlockForm
from maintenance import actions, orders

MAX_SHOWN = 200


def _page(form: ImportForm | None = None, problems: list[str] | None = None,
          orders_form: OrdersImportForm | None = None, order_problems: list[str] | None = None,
          status: int = 200) -> ResponseReturnValue:
    """The clients page, with what an import refused."""
    s = service()
    query = (request.args.get("q") or "").strip()[:100]
    found = directory.all_clients(s.redis)
    if query:
        words = query.lower().split()
        found = [c for c in found
                 if all(w in " ".join([c.id, c.company, c.agency, *c.phones]).lower().replace(
                     " ", "") or w in c.company.lower() for w in words)]
    every_order = orders.all_orders(s.redis)
    today = s.clock.now().astimezone(s.settings.tz).date()
    locked = guard.locked_numbers(s.redis, s.clock.now())
    return render_template("admin/clients.html", form=form or ImportForm(),
                           problems=problems or [], client_columns=client_csv.COLUMNS,
                           order_columns=orders.COLUMNS, query=query, clients=found[:MAX_SHOWN],
                           total=len(found), today=today, locked=locked, unlock=UnlockForm(),
                           orders_form=orders_form or OrdersImportForm(prefix="orders"),
                           order_problems=order_problems or [],
                           orders=every_order[:MAX_SHOWN], orders_total=len(every_order)), status


@bp.route("/clients", methods=["GET", "POST"])
def clients_page() -> ResponseReturnValue:
    form = ImportForm()
    if request.method == "GET":
        return _page(form)
    if not form.validate_on_submit():
        form_errors(form)
        return _page(form, status=400)
    upload = form.file.data
    try:
        count = clients.import_clients(service(), upload.read(),
                                       upload.filename or "upload.csv", by())
    except IvrError as exc:
        return _page(form, problems=problems_of(exc), status=422)
    flash(f"Imported {count} client(s).")
    return redirect(url_for("admin.clients_page"))


@bp.post("/clients/orders")
def orders_import() -> ResponseReturnValue:
    form = OrdersImportForm(prefix="orders")
    if not form.validate_on_submit():
        form_errors(form)
        return _page(orders_form=form, status=400)
    upload = form.file.data
    try:
        count, created = actions.import_orders(service(), upload.read(),
                                               upload.filename or "orders.csv", by())
    except IvrError as exc:
        return _page(orders_form=form, order_problems=problems_of(exc), status=422)
    flash(f"Imported {count} order(s); {created} new follow-up(s) on the worklists.")
    return redirect(url_for("admin.clients_page") + "#orders")


@bp.get("/clients/orders.csv")
def orders_export() -> ResponseReturnValue:
    out = io.StringIO()
    orders.export_csv(service().redis, out)
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=orders.csv"})


@bp.get("/clients/<client_id>")
def client_page(client_id: str) -> ResponseReturnValue:
    s = service()
    client = directory.get_client(s.redis, client_id[:20])
    if client is None:
        abort(404)
    today = s.clock.now().astimezone(s.settings.tz).date()
    return render_template("admin/client.html", client=client,
                           state=client.contract_state(today, 60),
                           orders=orders.of_client(s.redis, client.id))


@bp.post("/clients/unlock")
def unlock() -> ResponseReturnValue:
    form = UnlockForm()
    act(form, lambda: f"{clients.unlock_number(service(), form.number.data or '', by())} "
                      "unlocked.")
    return redirect(url_for("admin.clients_page") + "#locked")
