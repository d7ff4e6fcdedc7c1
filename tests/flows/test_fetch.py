"""The reads a step plans: only what the flow needs, in one pipeline, parsed for the nodes."""

from __future__ import annotations

import pytest

from ivr.callers import guard
from ivr.callers.directory import Client, save_clients
from ivr.flows import switches as live
from ivr.flows.fetch import Fetch
from tests.conftest import MONDAY_MORNING

ACME = Client(id="1001", company="ACME", agency="paris", phones=["+33144001001"])
ALSO = Client(id="1000", company="Also", agency="paris", phones=["+33144001001"])


def run(r, fetch: Fetch) -> tuple[int, dict]:  # type: ignore[no-untyped-def]
    pipe = r.pipeline(transaction=False)
    fetch.queue(pipe)
    queued = len(pipe)
    return queued, fetch.parse(pipe.execute())


def test_nothing_needed_reads_nothing(r):
    assert run(r, Fetch(frozenset(), "+33144001001", "1001")) == (0, {})


def test_every_read_in_one_pipeline(r):
    save_clients(r, [ACME, ALSO])
    live.close_emergency(r, MONDAY_MORNING, MONDAY_MORNING, "test")
    r.set(guard.LOCK_KEY.format("+33144001001"), "1796630400.5 CA:1")
    queued, fetched = run(r, Fetch(frozenset({"live", "caller", "typed", "guard"}),
                                   "+33144001001", "1001"))
    assert queued == 4
    assert fetched["live"].emergency.reason == "test"
    assert [c.id for c in fetched["caller"]] == ["1000", "1001"]  # in id order
    assert fetched["typed"] == ACME
    assert fetched["guard"] == guard.Record(1796630400.5)


@pytest.mark.parametrize("digits", [None, "", "abc", "1" * 13, "10*01"])
def test_keys_that_are_not_an_id_look_nothing_up(r, digits):
    queued, fetched = run(r, Fetch(frozenset({"typed"}), None, digits))
    assert (queued, fetched) == (0, {})


def test_an_unknown_id_and_an_unknown_number_read_as_none(r):
    queued, fetched = run(r, Fetch(frozenset({"caller", "typed", "guard"}), "+33612345678",
                                   "9999"))
    assert queued == 3
    assert fetched == {"caller": [], "typed": None, "guard": guard.Record()}


def test_an_anonymous_caller_has_no_guard_record_to_read(r):
    queued, fetched = run(r, Fetch(frozenset({"caller", "guard"}), None, None))
    assert (queued, fetched) == (0, {"guard": guard.Record()})
