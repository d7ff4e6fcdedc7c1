"""Sign-in pages and the checks other blueprints use: roles, sessions, CSRF, bearer tokens."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Blueprint, jsonify

from ivr.admin import accounts
from ivr.web.auth import api_required, current_user, login_required
from tests.signin import PASSWORD, add_user, csrf_token, sign_in, signed_in

probe = Blueprint("probe", __name__)


@probe.route("/probe/page", methods=["GET", "POST"])
@login_required("supervisor")
def page():
    return f"page for {current_user().name}"


@probe.route("/api/probe", methods=["GET", "POST"])
@api_required("supervisor")
def api():
    return jsonify(user=current_user().name)


@pytest.fixture
def app(app):
    app.register_blueprint(probe)
    return app


def test_anonymous_page_goes_to_sign_in_then_back(app, client):
    response = client.get("/probe/page?x=1")
    assert response.status_code == 302
    assert response.location == "/login?next=/probe/page?x%3D1"
    add_user(app, "sue", "supervisor")
    token = csrf_token(client, response.location)
    signed = client.post("/login", data={"name": "sue", "password": PASSWORD,
                                         "csrf_token": token, "next": "/probe/page?x=1"})
    assert (signed.status_code, signed.location) == (302, "/probe/page?x=1")
    assert client.get("/probe/page").get_data(as_text=True) == "page for sue"


def test_next_never_leads_to_another_site(app, client):
    add_user(app, "sue", "supervisor")
    token = csrf_token(client)
    signed = client.post("/login", data={"name": "sue", "password": PASSWORD,
                                         "csrf_token": token, "next": "//evil.example/x"})
    assert signed.status_code == 302 and signed.location == "/supervisor"


def test_role_below_the_page_gets_403(app):
    agent = signed_in(app, "ann", "agent")
    assert agent.get("/probe/page").status_code == 403
    assert agent.get("/api/probe").status_code == 403
    assert agent.get("/api/probe").json == {"error": "needs the supervisor role"}


def test_higher_role_may_open_the_page(app):
    admin = signed_in(app, "ada", "admin")
    assert admin.get("/probe/page").get_data(as_text=True) == "page for ada"


def test_wrong_password_shows_one_generic_message(app, client):
    add_user(app, "sue", "supervisor")
    wrong = sign_in(client, "sue", "not the password")
    unknown = sign_in(client, "nobody", "not the password")
    assert wrong.status_code == unknown.status_code == 401
    assert "Wrong user name or password." in wrong.get_data(as_text=True)
    assert "Wrong user name or password." in unknown.get_data(as_text=True)
    assert client.get("/probe/page").status_code == 302


def test_repeated_failures_are_answered_429_with_retry_after(app, client):
    add_user(app, "sue", "supervisor")
    for _ in range(3):
        assert sign_in(client, "sue", "not the password").status_code == 401
    throttled = sign_in(client, "sue", PASSWORD)
    assert throttled.status_code == 429 and throttled.headers["Retry-After"] == "1"
    assert "Too many failed sign-ins" in throttled.get_data(as_text=True)


def test_sign_in_without_csrf_token_is_refused(app, client):
    add_user(app, "sue", "supervisor")
    response = client.post("/login", data={"name": "sue", "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/probe/page").status_code == 302


def test_post_without_csrf_token_is_400_and_does_nothing(app):
    sue = signed_in(app, "sue", "supervisor")
    assert sue.post("/probe/page").status_code == 400
    assert sue.post("/probe/page", data={"csrf_token": "forged"}).status_code == 400
    assert sue.post("/api/probe", json={}).json["error"].startswith("refused: The CSRF token")
    token = csrf_token(sue, "/me")
    assert sue.post("/probe/page", data={"csrf_token": token}).status_code == 200
    assert sue.post("/api/probe", headers={"X-CSRFToken": token}).json == {"user": "sue"}


def test_api_takes_a_bearer_token_without_csrf(app, client):
    add_user(app, "ci", "admin")
    service = app.extensions["ivr"]
    _, token = accounts.issue_token(service, "ci", "CI", by="system")
    headers = {"Authorization": f"Bearer {token}"}
    assert client.post("/api/probe", headers=headers).json == {"user": "ci"}
    assert client.get("/api/probe").status_code == 401
    bad = client.get("/api/probe", headers={"Authorization": "Bearer ivr_forged"})
    assert bad.status_code == 401 and bad.headers["WWW-Authenticate"] == 'Bearer realm="ivr"'


def test_sign_out_ends_the_session_even_for_a_copied_cookie(app):
    sue = signed_in(app, "sue", "supervisor")
    stolen = app.test_client()
    cookie = sue.get_cookie("ivr_session")
    stolen.set_cookie("ivr_session", cookie.value)
    assert stolen.get("/probe/page").status_code == 200
    token = csrf_token(sue, "/me")
    assert sue.post("/logout", data={"csrf_token": token}).status_code == 302
    assert stolen.get("/probe/page").status_code == 302
    assert sue.get("/probe/page").status_code == 302


def test_session_expires_after_idle_time(app):
    sue = signed_in(app, "sue", "supervisor")
    app.extensions["ivr"].clock.advance(timedelta(minutes=61))
    assert sue.get("/probe/page").status_code == 302


def test_password_change_and_removal_end_sessions(app):
    sue = signed_in(app, "sue", "supervisor")
    service = app.extensions["ivr"]
    accounts.change_password(service, "sue", "another long password", by="system")
    assert sue.get("/probe/page").status_code == 302
    assert sign_in(sue, "sue", "another long password").status_code == 302
    signed_in(app, "ada", "admin")
    accounts.remove_user(service, "sue", by="ada")
    assert sue.get("/probe/page").status_code == 302


def test_secret_key_is_made_once_in_development_and_kept_private(app, env):
    from pathlib import Path

    path = Path(env["IVR_INSTANCE_DIR"]) / "secret_key"
    assert app.secret_key == path.read_text() and len(app.secret_key) == 64
    assert path.stat().st_mode & 0o077 == 0


def test_production_requires_a_secret_key(env):
    from ivr import create_app
    from ivr.core.exceptions import SettingsError

    with pytest.raises(SettingsError, match="IVR_SECRET_KEY: required"):
        create_app({**env, "IVR_ENV": "production"})


def test_a_bad_secret_key_is_named_but_not_shown():
    from ivr.core.exceptions import SettingsError
    from ivr.core.settings import load_settings

    with pytest.raises(SettingsError) as caught:
        load_settings({"IVR_SECRET_KEY": "short-secret"})
    assert "IVR_SECRET_KEY=(hidden)" in str(caught.value)
    assert "short-secret" not in str(caught.value)
