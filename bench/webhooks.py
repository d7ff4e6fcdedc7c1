"""Twilio's first webhook of a call, signed, many times over: the data file signed.lua reads."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlencode

from twilio.request_validator import RequestValidator

HOTLINE = "+33825000463"
ACCOUNT_SID = "AC" + "b" * 32
CALLERS = ("+33612345678", "+33698765432", "+33145678901", "+33478123456", "+33556987412")
SID_PREFIX = "CAbench"  # 34 characters like Twilio's; never a real call's, so safe to delete
CALL_KEYS = f"ivr:call:{SID_PREFIX}*"


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


def write_signed(path: Path, url: str, token: str, run: int, count: int) -> Path:
    """Write `count` lines "<X-Twilio-Signature> <form body>" signed for `url`."""
    with path.open("w") as out:
        for params, signature in signed_requests(url, token, run, count):
            out.write(f"{signature} {urlencode(params)}\n")
    return path
