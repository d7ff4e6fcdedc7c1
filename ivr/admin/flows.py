"""Admin actions on the call flow: save a version, publish, roll back, diff, and the changes
made from forms (weekly hours, dated closures, prompts, queues), each a new published version.

A version is never changed once saved; publishing only chooses which one new calls start on
(calls in progress keep theirs). Saving with a `base` is refused when someone else saved since.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from datetime import date, time
from typing import Any

from ruamel.yaml.comments import CommentedMap

from ivr.admin import audit, yamledit
from ivr.core.exceptions import ActionError, Conflict, FlowError
from ivr.flows.flow import Flow
from ivr.flows.loader import parse
from ivr.flows.store import Revision
from ivr.hours import WEEKDAYS, ClosureConfig, Interval
from ivr.services.hotline import Hotline

MAX_SOURCE = 512 * 1024
MAX_MESSAGE = 200


def check(text: str, source: str = "flow") -> Flow:
    """Validate a flow's YAML as `ivr flow validate` does; FlowError lists every problem."""
    size = len(text.encode("utf-8"))
    if size > MAX_SOURCE:
        raise FlowError([f"line 1: the flow is {size / 1_000_000:.1f} MB; a flow may have at most "
                         f"{MAX_SOURCE // 1024} KB"], source)
    if "\x00" in text:
        raise FlowError(["line 1: the text contains a NUL character"], source)
    return parse(text, source)


def _message(message: str) -> str:
    message = " ".join(message.split())
    if len(message) > MAX_MESSAGE:
        raise ActionError(f"the message may have at most {MAX_MESSAGE} characters")
    return message


def save(service: Hotline, text: str, message: str, by: str, base: int | None,
         publish: bool = False) -> Revision:
    """Save a new version (published too when asked); refused with every problem of the file,
    or with a conflict when a version was saved since `base`."""
    text = text.replace("\r\n", "\n")
    flow = check(text)
    message = _message(message)
    store, now = service.flows, service.clock.now()
    action = "flow.save+publish" if publish else "flow.save"

    before = store.published_number()

    def note(pipe: Any, revision: Revision) -> None:
        audit.write(pipe, now, by, action,
                    f"version {revision.number}: {message or '(no message)'}",
                    {"published": before},
                    {"version": revision.number, "hash": flow.version,
                     "published": revision.number if publish else before})

    return store.save(flow, text, by, message, now, base=base, publish=publish, extra=note)


def publish(service: Hotline, number: int, by: str, expect: int | None = None,
            action: str = "flow.publish") -> Revision:
    """Make saved version `number` the one new calls start on."""
    store, now = service.flows, service.clock.now()
    before = store.published_number()
    if before == number:
        raise ActionError(f"version {number} is already published")

    def note(pipe: Any, revision: Revision) -> None:
        audit.write(pipe, now, by, action, f"version {number} published (was {before})",
                    {"published": before}, {"published": number})

    return store.publish_revision(number, by, now, extra=note, expect=expect)


def rollback(service: Hotline, number: int | None, by: str) -> Revision:
    """Publish an earlier version again: `number`, or the one published before the current."""
    store = service.flows
    current = store.published_number()
    if number is None:
        earlier = [h["number"] for h in store.history() if h.get("number")
                   and h["number"] != current]
        if not earlier:
            raise ActionError("no earlier published version to roll back to")
        number = int(earlier[0])
    if current is not None and number >= current:
        raise ActionError(f"roll back goes to an earlier version than {current}; "
                          f"use publish for version {number}")
    return publish(service, number, by, expect=current, action="flow.rollback")


def show(service: Hotline, number: int) -> Revision:
    return service.flows.revision(number)


def diff(service: Hotline, a: int, b: int) -> str:
    """A unified diff of two versions' YAML ('' when the same)."""
    old, new = service.flows.revision(a), service.flows.revision(b)
    return "".join(difflib.unified_diff(old.source.splitlines(True), new.source.splitlines(True),
                                        f"version {a}", f"version {b}"))


# -- changes from forms: each edits the published version's YAML, saves and publishes ---------

Change = Callable[[CommentedMap], tuple[Any, Any]]  # edits the document; (before, after)


def _edit(service: Hotline, by: str, action: str, what: str, change: Change,
          expect: int | None = None) -> Revision:
    """Apply `change` to the published version and publish the result as a new version.
    With `expect` (the published version the admin saw), refused when it is no longer so;
    without, a change racing another is applied again on top of it."""
    store = service.flows
    for _ in range(3):
        head, published = store.head(), store.published_number()
        if published is None:
            raise ActionError("no flow is published")
        if expect is not None and published != expect:
            raise Conflict(f"version {published} was published since you opened this page "
                           f"(version {expect}): nothing changed; reload and try again")
        doc = yamledit.load(store.revision(published).source)
        before, after = change(doc)
        text = yamledit.dump(doc)
        try:
            flow = check(text)
        except FlowError as exc:
            raise ActionError(exc.problems) from None
        now = service.clock.now()

        def note(pipe: Any, revision: Revision, before: Any = before, after: Any = after,
                 now: Any = now) -> None:
            audit.write(pipe, now, by, action, f"{what} (version {revision.number})", before,
                        after)

        try:
            return store.save(flow, text, by, what, now, base=head, publish=True, extra=note)
        except Conflict:
            if expect is not None:
                raise
    raise Conflict("the flow kept changing while this change was saved: try again")


def _schedule(doc: CommentedMap, name: str) -> CommentedMap:
    schedule: CommentedMap = yamledit.section(doc, "schedules", name)
    return schedule


def set_weekly_hours(service: Hotline, schedule: str, weekly: dict[str, list[str]], by: str,
                     expect: int | None = None) -> Revision:
    """Replace a schedule's weekly hours ({day: ["08:30-12:30", ...]}; '24:00' ends a day)."""
    problems = []
    if not any(weekly.values()):
        problems.append("give opening hours for at least one day (to close the line, add a "
                        "dated closure or set the emergency closure)")
    for day, intervals in weekly.items():
        if day not in WEEKDAYS:
            problems.append(f"{day}: not a day of the week")
        for text in intervals:
            try:
                Interval.parse(text)
            except ValueError as exc:
                problems.append(f"{day}: {exc}")
    if problems:
        raise ActionError(problems)

    def change(doc: CommentedMap) -> tuple[Any, Any]:
        section = _schedule(doc, schedule)
        before = {d: list(v) for d, v in (section.get("weekly") or {}).items()}
        section["weekly"] = CommentedMap(
            (day, yamledit.inline(weekly[day])) for day in WEEKDAYS if weekly.get(day))
        return before, {d: weekly[d] for d in WEEKDAYS if weekly.get(d)}

    return _edit(service, by, "hours.weekly", f"weekly hours of {schedule}", change, expect)


def add_closure(service: Hotline, schedule: str, first: date, last: date | None, reason: str,
                by: str, from_time: time | None = None, to_time: time | None = None,
                expect: int | None = None) -> Revision:
    """A dated closure (one day, or first..last), optionally from/to a time, with the reason
    callers hear."""
    values: dict[str, Any] = ({"date": first} if last is None or last == first
                              else {"from": first, "to": last})
    if from_time:
        values["from_time"] = yamledit.quoted(f"{from_time:%H:%M}")
    if to_time:
        values["to_time"] = yamledit.quoted(f"{to_time:%H:%M}")
    values["reason"] = " ".join(reason.split())
    try:
        closure = ClosureConfig.model_validate(values)
    except ValueError as exc:
        raise ActionError(_pydantic_problems(exc)) from None
    flow = service.flows.current()
    if schedule not in flow.schedules:
        raise ActionError(f"no schedule {schedule!r} (known: {', '.join(sorted(flow.schedules))})")
    today = service.clock.now().astimezone(flow.schedules[schedule].tz).date()
    if closure.last < today:
        raise ActionError(f"the closure ends in the past ({closure.last})")

    def change(doc: CommentedMap) -> tuple[Any, Any]:
        section = _schedule(doc, schedule)
        if not section.get("closures"):
            section["closures"] = []
        section["closures"].append(yamledit.inline_map(values))
        return None, closure.model_dump(mode="json", by_alias=True, exclude_none=True)

    what = f"closure of {schedule} on {closure.describe()}: {closure.reason}"
    return _edit(service, by, "hours.closure.add", what, change, expect)


def remove_closure(service: Hotline, schedule: str, index: int, by: str,
                   expect: int | None = None) -> Revision:
    """Remove the dated closure at `index` (as listed) from a schedule."""
    def change(doc: CommentedMap) -> tuple[Any, Any]:
        closures = _schedule(doc, schedule).get("closures") or []
        if not 0 <= index < len(closures):
            raise ActionError(f"schedule {schedule} has no closure number {index + 1}")
        return {k: str(v) for k, v in closures.pop(index).items()}, None

    return _edit(service, by, "hours.closure.remove", f"closure of {schedule} removed", change,
                 expect)


def set_prompt(service: Hotline, name: str, lang: str, text: str, by: str,
               expect: int | None = None) -> Revision:
    """The text of a prompt in one language (a recording, if any, is kept)."""
    text = " ".join(text.split())
    if not text:
        raise ActionError("the prompt's text is empty")

    def change(doc: CommentedMap) -> tuple[Any, Any]:
        texts = yamledit.section(doc, "prompts", name)
        before = texts.get(lang)
        if isinstance(before, dict):
            texts[lang]["text"] = text
            return str(before.get("text")), text
        texts[lang] = text
        return (str(before) if before is not None else None), text

    return _edit(service, by, "flow.prompt", f"prompt {name} ({lang})", change, expect)


QUEUE_SETTINGS = {"label": str, "wait_prompt": str, "hold_music": str, "max_size": int,
                  "max_wait": int, "reminder": int, "agency_first": int, "agent_timeout": int,
                  "wrapup": int}


def set_queue(service: Hotline, name: str, by: str, expect: int | None = None,
              **settings: str | int | None) -> Revision:
    """A queue's settings (label, wait prompt, hold music, sizes and times); '' puts a setting
    back to its default, None leaves it."""
    unknown = sorted(set(settings) - set(QUEUE_SETTINGS))
    if unknown:
        raise ActionError(f"unknown queue setting(s): {', '.join(unknown)}")
    changes: dict[str, Any] = {}
    for key, value in settings.items():
        if value is None:
            continue
        text = str(value).strip()
        if QUEUE_SETTINGS[key] is int and text:
            if not text.isdigit():
                raise ActionError(f"{key}: a whole number, got {text[:20]!r}")
            changes[key] = int(text)
        else:
            changes[key] = text

    def change(doc: CommentedMap) -> tuple[Any, Any]:
        queue = yamledit.section(doc, "queues", name)
        before = {k: queue[k] for k in changes if k in queue}
        for key, value in changes.items():
            if value != "":
                queue[key] = value
            elif key in queue and key != "label":
                del queue[key]  # back to the default
        return before, changes

    return _edit(service, by, "flow.queue", f"queue {name}", change, expect)


def _pydantic_problems(exc: Exception) -> list[str]:
    errors = getattr(exc, "errors", None)
    if not callable(errors):
        return [str(exc)]
    return [f"{'.'.join(str(p) for p in e['loc']) or 'closure'}: "
            f"{e['msg'].removeprefix('Value error, ')}" for e in errors()]
