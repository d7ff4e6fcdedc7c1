"""The device API's answers to bad input, and the stand-in as a process."""

from __future__ import annotations

import base64
import http.client
import os
import re
import signal
import subprocess
import sys

import requests

from ivr.cli import main
from ivr.local.twilio import TwilioLocal
from tests.helpers import TOKEN
from tests.standin import ACCOUNT, CALLER, HOTLINE, until


def test_bad_device_requests_get_a_400_with_the_reason(local):
    calls = local.url + "/_local/calls"
    assert requests.post(calls, data="nope", timeout=5).json() == {
        "error": "a JSON object is expected"}
    missing = requests.post(calls, json={"to": HOTLINE}, timeout=5)
    assert missing.status_code == 400 and missing.json()["error"].startswith("from:")
    keys = requests.post(calls, json={"from": CALLER, "presses": ["12a"]}, timeout=5)
    assert keys.status_code == 400 and "presses" in keys.json()["error"]
    phone = requests.put(local.url + "/_local/phones/+33700000001",
                         json={"answer": "maybe"}, timeout=5)
    assert phone.status_code == 400 and phone.json()["error"].startswith("answer:")
    assert requests.get(calls + "/CA123/events", timeout=5).status_code == 404


def test_phone_behaviours_are_kept_per_target_and_by_default(device):
    device.set_phone("sip:agent@pbx.example", ring=4, talk=None)
    device.set_phone("default", answer="busy")
    listed = requests.get(device.base_url + "/_local/phones", timeout=5).json()
    assert listed["default"]["answer"] == "busy"
    assert listed["phones"]["sip:agent@pbx.example"] == {
        "answer": "answer", "ring": 4.0, "talk": None, "talk_cv": 0.0, "seed": None, "keys": [],
        "sms": "delivered"}


def test_connections_are_kept_alive_between_requests(local):
    """As Twilio's are: a client placing many calls pays no new connection for each, even
    after a request the app refused without reading its body."""
    host, port = local.url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=5)
    path = f"/2010-04-01/Accounts/{ACCOUNT}/Calls.json"
    body = "To=%2B33611111111&From=%2B33825000463&Url=http%3A%2F%2F127.0.0.1%3A9%2Fa"
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    answers = []
    for auth in ("Basic bm9wZTpub3Bl", "Basic " + base64.b64encode(
            f"{ACCOUNT}:{TOKEN}".encode()).decode()):
        connection.request("POST", path, body, {**form, "Authorization": auth})
        response = connection.getresponse()
        answers.append((response.status, response.will_close))
        response.read()
    connection.close()
    assert answers == [(401, False), (201, False)]


def test_stopping_hangs_up_every_call(customer):
    customer.on("/voice/incoming", '<Response><Play loop="0">m.mp3</Play></Response>')
    stand_in = TwilioLocal(customer.url, ACCOUNT, TOKEN, time_scale=0.01).start()
    sids = [requests.post(stand_in.url + "/_local/calls", json={"from": CALLER},
                          timeout=5).json()["sid"] for _ in range(20)]
    from ivr.local.simulator_local import LocalTwilio

    for sid in sids:
        until(LocalTwilio(stand_in.url), sid, "play")
    stand_in.stop()
    assert stand_in.world.active() == 0
    assert {stand_in.world.calls[sid].status for sid in sids} == {"completed"}


def test_the_stand_in_runs_as_a_process_and_stops_on_sigterm(tmp_path):
    env = {**os.environ, "TWILIO_AUTH_TOKEN": TOKEN, "IVR_INSTANCE_DIR": str(tmp_path)}
    env.pop("TWILIO_ACCOUNT_SID", None)
    with subprocess.Popen(
            [sys.executable, "-m", "ivr.local.twilio", "--port", "0", "--app-url",
             "http://127.0.0.1:9", "--time-scale", "0.05"],
            stdout=subprocess.PIPE, text=True, env=env) as process:
        try:
            assert process.stdout is not None
            banner = process.stdout.readline()
            url = re.search(r"on (http://127\.0\.0\.1:\d+)", banner)
            assert url, banner
            health = requests.get(url.group(1) + "/_local/health", timeout=5).json()
            assert (health["status"], health["app_url"], health["time_scale"]) == (
                "ok", "http://127.0.0.1:9", 0.05)
            assert health["account_sid"].startswith("AC10ca1")  # the local account
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=5) == 0
        finally:
            if process.poll() is None:
                process.kill()


def test_a_bad_app_url_is_one_line_and_exit_2(runner):
    result = runner.invoke(main, ["twilio-local", "--app-url", "ftp://x"])
    assert result.exit_code == 2
    assert "must be an http:// or https:// URL" in result.output
