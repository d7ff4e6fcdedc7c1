"""Twilio's REST API, the only place it is called from (a first cut; see CONTRACTS)."""

from __future__ import annotations

from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from ivr.exceptions import IvrError
from ivr.settings import Settings


class TelephonyError(IvrError):
    """Twilio's REST API refused or failed."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class CallGone(TelephonyError):
    """The call is unknown to Twilio or already over."""


class Telephony:
    def __init__(self, settings: Settings) -> None:
        self.client = Client(settings.twilio_account_sid or "AC" + "0" * 32,
                             settings.auth_token())

    def redirect(self, call_sid: str, url: str) -> None:
        try:
            self.client.calls(call_sid).update(url=url, method="POST")
        except TwilioRestException as exc:
            if exc.status == 404:
                raise CallGone(str(exc), exc.status) from None
            raise TelephonyError(str(exc), exc.status) from None
