"""The stand-in's client as `ivr call --url` uses it: keys asked live, Ctrl-C hangs up."""

from __future__ import annotations

import pytest

from ivr.local.simulator_local import LocalCall
from tests.standin import CALLER, HOTLINE

MENU = ('<Response><Gather numDigits="1" action="/menu"><Say>Tapez 1</Say></Gather>'
        "</Response>")


def test_keys_are_asked_when_a_gather_listens(customer, device):
    customer.on("/voice/incoming", MENU)
    customer.on("/menu", lambda hit: f"<Response><Say>choix {hit.form['Digits']}</Say>"
                "</Response>")
    hints: list[str] = []

    def ask(hint: str) -> str:
        hints.append(hint)
        return "4"

    result = LocalCall(device, CALLER, HOTLINE, [], None, ask=ask).run()
    assert hints == ["1 key(s), end with #"]
    assert [h.text for h in result.heard if h.kind in ("say", "press")] == [
        "Tapez 1", "4", "choix 4"]
    assert result.outcome == {"type": "hangup", "target": None}


def test_ctrl_c_hangs_up_the_call(customer, device):
    customer.on("/voice/incoming", MENU)

    def ask(hint: str) -> str:
        raise KeyboardInterrupt

    call = LocalCall(device, CALLER, HOTLINE, [], None, ask=ask)
    result = call.run()
    assert result.heard[-1].text == "hangup"
    summary = device.events(call.sid)
    assert summary["ended"] is True
    assert [e["by"] for e in summary["events"] if e["type"] == "hangup"] == ["caller"]


@pytest.mark.parametrize("keys", ["-", ""])
def test_no_key_lets_the_gather_time_out(customer, device, keys):
    customer.on("/voice/incoming", MENU)
    result = LocalCall(device, CALLER, HOTLINE, [], None, ask=lambda hint: keys).run()
    assert [h.text for h in result.heard if h.kind == "press"] == ["(no key)"]
