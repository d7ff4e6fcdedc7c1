"""Security headers without a browser: webhooks and API answers too; HSTS and a Secure
session cookie only when the service is served over https (IVR_PUBLIC_URL)."""

from __future__ import annotations

from ivr import create_app
from ivr.web.headers import HSTS, POLICY
from tests.signin import add_user, sign_in


def test_a_webhook_and_a_refused_api_call_carry_the_headers(client):
    for response in (client.post("/voice/incoming"), client.get("/api/queues")):
        assert response.status_code in (401, 403)
        assert response.headers["Content-Security-Policy"] == POLICY
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"
        assert "Strict-Transport-Security" not in response.headers


def test_over_http_the_session_cookie_is_not_secure(app, client):
    add_user(app, "ada", "admin")
    cookie = sign_in(client, "ada").headers["Set-Cookie"]
    assert "ivr_session=" in cookie and "Secure" not in cookie


def test_behind_https_hsts_is_sent_and_the_session_cookie_is_secure(r, env, clock):
    app = create_app({"TESTING": True, "CLOCK": clock, **env,
                      "IVR_PUBLIC_URL": "https://hotline.example.com"})
    try:
        add_user(app, "ada", "admin")
        client = app.test_client()
        page = client.get("/login", base_url="https://hotline.example.com")
        assert page.headers["Strict-Transport-Security"] == HSTS
        signed = sign_in(client, "ada", **{"wsgi.url_scheme": "https"})
        assert signed.status_code == 302
        assert "Secure" in signed.headers["Set-Cookie"]
    finally:
        app.extensions["ivr"].close()
