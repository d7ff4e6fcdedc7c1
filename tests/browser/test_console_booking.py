"""An agent books a callback from the console in a real browser: booked and listed, and a
number the policy refuses is refused with its reason, nothing booked."""

from __future__ import annotations

from playwright.sync_api import expect

from callbacks import store
from tests.browser.conftest import shot
from tests.signin import add_user, browser_sign_in


def test_an_agent_books_a_callback_from_the_console(app, live_url, page):
    service = app.extensions["ivr"]
    add_user(app, "ann", "agent", "sophie")
    browser_sign_in(page, live_url, "/agent", "ann")
    form = page.locator("#book-callback form")

    form.locator("input[name=number]").fill("08 92 68 00 00")  # premium rate
    form.locator("button[type=submit]").click()
    expect(page.locator(".flash.error")).to_contain_text("premium-rate")
    assert store.pending(service.redis) == []

    form = page.locator("#book-callback form")
    form.locator("input[name=number]").fill("06 12 34 56 78")
    form.locator("input[name=client_id]").fill("1001")
    form.locator("button[type=submit]").click()
    expect(page.locator("body")).to_contain_text("booked for +33612345678")
    booked = store.pending(service.redis)
    assert [(cb.number, cb.get("client_id"), cb.get("source")) for cb in booked] == [
        ("+33612345678", "1001", "agent")]
    expect(page.locator("#callbacks")).to_contain_text("ACME Industrie")
    shot(page, "console-callback-booked")
