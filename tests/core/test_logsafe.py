"""Request values are escaped of control characters before they are logged: a CR/LF in a
webhook parameter cannot forge a log line."""

from __future__ import annotations

import logging

import pytest

from ivr.core.logsafe import clean
from tests.helpers import signed_post

FORGED = "completed\r\n2026-12-07 INFO ivr: caller +33612345678 identified\x1b[2J"


@pytest.mark.parametrize(("value", "logged"), [
    ("completed", "completed"),
    ("a\r\nb", "a\\r\\nb"),
    ("tab\there", "tab\\there"),
    ("\x1b[31mred", "\\x1b[31mred"),
    ("line\u2028sep", "line\\u2028sep"),
    ("Câblage", "Câblage"),
    (None, "-"),
    ("", "-"),
    (12, "12"),
])
def test_control_characters_are_escaped(value, logged):
    assert clean(value) == logged


def test_long_values_are_cut():
    assert clean("9" * 500) == "9" * 120 + "..."
    assert clean("9" * 50, limit=10) == "9" * 10 + "..."


def lines_logged(caplog) -> list[str]:  # type: ignore[no-untyped-def]
    return [record.getMessage() for record in caplog.records]


@pytest.mark.parametrize(("path", "params"), [
    ("/voice/status", {"CallSid": "CA-log", "CallStatus": FORGED, "CallDuration": FORGED}),
    ("/voice/fallback", {"CallSid": FORGED, "ErrorCode": FORGED}),
])
def test_webhook_values_cannot_forge_log_lines(client, validator, caplog, path, params):
    caplog.set_level(logging.INFO)
    response = signed_post(client, validator, path, params)
    assert response.status_code == 200
    messages = [m for m in lines_logged(caplog) if "completed" in m]
    assert messages, lines_logged(caplog)
    for message in messages:
        assert "\r" not in message and "\n" not in message and "\x1b" not in message
        assert "completed\\r\\n2026-12-07 INFO" in message


def test_a_forged_path_is_escaped_in_the_refusal(client, caplog):
    caplog.set_level(logging.INFO)
    assert client.post("/voice/incoming%0D%0Aforged", data={}).status_code in (403, 404)
    assert all("\n" not in m and "\r" not in m for m in lines_logged(caplog))
