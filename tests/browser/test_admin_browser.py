"""The admin area in a real browser: sign in, weekly hours, a flow error at its line, publish,
a closure and an emergency closure that scripted calls then hear, roll back, the audit log."""

from __future__ import annotations

import json
import re

from playwright.sync_api import expect

from ivr.cli import main
from tests.browser.conftest import shot
from tests.helpers import ASK_ID, scripted_call
from tests.signin import add_user, browser_sign_in, submit_sign_in


def paste(textarea, text):
    """Put a whole flow in the editor as a paste does (typing 20 KB would take long)."""
    textarea.evaluate("(el, text) => { el.value = text; "
                      "el.dispatchEvent(new Event('input', {bubbles: true})); }", text)


def sign_in(page, base, name="ada"):
    browser_sign_in(page, base, "/admin/", name)
    expect(page.locator("h1")).to_have_text("Hotline admin")


def test_closure_for_this_afternoon_then_rollback_done_when(app, runner, page, live_url):
    """Issue 9's 'done when', clicked through: the clock is Monday 7 December 2026, 09:00."""
    add_user(app, "ada", "admin")
    sign_in(page, live_url)
    page.click("nav.sub >> text=Hours & closures")
    form = page.locator("#closure-form")
    form.locator("input[name=first]").fill("2026-12-07")
    form.locator("input[name=from_time]").fill("13:30")
    form.locator("input[name=reason]").fill("séminaire annuel")
    form.locator("button").click()
    expect(page.locator(".flash")).to_have_text("Closure added: version 2 is published.")
    expect(page.locator("#closures")).to_contain_text("2026-12-07 from 13:30")
    shot(page, "admin-hours-closure")

    heard = runner.invoke(main, ["call", "--at", "2026-12-07T14:00:00+01:00", "--json"])
    twiml = "".join(step["twiml"] for step in json.loads(heard.output)["steps"])
    assert "fermé exceptionnellement pour séminaire annuel" in twiml
    assert "Nous rouvrons demain à 8 h 30" in twiml

    page.click("nav.sub >> text=Versions")
    page.locator("tr[data-version='1'] button", has_text="Roll back to 1").click()
    expect(page.locator(".flash")).to_have_text("Rolled back: version 1 is published again.")
    after = runner.invoke(main, ["call", "--at", "2026-12-07T14:00:00+01:00", "--json"])
    twiml = "".join(step["twiml"] for step in json.loads(after.output)["steps"])
    assert ASK_ID in twiml and "séminaire" not in twiml  # open again: version 1 has no closure

    page.click("nav.sub >> text=Audit log")
    rows = page.locator("#audit tr")
    expect(rows.nth(1)).to_contain_text("ada")
    expect(rows.nth(1)).to_contain_text("flow.rollback")
    expect(rows.nth(2)).to_contain_text("hours.closure.add")
    shot(page, "admin-audit")


def test_weekly_hours_flow_error_publish_emergency(app, page, live_url):
    add_user(app, "ada", "admin")
    sign_in(page, live_url)

    # weekly hours: Saturday morning, and a bad interval refused with its reason
    page.click("nav.sub >> text=Hours & closures")
    page.fill("#weekly input[name=saturday]", "09:00-12:00")
    page.click("#weekly button")
    expect(page.locator(".flash")).to_have_text(
        "Weekly hours of support saved: version 2 is published.")
    saturday = page.locator("table.calendar td.open", has_text="09:00-12:00")
    expect(saturday.first).to_be_visible()
    page.fill("#weekly input[name=sunday]", "9h-12h")
    page.click("#weekly button")
    expect(page.locator(".flash.error")).to_contain_text("sunday: opening interval must look like")

    # the flow editor: an error shown at its line, then a good save and publish
    page.click("nav.sub >> text=Flow")
    editor = page.locator("textarea[name=source]")
    text = editor.input_value()
    paste(editor, text.replace("start: greeting", "start: greting"))
    page.click("button[value=save]")
    problems = page.locator("#problems")
    line = text.splitlines().index("start: greeting") + 1
    expect(problems).to_contain_text(f"line {line}: start: unknown node 'greting' "
                                     "(did you mean 'greeting'?)")
    expect(page.locator(".gutter mark")).to_have_text(str(line))
    shot(page, "admin-flow-error")
    paste(editor, text.replace("Bienvenue au support technique.", "Bonjour, support technique."))
    page.fill("input[name=message]", "shorter welcome")
    page.click("button[value=publish]")
    expect(page.locator(".flash")).to_have_text("Saved version 3 and published it.")
    expect(page.locator("svg.diagram g#node-greeting")).to_be_visible()
    assert scripted_call(app).said()[0] == "Bonjour, support technique."
    # a box of the diagram opens its node in the editor, selected
    page.click("svg.diagram g#node-identify a")
    expect(page).to_have_url(re.compile(r"/admin/flow\?v=3&node=identify$"))
    selected = page.evaluate("""() => { const t = document.querySelector('textarea');
        return t.value.substring(t.selectionStart, t.selectionEnd); }""")
    assert selected.strip() == "identify:"
    page.goto(f"{live_url}/admin/flow")

    # the emergency closure, heard by the next call
    page.click("nav.sub >> text=Emergency & announcements")
    page.fill("#emergency input[name=until]", "2026-12-07T11:00")
    page.fill("#emergency input[name=reason]", "grève")
    page.click("#emergency button.danger")
    expect(page.locator("#emergency")).to_contain_text("grève")
    said = scripted_call(app).said()
    assert said[2].startswith("Le support technique est exceptionnellement fermé. Nous "
                              "rouvrons aujourd'hui à 11 h.")
    page.click("nav.sub >> text=Audit log")
    page.select_option("select[name=action]", "emergency.set")
    page.click("#audit-filter button")
    expect(page.locator("#audit")).to_contain_text("emergency closure until")
    expect(page.locator("#audit")).not_to_contain_text("hours.weekly")


def test_agent_gets_403_and_script_is_shown_as_text(app, page, live_url):
    from ivr.admin import clients

    service = app.extensions["ivr"]
    clients.import_clients(service, b"client_id,company,agency,phones,contract_end\n"
                           b"77,<img src=x onerror=alert(1)>,paris,,2030-01-01\n", "x.csv", "ada")
    add_user(app, "ann", "agent", "sophie")
    page.goto(f"{live_url}/login")
    submit_sign_in(page, "ann")
    response = page.goto(f"{live_url}/admin/clients")
    assert response.status == 403
    add_user(app, "ada", "admin")
    # signed out as a user does (clearing cookies raced the session cookie of a late answer)
    page.click("form.who button[type=submit]")
    expect(page).to_have_url(f"{live_url}/login")
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    sign_in(page, live_url)
    page.goto(f"{live_url}/admin/clients/77")
    expect(page.locator("h1")).to_contain_text("<img src=x onerror=alert(1)>")
    assert dialogs == []
