"""The callback node and where callers meet it: the closed path, the wait (keeping their place),
overflow; a refused number gets a reason and another chance; a pending one can be cancelled."""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlsplit

from rq import Queue
from rq.registry import ScheduledJobRegistry

from callbacks import QUEUE, store
from callbacks.scheduling import make_wake_jobs
from ivr import queue
from ivr.centre import agents
from ivr.queue import ms
from tests.conftest import PARIS
from tests.flows.test_queueing import in_queue, wait
from tests.helpers import ACME_PHONE, Caller, scripted_call

FRIDAY_EVENING = datetime(2027, 5, 14, 18, 0, tzinfo=PARIS)  # Whit Monday follows
TUESDAY_OPENING = datetime(2027, 5, 18, 8, 30, tzinfo=PARIS)
CONFIRM = ("Nous vous rappellerons au numéro se terminant par {}. Pour confirmer, tapez 1. "
           "Pour un autre numéro, tapez-le, suivi de la touche dièse.")
TYPE_NUMBER = "Tapez le numéro auquel nous pouvons vous rappeler, suivi de la touche dièse."
SCHEDULED = "C'est noté : nous vous rappellerons {}."
QUEUED = ("C'est noté : nous vous rappellerons dès qu'un conseiller sera disponible, à votre "
          "place dans la file d'attente.")
COSTLY = "Nous ne rappelons pas les numéros surtaxés, à coût partagé ou spéciaux."
GOODBYE = "Merci de votre appel. Au revoir."


def test_asked_on_friday_evening_it_is_due_on_tuesday_after_whit_monday(app, r):
    result = scripted_call(app, "-", "2", "1", at=FRIDAY_EVENING, caller="+33612345678")
    said = result.said()
    assert CONFIRM.format("56 78") in said
    assert said[-2:] == [SCHEDULED.format("mardi 18 mai entre 8 h 30 et 9 h"), GOODBYE]
    assert result.outcome == {"type": "callback", "target": "1"}
    found = store.get(r, "1")
    assert found is not None
    assert (found.state, found.number, found.moment("due")) == \
        ("scheduled", "+33612345678", TUESDAY_OPENING)
    assert (found.get("source"), found.get("queue")) == ("closed", "maintenance")  # unknown
    # a worker gives it the job RQ's scheduler runs then, its id carrying the callback's
    service = app.extensions["ivr"]
    assert make_wake_jobs(service) == 1
    jobs = Queue(QUEUE, connection=service.job_queue.connection)
    assert ScheduledJobRegistry(queue=jobs).get_job_ids() == \
        [f"cb-1-wake-{ms(TUESDAY_OPENING)}"]


def test_a_known_client_on_the_closed_path_is_called_back_by_their_own_queue(app, r):
    result = scripted_call(app, "-", "2", "1", at=FRIDAY_EVENING, caller=ACME_PHONE)
    assert result.said()[-2] == SCHEDULED.format("mardi 18 mai entre 8 h 30 et 9 h")
    found = store.get(r, "1")
    assert found is not None
    assert (found.get("client_id"), found.get("queue"), found.get("contract")) == \
        ("1001", "technical_support", "active")


def test_another_number_can_be_typed(app, r):
    result = scripted_call(app, "-", "2", "0699887766#", at=FRIDAY_EVENING)
    assert result.outcome["type"] == "callback"
    assert store.get(r, "1").number == "+33699887766"  # type: ignore[union-attr]


def test_a_refused_number_is_said_why_and_asked_again(app, r):
    result = scripted_call(app, "-", "2", "0899123456#", "1", at=FRIDAY_EVENING)
    said = result.said()
    refused_at = said.index(COSTLY)
    assert said[refused_at + 1] == CONFIRM.format("56 78")
    assert result.outcome == {"type": "callback", "target": "1"}
    assert [c.number for c in store.pending(r)] == ["+33612345678"]


def test_garbage_and_silence_use_up_the_attempts(app, r):
    result = scripted_call(app, "-", "2", "*", "-", "12#", at=FRIDAY_EVENING)
    assert result.said()[-1] == GOODBYE
    assert "Ce numéro n'est pas valide." in result.said()
    assert "Nous n'avons pas reçu de numéro." in result.said()
    assert result.outcome == {"type": "hangup", "target": None}
    assert store.pending(r) == []


def test_a_hidden_caller_id_or_our_own_number_is_not_offered(app, r):
    for caller in ("anonymous", "+33825000463"):
        result = scripted_call(app, "-", "2", "-", "-", "-", at=FRIDAY_EVENING, caller=caller)
        assert TYPE_NUMBER in result.said()
        assert not any(s.startswith("Nous vous rappellerons au numéro") for s in result.said())


def test_the_hotlines_number_typed_is_refused(app, r):
    result = scripted_call(app, "-", "2", "0825000463#", at=FRIDAY_EVENING)
    assert COSTLY in result.said()  # shared-cost, and ours
    assert store.pending(r) == []


def test_a_number_past_its_daily_cap_is_told_so(app, r):
    for n in range(3):
        scripted_call(app, "-", "2", "1", at=FRIDAY_EVENING + timedelta(minutes=n))
        store.cancel(r, str(n + 1), FRIDAY_EVENING, "test")
    result = scripted_call(app, "-", "2", "1", at=FRIDAY_EVENING + timedelta(minutes=5))
    assert "Ce numéro a déjà demandé plusieurs rappels aujourd'hui." in result.said()
    assert len(store.pending(r)) == 0


def test_a_waiting_caller_who_presses_1_keeps_their_place(app, r, client, validator):
    first = in_queue(client, validator, "CA1")
    second = in_queue(client, validator, "CA2")
    third = in_queue(client, validator, "CA3")
    for call in (first, second, third):
        wait(call)
    enqueue = second.doc.one("Enqueue")  # type: ignore[union-attr]
    left = second.post(enqueue.get("waitUrl") or "", Digits="1")
    assert left.verbs == ["Leave"]
    assert queue.entry(r, "CA2").state == "held"  # type: ignore[union-attr]
    second.doc = None
    offer = second.post(enqueue.get("action") or "", QueueResult="leave", QueueTime="40")
    assert offer.said() == [CONFIRM.format("10 01")]
    request = second.press("1")
    assert urlsplit(request.one("Redirect").text or "").path == "/voice/callback"
    back = second.post(request.one("Redirect").text or "")
    step = back.one("Redirect").text or ""
    assert parse_qs(urlsplit(step).query)["cb"] == ["1"]
    done = second.post(step)
    assert done.said() == [QUEUED, GOODBYE]
    assert [e.id for e in queue.waiting(r, "technical_support")] == ["CA1", "cb-1", "CA3"]
    assert queue.entry(r, "CA2").get("outcome") == "callback"  # type: ignore[union-attr]
    assert store.get(r, "1").get("source") == "queue"  # type: ignore[union-attr]


def test_another_key_while_waiting_changes_nothing(app, r, client, validator):
    call = in_queue(client, validator, "CA1")
    wait(call)
    doc = call.post(call.doc.one("Enqueue").get("waitUrl") or "", Digits="5")  # type: ignore[union-attr]
    assert [v.tag for v in doc.one("Gather")] == ["Play"]
    assert queue.entry(r, "CA1").state == "waiting"  # type: ignore[union-attr]


def test_a_caller_at_overflow_is_offered_a_callback_at_their_place(app, r, client, validator):
    service = app.extensions["ivr"]
    agents.set_state(service.redis, "sophie", "offline", service.clock.now(), ())
    call = in_queue(client, validator, "CA1")
    assert wait(call).verbs == ["Leave"]  # nobody signed in
    menu = call.post(call.action_url("Enqueue"), QueueResult="leave", QueueTime="1")
    assert "Pour être rappelé, tapez 2." in menu.said()[0]
    call.press("2")
    request = call.press("1")
    back = call.post(request.one("Redirect").text or "")
    assert call.post(back.one("Redirect").text or "").said() == [QUEUED, GOODBYE]
    entry = queue.entry(r, "cb-1")
    assert entry is not None and entry.get("score") == queue.entry(r, "CA1").get("score")  # type: ignore[union-attr]
    assert store.get(r, "1").get("source") == "overflow"  # type: ignore[union-attr]


def test_a_caller_with_a_pending_callback_may_cancel_it(app, r):
    scripted_call(app, "-", "2", "1", at=FRIDAY_EVENING)
    result = scripted_call(app, "-", "1", at=FRIDAY_EVENING + timedelta(hours=1))
    said = result.said()
    assert ("Vous avez demandé à être rappelé mardi 18 mai entre 8 h 30 et 9 h. Pour annuler "
            "ce rappel, tapez 1. Sinon, restez en ligne.") in said
    assert "Votre demande de rappel est annulée." in said
    assert said[-2].startswith("Le support technique est actuellement fermé.")
    assert store.get(r, "1").state == "cancelled"  # type: ignore[union-attr]
    third = scripted_call(app, "-", at=FRIDAY_EVENING + timedelta(hours=2))
    assert not any("rappel" in s and "annuler" in s for s in third.said())


def test_keeping_the_pending_callback_goes_on_with_the_call(app, r):
    scripted_call(app, "-", "2", "1", at=FRIDAY_EVENING)
    result = scripted_call(app, "-", "-", at=FRIDAY_EVENING + timedelta(hours=1))
    assert result.said()[-2].startswith("Le support technique est actuellement fermé.")
    assert store.get(r, "1").state == "scheduled"  # type: ignore[union-attr]


def test_a_request_out_of_turn_makes_no_callback(app, r, client, validator):
    call = Caller(client, validator, sid="CA9")
    call.start()
    doc = call.post("/voice/callback?v=x&n=callback&s=3")
    assert urlsplit(doc.one("Redirect").text or "").path == "/voice/step"
    assert store.pending(r) == []


# -- the flow file: mistakes of the callbacks' settings are refused with their place -------------


def test_callback_settings_mistakes_are_refused_with_their_place():
    from tests.flows.test_loader import problems_of, shipped_text

    text = shipped_text()
    cases = [
        (text.replace("  countries: [FR]", "  countries: [FR, XX]"),
         "callbacks.countries: unknown country code 'XX'"),
        (text.replace('  caller_id: "+33825000463"', '  caller_id: "0825"'),
         "callbacks.caller_id: not a phone number: '0825'"),
        (text.replace("  answer_prompt: callback_intro", "  answer_prompt: callback_hello"),
         "callbacks.answer_prompt: unknown prompt 'callback_hello'"),
        (text.replace("      too_many: callback_refused_too_many",
                      "      too_much: callback_refused_too_many"),
         "nodes.callback.refused: unknown refusal 'too_much'"),
        (text.replace("    callback_prompt: callback_offer", "    callback_prompt: offer", 1),
         "queues.technical_support.callback_prompt: unknown prompt 'offer'"),
    ]
    for changed, message in cases:
        assert changed != text
        assert any(message in problem for problem in problems_of(changed)), \
            (message, problems_of(changed))


def test_a_callback_node_needs_the_callbacks_section():
    from tests.flows.test_loader import problems_of, shipped_text

    text = shipped_text()
    start = text.index("callbacks:\n  queue: technical_support")
    end = text.index("start: greeting")
    problems = problems_of(text[:start] + text[end:])
    assert any("nodes.callback: a callback node needs the flow's callbacks: section" in p
               for p in problems), problems


# -- through the local Twilio stand-in: a real wait loop, keys pressed while waiting ---------


def test_through_twilio_a_waiting_caller_presses_1_and_keeps_their_place(r, env, clock):
    import time

    from ivr.local.simulator_local import LocalTwilio
    from tests.standin import hotline

    def waiting() -> list[str]:
        return [e.id for e in queue.waiting(r, "technical_support")]

    def eventually(check, timeout: float = 20.0) -> None:  # type: ignore[no-untyped-def]
        deadline = time.monotonic() + timeout
        while not check():
            assert time.monotonic() < deadline, waiting()
            time.sleep(0.02)

    with hotline({"TESTING": True, "CLOCK": clock, **env}) as (_app, local):
        device = LocalTwilio(local.url)
        to_support = ["-", "1", "1"]  # greeting, "ACME: press 1", menu: technical support
        ahead = device.start_call(ACME_PHONE, "+33825000463", to_support, hold=3000)
        eventually(lambda: len(waiting()) == 1)
        asking = device.start_call(ACME_PHONE, "+33825000463", to_support, interactive=True,
                                   hold=3000)
        eventually(lambda: len(waiting()) == 2)
        behind = device.start_call(ACME_PHONE, "+33825000463", to_support, hold=3000)
        eventually(lambda: len(waiting()) == 3)
        eventually(lambda: device.press(asking, "1"))  # while waiting: "press 1 to be called back"
        eventually(lambda: device.press(asking, "1"))  # "... ending in 10 01, press 1"
        eventually(lambda: store.get(r, "1") is not None)
        assert waiting() == [ahead, "cb-1", behind]
        for sid in (ahead, behind):
            device.hangup(sid)
