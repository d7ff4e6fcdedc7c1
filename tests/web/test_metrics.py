"""/metrics: behind its token; webhook latency per route, queues, agents, outcomes, Twilio
errors; several web processes add up (prometheus_client's multiprocess mode)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from datetime import timedelta
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from ivr import create_app
from ivr.centre import agents
from ivr.centre.metrics import count_twilio_error
from ivr.core.clock import Clock
from ivr.core.settings import PROJECT_ROOT
from ivr.telephony import CallGone
from ivr.web.metrics import MULTIPROC_ENV
from tests.conftest import MONDAY_MORNING
from tests.standin import ACCOUNT, stand_in
from tests.web.console.calls import queued

METRICS_TOKEN = "metrics-token-0123456789"
AUTH = {"Authorization": f"Bearer {METRICS_TOKEN}"}


@pytest.fixture
def app(r, env):  # type: ignore[no-untyped-def]
    app = create_app({"TESTING": True, "CLOCK": Clock(MONDAY_MORNING, frozen=True), **env,
                      "IVR_METRICS_TOKEN": METRICS_TOKEN})
    yield app
    app.extensions["ivr"].close()


def scrape(client) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:  # type: ignore[no-untyped-def]
    """Every sample of a scrape: (name, sorted labels) -> value."""
    response = client.get("/metrics", headers=AUTH)
    assert response.status_code == 200, response.data
    assert response.mimetype == "text/plain"
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(response.get_data(as_text=True))
            for s in family.samples}


def test_metrics_are_off_without_a_token_setting(r, env, clock):
    app = create_app({"TESTING": True, "CLOCK": clock, **env})
    response = app.test_client().get("/metrics", headers=AUTH)
    app.extensions["ivr"].close()
    assert (response.status_code, response.get_data(as_text=True)) == (
        404, "metrics are off: set IVR_METRICS_TOKEN\n")


@pytest.mark.parametrize("header", [None, "Bearer wrong-token-0123456789", METRICS_TOKEN,
                                    f"Basic {METRICS_TOKEN}"])
def test_a_missing_or_wrong_token_is_401(client, header):
    response = client.get("/metrics", headers={"Authorization": header} if header else {})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="metrics"'


def test_the_metrics_token_is_at_least_16_characters(r, env, clock):
    from ivr.core.exceptions import SettingsError

    with pytest.raises(SettingsError, match=r"IVR_METRICS_TOKEN=\(hidden\): String should "
                                            "have at least 16 characters"):
        create_app({**env, "IVR_METRICS_TOKEN": "short"})


def test_webhooks_are_timed_per_route(client, validator):
    before = scrape(client)
    queued(client, validator, "CA1")
    queued(client, validator, "CA2")
    after = scrape(client)

    def count(route: str, found: dict) -> float:  # type: ignore[type-arg]
        return found.get(("ivr_webhook_seconds_count", (("route", route),)), 0.0)

    # each call: /voice/incoming, three /voice/step (greeting, confirm, menu), /voice/wait
    assert count("/voice/incoming", after) - count("/voice/incoming", before) == 2
    assert count("/voice/step", after) - count("/voice/step", before) == 6
    assert count("/voice/wait", after) - count("/voice/wait", before) == 2
    assert count("/metrics", after) == 0  # only Twilio's webhooks
    inf = after[("ivr_webhook_seconds_bucket", (("le", "+Inf"), ("route", "/voice/incoming")))]
    assert inf == count("/voice/incoming", after)


def test_queues_agents_and_outcomes_read_from_redis(app, client, validator):
    service = app.extensions["ivr"]
    queued(client, validator, "CA1")
    queued(client, validator, "CA2").post("/voice/status", CallStatus="completed")
    service.clock.advance(timedelta(seconds=30))
    found = scrape(client)
    assert found[("ivr_queue_waiting", (("queue", "technical_support"),))] == 1
    assert found[("ivr_queue_waiting", (("queue", "maintenance"),))] == 0
    assert found[("ivr_queue_oldest_wait_seconds", (("queue", "technical_support"),))] == 30
    assert found[("ivr_agents", (("state", "break"),))] == 3
    assert found[("ivr_queue_calls_total", (("outcome", "abandoned"),
                                            ("queue", "technical_support")))] == 1
    agents.set_state(service.redis, "sophie", "available", service.clock.now(),
                     service.flows.current().queue_rules.values())
    found = scrape(client)
    assert found[("ivr_agents", (("state", "ringing"),))] == 1  # CA1 rings her phone now
    assert found[("ivr_queue_waiting", (("queue", "technical_support"),))] == 0


def test_twilio_rest_errors_are_counted_by_status(app, client):
    service = app.extensions["ivr"]
    for status in (500, 500, None):
        count_twilio_error(service.redis, status)
    found = scrape(client)
    assert found[("ivr_twilio_rest_errors_total", (("status", "500"),))] == 2
    assert found[("ivr_twilio_rest_errors_total", (("status", "network"),))] == 1


def test_a_failed_twilio_request_is_counted_where_it_happens(r, env):
    """The service's Telephony tells /metrics of each failure (here the stand-in's 404 for a
    call it does not know), in whichever process it ran."""
    with stand_in("http://127.0.0.1:9") as local:
        app = create_app({"TESTING": True, **env, "IVR_METRICS_TOKEN": METRICS_TOKEN,
                          "TWILIO_API_URL": local.url, "TWILIO_ACCOUNT_SID": ACCOUNT})
        with pytest.raises(CallGone):
            app.extensions["ivr"].telephony.redirect("CA" + "0" * 32, "http://x/voice/connect")
        found = scrape(app.test_client())
        app.extensions["ivr"].close()
    assert found[("ivr_twilio_rest_errors_total", (("status", "404"),))] == 1


WEB_PROCESS = textwrap.dedent("""
    import sys
    from ivr import create_app
    from ivr.core.clock import Clock
    from tests.conftest import MONDAY_MORNING
    from tests.web.console.calls import queued
    from tests.helpers import TOKEN
    from twilio.request_validator import RequestValidator

    app = create_app({"TESTING": True, "CLOCK": Clock(MONDAY_MORNING)})  # support is open
    queued(app.test_client(), RequestValidator(TOKEN), sys.argv[1])
""")


def test_several_web_processes_add_up_in_multiprocess_mode(client, env, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch):
    """Two web processes answer a call each; a scrape of this host counts both."""
    folder = tmp_path / "prometheus"
    folder.mkdir()
    environ = {**os.environ, **env, MULTIPROC_ENV: str(folder),
               "PYTHONPATH": str(PROJECT_ROOT)}
    processes = [subprocess.Popen([sys.executable, "-c", WEB_PROCESS, sid], env=environ,
                                  cwd=PROJECT_ROOT, stderr=subprocess.PIPE, text=True)
                 for sid in ("CA1", "CA2")]
    for process in processes:
        _, errors = process.communicate(timeout=60)
        assert process.returncode == 0, errors
    assert len(list(folder.glob("histogram_*.db"))) == 2  # one file per process
    monkeypatch.setenv(MULTIPROC_ENV, str(folder))
    samples = scrape(client)
    assert samples[("ivr_webhook_seconds_count", (("route", "/voice/incoming"),))] == 2
    assert samples[("ivr_queue_waiting", (("queue", "technical_support"),))] == 2
