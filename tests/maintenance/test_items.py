"""Changing a follow-up's state: checked against what the user saw, audited, one state when
two users change it at once."""

from __future__ import annotations

import threading

import pytest

from ivr.admin import audit
from ivr.core.exceptions import ActionError
from maintenance import actions, store

ITEM = "renewal-2001-2027-02-23"


@pytest.fixture
def built(service):
    actions.build(service)
    return service


def test_a_state_change_records_who_and_when_and_is_audited(built, r):
    item = actions.set_state(built, ITEM, "todo", "estimate_sent", "system")
    assert (item.state, item.changed_by, item.changed_at) == (
        "estimate_sent", "system", "2026-12-07T06:00:00+00:00")
    entry = audit.entries(r, action="maintenance.state")[0]
    assert (entry["who"], entry["what"], entry["before"], entry["after"]) == (
        "system", ITEM, {"state": "todo"}, {"state": "estimate_sent"})


def test_a_change_from_a_state_the_item_no_longer_has_is_refused(built):
    actions.set_state(built, ITEM, "todo", "renewed", "system")
    with pytest.raises(ActionError, match="changed meanwhile: it is now renewed"):
        actions.set_state(built, ITEM, "todo", "lost", "system")
    assert store.get(built.redis, ITEM).state == "renewed"


def test_an_unknown_item_or_state_is_refused(built):
    with pytest.raises(ActionError, match="no follow-up 'renewal-9'"):
        actions.set_state(built, "renewal-9", "", "lost", "system")
    with pytest.raises(ActionError, match="state must be one of"):
        actions.set_state(built, ITEM, "", "won", "system")


def test_two_users_changing_one_item_at_once_leave_one_state(built, r):
    """Both saw it "to do"; one moves it to renewed, the other to lost: one wins, the other
    is told, and the audit log holds only the winner's change."""
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def change(state: str) -> None:
        barrier.wait()
        try:
            actions.set_state(built, ITEM, "todo", state, "system")
            outcomes[state] = "done"
        except ActionError:
            outcomes[state] = "refused"

    threads = [threading.Thread(target=change, args=(s,)) for s in ("renewed", "lost")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes.values()) == ["done", "refused"]
    winner = next(s for s, o in outcomes.items() if o == "done")
    assert store.get(r, ITEM).state == winner
    assert [e["after"] for e in audit.entries(r, action="maintenance.state")] == [
        {"state": winner}]


def test_the_supervisor_figures_count_due_this_week_and_overdue_by_agency(built):
    assert actions.figures(built) == {
        "alsace": {"due_this_week": 0, "overdue": 0},
        "lille": {"due_this_week": 1, "overdue": 0},
        "lyon": {"due_this_week": 1, "overdue": 0},
        "paris": {"due_this_week": 0, "overdue": 0},
        "rennes": {"due_this_week": 0, "overdue": 1},
    }


def test_the_screen_pop_item_is_the_clients_open_one(built):
    assert store.open_item(built.redis, "2001", "paris").id == ITEM
    actions.set_state(built, ITEM, "", "renewed", "system")
    assert store.open_item(built.redis, "2001", "paris") is None
