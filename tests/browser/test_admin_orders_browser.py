"""The admin clients page's orders section in a real browser, on the demo data (Monday 7
December 2026): a good file listed, a bad one refused with its lines and columns, the export
downloading what was imported."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import expect

from tests.browser.conftest import shot
from tests.signin import add_user, browser_sign_in

GOOD = ("client_id;order_id;product;delivered_on\n"
        "1004;CMD-2026-0450;SEE Electrical;2026-12-03\n"
        "1002;CMD-2026-0451;SEE Electrical Expert;2026-10-01\n")
BAD = ("client_id,order_id,product,delivered_on\n"
       "1004,CMD-2026-0460,SEE Electrical,2026-12-03\n"
       "1004,CMD-2026-0461,SEE Electrical,03/12/2026\n"
       "9999,CMD-2026-0462,SEE Electrical,2026-12-03\n")


def choose(page, name: str, text: str) -> None:
    page.set_input_files("#import-orders input[type=file]", files=[
        {"name": name, "mimeType": "text/csv", "buffer": text.encode()}])
    page.click("#import-orders button[type=submit]")


def order_ids(page) -> list[str]:
    return page.locator("#order-list tr td:nth-child(2)").all_inner_texts()


def test_orders_are_imported_refused_and_exported(app, page, live_url, tmp_path: Path):
    add_user(app, "ada", "admin")
    browser_sign_in(page, live_url, "/admin/clients", "ada")
    demo = ["CMD-2026-0412", "CMD-2026-0431", "CMD-2026-0377", "CMD-2026-0440"]
    assert order_ids(page) == demo

    choose(page, "orders.csv", GOOD)
    expect(page.locator(".flash")).to_have_text(
        "Imported 2 order(s); 5 new follow-up(s) on the worklists.")
    assert order_ids(page) == [demo[0], "CMD-2026-0451", "CMD-2026-0450", *demo[1:]]
    row = page.locator("#order-list tr", has_text="CMD-2026-0450")
    expect(row).to_have_text("1004CMD-2026-0450SEE Electrical2026-12-03")

    choose(page, "bad.csv", BAD)
    alert = page.locator("#import-orders-problems")
    expect(alert.locator("h3")).to_have_text("Nothing imported: 2 problem(s)")
    expect(alert.locator("li")).to_have_text([
        "line 3, column 4 (delivered_on): date must be YYYY-MM-DD, got '03/12/2026'",
        "line 4, column 1 (client_id): no client 9999 in the directory",
    ])
    assert "CMD-2026-0460" not in order_ids(page)
    assert len(order_ids(page)) == 6
    page.locator("#orders").scroll_into_view_if_needed()
    shot(page, "admin-orders")

    with page.expect_download() as info:
        page.click("#export-orders")
    download = info.value
    assert download.suggested_filename == "orders.csv"
    saved = tmp_path / "orders.csv"
    download.save_as(saved)
    assert saved.read_text(encoding="utf-8").splitlines() == [
        "client_id,order_id,product,delivered_on",
        "1001,CMD-2026-0412,SEE Electrical Expert (2 seats),2026-11-27",
        "1002,CMD-2026-0451,SEE Electrical Expert,2026-10-01",
        "1004,CMD-2026-0450,SEE Electrical,2026-12-03",
        "1005,CMD-2026-0431,SEE Electrical PLM,2026-12-04",
        "1006,CMD-2026-0377,SEE Electrical,2026-11-10",
        "1007,CMD-2026-0440,SEE Automation (update),2026-12-01",
    ]

    page.click("#order-list a:text-is('1004')")
    expect(page.locator("h1")).to_contain_text("Nord Automatismes")
    expect(page.locator("#client-orders tr td:first-child")).to_have_text(["CMD-2026-0450"])
