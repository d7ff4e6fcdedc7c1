"""Safe defaults in a real browser: every page and API answer carries the security headers,
no site can frame the pages, an injected inline script does not run, and the pages themselves
work under the policy (no violation reported)."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from ivr.web.headers import POLICY
from tests.signin import add_user, submit_sign_in

EXPECTED = {
    "content-security-policy": POLICY,
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
}
PAGES = ["/supervisor", "/agent", "/admin/", "/admin/flow", "/admin/hours", "/admin/users",
         "/admin/audit", "/api/queues", "/static/console.js", "/healthz", "/no-such-page"]


def signed_in_page(page: Any, base: str, name: str) -> list[str]:
    """Sign in through the form; the browser's CSP violations, as they are reported."""
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text)
            if "Content Security Policy" in m.text else None)
    page.goto(f"{base}/login")
    submit_sign_in(page, name)
    return violations


def test_every_answer_carries_the_headers_and_the_pages_run_under_the_policy(app, page,
                                                                              live_url):
    add_user(app, "ada", "admin", "sophie")
    violations = signed_in_page(page, live_url, "ada")
    for path in PAGES:
        response = page.goto(f"{live_url}{path}")
        assert response is not None and response.status == (404 if "no-such" in path else 200)
        headers = response.all_headers()
        assert {k: headers.get(k) for k in EXPECTED} == EXPECTED, path
        assert "strict-transport-security" not in headers  # plain http here
        page.wait_for_load_state("load")
    page.goto(f"{live_url}/supervisor")
    expect(page.locator(".queue").first).to_be_visible()  # its script ran: the wall is drawn
    assert violations == []


def test_an_injected_inline_script_does_not_run(app, page, live_url):
    add_user(app, "sue", "supervisor")
    violations = signed_in_page(page, live_url, "sue")
    page.goto(f"{live_url}/supervisor")
    ran = page.evaluate("""() => new Promise(done => {
        const s = document.createElement('script');
        s.textContent = 'window.injected = true';
        document.body.append(s);
        setTimeout(() => done(window.injected === true), 200);
    })""")
    assert ran is False
    assert any("script-src" in v for v in violations), violations


def test_no_other_site_can_frame_the_pages(app, page, live_url):
    add_user(app, "sue", "supervisor")
    signed_in_page(page, live_url, "sue")
    # another origin (localhost is not 127.0.0.1) frames the supervisor's wall
    other = re.sub(r"127\.0\.0\.1", "localhost", live_url)
    page.route(f"{other}/framing", lambda route: route.fulfill(
        content_type="text/html",
        body=f'<iframe id="f" src="{live_url}/supervisor" width="800" height="600"></iframe>'))
    page.goto(f"{other}/framing")
    page.wait_for_timeout(500)
    framed = page.frames[1]
    assert framed.url.startswith("chrome-error://")
    assert framed.evaluate("document.querySelector('.queue')") is None


def test_the_pages_load_every_resource_they_ask_for_the_icon_too(app, page, live_url):
    add_user(app, "ivy", "admin", "sophie")
    signed_in_page(page, live_url, "ivy")
    failed: list[str] = []
    page.on("console", lambda m: failed.append(m.text) if m.type == "error" else None)
    for path in ("/supervisor", "/agent", "/admin/flow", "/maintenance"):
        page.goto(f"{live_url}{path}")
        page.wait_for_load_state("load")
        page.wait_for_timeout(300)  # the icon is asked for after the page's own load
    icon = page.locator("link[rel=icon]").get_attribute("href")
    assert page.request.get(f"{live_url}{icon}").headers["content-type"].startswith("image/svg+xml")
    assert failed == []
