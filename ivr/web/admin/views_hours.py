"""Hours, closures, the calendar; the emergency closure and announcements; prompts, queues."""

from __future__ import annotations

from datetime import date, timedelta

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from ivr.admin import flows, switches
from ivr.flows.store import Revision
from ivr.hours import WEEKDAYS
from ivr.web.admin import act, bp, by, form_errors, local, service
from ivr.web.admin.forms import (
    AnnouncementForm,
    ClosureForm,
    EmergencyForm,
    IndexForm,
    PromptForm,
    QueueForm,
    WeeklyForm,
)

CALENDAR_DAYS = 92


def _months(days: list) -> list[tuple[str, list[list]]]:
    """Calendar days grouped by month, in weeks of seven (None pads the first and last)."""
    months: dict[tuple[int, int], list] = {}
    for day in days:
        months.setdefault((day.day.year, day.day.month), []).append(day)
    grouped = []
    for (year, month), items in months.items():
        cells = [None] * items[0].day.weekday() + items
        cells += [None] * (-len(cells) % 7)
        grouped.append((date(year, month, 1).strftime("%B %Y"),
                        [cells[i:i + 7] for i in range(0, len(cells), 7)]))
    return grouped


@bp.get("/hours")
def hours() -> ResponseReturnValue:
    s = service()
    flow = s.flows.current()
    name = request.args.get("schedule", "support")
    if name not in flow.schedules:
        name = next(iter(flow.schedules))
    schedule = flow.schedules[name]
    published = s.flows.published_number()
    weekly = WeeklyForm(expect=published, **{
        day: ", ".join(schedule.config.weekly.get(day, [])) for day in WEEKDAYS})
    today = s.clock.now().astimezone(schedule.tz).date()
    return render_template(
        "admin/hours.html", name=name, schedules=sorted(flow.schedules), schedule=schedule,
        weekly=weekly, closure=ClosureForm(expect=published, first=today),
        remove=IndexForm(expect=published), published=published,
        months=_months(schedule.calendar(today, CALENDAR_DAYS, "fr")), today=today)


def version_published(revision: Revision) -> str:
    return f"version {revision.number} is published."


def _back(name: str) -> ResponseReturnValue:
    return redirect(url_for("admin.hours", schedule=name))


@bp.post("/hours/<name>/weekly")
def hours_weekly(name: str) -> ResponseReturnValue:
    form = WeeklyForm()
    act(form, lambda: f"Weekly hours of {name} saved: " + version_published(
        flows.set_weekly_hours(service(), name, form.weekly(), by(), form.expect.data)))
    return _back(name)


@bp.post("/hours/<name>/closures")
def closure_add(name: str) -> ResponseReturnValue:
    form = ClosureForm()
    act(form, lambda: "Closure added: " + version_published(flows.add_closure(
        service(), name, form.first.data, form.last.data, form.reason.data or "", by(),
        form.from_time.data, form.to_time.data, form.expect.data)))
    return _back(name)


@bp.post("/hours/<name>/closures/remove")
def closure_remove(name: str) -> ResponseReturnValue:
    form = IndexForm()
    act(form, lambda: "Closure removed: " + version_published(flows.remove_closure(
        service(), name, form.index.data or 0, by(), form.expect.data)))
    return _back(name)


# -- live switches -----------------------------------------------------------------------------


@bp.route("/live", methods=["GET"])
def live() -> ResponseReturnValue:
    s = service()
    now = s.clock.now().astimezone(s.settings.tz).replace(tzinfo=None, second=0, microsecond=0)
    announcement = AnnouncementForm(until=now + timedelta(hours=2))
    announcement.name.choices = switches.announcement_names(s)
    return render_template("admin/live.html", live=switches.active(s),
                           emergency=EmergencyForm(until=now + timedelta(hours=1)),
                           announcement=announcement, clear=IndexForm())


@bp.post("/live/emergency")
def emergency_set() -> ResponseReturnValue:
    form = EmergencyForm()

    def set_it() -> str:
        switches.set_emergency(service(), local(form.until.data), form.reason.data or "", by())
        return "Emergency closure set: callers hear that the line is closed."

    act(form, set_it)
    return redirect(url_for("admin.live"))


@bp.post("/live/emergency/end")
def emergency_end() -> ResponseReturnValue:
    form = IndexForm()
    if form.validate_on_submit() or not form.errors.get("csrf_token"):
        ended = switches.end_emergency(service(), by())
        flash("Emergency closure ended." if ended else "There was no emergency closure.")
    else:
        form_errors(form)
    return redirect(url_for("admin.live"))


@bp.post("/live/announcement")
def announcement_set() -> ResponseReturnValue:
    form = AnnouncementForm()
    form.name.choices = switches.announcement_names(service())

    def set_it() -> str:
        texts = {"fr": form.text_fr.data or "", "en": form.text_en.data or ""}
        switches.set_announcement(service(), form.name.data or "", texts,
                                  local(form.until.data), by())
        return f"Announcement {form.name.data} is played."

    act(form, set_it)
    return redirect(url_for("admin.live"))


@bp.post("/live/announcement/<name>/clear")
def announcement_clear(name: str) -> ResponseReturnValue:
    form = IndexForm()
    form.validate_on_submit()
    if form.errors.get("csrf_token"):
        form_errors(form)
    else:
        switches.clear_announcement(service(), name, by())
        flash(f"Announcement {name} withdrawn.")
    return redirect(url_for("admin.live"))


# -- prompts and queues ------------------------------------------------------------------------


@bp.get("/prompts")
def prompts() -> ResponseReturnValue:
    s = service()
    flow = s.flows.current()
    published = s.flows.published_number()
    queues = {name: QueueForm(expect=published, name=name, label=q.label,
                              wait_prompt=q.wait_prompt, hold_music=str(q.hold_music),
                              max_size=q.max_size, max_wait=q.max_wait,
                              agent_timeout=q.agent_timeout, wrapup=q.wrapup)
              for name, q in flow.config.queues.items()}
    return render_template("admin/prompts.html", config=flow.config, published=published,
                           form=PromptForm(expect=published), queues=queues)


@bp.post("/prompts")
def prompt_set() -> ResponseReturnValue:
    form = PromptForm()
    act(form, lambda: f"Prompt {form.name.data} ({form.lang.data}) saved: " + version_published(
        flows.set_prompt(service(), form.name.data or "", form.lang.data or "",
                         form.text.data or "", by(), form.expect.data)))
    return redirect(url_for("admin.prompts") + f"#prompt-{form.name.data}")


@bp.post("/queues")
def queue_set() -> ResponseReturnValue:
    form = QueueForm()
    act(form, lambda: f"Queue {form.name.data} saved: " + version_published(flows.set_queue(
        service(), form.name.data or "", by(), form.expect.data,
        label=form.label.data, wait_prompt=form.wait_prompt.data,
        hold_music=form.hold_music.data, max_size=form.max_size.data,
        max_wait=form.max_wait.data, agent_timeout=form.agent_timeout.data,
        wrapup=form.wrapup.data)))
    return redirect(url_for("admin.prompts") + "#queues")
