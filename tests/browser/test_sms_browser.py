"""The admin SMS page in real Chromium: reached from the admin nav, a bad number refused
beside the field, a number stopped and listed, then allowed again; the audit log has both."""

from __future__ import annotations

from playwright.sync_api import expect

from ivr.admin import audit
from sms import outbox
from tests.browser.conftest import shot
from tests.signin import add_user, browser_sign_in


def test_an_admin_stops_a_number_then_allows_it_again(app, page, live_url):
    add_user(app, "ada", "admin")
    service = app.extensions["ivr"]
    outbox.queue_sms(service, "+33699887766", "bonjour", "callback", "1")
    browser_sign_in(page, live_url, "/admin/", "ada")
    page.click("nav.sub >> text=SMS")
    expect(page.locator("h1")).to_have_text("SMS")
    expect(page.locator("#sent tr[data-sms='1']")).to_contain_text("**********66")
    form = page.locator("#stop-form")
    form.locator("input[name=number]").fill("06 12 34")
    form.locator("button").click()
    expect(page.locator("#stop-error")).to_have_text(
        "not a phone number: '06 12 34' (e.g. 06 12 34 56 78 or +33612345678)")
    expect(form.locator("input[name=number]")).to_have_value("06 12 34")
    form.locator("input[name=number]").fill("06 12 34 56 78")
    form.locator("button").click()
    expect(page.locator(".flash")).to_have_text("SMS to +33612345678 stopped.")
    row = page.locator("#stopped tr[data-number='+33612345678']")
    expect(row).to_contain_text("ada")
    shot(page, "admin-sms-stopped")
    row.locator("button").click()
    expect(page.locator(".flash")).to_have_text("SMS to +33612345678 allowed again.")
    expect(page.locator("#stopped")).to_contain_text("No number is stopped.")
    assert [(e["who"], e["action"]) for e in audit.entries(service.redis, action="sms")] == [
        ("ada", "sms.start"), ("ada", "sms.stop")]
