"""Helpers for page and API tests: users, sign-in through the real form (by test client or
in a browser), CSRF tokens."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from playwright.sync_api import expect

from ivr.people import users

PASSWORD = "correct horse battery"
_CSRF = re.compile(r'name="csrf-token" content="([^"]+)"')


def add_user(app: Flask, name: str, role: str, agent_id: str | None = None,
             password: str = PASSWORD) -> users.User:
    service = app.extensions["ivr"]
    return users.add(service.redis, name, role, password, service.clock.now(), agent_id)


def csrf_token(client: Any, path: str = "/login") -> str:
    """The CSRF token a page carries (every page has it in <meta name="csrf-token">)."""
    page = client.get(path).get_data(as_text=True)
    found = _CSRF.search(page)
    assert found, f"no CSRF token on {path}"
    return found.group(1)


def sign_in(client: Any, name: str, password: str = PASSWORD, **environ: Any) -> Any:
    """Post the sign-in form as a browser does; the response."""
    token = csrf_token(client)
    return client.post("/login", data={"name": name, "password": password, "csrf_token": token},
                       environ_base=environ)


def signed_in(app: Flask, name: str, role: str, agent_id: str | None = None) -> Any:
    """A test client signed in as a new user `name` with `role`."""
    if role == "agent" and agent_id is None:
        agent_id = "sophie"  # a demo agent of the roster
    add_user(app, name, role, agent_id)
    client = app.test_client()
    response = sign_in(client, name)
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def browser_sign_in(page: Any, base: str, path: str, name: str,
                    password: str = PASSWORD) -> None:
    """Open `path` in a real browser, get sent to the sign-in form, sign in, land on `path`."""
    page.goto(f"{base}{path}")
    expect(page).to_have_url(re.compile(r"/login\?next="))
    submit_sign_in(page, name, password)
    expect(page).to_have_url(f"{base}{path}")


def submit_sign_in(page: Any, name: str, password: str = PASSWORD) -> None:
    """Fill the sign-in form on the page and send it with Enter, then wait until the browser
    has left the form.

    Enter, not a click on the button: a click that lands while the form's answer is loading may
    be replayed by the driver on the next page, where the first submit button is "Sign out"."""
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", password)
    page.press("input[name=password]", "Enter")
    expect(page.locator("form[action$='/login']")).to_have_count(0)
