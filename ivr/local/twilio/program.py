"""The stand-in's whole TwiML vocabulary, assembled above the verbs, and how its calls start.

The runner (`runner.py`) fetches documents and lets time pass; the verbs of one call
(`verbs.py`), `<Dial>` (`dialling.py`) and `<Enqueue>` (`queueing.py`) each run nested
documents through the runner they are given. Only this module knows them all.
"""

from __future__ import annotations

from ivr.local.twilio import dialling, queueing, verbs
from ivr.local.twilio.model import Call, World, new_sid
from ivr.local.twilio.runner import Program, Runner
from ivr.local.twilio.webhooks import Webhooks

PROGRAM = Program(verbs={**verbs.HANDLERS, "Enqueue": queueing.enqueue, "Dial": dialling.dial},
                  ring_outbound=dialling.ring_outbound)


def start_inbound(world: World, hooks: Webhooks, from_: str, to: str, *,
                  presses: list[str] | None = None, interactive: bool = False,
                  hold: float | None = None) -> Call:
    """A caller dials `to`: Twilio asks the app's voice URL what to do."""
    call = Call(new_sid("CA"), world.account_sid, from_, to, "inbound",
                url=world.app_url + "/voice/incoming",
                fallback_url=world.app_url + "/voice/fallback",
                status="ringing", interactive=interactive, hold=hold)
    call.presses.extend(presses or [])
    world.add_call(call)
    Runner(world, hooks, call, PROGRAM).start()
    return call


def start_outbound(world: World, hooks: Webhooks, call: Call) -> None:
    """A call the app asked for through the REST API: ring it, then run its TwiML."""
    world.add_call(call)
    Runner(world, hooks, call, PROGRAM).start()
