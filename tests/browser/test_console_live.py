"""Issue 7's "done when", end to end in real browsers: the whole contact centre runs (the app
over HTTP, the local Twilio stand-in, a background worker routing and sweeping), a call made
with `ivr call --url` waits in the queue while the supervisor watches, pops up on the agent's
console with ACME Industrie and its contract when she clicks "Available", ends connected to
her, then wrap-up, then available; the supervisor's view follows it all without a reload."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from click.testing import CliRunner
from playwright.sync_api import expect

from ivr.cli import main
from tests.browser.conftest import shot
from tests.live import Live, contact_centre
from tests.signin import add_user, submit_sign_in

ACME = "+33144001001"
SOPHIE = "+33144002001"
LIVE = 10_000  # ms: the pages poll every second; the machine may be busy


@pytest.fixture
def live(r, env, clock) -> Iterator[Live]:  # type: ignore[no-untyped-def]
    with contact_centre({"TESTING": True, "CLOCK": clock, **env}) as found:
        yield found


@pytest.fixture
def second_page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR",
                                  timezone_id="Europe/Paris")
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def sign_in(page: Any, base: str, path: str, name: str) -> None:
    page.goto(f"{base}{path}")
    submit_sign_in(page, name)
    expect(page).to_have_url(f"{base}{path}")
    page.evaluate("window.stayedOnPage = true")  # a reload would wipe it


def test_a_call_from_ivr_call_reaches_the_agent_who_goes_available(live, env, page,
                                                                   second_page):
    base = live.service.settings.public_url
    assert base is not None
    live.device.set_phone(SOPHIE, talk=None)  # she talks until the test hangs up
    add_user(live.app, "ann", "agent", "sophie")
    add_user(live.app, "sue", "supervisor")
    agent, boss = page, second_page
    sign_in(agent, base, "/agent", "ann")
    sign_in(boss, base, "/supervisor", "sue")
    support = boss.locator(".queue[data-queue=technical_support]")
    expect(support.locator(".size")).to_have_text("0")

    done: dict[str, Any] = {}

    def caller() -> None:  # the command of the issue, against the app the browsers use
        result = CliRunner(env=env).invoke(main, [
            "call", "--url", base, "--from", ACME, "--press", "-", "--press", "1",
            "--press", "1", "--hold", "3000", "--json"])
        done["exit"], done["output"] = result.exit_code, result.output

    thread = threading.Thread(target=caller, daemon=True)
    thread.start()
    try:
        expect(support.locator(".size")).to_have_text("1", timeout=LIVE)
        expect(support.locator("ol.waiting")).to_contain_text("ACME Industrie")
        expect(agent.locator("#queues tr[data-queue=technical_support] .size")).to_have_text("1")
        shot(boss, "live-supervisor-caller-waiting")

        agent.click("button[data-presence=available]")  # a form: the page reloads
        agent.evaluate("window.stayedOnPage = true")
        pop = agent.locator("#call .pop")
        expect(pop).to_contain_text("On a call · Support technique", timeout=LIVE)
        expect(pop.locator(".company")).to_have_text("ACME Industrie")
        expect(pop.locator(".client-id")).to_have_text("1001")
        expect(pop.locator(".badge.contract")).to_have_text("Active")
        expect(pop.locator(".contract-level")).to_have_text("premium")
        expect(pop.locator(".contract-end")).to_have_text("2030-12-31")
        expect(pop).to_contain_text("menu: pressed 1 → Support technique")
        expect(pop).to_contain_text(f"Calling from {ACME}")
        shot(agent, "live-console-on-a-call")
        expect(support.locator(".size")).to_have_text("0", timeout=LIVE)
        sophie = boss.locator("tr[data-agent=sophie]")
        expect(sophie).to_contain_text("On a call", timeout=LIVE)
        expect(sophie).to_contain_text("ACME Industrie")
        shot(boss, "live-supervisor-agent-on-a-call")

        live.device.hangup_leg(pop.get_attribute("data-call") or "")  # Sophie hangs up
    finally:
        thread.join(timeout=60)
    assert done["exit"] == 0, done.get("output")
    assert json.loads(done["output"])["outcome"] == {"type": "agent", "target": "sophie"}

    expect(agent.locator("#presence .badge")).to_have_text("Wrap-up", timeout=LIVE)
    expect(agent.locator("#presence .countdown")).to_have_text(re.compile(r"^\d+ s$"))
    expect(agent.locator("#call")).to_have_text("No call now.")
    expect(agent.locator("#recent")).to_contain_text("ACME Industrie")
    shot(agent, "live-console-wrap-up")
    live.service.clock.advance(timedelta(seconds=31))  # the flow's wrap-up is 30 s
    expect(agent.locator("#presence .badge")).to_have_text("Available", timeout=LIVE)
    expect(support).to_contain_text("Today: 1 offered, 1 answered, 0 abandoned", timeout=LIVE)
    assert agent.evaluate("window.stayedOnPage") is True
    assert boss.evaluate("window.stayedOnPage") is True

    boss.reload()  # today's figures also refresh by themselves, every 10 s
    row = boss.locator("tr[data-figures=technical_support]")
    expect(row.locator(".offered")).to_have_text("1")
    expect(row.locator(".answered")).to_have_text("1")
    shot(boss, "live-supervisor-figures")
