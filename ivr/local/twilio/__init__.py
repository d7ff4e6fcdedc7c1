"""A local stand-in for Twilio's voice platform: REST API, webhooks, TwiML, simulated people.

Plays Twilio's part for `make run`, tests and benchmarks: `TwilioLocal(app_url, ...).start()`
in a thread, or `python -m ivr.local.twilio` / `ivr twilio-local` as a process.
"""

from __future__ import annotations

from ivr.local.twilio.server import TwilioLocal

__all__ = ["TwilioLocal"]
