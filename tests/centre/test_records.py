"""A day's figures from the call records: per hour, by outcome, waits, handle time, service
level; counters for /metrics."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from ivr.centre import records
from ivr.queue import Entry, ms
from tests.conftest import PARIS

DAY = date(2026, 12, 7)


def finished(sid: str, queue: str, outcome: str, at: datetime, waited: int,
             handled: int | None = None) -> Entry:
    """A queue entry as routing leaves it when its caller has gone."""
    fields = {"queue": queue, "outcome": outcome, "enq": str(ms(at)), "pressed": "",
              "client_id": "1001", "agent": "ana" if outcome == "answered" else ""}
    end = str(ms(at + timedelta(seconds=waited)))
    fields["answered" if outcome == "answered" else "left"] = end
    if handled is not None:
        fields["handled"] = str(handled)
    return Entry(sid, fields)


def test_a_days_figures_per_queue_and_in_total(r):
    nine = datetime(2026, 12, 7, 9, 5, tzinfo=PARIS)
    entries = [finished(f"CA{n}", "technical_support", "answered", nine, 10 * n, 60 + 10 * n)
               for n in range(1, 11)]  # waits 10..100 s, handled 70..160 s
    entries += [finished("CA11", "technical_support", "abandoned", nine.replace(hour=14), 5),
                finished("CA12", "technical_support", "abandoned", nine.replace(hour=14), 15),
                finished("CA13", "maintenance", "overflow", nine.replace(hour=7), 30)]
    records.save(r, entries, PARIS, 90)
    figures = records.day_figures(r, DAY, PARIS, ["technical_support", "delivery"])
    assert [q["queue"] for q in figures["queues"]] == [
        "technical_support", "delivery", "maintenance"]  # a queue with calls is never hidden
    support = figures["queues"][0]
    assert {k: v for k, v in support.items() if k != "hours"} == {
        "queue": "technical_support", "offered": 12, "answered": 10, "abandoned": 2,
        "overflow": 0, "answered_in_time": 6, "service_level": 0.6,
        "wait_avg": 55, "wait_p90": 90, "abandon_wait_avg": 10,
        "handle_avg": 115, "handle_p90": 150,
    }
    assert [(h["hour"], h["offered"], h["answered"], h["abandoned"])
            for h in support["hours"] if h["offered"]] == [(9, 10, 10, 0), (14, 2, 0, 2)]
    assert figures["queues"][1]["offered"] == 0 and figures["queues"][1]["wait_avg"] is None
    assert (figures["total"]["offered"], figures["total"]["overflow"]) == (13, 1)
    assert figures["total"]["hours"][7]["overflow"] == 1


def test_calls_belong_to_the_local_day_they_arrived(r):
    late = datetime(2026, 12, 7, 23, 59, 50, tzinfo=PARIS)  # 22:59:50 UTC
    records.save(r, [finished("CA1", "technical_support", "answered", late, 20, 60)], PARIS, 90)
    assert records.day_figures(r, DAY, PARIS)["total"]["hours"][23]["answered"] == 1
    assert records.day_figures(r, DAY + timedelta(days=1), PARIS)["total"]["offered"] == 0


def test_the_90th_percentile_is_the_nearest_rank():
    assert records.percentile([], 0.9) is None
    assert records.percentile([7], 0.9) == 7
    assert records.percentile([50, 10, 40, 20, 30], 0.9) == 50  # rank ceil(4.5) = 5
    assert records.percentile(range(1, 21), 0.9) == 18  # rank 18 of 20


def test_totals_count_every_record_by_queue_and_outcome(r):
    nine = datetime(2026, 12, 7, 9, 0, tzinfo=PARIS)
    records.save(r, [finished("CA1", "technical_support", "answered", nine, 5, 60),
                     finished("CA2", "technical_support", "abandoned", nine, 5),
                     finished("CA3", "technical_support", "abandoned", nine, 5)], PARIS, 90)
    assert records.totals(r) == {("technical_support", "answered"): 1,
                                 ("technical_support", "abandoned"): 2}
