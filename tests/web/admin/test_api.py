"""The admin JSON API: bearer tokens, flows from a CI, closures, switches; 4xx with reasons."""

from __future__ import annotations

import pytest

from ivr.admin import accounts, audit
from ivr.core.settings import PROJECT_ROOT
from tests.signin import add_user, csrf_token, signed_in

SHIPPED = (PROJECT_ROOT / "config" / "flow.yaml").read_text()


@pytest.fixture
def service(app):
    return app.extensions["ivr"]


@pytest.fixture
def auth(app, service):
    add_user(app, "ci", "admin")
    _, token = accounts.issue_token(service, "ci", "CI", "system")
    return {"Authorization": f"Bearer {token}"}


def test_anonymous_401_and_agent_403(app, client):
    assert client.get("/api/admin/flows").status_code == 401
    add_user(app, "ann", "agent", "sophie")
    _, token = accounts.issue_token(app.extensions["ivr"], "ann", "", "system")
    refused = client.get("/api/admin/flows", headers={"Authorization": f"Bearer {token}"})
    assert (refused.status_code, refused.json) == (403, {"error": "needs the admin role"})


def test_ci_validates_saves_publishes_diffs_and_rolls_back(client, auth, service):
    draft = SHIPPED.replace("Bienvenue au support technique.", "Bonjour.")
    valid = client.post("/api/admin/flows/validate", data=draft, headers=auth,
                        content_type="application/yaml")
    assert valid.json["valid"] is True
    saved = client.post("/api/admin/flows", headers=auth, json={
        "source": draft, "message": "from CI", "base": 1, "publish": True})
    assert saved.status_code == 201
    assert (saved.json["number"], saved.json["author"], saved.json["published"]) == (
        2, "ci", True)
    listed = client.get("/api/admin/flows", headers=auth).json
    assert (listed["published"], [v["number"] for v in listed["versions"]]) == (2, [2, 1])
    assert client.get("/api/admin/flows/2", headers=auth).json["source"] == draft
    diff = client.get("/api/admin/flows/diff?a=1&b=2", headers=auth).json["diff"]
    assert "+    fr: Bonjour.\n" in diff
    back = client.post("/api/admin/flows/rollback", headers=auth, json={})
    assert back.json["published"] == 1
    assert [e["action"] for e in audit.entries(service.redis, who="ci")] == [
        "flow.rollback", "flow.save+publish"]


def test_yaml_body_publish_like_the_cli(client, auth, service):
    saved = client.post("/api/admin/flows?publish=true&message=raw", headers=auth,
                        data=SHIPPED.replace("Bienvenue", "Salut"),
                        content_type="application/yaml")
    assert saved.status_code == 201 and service.flows.published_number() == 2


@pytest.mark.parametrize(("method", "path", "kwargs", "status", "error"), [
    ("post", "/api/admin/flows", {"json": {"source": "nodes: [", "base": 1}}, 422, "refused"),
    ("post", "/api/admin/flows", {"json": {"message": "x"}}, 400, "source: required"),
    ("post", "/api/admin/flows", {"json": {"source": SHIPPED, "base": "one"}}, 400,
     "base: must be a whole number"),
    ("post", "/api/admin/flows", {"json": {"source": SHIPPED, "base": 0}}, 409, "conflict"),
    ("post", "/api/admin/flows", {"data": "not json", "content_type": "application/json"}, 400,
     "send a JSON object (Content-Type: application/json)"),
    ("get", "/api/admin/flows/99", {}, 404, "refused"),
    ("get", "/api/admin/flows/diff?a=1", {}, 400, "give two versions: ?a=N&b=M"),
    ("post", "/api/admin/closures/support", {"json": {"date": "24/12/2026", "reason": "x"}},
     400, "date: not an ISO 8601 date: '24/12/2026'"),
    ("post", "/api/admin/closures/nowhere", {"json": {"date": "2026-12-24", "reason": "x"}},
     422, "refused"),
    ("put", "/api/admin/emergency", {"json": {"until": "2020-01-01T00:00:00+01:00"}}, 422,
     "refused"),
    ("put", "/api/admin/announcements/incident", {"json": {"text": "x", "until": "x"}}, 400,
     'text: an object of texts by language, e.g. {"fr": "..."}'),
    ("post", "/api/admin/flows/1/publish", {}, 422, "refused"),
])
def test_bad_requests_get_a_4xx_with_a_reason(client, auth, service, method, path, kwargs,
                                              status, error):
    response = getattr(client, method)(path, headers=auth, **kwargs)
    assert response.status_code == status, response.json
    assert response.json["error"] == error
    assert service.flows.head() == 1


def test_closures_emergency_and_announcements(client, auth, service):
    added = client.post("/api/admin/closures/support", headers=auth, json={
        "date": "2026-12-24", "from_time": "12:00", "reason": "Réveillon"})
    assert added.status_code == 201
    assert client.get("/api/admin/closures", headers=auth).json["support"] == [
        {"date": "2026-12-24", "from_time": "12:00:00", "reason": "Réveillon"}]
    assert client.delete("/api/admin/closures/support/0", headers=auth).json["published"] == 3
    put = client.put("/api/admin/emergency", headers=auth,
                     json={"until": "2026-12-07T12:00:00+01:00", "reason": "grève"})
    assert put.json == {"emergency": {"until": "2026-12-07T12:00:00+01:00", "reason": "grève"}}
    assert client.delete("/api/admin/emergency", headers=auth).json == {"ended": True}
    set_ = client.put("/api/admin/announcements/incident", headers=auth,
                      json={"text": {"fr": "Panne"}, "until": "2026-12-07T12:00:00+01:00"})
    assert set_.json["text"] == {"fr": "Panne"}
    assert client.get("/api/admin/announcements", headers=auth).json["names"] == ["incident"]
    assert client.delete("/api/admin/announcements/incident", headers=auth).json == {
        "cleared": True}


def test_session_requests_need_the_csrf_header(app, service):
    ada = signed_in(app, "ada", "admin")
    body = {"until": "2026-12-07T12:00:00+01:00"}
    assert ada.put("/api/admin/emergency", json=body).status_code == 400
    ok = ada.put("/api/admin/emergency", json=body,
                 headers={"X-CSRFToken": csrf_token(ada, "/admin/")})
    assert ok.status_code == 200
