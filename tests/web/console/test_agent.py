"""The agent console (/agent): access, presence, the screen pop through a call's life, the
agent's queues and calls, voicemails, escaping."""

from __future__ import annotations

import threading
from datetime import timedelta

from ivr import create_app, queue
from ivr.callers import directory, voicemail
from ivr.centre import agents, dispatch
from tests.signin import PASSWORD, add_user, csrf_token, sign_in, signed_in
from tests.web.console.calls import agent_answers, conversation_ends, queued, ring_agent
from tests.web.console.pages import text


def presence(app, agent_id="sophie"):  # type: ignore[no-untyped-def]
    found = agents.get(app.extensions["ivr"].redis, agent_id)
    assert found is not None
    return found


def set_presence(console, state: str):  # type: ignore[no-untyped-def]
    token = csrf_token(console, "/agent")
    return console.post("/agent/presence", data={"state": state, "csrf_token": token})


def parts(console) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """The live parts of the page, as its script receives them, as text."""
    response = console.get("/agent/live")
    assert response.status_code == 200, response.data
    return {name: text(html) for name, html in response.json.items()}


# -- who may open it -----------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_sign_in_and_the_live_parts_answer_401(client):
    page = client.get("/agent")
    assert (page.status_code, page.location) == (302, "/login?next=/agent")
    live = client.get("/agent/live")
    assert (live.status_code, live.json) == (401, {
        "error": "sign in, or send Authorization: Bearer <token>"})
    assert client.post("/agent/presence", data={"state": "available"}).status_code == 401


def test_an_agent_may_not_open_the_supervisor_view(app):
    console = signed_in(app, "ann", "agent", "sophie")
    assert console.get("/supervisor").status_code == 403
    assert console.get("/supervisor/live").status_code == 403
    assert console.get("/supervisor/figures").status_code == 403


def test_the_page_names_the_agent_and_their_presence(app):
    console = signed_in(app, "ann", "agent", "sophie")
    page = console.get("/agent").get_data(as_text=True)
    assert text(page, "presence").startswith("On a break for")
    assert "Console · Sophie Martin" in text(page)
    assert 'data-live="/agent/live"' in page


def test_a_user_whose_agent_is_not_in_the_roster_is_told_so(app):
    """An agent user stays linked to an agent who has since left the roster."""
    service = app.extensions["ivr"]
    agents.save(service.redis, agents.Agent(id="nobody-here", name="Nobody", skills=(
        "technical_support",), reach="+33144002009"), service.clock.now())
    console = signed_in(app, "ghost", "agent", "nobody-here")
    agents.remove(service.redis, "nobody-here")
    page = console.get("/agent")
    assert page.status_code == 200
    assert "agent nobody-here of user ghost is not in the roster" in text(page.get_data(
        as_text=True))
    assert set_presence(console, "available").location == "/agent"
    flashed = text(console.get("/agent").get_data(as_text=True))
    assert flashed.count("agent nobody-here of user ghost is not in the roster") == 2


# -- presence ----------------------------------------------------------------------------------


def test_presence_buttons_change_the_agents_state(app):
    console = signed_in(app, "ann", "agent", "sophie")
    response = set_presence(console, "available")
    assert (response.status_code, response.location) == (302, "/agent")
    assert presence(app).state == "available"
    set_presence(console, "break")
    assert presence(app).state == "break"


def test_available_twice_keeps_the_agents_idle_time(app):
    console = signed_in(app, "ann", "agent", "sophie")
    set_presence(console, "available")
    since = presence(app).since
    app.extensions["ivr"].clock.advance(timedelta(seconds=40))
    set_presence(console, "available")
    assert presence(app).since == since


def test_a_presence_change_without_or_with_a_forged_csrf_token_is_refused(app):
    console = signed_in(app, "ann", "agent", "sophie")
    missing = console.post("/agent/presence", data={"state": "available"})
    forged = console.post("/agent/presence", data={"state": "available",
                                                   "csrf_token": "forged.token.value"})
    assert (missing.status_code, forged.status_code) == (400, 400)
    assert "Reload the page and try again" in text(missing.get_data(as_text=True))
    assert presence(app).state == "break"


def test_a_state_only_calls_set_is_refused_with_a_message(app):
    console = signed_in(app, "ann", "agent", "sophie")
    set_presence(console, "busy")
    assert presence(app).state == "break"
    assert "state must be one of available, break, offline, got 'busy'" in text(
        console.get("/agent").get_data(as_text=True))


def test_two_tabs_racing_leave_one_consistent_presence(app, client, validator):
    """Two tabs of the same agent click different states at once, many times: each time the
    agent ends in one state, and routing agrees with it (a caller reaches them only if they
    are available)."""
    tabs = [signed_in(app, "ann", "agent", "sophie"), app.test_client()]
    assert sign_in(tabs[1], "ann").status_code == 302
    tokens = [csrf_token(tab, "/agent") for tab in tabs]
    service = app.extensions["ivr"]
    for round_ in range(8):
        states = ("available", "break") if round_ % 2 else ("break", "available")
        barrier = threading.Barrier(2)

        def click(tab, token, state, barrier=barrier):  # type: ignore[no-untyped-def]
            barrier.wait()
            tab.post("/agent/presence", data={"state": state, "csrf_token": token})

        threads = [threading.Thread(target=click, args=(tabs[i], tokens[i], states[i]))
                   for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        final = presence(app).state
        assert final in ("available", "break")
        call = queued(client, validator, f"CA-race-{round_}")
        entry = queue.entry(service.redis, call.params["CallSid"])
        assert entry is not None
        assert (entry.state == "reserved") == (final == "available"), (final, entry.state)
        assert (entry.get("agent") == "sophie") == (final == "available")
        call.post("/voice/status", CallStatus="completed")  # the caller hangs up
        agents.set_state(service.redis, "sophie", "break", service.clock.now(), ())


# -- the screen pop ----------------------------------------------------------------------------


def test_a_call_routed_to_the_agent_pops_up_with_client_contract_and_choices(app, client,
                                                                             validator):
    console = signed_in(app, "ann", "agent", "sophie")
    queued(client, validator, "CA1")
    assert parts(console)["queues"].startswith(
        "My queues Queue Waiting Longest wait Estimate Agents free Support technique 1")
    set_presence(console, "available")
    pop = parts(console)["call"]
    assert pop.startswith("Incoming call · Support technique")
    assert "Company ACME Industrie Client ID 1001 Agency paris Phones +33144001001" in pop
    assert "Active Level premium Ends 2030-12-31 Started 2021-01-01" in pop
    assert "menu: pressed 1 → Support technique" in pop
    assert "Calling from +33144001001" in pop
    assert parts(console)["presence"].startswith("Ringing for")


def test_the_screen_pop_follows_the_call_to_wrap_up_then_available(app, client, validator):
    service = app.extensions["ivr"]
    console = signed_in(app, "ann", "agent", "sophie")
    call = queued(client, validator, "CA1")
    service.clock.advance(timedelta(seconds=12))
    set_presence(console, "available")
    dial = ring_agent(app, call)
    agent_answers(call, dial)
    service.clock.advance(timedelta(seconds=5))
    now = parts(console)
    assert now["presence"].startswith("On a call for 5 s")
    assert now["call"].startswith("On a call · Support technique")
    assert "Waited 12 s in the queue · talking for 5 s" in now["call"]
    conversation_ends(call, dial, 95)
    after = parts(console)
    assert after["presence"].startswith("Wrap-up for 0 s")
    assert "available again in 30 s" in after["presence"]
    assert after["call"] == "No call now."
    assert "ACME Industrie (1001) Support technique 12 s 1 min 35 s" in after["recent"]
    service.clock.advance(timedelta(seconds=31))
    dispatch.sweep_once(service)  # the worker's sweeper ends wrap-ups
    assert parts(console)["presence"].startswith("Available for")


def test_previous_calls_of_the_client_are_in_the_screen_pop(app, client, validator):
    console = signed_in(app, "ann", "agent", "sophie")
    first = queued(client, validator, "CA1")
    first.post("/voice/status", CallStatus="completed")  # hung up while waiting
    queued(client, validator, "CA2")
    set_presence(console, "available")
    pop = parts(console)["call"]
    assert "Previous calls of this client When Queue Outcome Agent Waited Talked" in pop
    assert "07/12 09:00 Support technique Abandoned — 0 s —" in pop


def test_client_data_is_escaped_on_the_page(app, client, validator):
    service = app.extensions["ivr"]
    acme = directory.get_client(service.redis, "1001")
    assert acme is not None
    directory.save_clients(service.redis, [acme.model_copy(
        update={"company": "<script>alert(1)</script>"})])
    console = signed_in(app, "ann", "agent", "sophie")
    queued(client, validator, "CA1")
    waiting = console.get("/agent/live").json["queues"]
    set_presence(console, "available")
    live = console.get("/agent/live").json
    page = console.get("/agent").get_data(as_text=True)
    for html in (waiting, live["call"], page):
        assert "<script>alert(1)" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "Company <script>alert(1)</script>" in text(live["call"])


# -- voicemails --------------------------------------------------------------------------------


def leave_voicemail(app, sid: str, queue_name: str | None) -> None:  # type: ignore[no-untyped-def]
    service = app.extensions["ivr"]
    voicemail.save(service.redis, {"CallSid": sid, "RecordingSid": f"RE{sid}",
                                   "RecordingUrl": f"https://api.twilio.com/rec/RE{sid}",
                                   "RecordingDuration": "42"},
                   {"caller": "+33144001001", "client": {"id": "1001",
                                                         "company": "ACME Industrie"}},
                   service.clock.now(), "fr", queue_name)


def test_agents_see_voicemails_of_their_queues_and_mark_them_handled(app):
    leave_voicemail(app, "CA1", "technical_support")
    leave_voicemail(app, "CA2", "delivery")
    leave_voicemail(app, "CA3", None)  # out of hours: before any queue
    console = signed_in(app, "ann", "agent", "sophie")
    page = console.get("/agent").get_data(as_text=True)
    assert 'data-voicemail="RECA3"' in page and 'data-voicemail="RECA1"' in page
    assert 'data-voicemail="RECA2"' not in page
    assert '<audio controls preload="none" src="https://api.twilio.com/rec/RECA1">' in page
    refused = console.post("/agent/voicemails/RECA1/handled")
    assert refused.status_code == 400
    token = csrf_token(console, "/agent")
    done = console.post("/agent/voicemails/RECA1/handled", data={"csrf_token": token})
    assert (done.status_code, done.location) == (302, "/agent#voicemails")
    assert 'data-voicemail="RECA1"' not in console.get("/agent").get_data(as_text=True)
    marked = voicemail.for_agents(app.extensions["ivr"].redis, None, "handled")
    assert [(m["id"], m["handled"]["by"]) for m in marked] == [("RECA1", "ann")]


def test_a_recording_url_that_is_not_http_is_not_linked(app):
    service = app.extensions["ivr"]
    voicemail.save(service.redis, {"CallSid": "CA9", "RecordingSid": "RE9",
                                   "RecordingUrl": "javascript:alert(1)"}, None,
                   service.clock.now(), "fr")
    page = signed_in(app, "ann", "agent", "sophie").get("/agent").get_data(as_text=True)
    assert 'data-voicemail="RE9"' in page
    assert "javascript:" not in page


def test_behind_a_proxy_the_pages_use_its_prefix(r, env, clock):
    """A reverse proxy serving the app under /hotline (IVR_PROXY_HOPS=1): every URL the
    console writes, its polling URL included, carries the prefix."""
    app = create_app({"TESTING": True, "CLOCK": clock, **env, "IVR_PROXY_HOPS": "1"})
    proxy = {"X-Forwarded-Prefix": "/hotline", "X-Forwarded-Proto": "https",
             "X-Forwarded-Host": "support.example.com"}
    add_user(app, "ann", "agent", "sophie")
    browser = app.test_client()
    first = browser.get("/agent", headers=proxy)
    assert first.location == "/hotline/login?next=/hotline/agent"
    token = csrf_token(browser, "/login?next=/hotline/agent")
    signed = browser.post("/login", headers=proxy, data={
        "name": "ann", "password": PASSWORD, "csrf_token": token, "next": "/hotline/agent"})
    assert signed.location == "/hotline/agent"
    page = browser.get("/agent", headers=proxy).get_data(as_text=True)
    for url in ('data-live="/hotline/agent/live"', 'action="/hotline/agent/presence"',
                'src="/hotline/static/console.js"', 'href="/hotline/static/style.css"'):
        assert url in page
    app.extensions["ivr"].close()
