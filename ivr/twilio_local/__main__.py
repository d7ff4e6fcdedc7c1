"""`python -m ivr.twilio_local`: the stand-in as a process."""

from ivr.cli_twilio_local import twilio_local

twilio_local(prog_name="python -m ivr.twilio_local")
