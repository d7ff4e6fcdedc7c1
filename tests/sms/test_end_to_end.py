"""Through the local Twilio stand-in: a caller books a callback on a closed Saturday, gets its
confirmation by SMS (the slot in Paris time, in their language), replies ANNULER, and the
callback is gone; STOP is kept, honoured and audited; the registration link from the menu."""

from __future__ import annotations

from datetime import datetime
from threading import Thread

import requests

from callbacks import store
from callbacks.scheduling import ask_for
from ivr.admin import audit
from ivr.core.settings import LOCAL_SMS_FROM
from sms import optout, outbox
from sms.notify import confirm_callback
from tests.callbacks.conftest import run_jobs
from tests.conftest import PARIS
from tests.sms.conftest import eventually, sent_to
from tests.standin import ended

MOBILE = "+33612345678"
SATURDAY = datetime(2026, 12, 12, 10, 0, tzinfo=PARIS)
CONFIRMED_FR = ("Support technique : nous vous rappellerons lundi 14 décembre entre 8 h 30 et "
                "9 h (heure de Paris). Répondez ANNULER pour annuler ce rappel, STOP pour ne "
                "plus recevoir de SMS.")
CANCELLED_FR = "Support technique : votre demande de rappel est annulée."


def book_by_phone(service, device, presses):  # type: ignore[no-untyped-def]
    """A call from MOBILE through the stand-in, to its end; the callback it booked."""
    sid = device.start_call(MOBILE, "+33825000463", presses)
    ended(device, sid, timeout=20)
    found = store.of_number(service.redis, MOBILE)
    assert found is not None
    return found


def test_a_callback_booked_by_phone_is_confirmed_by_sms_and_annuler_cancels_it(line):
    service, device = line
    service.clock.set(SATURDAY)
    booked = book_by_phone(service, device, ["-", "2", "1"])  # closed: 2 callback, 1 this number
    assert booked.state == "scheduled"
    run_jobs(service)  # the SMS job, by a real worker
    [sms] = sent_to(device, MOBILE)
    assert (sms["from"], sms["body"]) == (LOCAL_SMS_FROM, CONFIRMED_FR)
    record = outbox.get(service.redis, "1")
    assert (record["kind"], record["ref"], record["sid"]) == ("callback", booked.id, sms["sid"])
    eventually(lambda: outbox.get(service.redis, "1").get("status") == "delivered")

    answer = device.text(MOBILE, "Annuler")
    assert (answer["status"], answer["replies"]) == (200, [CANCELLED_FR])
    gone = store.get(service.redis, booked.id)
    assert gone is not None and gone.state == "cancelled"
    assert store.of_number(service.redis, MOBILE) is None
    [entry] = audit.entries(service.redis, action="callback.cancel")
    assert (entry["who"], entry["what"]) == ("sms", f"callback {booked.id}")


def test_an_english_caller_is_confirmed_in_english_and_cancel_works(line):
    service, device = line
    service.clock.set(SATURDAY)
    booked = book_by_phone(service, device, ["9", "2", "1"])
    run_jobs(service)
    [sms] = sent_to(device, MOBILE)
    assert sms["body"] == ("Technical support: we will call you back Monday 14 December "
                           "between 8:30 and 9:00 (Paris time). Reply CANCEL to cancel this "
                           "callback, STOP to receive no more texts.")
    assert device.text(MOBILE, "cancel")["replies"] == [
        "Technical support: your callback has been cancelled."]
    assert store.get(service.redis, booked.id).state == "cancelled"  # type: ignore[union-attr]


def test_two_annuler_at_once_cancel_once_and_both_hear_it(line):
    service, device = line
    outcome = ask_for(service, MOBILE, client_id="1001", source="cli", now=SATURDAY)
    assert outbox.get(service.redis, "1")["ref"] == outcome.id  # confirmed when booked
    replies: list[list[str]] = []
    threads = [Thread(target=lambda: replies.append(device.text(MOBILE, "ANNULER")["replies"]))
               for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert replies == [[CANCELLED_FR], [CANCELLED_FR]]
    assert store.get(service.redis, outcome.id).state == "cancelled"  # type: ignore[union-attr]
    assert len(audit.entries(service.redis, action="callback.cancel")) == 1


def test_stop_is_kept_honoured_and_audited_and_start_undoes_it(line):
    service, device = line
    assert device.text(MOBILE, "STOP")["replies"] == [
        "Support technique : vous ne recevrez plus de SMS de notre part. Répondez START pour "
        "les recevoir à nouveau."]
    assert device.text(MOBILE, "stop")["replies"] == []  # once
    assert optout.is_stopped(service.redis, MOBILE)
    [entry] = audit.entries(service.redis, action="sms.stop")
    assert (entry["who"], entry["what"]) == ("sms", "SMS to **********78")
    # a confirmation is not even made; an SMS already queued is not sent
    outcome = ask_for(service, MOBILE, client_id="1001", source="cli", now=SATURDAY)
    assert outbox.get(service.redis, "1") == {}
    assert confirm_callback(service, outcome.id) is None
    queued = outbox.queue_sms(service, MOBILE, "hello", "test")
    run_jobs(service)
    assert outbox.get(service.redis, queued or "")["state"] == "stopped"
    assert device.text(MOBILE, "ANNULER")["replies"] == []  # nothing answered while stopped
    assert store.get(service.redis, outcome.id).state == "scheduled"  # type: ignore[union-attr]
    assert sent_to(device, MOBILE) == []
    assert device.text(MOBILE, "START")["replies"] == [
        "Support technique : vous recevrez à nouveau nos SMS."]
    assert not optout.is_stopped(service.redis, MOBILE)
    assert [e["action"] for e in audit.entries(service.redis, action="sms")] == \
        ["sms.start", "sms.stop"]


def test_unknown_replies_get_one_help_message_a_day(line):
    service, device = line
    help_fr = ("Support technique : répondez ANNULER pour annuler votre rappel, STOP pour ne "
               "plus recevoir de SMS. Support : 0825 000 463.")
    assert device.text(MOBILE, "bonjour ?")["replies"] == [help_fr]
    assert device.text(MOBILE, "allo")["replies"] == []
    assert device.text(MOBILE, "ANNULER")["replies"] == [
        "Support technique : aucun rappel n'est prévu pour ce numéro."]
    service.clock.set(datetime(2026, 12, 8, 0, 1, tzinfo=PARIS))  # the next day in Paris
    assert device.text(MOBILE, "???")["replies"] == [help_fr]


def test_the_menu_texts_the_registration_link_with_the_client_id(line):
    service, device = line
    # identified as 1001, menu 4 (the link), then 1: technical support, where it waits
    sid = device.start_call(MOBILE, "+33825000463", ["-", "1001", "4", "1"])
    eventually(lambda: service.job_queue.count >= 1)
    device.hangup(sid)
    ended(device, sid, timeout=20)
    run_jobs(service)
    [sms] = sent_to(device, MOBILE)
    assert sms["body"] == ("Support technique : inscrivez-vous sur "
                           "https://www.ige-xao.com/support/inscription avec votre identifiant "
                           "client 1001 et votre numéro de licence.")


def test_a_failing_number_is_reported_and_a_failed_send_is_kept_as_failed(line):
    service, device = line
    device.set_phone(MOBILE, sms="undelivered")
    first = outbox.queue_sms(service, MOBILE, "one", "test") or ""
    run_jobs(service)
    eventually(lambda: outbox.get(service.redis, first).get("status") == "undelivered")
    assert outbox.get(service.redis, first)["error"] == "Twilio error 30003"
    [sms] = sent_to(device, MOBILE)
    assert sms["statuses"] == ["queued", "sent", "undelivered"]
    # Twilio down for a while: RQ tries again later, and it is sent once
    requests.post(device.base_url + "/_local/faults", timeout=5,
                  json={"status": 503, "count": 4, "match": "Messages"}).raise_for_status()
    second = outbox.queue_sms(service, MOBILE, "two", "test") or ""
    run_jobs(service)
    assert outbox.get(service.redis, second)["state"] == "queued"
    run_jobs(service, due=True)
    assert outbox.get(service.redis, second)["state"] == "sent"
    assert [m["body"] for m in sent_to(device, MOBILE)] == ["one", "two"]


def test_a_landline_gets_no_confirmation(line):
    service, device = line
    outcome = ask_for(service, "+33144001001", client_id="1001", source="cli", now=SATURDAY)
    assert outcome.state == "scheduled"
    assert confirm_callback(service, outcome.id) is None
    assert device.messages() == []


def test_two_runs_of_the_same_sms_job_at_once_send_it_once(line):
    service, device = line
    out_id = outbox.queue_sms(service, MOBILE, "une fois", "test") or ""
    runs = [Thread(target=outbox.deliver, args=(service, out_id)) for _ in range(2)]
    for run in runs:
        run.start()
    for run in runs:
        run.join()
    assert [m["body"] for m in sent_to(device, MOBILE)] == ["une fois"]
    record = outbox.get(service.redis, out_id)
    assert record["state"] == "sent" and record["sid"] == sent_to(device, MOBILE)[0]["sid"]
