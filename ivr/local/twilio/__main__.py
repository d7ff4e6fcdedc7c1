"""`python -m ivr.local.twilio`: the stand-in as a process."""

from ivr.local.twilio.command import twilio_local

twilio_local(prog_name="python -m ivr.local.twilio")
