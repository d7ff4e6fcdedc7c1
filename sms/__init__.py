"""SMS to and from callers, through Twilio's Messaging API (behind `ivr.telephony`).

`outbox` holds each SMS to send (an RQ job in `jobs` sends it, with retries) and what Twilio's
status callbacks said of it; `optout` the numbers that texted STOP; `notify` what the flow and
callbacks send (a callback's confirmation, the support site's registration link); `inbound`
the replies (ANNULER / CANCEL, STOP, START, anything else: one help message a day); `texts`
the wording, prompts of the flow in the caller's language.
"""
