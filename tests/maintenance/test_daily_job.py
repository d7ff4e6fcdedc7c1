"""The daily job, run by a real RQ worker on a frozen clock, builds the exact worklists.

Dates computed by hand (Monday 7 December 2026): a renewal is due 60 days before the
contract ends, an order's estimate 15 days after its delivery; a due date on a weekend or a
public holiday of the agency moves back to the working day before. A renewal shows up 30 days
before its due date at most; an order while its 15 days run.
"""

from __future__ import annotations

import json
from datetime import timedelta

from rq import Queue
from rq.registry import ScheduledJobRegistry

from ivr.cli import main
from maintenance import actions, jobs
from tests.maintenance.conftest import run_jobs

EXPECTED = [
    # 2027-01-15 - 60 days = Monday 16 November: past, never sent -> overdue, first
    ("renewal-2004-2027-01-15", "rennes", "2026-11-16", True),
    # delivered Sunday 22 November + 15 = Monday 7 December (today: due, not late)
    ("delivery-2008-O1", "lyon", "2026-12-07", False),
    # delivered 28 November + 15 = Sunday 13 December -> Friday 11
    ("delivery-2007-O3", "lille", "2026-12-11", False),
    # delivered today + 15 = Tuesday 22 December
    ("delivery-2003-O5", "paris", "2026-12-22", False),
    # 2027-02-23 - 60 = Friday 25 December, Christmas -> Thursday 24
    ("renewal-2001-2027-02-23", "paris", "2026-12-24", False),
    # 2027-02-24 - 60 = Saturday 26 December (Saint-Étienne in Alsace too), Christmas before
    # -> Thursday 24
    ("renewal-2005-2027-02-24", "alsace", "2026-12-24", False),
    # 2027-02-28 - 60 = Wednesday 30 December, a working day
    ("renewal-2002-2027-02-28", "paris", "2026-12-30", False),
]
# Left out: 2003's renewal (due Thursday 7 January, 31 days away), 2006 (contract ended
# 30 November), 2007's renewal (no contract), 2008's (ends 2030); order O2 (its 15 days ended
# on 6 December), O4 (delivered tomorrow).


def listed(runner, agency: str | None = None) -> list[dict]:
    args = ["maintenance", "list", "--json", "--at", "2026-12-07T07:00:00+01:00"]
    result = runner.invoke(main, args + (["--agency", agency] if agency else []))
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_the_daily_job_builds_each_agencys_exact_worklist(service, runner):
    queue = Queue("callbacks", connection=service.job_queue.connection)
    queue.enqueue(jobs.daily)
    run_jobs(service)
    found = listed(runner)
    assert [(i["id"], i["agency"], i["due"], i["overdue"]) for i in found] == EXPECTED
    assert {i["state"] for i in found} == {"todo"}
    assert {(i["changed_by"], i["changed_at"]) for i in found} == {
        ("system", "2026-12-07T06:00:00+00:00")}
    assert [i["id"] for i in listed(runner, "paris")] == [
        "delivery-2003-O5", "renewal-2001-2027-02-23", "renewal-2002-2027-02-28"]


def test_the_daily_job_schedules_its_next_run_for_tomorrow_six_oclock(service):
    queue = Queue("callbacks", connection=service.job_queue.connection)
    queue.enqueue(jobs.daily)
    run_jobs(service)
    registry = ScheduledJobRegistry(queue=queue)
    assert registry.get_job_ids() == ["maintenance-daily-2026-12-08"]
    assert jobs.next_run(service).isoformat() == "2026-12-08T06:00:00+01:00"


def test_two_runs_of_the_job_keep_one_item_each_and_its_state(service, runner):
    queue = Queue("callbacks", connection=service.job_queue.connection)
    queue.enqueue(jobs.daily)
    run_jobs(service)
    actions.set_state(service, "renewal-2001-2027-02-23", "todo", "estimate_sent", "system")
    queue.enqueue(jobs.daily)
    queue.enqueue(jobs.daily)
    run_jobs(service)
    found = listed(runner)
    assert [i["id"] for i in found] == [e[0] for e in EXPECTED]
    assert {i["id"]: i["state"] for i in found}["renewal-2001-2027-02-23"] == "estimate_sent"


def test_a_day_later_the_late_delivery_is_overdue_and_a_new_renewal_joins(service, runner):
    """Tuesday 8 December: O1 (due the 7th) is late; 2003's renewal (due 7 January) is now
    30 days away and joins; O4, delivered on the 8th, is due the 23rd."""
    queue = Queue("callbacks", connection=service.job_queue.connection)
    queue.enqueue(jobs.daily)
    run_jobs(service)
    service.clock.advance(timedelta(days=1))
    queue.enqueue(jobs.daily)
    run_jobs(service)
    result = runner.invoke(main, ["maintenance", "list", "--json", "--at",
                               "2026-12-08T07:00:00+01:00"])
    found = json.loads(result.output)
    assert [(i["id"], i["due"], i["overdue"]) for i in found] == [
        ("renewal-2004-2027-01-15", "2026-11-16", True),
        ("delivery-2008-O1", "2026-12-07", True),
        ("delivery-2007-O3", "2026-12-11", False),
        ("delivery-2003-O5", "2026-12-22", False),
        ("delivery-2005-O4", "2026-12-23", False),
        ("renewal-2001-2027-02-23", "2026-12-24", False),
        ("renewal-2005-2027-02-24", "2026-12-24", False),
        ("renewal-2002-2027-02-28", "2026-12-30", False),
        ("renewal-2003-2027-03-08", "2027-01-07", False),
    ]
