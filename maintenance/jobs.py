"""The daily RQ job that builds the worklists, and its scheduling: module-level, safe to run
twice (the same follow-up is never added twice)."""

from __future__ import annotations

import logging
from datetime import datetime, time, timedelta

from rq import Queue

from ivr.centre.jobs import queue
from ivr.services.hotline import Hotline, current_hotline
from maintenance import actions

log = logging.getLogger(__name__)
DAILY_AT = time(6, 0)  # local time of the agencies (Europe/Paris), before anyone is in


def daily() -> dict[str, int]:
    """Build today's worklists, then schedule the next run (RQ has no recurring jobs)."""
    service = current_hotline()
    done = actions.build(service)
    schedule(service, queue(service.settings))
    log.info("maintenance worklists: %d due, %d new", done["due"], done["created"])
    return done


def next_run(service: Hotline) -> datetime:
    """The next DAILY_AT after the service's now, in its zone."""
    now = service.clock.now().astimezone(service.settings.tz)
    at = datetime.combine(now.date(), DAILY_AT, tzinfo=service.settings.tz)
    return at if at > now else datetime.combine(now.date() + timedelta(days=1), DAILY_AT,
                                                tzinfo=service.settings.tz)


def schedule(service: Hotline, job_queue: Queue, now: bool = False) -> datetime:
    """Put the daily job on RQ's scheduler at its next time (one job per day, whichever worker
    asks: its id is the day's), and also now when asked (a worker starting). Returns when."""
    if now:
        job_queue.enqueue(daily, job_id="maintenance-daily-now")
    at = next_run(service)
    # RQ's scheduler runs on real time; the service's clock may be shifted (`ivr run --at`)
    job_queue.enqueue_in(at - service.clock.now(), daily, job_id=f"maintenance-daily-{at.date()}")
    return at
