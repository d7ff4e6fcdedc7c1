"""`ivr call`: in-process with a clock, against a running server, JSON and transcript."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator

import pytest
from werkzeug.serving import make_server

from ivr import create_app
from ivr.cli import main
from ivr.local.simulator import FlaskTransport, SimulationError, Simulator
from tests.helpers import TOKEN, TwiML


def call_json(runner, *args: str) -> dict:  # type: ignore[no-untyped-def]
    result = runner.invoke(main, ["call", *args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_open_monday_greets_then_asks_for_identification(runner):
    data = call_json(runner, "--at", "2026-12-07T09:00:00+01:00", "--press", "-")
    first, second = data["steps"][0], data["steps"][1]
    assert first["path"] == "/voice/incoming"
    assert first["params"]["CallSid"].startswith("CA")
    assert {"AccountSid", "From", "To", "CallStatus", "Direction", "ApiVersion"} <= set(
        first["params"])
    assert TwiML(first["twiml"]).said()[0] == "Bienvenue au support technique."
    assert second["path"].startswith("/voice/step?")
    assert "Digits" not in second["params"]  # the greeting timed out
    assert TwiML(second["twiml"]).said() == [
        "Veuillez dire votre numéro client, ou le taper suivi de la touche dièse."]


def test_christmas_is_closed_until_monday_28_december(runner):
    data = call_json(runner, "--at", "2026-12-25T10:00:00+01:00")
    heard = [s for step in data["steps"] for s in TwiML(step["twiml"]).said()]
    assert any("Nous rouvrons lundi 28 décembre à 8 h 30." in s for s in heard)
    assert data["outcome"] == {"type": "hangup", "target": None}


def test_transcript_shows_what_the_caller_hears(runner):
    result = runner.invoke(main, ["call", "--at", "2026-12-25T10:00:00+01:00", "--press", "9"])
    assert result.exit_code == 0, result.output
    assert ("  [en-GB] Technical support is closed today for a public holiday, Christmas Day."
            in result.output)
    assert "We reopen Monday 28 December at 8:30." in result.output
    assert result.output.rstrip().endswith("= hangup")


def test_bad_at_is_a_clear_error(runner):
    result = runner.invoke(main, ["call", "--at", "next monday"])
    assert result.exit_code == 2
    assert "not an ISO 8601 time: 'next monday'" in result.output
    result = runner.invoke(main, ["call", "--at", "2026-12-07T09:00:00"])
    assert result.exit_code == 2 and "offset" in result.output


def test_at_with_url_is_refused(runner):
    result = runner.invoke(main, ["call", "--url", "http://127.0.0.1:9", "--at",
                                  "2026-12-07T09:00:00+01:00"])
    assert result.exit_code == 2 and "--at" in result.output


@pytest.fixture
def server(env, r, clock) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """The app served over real HTTP on a free port, its clock on a Monday morning."""
    app = create_app({**env, "IVR_VALIDATE_SIGNATURES": "true", "CLOCK": clock})
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()


def test_call_against_a_running_server(runner, server):
    data = call_json(runner, "--url", server, "--press", "9")
    assert data["steps"][0]["path"] == "/voice/incoming"
    heard = [s for step in data["steps"] for s in TwiML(step["twiml"]).said()]
    assert heard[:2] == ["Bienvenue au support technique.", "For English, press 9."]
    # open on a Monday morning: three silences at the ID prompt, then maintenance
    assert heard[2].startswith("Please say your client ID")
    assert data["outcome"] == {"type": "enqueue", "target": "maintenance"}


def test_call_with_no_server_there_is_one_line(runner):
    result = runner.invoke(main, ["call", "--url", "http://127.0.0.1:1"])
    assert result.exit_code == 1
    assert result.stderr == ("Error: no server answers at http://127.0.0.1:1/voice/incoming; "
                             "is it running (`make run`)?\n")


def test_wrong_token_is_refused_by_the_server(runner, server, env):
    result = runner.invoke(main, ["call", "--url", server, "--json"],
                           env={**env, "TWILIO_AUTH_TOKEN": "not-the-token"})
    assert result.exit_code == 1
    assert "answered HTTP 403" in result.output


def test_simulator_rejects_what_twilio_would_not_accept(app):
    class Broken:
        def post(self, url, params, signature):  # type: ignore[no-untyped-def]
            return 200, "<html>oops</html>"

    with pytest.raises(SimulationError, match="not <Response>"):
        Simulator(Broken(), TOKEN, "http://localhost", "+33612345678", "+33825000463").run()


def test_keys_follow_twilio_gather_rules(app):
    simulator = Simulator(FlaskTransport(app), TOKEN, "http://localhost", "+33612345678",
                          "+33825000463", ["-", "1001#", "1"])
    result = simulator.run()
    step_params = [step["params"] for step in result.steps]
    assert step_params[2]["Digits"] == "1001" and step_params[2]["FinishedOnKey"] == "#"
    assert step_params[3]["Digits"] == "1"
    assert result.outcome == {"type": "enqueue", "target": "technical_support"}


def test_more_keys_than_the_question_takes_are_refused(app):
    simulator = Simulator(FlaskTransport(app), TOKEN, "http://localhost", "+33612345678",
                          "+33825000463", ["-", "1001#", "12"])
    with pytest.raises(SimulationError, match=r"--press '12': this question takes 1 key\(s\), "
                                              r"not 2"):
        simulator.run()


@pytest.mark.parametrize("keys", ["abc", "1 2", "12a", "+1"])
def test_cli_refuses_keys_a_phone_cannot_send(runner, keys):
    result = runner.invoke(main, ["call", "--press", keys])
    assert result.exit_code == 2
    assert "a phone sends only the keys 0-9, * and #" in result.stderr


def test_interactive_keys_a_phone_cannot_send_are_asked_again(app):
    answers = iter(["abc", "12", "9"])
    hints: list[str] = []

    def ask(hint: str) -> str:
        hints.append(hint)
        return next(answers, "-")

    result = Simulator(FlaskTransport(app), TOKEN, "http://localhost", "+33612345678",
                       "+33825000463", ask=ask).run()
    greeting = hints[0]
    assert hints[1] == f"a phone sends only the keys 0-9, * and #; {greeting}"
    assert hints[2] == f"this question takes 1 key(s), not 2; {greeting}"
    assert result.steps[1]["params"]["Digits"] == "9"  # the one good answer: English
