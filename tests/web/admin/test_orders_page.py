"""The orders section of the admin clients pages with Flask's client, on the demo data (Monday
7 December 2026): an upload (CSRF, audited, the worklists built), a refused file, the export,
a client's own orders."""

from __future__ import annotations

import io

from ivr.admin import audit
from maintenance import orders, store
from tests.signin import csrf_token, signed_in

DEMO_EXPORT = [
    "client_id,order_id,product,delivered_on",
    "1001,CMD-2026-0412,SEE Electrical Expert (2 seats),2026-11-27",
    "1005,CMD-2026-0431,SEE Electrical PLM,2026-12-04",
    "1006,CMD-2026-0377,SEE Electrical,2026-11-10",
    "1007,CMD-2026-0440,SEE Automation (update),2026-12-01",
]
GOOD = ("client_id;order_id;product;delivered_on\n"
        "1004;CMD-2026-0450;SEE Electrical;2026-12-03\n"  # + 15 = Friday 18 December
        "1002;CMD-2026-0451;SEE Electrical Expert;2026-10-01\n")  # its 15 days are over




def upload(client, text, token=True):
    data = {"orders-file": (io.BytesIO(text.encode()), "orders.csv")}
    if token:
        data["orders-csrf_token"] = csrf_token(client, "/admin/clients")
    return client.post("/admin/clients/orders", data=data, content_type="multipart/form-data")


def test_an_upload_is_listed_audited_and_on_the_worklist(admin, service):
    response = upload(admin, GOOD)
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/clients#orders"
    page = admin.get("/admin/clients").get_data(as_text=True)
    # the demo's 4 follow-ups and 1004's new order: the worklists were built by the import
    assert "Imported 2 order(s); 5 new follow-up(s) on the worklists." in page
    assert "<td>CMD-2026-0450</td><td>SEE Electrical</td><td>2026-12-03</td>" in page
    assert "6 order(s)." in page
    item = store.get(service.redis, "delivery-1004-CMD-2026-0450")
    assert (item.agency, item.due.isoformat(), item.state) == ("lille", "2026-12-18", "todo")
    assert store.get(service.redis, "delivery-1002-CMD-2026-0451") is None
    [entry] = audit.entries(service.redis, action="orders")
    assert (entry["who"], entry["what"], entry["after"]) == (
        "ada", "2 order(s) from orders.csv", {"imported": 2})


def test_a_bad_file_shows_each_line_and_column_and_imports_nothing(admin, service):
    bad = ("client_id,order_id,product,delivered_on\n"
           "1004,CMD-1,SEE Electrical,2026-12-03\n"
           "1004,CMD-2,SEE Electrical,03/12/2026\n"
           "9999,CMD-3,=HYPERLINK(\"x\"),2026-12-03\n")
    response = upload(admin, bad)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Nothing imported: 2 problem(s)" in page
    assert ("<li>line 3, column 4 (delivered_on): date must be YYYY-MM-DD, got "
            "&#39;03/12/2026&#39;</li>") in page
    assert ("<li>line 4, column 3 (product): starts with &#39;=&#39;, which a spreadsheet "
            "would run as a formula; remove it</li>") in page
    assert [o.order_id for o in orders.all_orders(service.redis)] == [
        "CMD-2026-0412", "CMD-2026-0431", "CMD-2026-0377", "CMD-2026-0440"]
    assert audit.entries(service.redis, action="orders") == []


def test_an_upload_without_the_csrf_token_or_a_file_is_refused(admin, service):
    response = upload(admin, GOOD, token=False)
    assert response.status_code == 400
    assert "The CSRF token is missing. Reload the page and try again." in response.get_data(
        as_text=True)
    empty = admin.post("/admin/clients/orders", data={
        "orders-csrf_token": csrf_token(admin, "/admin/clients")})
    assert empty.status_code == 400
    assert "file: This field is required." in empty.get_data(as_text=True)
    assert len(orders.all_orders(service.redis)) == 4


def test_the_export_downloads_every_order(admin):
    response = admin.get("/admin/clients/orders.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == "attachment; filename=orders.csv"
    assert response.get_data(as_text=True).splitlines() == DEMO_EXPORT


def test_a_clients_page_lists_its_own_orders(admin):
    page = admin.get("/admin/clients/1001").get_data(as_text=True)
    assert ("<tr><td>CMD-2026-0412</td><td>SEE Electrical Expert (2 seats)</td>"
            "<td>2026-11-27</td></tr>") in page
    assert "CMD-2026-0431" not in page
    assert "No order." in admin.get("/admin/clients/1002").get_data(as_text=True)


def test_only_admins_reach_the_orders(app):
    supervisor = signed_in(app, "sue", "supervisor")
    assert supervisor.get("/admin/clients/orders.csv").status_code == 403
    assert upload(supervisor, GOOD, token=False).status_code == 403
