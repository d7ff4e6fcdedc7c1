"""Callbacks in the console and the supervisor view: agents see those of their queues and the
failed ones to call back by hand, and cancel a pending one; supervisors see them all."""

from __future__ import annotations

from datetime import datetime

from callbacks import store
from callbacks.scheduling import ask_for
from tests.conftest import PARIS
from tests.signin import csrf_token, signed_in
from tests.web.console.pages import text

FRIDAY_EVENING = datetime(2027, 5, 14, 18, 0, tzinfo=PARIS)


def two_callbacks(app):  # type: ignore[no-untyped-def]
    """ACME's (technical support) and an unidentified caller's (maintenance), both for
    Tuesday 18 May 08:30."""
    service = app.extensions["ivr"]
    service.clock.set(FRIDAY_EVENING)
    ask_for(service, "0612345678", client_id="1001", source="cli")
    ask_for(service, "0699887766", client_id=None, source="cli")


def test_an_agent_sees_the_callbacks_of_their_queues_and_cancels_one(app, r):
    two_callbacks(app)
    console = signed_in(app, "ann", "agent", "sophie")  # technical support
    page = console.get("/agent")
    shown = text(page.get_data(as_text=True), "callbacks")
    assert "ACME Industrie +33612345678 Support technique scheduled 18/05 08:30 0/3" in shown
    assert "+33699887766" not in shown  # maintenance is not Sophie's
    live = console.get("/agent/live").json
    assert "ACME Industrie" in text(live["callbacks"])
    token = csrf_token(console, "/agent")
    done = console.post("/agent/callbacks/1/cancel", data={"csrf_token": token})
    assert (done.status_code, done.location) == (302, "/agent#callbacks")
    assert store.get(r, "1").get("reason") == "cancelled by ann"  # type: ignore[union-attr]
    after = text(console.get("/agent").get_data(as_text=True))
    assert "Callback 1 cancelled." in after
    again = console.post("/agent/callbacks/1/cancel", data={"csrf_token": token})
    assert again.status_code == 302
    assert "Callback 1 is cancelled: it cannot be cancelled." in \
        text(console.get("/agent").get_data(as_text=True))


def test_a_cancel_without_its_csrf_token_is_refused(app, r):
    two_callbacks(app)
    console = signed_in(app, "ann", "agent", "sophie")
    assert console.post("/agent/callbacks/1/cancel").status_code == 400
    assert store.get(r, "1").state == "scheduled"  # type: ignore[union-attr]


def test_failed_callbacks_are_listed_to_call_back_by_hand(app, r):
    two_callbacks(app)
    # as the last attempt leaves it (tests/callbacks/store/test_dialling.py)
    r.hset(store.RECORD_KEY.format("1"), mapping={"state": "failed", "reason": "busy",
                                                  "attempts": "3"})
    r.zrem(store.OPEN_KEY, "1")
    r.zadd(store.FAILED_KEY, {"1": 1})
    console = signed_in(app, "ann", "agent", "sophie")
    shown = text(console.get("/agent").get_data(as_text=True), "callbacks")
    assert shown.startswith("Callbacks No callback pending. Not reached: to call back by hand")
    assert "ACME Industrie +33612345678 Support technique failed 18/05 08:30 3/3 busy" in shown
    assert "Cancel" not in shown


def test_the_supervisor_sees_every_callback_and_cancels_from_the_view(app, r):
    two_callbacks(app)
    board = signed_in(app, "sue", "supervisor")
    shown = text(board.get("/supervisor").get_data(as_text=True), "callbacks")
    assert "+33612345678" in shown and "Unidentified +33699887766 Maintenance" in shown
    assert "Unidentified" in text(board.get("/supervisor/live").json["callbacks"])
    token = csrf_token(board, "/supervisor")
    done = board.post("/agent/callbacks/2/cancel", data={"csrf_token": token,
                                                          "back": "supervisor"})
    assert (done.status_code, done.location) == (302, "/supervisor#callbacks")
    assert store.get(r, "2").state == "cancelled"  # type: ignore[union-attr]
