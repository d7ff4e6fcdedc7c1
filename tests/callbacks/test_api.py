"""/api/callbacks: agents and supervisors list and cancel callbacks; JSON reasons for errors."""

from __future__ import annotations

from datetime import datetime

from callbacks import store
from callbacks.scheduling import ask_for
from tests.conftest import PARIS
from tests.signin import csrf_token, signed_in

FRIDAY_EVENING = datetime(2027, 5, 14, 18, 0, tzinfo=PARIS)


def one_callback(app) -> str:  # type: ignore[no-untyped-def]
    service = app.extensions["ivr"]
    service.clock.set(FRIDAY_EVENING)
    return ask_for(service, "0612345678", client_id="1001", source="cli").id


def test_an_agent_lists_pending_and_failed_callbacks(app):
    cb_id = one_callback(app)
    client = signed_in(app, "ana", "agent")
    body = client.get("/api/callbacks").get_json()
    assert [(c["id"], c["state"], c["due"]) for c in body["pending"]] == \
        [(cb_id, "scheduled", "2027-05-18T08:30:00+02:00")]
    assert body["failed"] == []
    one = client.get(f"/api/callbacks/{cb_id}").get_json()
    assert [h["state"] for h in one["history"]] == ["requested", "scheduled"]


def test_an_agent_cancels_one_and_is_recorded_as_the_canceller(app, r):
    cb_id = one_callback(app)
    client = signed_in(app, "ana", "agent")
    token = csrf_token(client, "/me")
    response = client.post(f"/api/callbacks/{cb_id}/cancel", headers={"X-CSRFToken": token})
    assert (response.status_code, response.get_json()) == (200, {"id": cb_id,
                                                                 "state": "cancelled"})
    assert store.get(r, cb_id).get("reason") == "cancelled by ana"  # type: ignore[union-attr]
    again = client.post(f"/api/callbacks/{cb_id}/cancel", headers={"X-CSRFToken": token})
    assert again.status_code == 409 and again.get_json()["state"] == "cancelled"
    missing = client.post("/api/callbacks/77/cancel", headers={"X-CSRFToken": token})
    assert missing.status_code == 404 and "no callback" in missing.get_json()["error"]


def test_anonymous_requests_and_missing_csrf_are_refused(app):
    cb_id = one_callback(app)
    anonymous = app.test_client()
    assert anonymous.get("/api/callbacks").status_code == 401
    assert anonymous.post(f"/api/callbacks/{cb_id}/cancel").status_code == 401
    client = signed_in(app, "ana", "agent")
    assert client.post(f"/api/callbacks/{cb_id}/cancel").status_code == 400
    assert client.get("/api/callbacks/<script>").status_code == 404
