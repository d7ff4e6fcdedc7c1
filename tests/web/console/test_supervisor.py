"""The supervisor view (/supervisor): access, queues and agents live, a day's figures."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from ivr.callers import directory
from ivr.centre import records
from tests.centre.test_records import finished
from tests.conftest import PARIS
from tests.signin import signed_in
from tests.web.console.calls import queued
from tests.web.console.pages import text


def test_anonymous_visitors_are_sent_to_sign_in(client):
    page = client.get("/supervisor?date=2026-12-01")
    assert (page.status_code, page.location) == (
        302, "/login?next=/supervisor?date%3D2026-12-01")
    assert client.get("/supervisor/live").status_code == 401


def test_supervisors_and_admins_land_on_the_view(app):
    for name, role in (("sue", "supervisor"), ("ada", "admin")):
        page = signed_in(app, name, role).get("/supervisor")
        assert page.status_code == 200
        assert 'data-live="/supervisor/live"' in page.get_data(as_text=True)


def test_the_queue_change_shows_in_the_live_part(app, client, validator):
    boss = signed_in(app, "sue", "supervisor")
    before = text(boss.get("/supervisor/live").json["queues"])
    assert before.startswith("Support technique 0 waiting")
    queued(client, validator, "CA1")
    app.extensions["ivr"].clock.advance(timedelta(seconds=65))
    after = text(boss.get("/supervisor/live").json["queues"])
    assert after.startswith("Support technique 1 waiting · longest 1 min 05 s")
    assert "ACME Industrie **********01 · 1 min 05 s" in after


def test_agents_with_their_state_and_time_in_it(app):
    boss = signed_in(app, "sue", "supervisor")
    app.extensions["ivr"].clock.advance(timedelta(seconds=125))
    agents_part = text(boss.get("/supervisor/live").json["agents"])
    assert "Sophie Martin sophie On a break 2 min 05 s technical_support paris" in agents_part


def test_company_names_are_escaped_in_the_waiting_list(app, client, validator):
    service = app.extensions["ivr"]
    acme = directory.get_client(service.redis, "1001")
    assert acme is not None
    directory.save_clients(service.redis, [acme.model_copy(update={"company": "<b>x</b>"})])
    queued(client, validator, "CA1")
    html = signed_in(app, "sue", "supervisor").get("/supervisor/live").json["queues"]
    assert "&lt;b&gt;x&lt;/b&gt;" in html and "<b>x</b>" not in html


def test_a_past_days_figures_and_charts(app):
    service = app.extensions["ivr"]
    nine = datetime(2026, 12, 1, 9, 10, tzinfo=PARIS)
    records.save(service.redis, [
        finished("CA1", "technical_support", "answered", nine, 30, 200),
        finished("CA2", "technical_support", "answered", nine + timedelta(hours=1), 90, 100),
        finished("CA3", "technical_support", "abandoned", nine + timedelta(hours=1), 40),
    ], PARIS, 90)
    page = signed_in(app, "sue", "supervisor").get("/supervisor?date=2026-12-01")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Figures of 2026-12-01 Queue" in text(html)
    row = re.search(r'<tr data-figures="technical_support">.*?</tr>', html, re.S)
    assert row is not None
    assert text(row.group(0)) == "Support technique 3 2 1 0 50 % 1 min 00 s 1 min 30 s 2 min 30 s"
    # the past never changes: its figures are not polled
    assert 'data-live="/supervisor/figures"' not in html
    bars = re.findall(r'<rect class="(answered|abandoned)"[^>]*><title>([^<]*)</title>', html)
    assert ("answered", "09:00 answered: 1") in bars
    assert ("abandoned", "10:00 abandoned: 1") in bars


def test_a_bad_date_is_explained_and_today_shown_instead(app):
    page = signed_in(app, "sue", "supervisor").get("/supervisor?date=tomorrow")
    assert page.status_code == 400
    shown = text(page.get_data(as_text=True))
    assert "date must be YYYY-MM-DD, got 'tomorrow'" in shown
    assert "Figures of 2026-12-07 (today, so far)" in shown


def test_todays_figures_are_polled(app):
    boss = signed_in(app, "sue", "supervisor")
    assert 'data-live="/supervisor/figures"' in boss.get("/supervisor").get_data(as_text=True)
    part = boss.get("/supervisor/figures").json["figures"]
    assert text(part).startswith("Figures of 2026-12-07 (today, so far)")
    refused = boss.get("/supervisor/figures?date=2027-01-01")
    assert (refused.status_code, refused.json) == (400, {
        "error": "date 2027-01-01 is in the future"})
