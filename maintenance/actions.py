"""What people and the daily job do to the worklist: build it, change an item, import orders;
validated once and audited, called by the job, the page and the command line."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from ivr.admin import audit
from ivr.callers import directory
from ivr.core.exceptions import ActionError
from ivr.hours import Schedule
from ivr.services.hotline import Hotline
from maintenance import orders, store, worklist

STATE_LABELS = {"todo": "to do", "estimate_sent": "estimate sent", "renewed": "renewed",
                "lost": "lost"}


def today(service: Hotline) -> date:
    return service.clock.now().astimezone(service.settings.tz).date()


def working_days(service: Hotline) -> worklist.WorkingDay:
    """Whether an agency works on a day: Monday to Friday, not a public holiday of the
    agency's schedule in the published flow (Alsace-Moselle has two more)."""
    flow = service.flows.current()
    schedules: dict[str, Schedule] = {
        name: flow.schedules[agency.schedule] for name, agency in flow.config.agencies.items()}
    fallback = flow.schedules.get("support") or next(iter(flow.schedules.values()), None)

    def working(agency: str, day: date) -> bool:
        schedule = schedules.get(agency, fallback)
        return day.weekday() < 5 and not (schedule and schedule.holiday(day))

    return working


def build(service: Hotline) -> dict[str, int]:
    """Add today's follow-ups to every agency's worklist (the daily job); safe to run twice."""
    day = today(service)
    dues = worklist.build(directory.all_clients(service.redis), orders.all_orders(service.redis),
                          day, working_days(service))
    created = store.upsert(service.redis, dues, service.clock.now())
    if created:
        audit.record(service.redis, service.clock.now(), "system", "maintenance.build",
                     f"{created} new follow-up(s) on {day.isoformat()}", None,
                     {"due": len(dues), "created": created})
    return {"due": len(dues), "created": created}


def set_state(service: Hotline, item_id: str, seen: str, state: str, by: str) -> store.Item:
    """Move an item to `state`, if nobody changed it since the user saw it in `seen`."""
    if state not in store.STATES:
        raise ActionError(f"state must be one of {', '.join(store.STATES)}, got {state[:20]!r}")
    if seen and seen not in store.STATES:
        raise ActionError(f"unknown state {seen[:20]!r}")
    outcome, previous = store.change_state(service.redis, item_id[:80], seen, state, by,
                                           service.clock.now())
    if outcome == "unknown":
        raise ActionError(f"no follow-up {item_id[:80]!r}")
    if outcome == "conflict":
        raise ActionError(f"{item_id} was changed meanwhile: it is now "
                          f"{STATE_LABELS[previous]}; nothing changed")
    if outcome == "same":
        raise ActionError(f"{item_id} is already {STATE_LABELS[previous]}")
    audit.record(service.redis, service.clock.now(), by, "maintenance.state", item_id,
                 {"state": previous}, {"state": state})
    item = store.get(service.redis, item_id)
    assert item is not None  # items are never deleted
    return item


def import_orders(service: Hotline, source: Path | bytes, filename: str,
                  by: str) -> tuple[int, int]:
    """Upsert every order of a CSV file (a path, or an upload's bytes), or none: each bad cell
    is named with its line and column (ImportRowsError); each order's client must be in the
    directory. The worklists are built at once, so a new order's estimate is on them today.
    Returns the orders imported and the new follow-ups."""
    known = {client.id for client in directory.all_clients(service.redis)}
    found = orders.read_file(source, known)
    count = orders.save(service.redis, found)
    audit.record(service.redis, service.clock.now(), by, "orders.import",
                 f"{count} order(s) from {filename[:100]}", None, {"imported": count})
    return count, build(service)["created"]


def agency_items(service: Hotline, agency: str | None) -> list[store.Item]:
    """An agency's items (all agencies' without one), overdue first; an unknown agency is
    refused."""
    known = service.flows.current().config.agencies
    if agency is not None and agency not in known:
        raise ActionError(f"unknown agency {agency[:40]!r}; the flow has: "
                          f"{', '.join(sorted(known))}")
    return store.ordered(store.items(service.redis, agency), today(service))


def figures(service: Hotline) -> dict[str, dict[str, int]]:
    """For the supervisor wall, by agency: open items due this week (Monday to Sunday) and
    overdue ones."""
    day = today(service)
    week_end = date.fromordinal(day.toordinal() + 6 - day.weekday())
    found: dict[str, dict[str, int]] = {}
    for item in store.items(service.redis):
        counts = found.setdefault(item.agency, {"due_this_week": 0, "overdue": 0})
        if item.overdue(day):
            counts["overdue"] += 1
        elif item.open and day <= item.due <= week_end:
            counts["due_this_week"] += 1
    return dict(sorted(found.items()))
