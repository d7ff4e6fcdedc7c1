"""The JSON API (/api/): sign-in by token or session, presence, screen pop, queues, agents,
voicemails, figures, and a JSON reason for every bad request."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ivr.callers import voicemail
from ivr.centre import agents
from ivr.people import users
from tests.signin import add_user, csrf_token, signed_in
from tests.web.console.calls import agent_answers, conversation_ends, queued, ring_agent

ROUTES = [("GET", "/api/me"), ("GET", "/api/me/presence"), ("POST", "/api/me/presence"),
          ("GET", "/api/me/call"), ("GET", "/api/me/calls"), ("GET", "/api/queues"),
          ("GET", "/api/agents"), ("GET", "/api/voicemails"),
          ("POST", "/api/voicemails/RE1/handled"), ("GET", "/api/figures")]


def bearer(app, name: str, role: str, agent_id: str | None = None) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Authorization header of a new user's API token."""
    add_user(app, name, role, agent_id)
    service = app.extensions["ivr"]
    _, token = users.issue_token(service.redis, name, "test", service.clock.now())
    return {"Authorization": f"Bearer {token}"}


def state(app, agent_id: str = "sophie") -> str:  # type: ignore[no-untyped-def]
    presence = agents.get(app.extensions["ivr"].redis, agent_id)
    assert presence is not None
    return presence.state


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_anonymous_requests_get_401_with_a_json_reason(client, method, path):
    response = client.open(path, method=method, json={})
    assert response.status_code == 401
    assert response.json == {"error": "sign in, or send Authorization: Bearer <token>"}
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="ivr"'


def test_a_wrong_token_is_401(client):
    response = client.get("/api/me", headers={"Authorization": "Bearer ivr_not-a-token"})
    assert response.status_code == 401


def test_an_agent_is_refused_the_supervisors_routes_with_403(app):
    auth = bearer(app, "ann", "agent", "sophie")
    client = app.test_client()
    for path in ("/api/agents", "/api/figures"):
        response = client.get(path, headers=auth)
        assert (response.status_code, response.json) == (403, {
            "error": "needs the supervisor role"})


def test_presence_by_token_needs_no_csrf_token(app):
    auth = bearer(app, "ann", "agent", "sophie")
    client = app.test_client()
    response = client.post("/api/me/presence", json={"state": "available"}, headers=auth)
    assert response.status_code == 200
    assert response.json["previous"] == "break"
    assert (response.json["presence"]["id"], response.json["presence"]["state"]) == (
        "sophie", "available")
    assert client.get("/api/me/presence", headers=auth).json["state"] == "available"


def test_presence_by_session_needs_the_csrf_header(app):
    console = signed_in(app, "ann", "agent", "sophie")
    refused = console.post("/api/me/presence", json={"state": "available"})
    assert refused.status_code == 400
    assert refused.json["error"].startswith("refused: The CSRF token is missing.")
    assert state(app) == "break"
    forged = console.post("/api/me/presence", json={"state": "available"},
                          headers={"X-CSRFToken": "forged"})
    assert forged.status_code == 400 and state(app) == "break"
    token = csrf_token(console, "/agent")
    done = console.post("/api/me/presence", json={"state": "available"},
                        headers={"X-CSRFToken": token})
    assert done.status_code == 200 and state(app) == "available"


@pytest.mark.parametrize(("body", "reason"), [
    (None, 'send a JSON object: {"state": "available"}'),
    (["available"], 'send a JSON object: {"state": "available"}'),
    ({}, "state: Field required"),
    ({"state": 3}, "state: Input should be a valid string"),
    ({"state": "busy"}, "state must be one of available, break, offline, got 'busy'"),
    ({"state": "break", "mood": "sunny"}, "mood: Extra inputs are not permitted"),
    ({"state": "break", "reason": "x" * 81}, "reason: String should have at most 80 characters"),
    ({"state": "break", "reason": "lunch\nbreak"},
     "reason: String should match pattern '^[^\\x00-\\x1f\\x7f]*$'"),
])
def test_bad_presence_requests_get_400_and_change_nothing(app, body, reason):
    auth = bearer(app, "ann", "agent", "sophie")
    client = app.test_client()
    if body is None:
        response = client.post("/api/me/presence", data="state=available", headers=auth)
    else:
        response = client.post("/api/me/presence", json=body, headers=auth)
    assert (response.status_code, response.json) == (400, {"error": reason})
    assert state(app) == "break"


def test_a_user_without_an_agent_gets_409(app):
    auth = bearer(app, "sue", "supervisor")
    client = app.test_client()
    response = client.post("/api/me/presence", json={"state": "available"}, headers=auth)
    assert (response.status_code, response.json) == (409, {
        "error": "user sue is not linked to an agent"})
    me = client.get("/api/me", headers=auth).json
    assert (me["user"]["name"], me["user"]["role"], me["user"]["agent_id"], me["agent"]) == (
        "sue", "supervisor", None, None)


def test_available_during_a_call_is_409_and_the_call_goes_on(app, client, validator):
    auth = bearer(app, "ann", "agent", "sophie")
    api = app.test_client()
    queued(client, validator, "CA1")
    api.post("/api/me/presence", json={"state": "available"}, headers=auth)
    assert state(app) == "ringing"
    again = api.post("/api/me/presence", json={"state": "available"}, headers=auth)
    assert (again.status_code, again.json) == (409, {
        "error": "agent sophie is on a call: available after it"})
    assert state(app) == "ringing"


def test_the_screen_pop_and_recent_calls_as_json(app, client, validator):
    auth = bearer(app, "ann", "agent", "sophie")
    api = app.test_client()
    service = app.extensions["ivr"]
    assert api.get("/api/me/call", headers=auth).json == {"call": None}
    call = queued(client, validator, "CA1")
    service.clock.advance(timedelta(seconds=20))
    api.post("/api/me/presence", json={"state": "available"}, headers=auth)
    pop = api.get("/api/me/call", headers=auth).json["call"]
    assert (pop["sid"], pop["state"], pop["queue"], pop["caller"]) == (
        "CA1", "ringing", "technical_support", "+33144001001")
    assert pop["client"] == {"id": "1001", "company": "ACME Industrie", "agency": "paris",
                             "language": "fr", "phones": ["+33144001001"],
                             "licences": ["L-1001-A"], "products": ["SEE Electrical"]}
    assert pop["contract"] == {"state": "active", "start": "2021-01-01", "end": "2030-12-31",
                               "level": "premium"}
    assert pop["pressed"] == [{"menu": "menu", "key": "1", "choice": "Support technique"}]
    assert (pop["waited"], pop["talking"], pop["previous"]) == (20, None, [])
    dial = ring_agent(app, call)
    agent_answers(call, dial)
    conversation_ends(call, dial, 95)
    (recent,) = api.get("/api/me/calls", headers=auth).json["calls"]
    assert (recent["sid"], recent["outcome"], recent["agent"], recent["waited"],
            recent["handled"]) == ("CA1", "answered", "sophie", 20, 95)


def test_queues_and_agents_live(app, client, validator):
    auth = bearer(app, "sue", "supervisor")
    api = app.test_client()
    queued(client, validator, "CA1")
    app.extensions["ivr"].clock.advance(timedelta(seconds=7))
    board = {q["queue"]: q for q in api.get("/api/queues", headers=auth).json["queues"]}
    support = board["technical_support"]
    assert (support["size"], support["longest_wait"]) == (1, 7)
    assert [(w["company"], w["caller"], w["waited"]) for w in support["waiting"]] == [
        ("ACME Industrie", "**********01", 7)]  # a masked number for the supervisor
    roster = {a["id"]: a for a in api.get("/api/agents", headers=auth).json["agents"]}
    assert sorted(roster) == ["lea", "marc", "sophie"]
    assert (roster["sophie"]["state"], roster["sophie"]["call_company"]) == ("break", None)


def test_voicemails_listed_and_marked_handled_once(app):
    service = app.extensions["ivr"]
    voicemail.save(service.redis, {"CallSid": "CA1", "RecordingSid": "RE1",
                                   "RecordingUrl": "https://x/RE1"}, None, service.clock.now(),
                   "fr", "technical_support")
    ann = bearer(app, "ann", "agent", "sophie")
    bob = bearer(app, "bob", "agent", "sophie")
    api = app.test_client()
    assert [m["id"] for m in api.get("/api/voicemails", headers=ann).json["voicemails"]] == [
        "RE1"]
    done = api.post("/api/voicemails/RE1/handled", headers=ann)
    assert done.status_code == 200 and done.json["voicemail"]["handled"]["by"] == "ann"
    assert api.post("/api/voicemails/RE1/handled", headers=ann).status_code == 200
    late = api.post("/api/voicemails/RE1/handled", headers=bob)
    assert late.status_code == 409
    assert late.json["error"].startswith("voicemail RE1 was handled by ann at ")
    assert api.get("/api/voicemails", headers=ann).json["voicemails"] == []
    assert [m["id"] for m in api.get("/api/voicemails?status=handled",
                                     headers=ann).json["voicemails"]] == ["RE1"]


@pytest.mark.parametrize(("path", "status", "reason"), [
    ("/api/voicemails/RE404/handled", 404, "no voicemail 'RE404'"),
    ("/api/voicemails/RE-1/handled", 400, "a message id is letters and digits, got 'RE-1'"),
])
def test_marking_an_unknown_or_malformed_voicemail(app, path, status, reason):
    auth = bearer(app, "ann", "agent", "sophie")
    response = app.test_client().post(path, headers=auth)
    assert (response.status_code, response.json) == (status, {"error": reason})


@pytest.mark.parametrize(("query", "reason"), [
    ("date=2026-13-01", "date must be YYYY-MM-DD, got '2026-13-01'"),
    ("date=7/12/2026", "date must be YYYY-MM-DD, got '7/12/2026'"),
    ("date=20261207", "date must be YYYY-MM-DD, got '20261207'"),
    ("date=2026-12-08", "date 2026-12-08 is in the future"),
    ("date=2026-09-08", "date 2026-09-08 is older than the records kept (90 days, from "
                        "2026-09-09)"),
])
def test_figures_of_a_bad_date_get_400(app, query, reason):
    auth = bearer(app, "sue", "supervisor")
    response = app.test_client().get(f"/api/figures?{query}", headers=auth)
    assert (response.status_code, response.json) == (400, {"error": reason})


@pytest.mark.parametrize(("path", "reason"), [
    ("/api/voicemails?status=new", "status must be open, handled or all, got 'new'"),
    ("/api/voicemails?limit=0", "limit must be a whole number from 1 to 500, got '0'"),
    ("/api/me/calls?limit=x", "limit must be a whole number from 1 to 50, got 'x'"),
])
def test_bad_query_values_get_400(app, path, reason):
    auth = bearer(app, "ann", "agent", "sophie")
    response = app.test_client().get(path, headers=auth)
    assert (response.status_code, response.json) == (400, {"error": reason})


def test_unknown_routes_and_methods_answer_json(app):
    auth = bearer(app, "ann", "agent", "sophie")
    client = app.test_client()
    missing = client.get("/api/nothing", headers=auth)
    assert (missing.status_code, missing.json) == (404, {"error": "no such API route"})
    wrong = client.delete("/api/me/presence", headers=auth)
    assert (wrong.status_code, wrong.json) == (405, {
        "error": "method DELETE not allowed here"})
    assert client.get("/nothing").mimetype == "text/html"


def test_figures_of_today_count_a_finished_call(app, client, validator):
    auth = bearer(app, "sue", "supervisor")
    api = app.test_client()
    service = app.extensions["ivr"]
    call = queued(client, validator, "CA1")
    service.clock.advance(timedelta(seconds=45))
    agents.set_state(service.redis, "sophie", "available", service.clock.now(),
                     service.flows.current().queue_rules.values())
    dial = ring_agent(app, call)
    agent_answers(call, dial)
    conversation_ends(call, dial, 120)
    figures = api.get("/api/figures?date=2026-12-07", headers=auth).json
    support = next(q for q in figures["queues"] if q["queue"] == "technical_support")
    assert (support["label"], support["offered"], support["answered"], support["wait_avg"],
            support["wait_p90"], support["handle_avg"], support["service_level"]) == (
        "Support technique", 1, 1, 45, 45, 120, 1.0)
    assert support["hours"][9] == {"hour": 9, "offered": 1, "answered": 1, "abandoned": 0,
                                   "overflow": 0}
    assert figures["total"]["offered"] == 1
