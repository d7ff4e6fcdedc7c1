"""Twilio's webhook requests as the bench sends them: parameters, signature, data-file lines."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from twilio.request_validator import RequestValidator

HOTLINE = "+33825000463"
ACCOUNT_SID = "AC" + "b" * 32
# callers whose numbers are no client's: identification asks them to type their client id
CALLERS = ("+33612345678", "+33698765432", "+33145678901", "+33478123456", "+33556987412")
SID_PREFIX = "CAbench"  # 34 characters like Twilio's; never a real call's, so safe to delete
CALL_KEYS = f"ivr:call:{SID_PREFIX}*"


@dataclass(frozen=True)
class Webhook:
    """One request Twilio makes: its kind in the bench, the public URL it signs, its form."""

    kind: str
    url: str
    params: dict[str, str] = field(hash=False)

    @property
    def target(self) -> str:
        """Path and query, as sent to the server."""
        parts = urlsplit(self.url)
        return parts.path + (f"?{parts.query}" if parts.query else "")

    def signature(self, validator: RequestValidator) -> str:
        return str(validator.compute_signature(self.url, self.params))

    def line(self, validator: RequestValidator) -> str:
        """`<X-Twilio-Signature> <path?query> <form body>`: one line of a file signed.lua reads
        (none of the three holds a space: the body and the query are URL-encoded)."""
        return f"{self.signature(validator)} {self.target} {urlencode(self.params)}"


def call_sid(stamp: int, index: int) -> str:
    """A CallSid in Twilio's shape (CA + 32 hex digits), distinct per (bench run, index)."""
    return f"CA{stamp & 0xFFFFFFFF:08x}{index:024x}"


def voice_params(sid: str, caller: str) -> dict[str, str]:
    """The parameters Twilio sends with every voice webhook of an inbound call from France
    (city, state and zip are empty for French numbers)."""
    params = {"AccountSid": ACCOUNT_SID, "ApiVersion": "2010-04-01", "CallSid": sid,
              "CallStatus": "in-progress", "Direction": "inbound",
              "From": caller, "Caller": caller, "To": HOTLINE, "Called": HOTLINE}
    for who in ("From", "Caller", "To", "Called"):
        params.update({f"{who}City": "", f"{who}Country": "FR", f"{who}State": "",
                       f"{who}Zip": ""})
    return params


def write_lines(path: Path, lines: Iterable[str]) -> int:
    """Write data-file lines; how many."""
    count = 0
    with path.open("w") as out:
        for line in lines:
            out.write(line + "\n")
            count += 1
    return count


# -- the first webhook of new calls, for slow_clients.py, metrics_cost.py and hotspots.py ------

def incoming_params(run: int, index: int) -> dict[str, str]:
    """Twilio's parameters for a new inbound call; the CallSid is unique per (run, index)."""
    return {
        "CallSid": f"{SID_PREFIX}{run:04x}{index:023x}",
        "AccountSid": ACCOUNT_SID,
        "From": CALLERS[index % len(CALLERS)],
        "To": HOTLINE,
        "CallStatus": "ringing",
        "Direction": "inbound",
        "ApiVersion": "2010-04-01",
    }


def signed_requests(url: str, token: str, run: int, count: int) -> list[tuple[dict[str, str], str]]:
    """`count` new calls' parameters with their X-Twilio-Signature for `url`."""
    validator = RequestValidator(token)
    calls = (incoming_params(run, index) for index in range(count))
    return [(params, validator.compute_signature(url, params)) for params in calls]
