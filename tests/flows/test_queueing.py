"""A call in a queue, webhook by webhook: the wait, overflow, and being put through to an agent
(the REST step that takes the call out of Twilio's queue is played here by the test)."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

from ivr import queue
from ivr.centre import agents, records
from tests.conftest import MONDAY_MORNING, PARIS
from tests.helpers import ACME_PHONE, Caller, TwiML

SUPPORT_WAIT = "Vous êtes en attente du support technique. Vous êtes en {} position."
CALLBACK_OFFER = "Pour être rappelé sans perdre votre place, tapez 1."


def in_queue(client, validator, sid: str, caller: str = ACME_PHONE) -> Caller:  # type: ignore[no-untyped-def]
    """A call from ACME's number that confirms its company and chooses technical support."""
    call = Caller(client, validator, sid=sid, caller=caller)
    call.start()
    call.press(None)  # greeting: French
    call.press("1")  # "press 1 if you are calling for ACME Industrie"
    doc = call.press("1")  # menu: technical support
    assert doc.one("Enqueue").text == "technical_support"
    return call


def wait(call: Caller) -> TwiML:
    """Twilio asks the wait URL; the call's current document stays the <Enqueue>."""
    enqueued = call.doc
    assert enqueued is not None
    doc = call.post(enqueued.one("Enqueue").get("waitUrl") or "")
    call.doc = enqueued
    return doc


def available(app, agent_id: str):  # type: ignore[no-untyped-def]
    service = app.extensions["ivr"]
    rules = service.flows.current().queue_rules.values()
    return agents.set_state(service.redis, agent_id, "available", service.clock.now(), rules)[1]


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def test_the_enqueue_verb_carries_our_wait_and_action_urls(client, validator):
    call = in_queue(client, validator, "CA1")
    enqueue = call.doc.one("Enqueue")  # type: ignore[union-attr]
    assert urlsplit(enqueue.get("waitUrl") or "").path == "/voice/wait"
    assert urlsplit(enqueue.get("action") or "").path == "/voice/step"
    assert query(enqueue.get("action") or "")["n"] == "to_support"


def test_waiting_callers_hear_their_own_place_in_our_queue(client, validator):
    first = in_queue(client, validator, "CA1")
    second = in_queue(client, validator, "CA2")
    assert wait(first).said() == [SUPPORT_WAIT.format("première"), CALLBACK_OFFER]
    doc = wait(second)
    assert doc.said() == [SUPPORT_WAIT.format("2e"), CALLBACK_OFFER]
    # a key pressed at any time while waiting comes back to the wait URL
    assert doc.verbs == ["Gather"]
    assert [v.tag for v in doc.one("Gather")] == ["Say", "Say", "Play"]
    assert doc.action()[0] == "/voice/wait"
    again = wait(second)  # the reminder comes back every 45 s, not each loop
    assert [v.tag for v in again.one("Gather")] == ["Play"]


def test_the_estimated_wait_is_said_once_handle_times_are_known(app, r, client, validator):
    r.rpush("ivr:q:handled:technical_support", 30, 40)
    wait(in_queue(client, validator, "CA1"))
    assert wait(in_queue(client, validator, "CA2")).said()[1] == \
        "Temps d'attente estimé, environ 1 minute."


def test_the_wait_counts_the_callers_of_another_queue_its_agent_serves(app, r, client,
                                                                         validator):
    service = app.extensions["ivr"]
    r.rpush("ivr:q:handled:technical_support", *[300] * 20)  # calls of 5 minutes
    wait(in_queue(client, validator, "CA1"))
    # sophie, on a break, is the only agent: CA2 waits for the end of her next call and of
    # CA1's, 1.7 calls (the median's shift of 0.3): 8.5 minutes
    assert wait(in_queue(client, validator, "CA2")).said()[1] == \
        "Temps d'attente estimé, environ 8 minutes."
    sophie = agents.get(service.redis, "sophie")
    assert sophie is not None
    agents.save(service.redis, sophie.agent.model_copy(update={"skills": (
        "technical_support", "maintenance")}), service.clock.now())
    maintenance = service.flows.current().rules("maintenance")
    for n in range(4):  # 4 callers wait in maintenance: sophie answers them too now
        pipe = r.pipeline(transaction=False)
        queue.join(pipe, maintenance, f"CM{n}", service.clock.now(), {"contract": "active"})
        pipe.execute()
    # CA3, third in a line of 3 with 4 waiting there, has 3/7 of sophie's calls: 2.7 of them
    # take 6.3 of her calls, 5.3 x 5 minutes after the first: 31.5 minutes (alone: 13.5)
    assert wait(in_queue(client, validator, "CA3")).said()[1] == \
        "Temps d'attente estimé, entre 30 et 35 minutes."


def test_nobody_signed_in_sends_the_caller_to_the_overflow_menu(app, client, validator):
    service = app.extensions["ivr"]
    agents.set_state(service.redis, "sophie", "offline", service.clock.now(), ())
    call = in_queue(client, validator, "CA1")
    assert wait(call).verbs == ["Leave"]
    doc = call.post(call.action_url("Enqueue"), QueueResult="leave", QueueTime="1")
    assert doc.said()[0].startswith("Tous nos conseillers sont occupés")
    assert doc.one("Gather") is not None
    assert queue.entry(service.redis, "CA1").get("outcome") == "overflow"  # type: ignore[union-attr]


def test_a_caller_who_hangs_up_in_the_queue_is_counted_abandoned(app, client, validator):
    service = app.extensions["ivr"]
    call = in_queue(client, validator, "CA1")
    wait(call)
    assert call.post(call.action_url("Enqueue"), QueueResult="hangup").verbs == ["Hangup"]
    records.collect(service.redis, PARIS, 90)
    stats = records.day_stats(service.redis, MONDAY_MORNING.date(), "technical_support")
    assert (stats["offered"], stats["abandoned"]) == (1, 1)


def test_an_available_agent_gets_the_first_caller_with_a_whisper(app, client, validator):
    service = app.extensions["ivr"]
    first = in_queue(client, validator, "CA1")
    wait(first)
    wait(in_queue(client, validator, "CA2"))
    (held,) = available(app, "sophie")
    assert (held.entry, held.agent) == ("CA1", "sophie")
    assert queue.position(service.redis, "technical_support", "CA2") == 1
    # routing's job redirects the call to the connect URL (played here by the test)
    doc = first.post(f"/voice/connect?e=CA1&r={held.res}")
    assert doc.said() == ["Nous vous mettons en relation avec un conseiller."]
    dial = doc.one("Dial")
    number = dial.find("Number")
    assert number is not None and number.text == "+33144002001"
    assert dial.get("timeout") == "20"
    whisper_url = number.get("url") or ""
    assert query(whisper_url)["agent"] == "sophie"
    # the agent picks up: their leg asks for the whisper
    agent_leg = Caller(client, validator, sid="CA-agent-leg", caller="+33825000463")
    whisper = agent_leg.post(whisper_url)
    assert whisper.said() == ["Appel pour Support technique : ACME Industrie, contrat actif."]
    assert agents.get(service.redis, "sophie").state == "busy"  # type: ignore[union-attr]
    # the conversation ends
    end = first.post(dial.get("action") or "", DialCallStatus="completed", DialCallDuration="95")
    assert end.verbs == ["Hangup"]
    presence = agents.get(service.redis, "sophie")
    assert presence is not None and presence.state == "wrapup"
    (call,) = records.of_client(service.redis, "1001")
    assert (call["outcome"], call["agent"], call["handled"]) == ("answered", "sophie", 95)


def test_an_agent_who_does_not_answer_leaves_the_caller_in_place(app, client, validator):
    service = app.extensions["ivr"]
    first = in_queue(client, validator, "CA1")
    wait(first)
    wait(in_queue(client, validator, "CA2"))
    (held,) = available(app, "sophie")
    dial = first.post(f"/voice/connect?e=CA1&r={held.res}").one("Dial")
    doc = first.post(dial.get("action") or "", DialCallStatus="no-answer")
    enqueue = doc.one("Enqueue")
    assert enqueue.text == "technical_support"
    assert query(enqueue.get("action") or "")["n"] == "to_support"
    assert queue.position(service.redis, "technical_support", "CA1") == 1
    presence = agents.get(service.redis, "sophie")
    assert presence is not None and presence.state == "offline"
    assert "did not answer" in presence.reason


def test_a_stale_connect_puts_the_caller_back_in_the_queue(app, client, validator):
    service = app.extensions["ivr"]
    first = in_queue(client, validator, "CA1")
    wait(first)
    (held,) = available(app, "sophie")
    late = service.clock.now() + timedelta(seconds=queue.RESERVE_GRACE)
    queue.route(service.redis, late, ())  # released as late, nobody to route to
    assert queue.entry(service.redis, "CA1").state == "waiting"  # type: ignore[union-attr]
    assert first.post(f"/voice/connect?e=CA1&r={held.res}").verbs == ["Enqueue"]


def test_the_status_callback_takes_a_finished_call_out_of_the_queue(app, client, validator):
    service = app.extensions["ivr"]
    call = in_queue(client, validator, "CA1")
    wait(call)
    call.post("/voice/status", CallStatus="completed", CallDuration="40")
    assert queue.size(service.redis, "technical_support") == 0
    assert [c["outcome"] for c in records.of_client(service.redis, "1001")] == ["abandoned"]


def test_a_simulated_call_hears_its_place_then_hangs_up_leaving_nothing_behind(app):
    from tests.helpers import scripted_call

    service = app.extensions["ivr"]
    result = scripted_call(app, "-", "1", "1", caller=ACME_PHONE)
    assert result.outcome == {"type": "enqueue", "target": "technical_support"}
    assert SUPPORT_WAIT.format("première") in result.said()
    assert queue.size(service.redis, "technical_support") == 0
    assert queue.entry(service.redis, result.steps[0]["params"]["CallSid"]).get("outcome") \
        == "abandoned"  # type: ignore[union-attr]


def test_twilio_reporting_the_redirect_out_of_the_queue_changes_nothing(app, client, validator):
    service = app.extensions["ivr"]
    agents.set_state(service.redis, "sophie", "offline", service.clock.now(), ())
    call = in_queue(client, validator, "CA1")
    action = call.action_url("Enqueue")
    assert call.post(action, QueueResult="redirected").verbs == []
    # the call later comes back to the queue with the same action URL, and leaves for overflow
    doc = call.post(action, QueueResult="leave")
    assert doc.said()[0].startswith("Tous nos conseillers sont occupés")


def test_a_simulated_call_waits_but_is_never_routed_to_a_real_agent(r, env, clock):
    from ivr import create_app
    from tests.helpers import scripted_call

    trial = create_app({"TESTING": True, "CLOCK": clock, "TRIAL": True, **env})
    service = trial.extensions["ivr"]
    agents.set_state(service.redis, "sophie", "available", clock.now(), ())
    result = scripted_call(trial, "-", "1", "1", caller=ACME_PHONE)
    assert SUPPORT_WAIT.format("première") in result.said()
    assert agents.get(service.redis, "sophie").state == "available"  # type: ignore[union-attr]
