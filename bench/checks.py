"""What makes a run fail: answers that are not the TwiML the call needs, errors of any kind.

wrk's script gives every answer a cheap check (signed.lua); here a sample of real answers of
each kind is parsed in full, and the server's log is read for errors.
"""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from twilio.request_validator import RequestValidator

from calls import Walk, WalkError
from stack import TOKEN

ERROR_LINE = re.compile(r"\b(ERROR|CRITICAL)\b|Traceback")
# what signed.lua counts, as the failure each one is
RUN_ERRORS = (("non200", "answers other than HTTP 200"), ("not_twiml", "answers not TwiML"),
              ("socket_errors", "connect/read/write errors or timeouts"),
              ("apologies", "apologies for an internal error"),
              ("leaves", "<Leave>: waiting callers sent to overflow"),
              ("dials", "<Dial>: callers put through to someone"))


def check_samples(base_url: str, samples: list[Walk]) -> tuple[dict[str, int], list[str]]:
    """Send each sample's next request to the server and parse the answer in full: HTTP 200,
    an XML content type, a <Response> that leads the call on as the mix expects (for the wait
    URL: hold music, no <Leave>). Answers checked per kind, and the problems found."""
    validator = RequestValidator(TOKEN)
    checked: dict[str, int] = {}
    problems = []
    for walk in samples:
        hook = walk.current
        assert hook is not None
        request = urllib.request.Request(
            base_url + hook.target, data=urlencode(hook.params).encode(), method="POST",
            headers={"X-Twilio-Signature": hook.signature(validator)})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                status, kind = response.status, response.headers.get("Content-Type", "")
                body = response.read().decode()
        except urllib.error.HTTPError as exc:
            status, kind, body = exc.code, "", exc.read().decode(errors="replace")
        try:
            if status != 200:
                raise WalkError(f"HTTP {status}: {body[:200]}")
            if "xml" not in kind:
                raise WalkError(f"Content-Type {kind!r}, not XML")
            walk.next(body)
        except WalkError as exc:
            problems.append(f"{hook.kind} sample: {exc}")
        else:
            checked[hook.kind] = checked.get(hook.kind, 0) + 1
    return checked, problems


def run_problems(server: str, run: dict[str, Any]) -> list[str]:
    return [f"{server} {run['route']}: {run[name]} {what}"
            for name, what in RUN_ERRORS if run.get(name)]


def log_problems(server: str, log: Path, shown: int = 3) -> list[str]:
    """Error lines the server (or the app in it) logged."""
    lines = [line for line in log.read_text(errors="replace").splitlines()
             if ERROR_LINE.search(line)]
    if not lines:
        return []
    return [f"{server}: {len(lines)} error lines in its log ({log.name}), first: "
            + " | ".join(line.strip()[:200] for line in lines[:shown])]
