"""The agent console in a real browser, updating live: an agent goes available, a call pops
up with its client and contract, is answered, hung up, wrap-up, then available again (each
state held as long as the test needs, ringing included); a company name that is markup shows
as text.

The call is played webhook by webhook as Twilio would play it (signed requests to /voice/...,
and the connect job's REST step played by the test), against the app the browser is using;
test_console_live.py runs the same through the stand-in, a worker and `ivr call --url`.
"""

from __future__ import annotations

import re
from datetime import timedelta

from playwright.sync_api import expect

from ivr.callers import directory
from ivr.centre import dispatch
from tests.browser.conftest import shot
from tests.signin import add_user, browser_sign_in
from tests.web.console.calls import agent_answers, conversation_ends, queued, ring_agent

LIVE = 5_000  # ms: the pages poll every second


def sign_in(page, base: str, path: str, name: str) -> None:  # type: ignore[no-untyped-def]
    browser_sign_in(page, base, path, name)
    # a mark that a reload would wipe: the page must change without one
    page.evaluate("window.stayedOnPage = true")


def test_an_agent_takes_a_call_from_the_console(app, client, validator, live_url, page):
    service = app.extensions["ivr"]
    add_user(app, "ann", "agent", "sophie")
    sign_in(page, live_url, "/agent", "ann")
    expect(page.locator("#presence .badge")).to_have_text("On a break")
    page.click("button[data-presence=available]")
    expect(page.locator("#presence .badge")).to_have_text("Available")
    expect(page.locator("#call")).to_contain_text("Waiting for a caller")
    page.evaluate("window.stayedOnPage = true")

    call = queued(client, validator, "CA1")  # ACME's number, technical support: routed to her
    pop = page.locator("#call .pop")
    expect(pop).to_contain_text("Incoming call · Support technique", timeout=LIVE)
    expect(pop.locator(".company")).to_have_text("ACME Industrie")
    expect(pop.locator(".client-id")).to_have_text("1001")
    expect(pop.locator(".badge.contract")).to_have_text("Active")
    expect(pop.locator(".contract-level")).to_have_text("premium")
    expect(pop.locator(".contract-end")).to_have_text("2030-12-31")
    expect(pop).to_contain_text("menu: pressed 1 → Support technique")
    expect(page.locator("#presence .badge")).to_have_text("Ringing")
    shot(page, "console-ringing")

    dial = ring_agent(app, call)
    agent_answers(call, dial)
    expect(pop).to_contain_text("On a call · Support technique", timeout=LIVE)
    expect(page.locator("#presence .badge")).to_have_text("On a call")
    shot(page, "console-on-a-call")

    conversation_ends(call, dial, 95)  # hung up
    expect(page.locator("#presence .badge")).to_have_text("Wrap-up", timeout=LIVE)
    expect(page.locator("#presence .countdown")).to_have_text(re.compile(r"^\d+ s$"))
    expect(page.locator("#call")).to_have_text("No call now.")
    expect(page.locator("#recent")).to_contain_text("ACME Industrie")
    shot(page, "console-wrap-up")

    service.clock.advance(timedelta(seconds=31))  # the flow's wrap-up is 30 s
    dispatch.sweep_once(service)  # what the worker's sweeper does every 2 s
    expect(page.locator("#presence .badge")).to_have_text("Available", timeout=LIVE)
    assert page.evaluate("window.stayedOnPage") is True


def test_a_company_named_script_shows_as_text(app, client, validator, live_url, page):
    service = app.extensions["ivr"]
    acme = directory.get_client(service.redis, "1001")
    assert acme is not None
    name = "<script>window.pwned = 1</script><img src=x onerror=\"window.pwned = 2\">"
    directory.save_clients(service.redis, [acme.model_copy(update={"company": name})])
    add_user(app, "ann", "agent", "sophie")
    sign_in(page, live_url, "/agent", "ann")
    page.click("button[data-presence=available]")
    queued(client, validator, "CA1")
    expect(page.locator("#call .company")).to_have_text(name, timeout=LIVE)
    assert page.evaluate("window.pwned === undefined") is True


def test_an_agent_sees_a_callback_arrive_live_and_cancels_it(app, live_url, page):
    """A callback asked meanwhile appears in the console without a reload; Cancel removes it."""
    from callbacks import store as callbacks_store
    from callbacks.scheduling import ask_for

    service = app.extensions["ivr"]
    add_user(app, "ann", "agent", "sophie")
    sign_in(page, live_url, "/agent", "ann")
    expect(page.locator("#callbacks")).to_contain_text("No callback pending.")
    ask_for(service, "0612345678", client_id="1001", source="cli")  # open: due, in the line
    row = page.locator("#callbacks tr[data-callback='1']")
    expect(row).to_contain_text("ACME Industrie", timeout=LIVE)
    expect(row).to_contain_text("+33612345678")
    expect(row).to_contain_text("due")
    assert page.evaluate("window.stayedOnPage") is True
    shot(page, "console-callback")
    row.get_by_role("button", name="Cancel").click()
    expect(page.locator(".flash")).to_have_text("Callback 1 cancelled.")
    expect(page.locator("#callbacks")).to_contain_text("No callback pending.")
    assert callbacks_store.get(service.redis, "1").state == "cancelled"  # type: ignore[union-attr]
