"""The screen pop of a maintenance call shows the caller's open follow-up (its kind, due date
and state) in the agent console, in a real browser."""

from __future__ import annotations

from playwright.sync_api import expect

from maintenance import actions
from tests.browser.test_console_browser import LIVE, sign_in
from tests.helpers import Caller
from tests.signin import add_user


def test_a_maintenance_call_pops_up_with_the_callers_open_follow_up(app, client, validator,
                                                                    live_url, page):
    service = app.extensions["ivr"]
    # Monday 7 December 2026: Bretagne Câblage (1002, Rennes)'s contract ends on 15 January
    # 2027; its renewal estimate was due 60 days before, Monday 16 November: overdue
    assert actions.build(service)["due"] >= 1
    add_user(app, "lea_user", "agent", "lea")
    sign_in(page, live_url, "/agent", "lea_user")
    page.click("button[data-presence=available]")
    expect(page.locator("#presence .badge")).to_have_text("Available")

    call = Caller(client, validator, sid="CA-follow-up")
    call.start()
    call.press(None)  # greeting: French
    asked = call.press("1002")  # the client id
    assert asked.said()[0].startswith("Votre contrat de maintenance se termine le 15 janvier")
    enqueued = call.press("2")  # the contract check's key to maintenance
    assert enqueued.one("Enqueue").text == "maintenance"
    call.post(enqueued.one("Enqueue").get("waitUrl") or "")

    pop = page.locator("#call .pop")
    expect(pop).to_contain_text("Incoming call · Maintenance", timeout=LIVE)
    expect(pop.locator(".company")).to_have_text("Bretagne Câblage")
    expect(pop.locator(".follow-up-kind")).to_have_text("renewal (2027-01-15)")
    expect(pop.locator(".follow-up-due")).to_have_text("2026-11-16 overdue")
    expect(pop.locator(".follow-up-state")).to_have_text("todo")
    expect(pop).to_contain_text("contract: pressed 2 → Maintenance")
