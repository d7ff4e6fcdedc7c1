"""The maintenance page in a real browser, on the demo data (Monday 7 December 2026): the
worklist overdue first, a state change, a stale page refused, an agent's own agency only."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from maintenance import actions
from tests.browser.conftest import shot
from tests.signin import add_user, browser_sign_in, submit_sign_in

DEMO_WORKLIST = [
    "renewal-1002-2027-01-15",  # ends 15 January: due Monday 16 November, overdue
    "delivery-1001-CMD-2026-0412",  # 27 November + 15 = Saturday 12 December -> Friday 11
    "delivery-1007-CMD-2026-0440",  # 1 December + 15 = Wednesday 16
    "delivery-1005-CMD-2026-0431",  # 4 December + 15 = Saturday 19 -> Friday 18
]


def sign_in(page, base, name):
    browser_sign_in(page, base, "/maintenance", name)
    expect(page.locator("h1")).to_contain_text("Maintenance follow-up")


def rows(page):
    return page.locator("#worklist tr[data-item]")


def test_a_supervisor_sees_the_worklist_and_changes_an_item(app, page, browser, live_url):
    actions.build(app.extensions["ivr"])
    add_user(app, "sam", "supervisor")
    add_user(app, "sue", "supervisor")
    sign_in(page, live_url, "sam")
    expect(rows(page)).to_have_count(4)
    assert [rows(page).nth(i).get_attribute("data-item") for i in range(4)] == DEMO_WORKLIST
    expect(rows(page).first).to_contain_text("2026-11-16 overdue")

    other = browser.new_context().new_page()  # sue opens the page too, before sam's change
    sign_in(other, live_url, "sue")

    row = page.locator('[data-item="delivery-1001-CMD-2026-0412"]')
    row.locator("select[name=state]").select_option("estimate_sent")
    row.locator("button").click()
    expect(page.locator(".flash")).to_have_text("delivery-1001-CMD-2026-0412: estimate sent.")
    row = page.locator('[data-item="delivery-1001-CMD-2026-0412"]')
    expect(row.locator(".state")).to_have_text("estimate sent")
    expect(row).to_contain_text("sam, 2026-12-07 08:00 UTC")
    shot(page, "maintenance-worklist")

    stale = other.locator('[data-item="delivery-1001-CMD-2026-0412"]')
    stale.locator("select[name=state]").select_option("lost")
    stale.locator("button").click()
    expect(other.locator(".flash.error")).to_have_text(
        "delivery-1001-CMD-2026-0412 was changed meanwhile: it is now estimate sent; "
        "nothing changed")
    expect(other.locator('[data-item="delivery-1001-CMD-2026-0412"] .state')).to_have_text(
        "estimate sent")
    other.context.close()


def test_a_maintenance_agent_sees_only_their_agency(app, page, live_url):
    actions.build(app.extensions["ivr"])
    add_user(app, "lea", "agent", "lea")  # maintenance, Rennes
    sign_in(page, live_url, "lea")
    expect(page.locator("h1")).to_have_text("Maintenance follow-up: rennes")
    expect(rows(page)).to_have_count(1)
    expect(rows(page).first).to_have_attribute("data-item", "renewal-1002-2027-01-15")
    expect(page.locator("#agency-filter")).to_have_count(0)


def test_an_agent_without_the_maintenance_skill_is_refused(app, page, live_url):
    add_user(app, "sophie", "agent", "sophie")  # technical support only
    page.goto(f"{live_url}/login")
    submit_sign_in(page, "sophie")
    response = page.goto(f"{live_url}/maintenance")
    assert response.status == 403


def test_the_supervisor_wall_shows_due_this_week_and_overdue_by_agency(app, page, live_url):
    """Monday 7 December: Paris's order estimate is due Friday 11 (this week), Rennes's renewal
    is overdue; Lyon's (16th) and Alsace's (18th) are next week."""
    actions.build(app.extensions["ivr"])
    add_user(app, "sam", "supervisor")
    sign_in(page, live_url, "sam")
    page.goto(f"{live_url}/supervisor")
    figure = page.locator("#maintenance")
    counts = {row.get_attribute("data-agency"): (row.locator(".due-week").inner_text(),
                                                 row.locator(".overdue").inner_text())
              for row in figure.locator("tr[data-agency]").all()}
    assert counts == {"alsace": ("0", "0"), "lyon": ("0", "0"), "paris": ("1", "0"),
                      "rennes": ("0", "1")}
    figure.locator("text=worklists").click()
    expect(page).to_have_url(re.compile(r"/maintenance$"))
