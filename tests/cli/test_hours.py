"""`ivr hours`: status, calendar and the emergency closure, as an admin runs them."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from ivr.cli import main
from ivr.core.settings import PROJECT_ROOT
from ivr.flows.loader import load_file

SHIPPED = PROJECT_ROOT / "config" / "flow.yaml"
FAQ_HOURS = "08:30-12:30, 13:30-17:30"


@pytest.fixture
def published(runner):  # type: ignore[no-untyped-def]
    """The shipped flow, published the way an admin does it."""
    result = runner.invoke(main, ["flow", "publish", str(SHIPPED)])
    assert result.exit_code == 0, result.output
    return runner


def status_json(runner, *args: str) -> dict:  # type: ignore[no-untyped-def]
    result = runner.invoke(main, ["hours", "status", "--json", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def calendar(runner, *args: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """`ivr hours calendar` as {date: what}."""
    result = runner.invoke(main, ["hours", "calendar", *args])
    assert result.exit_code == 0, result.output
    lines = [line.split(None, 1)[1].split("  ", 1) for line in result.output.splitlines()]
    return {day: what for day, what in lines}


# -- status --------------------------------------------------------------------------------


def test_status_friday_before_whit_monday(published):
    data = status_json(published, "--at", "2027-05-14T18:00:00+02:00")
    assert data == {"open": False, "reason": "outside_hours", "holiday": None, "closure": None,
                    "next_open": "2027-05-18T08:30:00+02:00", "closes_at": None}


@pytest.mark.parametrize(("lang", "name"), [("fr", "Noël"), ("en", "Christmas Day")])
def test_status_on_christmas_names_the_holiday(published, lang, name):
    data = status_json(published, "--at", "2026-12-25T10:00:00+01:00", "--lang", lang)
    assert (data["open"], data["reason"], data["holiday"]) == (False, "holiday", name)
    assert data["next_open"] == "2026-12-28T08:30:00+01:00"


def test_status_when_open_gives_the_closing_time(published):
    data = status_json(published, "--at", "2026-12-07T10:00:00+01:00")
    assert (data["open"], data["reason"]) == (True, "open")
    assert data["closes_at"] == "2026-12-07T12:30:00+01:00"
    assert data["next_open"] == "2026-12-07T10:00:00+01:00"


@pytest.mark.parametrize(("schedule", "is_open", "holiday"), [
    ("support", True, None),
    ("alsace", False, "Vendredi saint"),
])
def test_status_of_another_schedule(published, schedule, is_open, holiday):
    data = status_json(published, "--at", "2027-03-26T10:00:00+01:00", "--schedule", schedule)
    assert (data["open"], data["holiday"]) == (is_open, holiday)


def test_status_in_words(published):
    closed = published.invoke(main, ["hours", "status", "--at", "2027-05-14T18:00:00+02:00"])
    assert closed.exit_code == 0
    assert closed.output.strip() == (
        "support: closed at 2027-05-14 18:00 CEST (outside hours); reopens Tuesday 18 May at "
        "8:30 (2027-05-18T08:30:00+02:00)")
    opened = published.invoke(main, ["hours", "status", "--at", "2026-12-07T10:00:00+01:00"])
    assert opened.output.strip() == "support: open at 2026-12-07 10:00 CET (closes 12:30)"
    christmas = published.invoke(main, ["hours", "status", "--at", "2026-12-25T10:00:00+01:00"])
    assert "(Noël); reopens Monday 28 December at 8:30" in christmas.output


@pytest.mark.parametrize(("value", "message"), [
    ("next monday", "not an ISO 8601 time: 'next monday'"),
    ("2026-12-07T09:00:00", "time must carry its UTC offset"),
    ("2026-13-07T09:00:00+01:00", "not an ISO 8601 time"),
])
def test_bad_at_is_a_usage_error(published, value, message):
    result = published.invoke(main, ["hours", "status", "--at", value])
    assert result.exit_code == 2
    assert "Invalid value for '--at'" in result.output and message in result.output


def test_unknown_schedule_lists_the_known_ones(published):
    result = published.invoke(main, ["hours", "status", "--schedule", "unknown"])
    assert result.exit_code == 2
    assert "unknown schedule 'unknown'; known: alsace, support" in result.output
    result = published.invoke(main, ["hours", "calendar", "--schedule", "unknown"])
    assert result.exit_code == 2 and "unknown schedule 'unknown'" in result.output


def test_status_on_an_empty_redis_publishes_the_shipped_flow_first(runner, r):
    result = runner.invoke(main, ["hours", "status", "--at", "2027-05-14T18:00:00+02:00",
                                  "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["next_open"] == "2027-05-18T08:30:00+02:00"
    assert r.get("ivr:flow:current")


# -- calendar ------------------------------------------------------------------------------


def test_calendar_around_christmas(published):
    days = calendar(published, "--from", "2026-12-21", "--days", "10")
    assert list(days) == [f"2026-12-{n}" for n in range(21, 31)]
    assert days["2026-12-25"] == "closed - holiday: Noël"
    assert days["2026-12-26"] == days["2026-12-27"] == "closed"
    open_days = {day for day, what in days.items() if what == FAQ_HOURS}
    assert open_days == {f"2026-12-{n}" for n in (21, 22, 23, 24, 28, 29, 30)}


def test_calendar_lines_show_the_weekday(published):
    result = published.invoke(main, ["hours", "calendar", "--from", "2026-12-25", "--days", "1"])
    assert result.output == "Fri 2026-12-25  closed - holiday: Noël\n"


def test_calendar_of_alsace_in_english(published):
    days = calendar(published, "--from", "2028-12-25", "--days", "2", "--schedule", "alsace",
                    "--lang", "en")
    assert days == {"2028-12-25": "closed - holiday: Christmas Day",
                    "2028-12-26": "closed - holiday: Saint Stephen's Day"}


def test_calendar_shows_dated_closures(runner, tmp_path):
    text = SHIPPED.read_text(encoding="utf-8").replace(
        "closures: []", "closures: [{date: 2026-12-24, reason: Inventaire annuel}]", 1)
    changed = tmp_path / "flow.yaml"
    changed.write_text(text, encoding="utf-8")
    assert runner.invoke(main, ["flow", "publish", str(changed)]).exit_code == 0
    days = calendar(runner, "--from", "2026-12-23", "--days", "2")
    assert days == {"2026-12-23": FAQ_HOURS, "2026-12-24": "closed - Inventaire annuel"}
    data = status_json(runner, "--at", "2026-12-24T10:00:00+01:00")
    assert (data["reason"], data["closure"]) == ("closure", "Inventaire annuel")
    assert data["next_open"] == "2026-12-28T08:30:00+01:00"


@pytest.mark.parametrize("days", ["0", "801", "ten"])
def test_calendar_days_out_of_range(published, days):
    result = published.invoke(main, ["hours", "calendar", "--days", days])
    assert result.exit_code == 2 and "Invalid value for '--days'" in result.output


def test_calendar_bad_from(published):
    result = published.invoke(main, ["hours", "calendar", "--from", "21/12/2026"])
    assert result.exit_code == 2 and "Invalid value for '--from'" in result.output


# -- emergency closure ---------------------------------------------------------------------


def future(days: int) -> datetime:
    return (datetime.now(UTC) + timedelta(days=days)).replace(microsecond=0)


def test_emergency_close_then_end(published):
    support = load_file(SHIPPED).schedules["support"]
    until = future(30)
    checked = (until - timedelta(days=1)).isoformat()
    before = status_json(published, "--at", checked)
    assert before == support.status(datetime.fromisoformat(checked)).as_json()

    result = published.invoke(main, ["hours", "emergency", "close", "--until", until.isoformat(),
                                     "--reason", "x"])
    assert result.exit_code == 0, result.output
    assert result.output == f"emergency closure until {until.isoformat()} x\n"

    for args in ([], ["--at", checked]):
        data = status_json(published, *args)
        assert (data["open"], data["reason"], data["closure"]) == (False, "emergency", "x")
        assert data["next_open"] == support.next_open(until).isoformat()
        assert datetime.fromisoformat(data["next_open"]) >= until
    shown = published.invoke(main, ["hours", "emergency", "show"])
    assert shown.output == f"emergency closure until {until.isoformat()} x\n"

    ended = published.invoke(main, ["hours", "emergency", "end"])
    assert ended.exit_code == 0 and ended.output == "no emergency closure\n"
    assert status_json(published, "--at", checked) == before
    assert status_json(published)["reason"] != "emergency"


def test_emergency_is_over_once_until_has_passed(published):
    until = future(2)
    assert published.invoke(main, ["hours", "emergency", "close", "--until",
                                   until.isoformat()]).exit_code == 0
    after = until + timedelta(minutes=1)
    data = status_json(published, "--at", after.isoformat())
    assert data["reason"] != "emergency" and data["closure"] is None


@pytest.mark.parametrize(("args", "message"), [
    ([], "needs a future --until"),
    (["--until", "2020-01-01T10:00:00+01:00"], "needs an end in the future"),
    (["--until", "2030-01-01T10:00:00"], "time must carry its UTC offset"),
])
def test_emergency_close_needs_a_future_until(published, args, message):
    result = published.invoke(main, ["hours", "emergency", "close", *args, "--reason", "x"])
    assert result.exit_code == 2 and message in result.output
    shown = published.invoke(main, ["hours", "emergency", "show"])
    assert shown.output == "no emergency closure\n"


def test_emergency_unknown_action(published):
    result = published.invoke(main, ["hours", "emergency", "open"])
    assert result.exit_code == 2 and "'open' is not one of 'close', 'end', 'show'" in result.output
