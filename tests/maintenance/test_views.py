"""/maintenance without a browser: security headers, CSRF, bad input answered, never a 500."""

from __future__ import annotations

from maintenance import actions, store
from tests.signin import csrf_token, signed_in

ITEM = "renewal-2001-2027-02-23"


def test_the_page_carries_the_security_headers(app, service):
    client = signed_in(app, "sam", "supervisor")
    response = client.get("/maintenance")
    assert response.status_code == 200
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_a_change_without_its_csrf_token_is_refused_and_changes_nothing(app, service):
    actions.build(service)
    client = signed_in(app, "sam", "supervisor")
    response = client.post(f"/maintenance/items/{ITEM}", data={"seen": "todo", "state": "lost"})
    assert response.status_code == 400
    assert store.get(service.redis, ITEM).state == "todo"


def test_a_state_that_is_not_one_is_answered_with_a_message(app, service):
    actions.build(service)
    client = signed_in(app, "sam", "supervisor")
    token = csrf_token(client, "/maintenance")
    response = client.post(f"/maintenance/items/{ITEM}", follow_redirects=True,
                           data={"seen": "todo", "state": "won", "csrf_token": token})
    assert response.status_code == 200
    assert "Choose a state from the list." in response.get_data(as_text=True)
    assert store.get(service.redis, ITEM).state == "todo"


def test_an_unknown_agency_or_item_is_a_clear_answer(app, service):
    client = signed_in(app, "sam", "supervisor")
    page = client.get("/maintenance?agency=atlantis")
    assert page.status_code == 400
    assert "unknown agency &#39;atlantis&#39;" in page.get_data(as_text=True)
    token = csrf_token(client, "/maintenance")
    missing = client.post("/maintenance/items/renewal-9", data={"seen": "todo", "state": "lost",
                                                               "csrf_token": token})
    assert missing.status_code == 404
