"""Requests to the customer's app, as Twilio makes them: signed, Twilio's timeout, TwiML parsed."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from urllib.parse import urlencode, urljoin, urlsplit

import urllib3
from twilio.request_validator import RequestValidator

TIMEOUT = 15.0  # Twilio waits this long for a webhook answer
MAX_BODY = 64 * 1024  # Twilio refuses larger TwiML documents


@dataclass
class Reply:
    """What the app answered: HTTP status and body, the parsed TwiML, or why it is unusable
    (`error` holds Twilio's error code: 11200 HTTP error, 11205 connection, 12100 bad TwiML)."""

    url: str
    status: int
    body: str
    root: ET.Element | None = None
    error: int | None = None
    reason: str = ""


class Webhooks:
    """Signs and sends webhook requests, over one thread-safe connection pool (urllib3 costs a
    third of the CPU of requests per webhook, and hundreds of calls share one process)."""

    def __init__(self, auth_token: str, timeout: float = TIMEOUT) -> None:
        self.validator = RequestValidator(auth_token)
        self.timeout = urllib3.Timeout(connect=min(5.0, timeout), read=timeout)
        self.pool = urllib3.PoolManager(num_pools=8, maxsize=1024, block=False, retries=False)

    def send(self, url: str, method: str, params: dict[str, str]) -> Reply:
        """One request; never raises for the app's faults (they are in the Reply)."""
        method = method.upper() if method.upper() in ("GET", "POST") else "POST"
        headers = {"User-Agent": "TwilioProxy/1.1 (local)"}
        if method == "GET":
            url = url + ("&" if urlsplit(url).query else "?") + urlencode(params)
            headers["X-Twilio-Signature"] = self.validator.compute_signature(url, {})
            body = None
        else:
            headers["X-Twilio-Signature"] = self.validator.compute_signature(url, params)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            body = urlencode(params)
        try:
            response = self.pool.request(method, url, body=body, headers=headers,
                                         timeout=self.timeout, redirect=False)
            data = response.data[:MAX_BODY]
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            return Reply(url, 0, "", error=11205, reason=f"{type(exc).__name__}: {exc}"[:300])
        text = data.decode("utf-8", errors="replace")
        if response.status != 200:
            return Reply(url, response.status, text, error=11200,
                         reason=f"HTTP {response.status}")
        return parse(Reply(url, 200, text))

    def close(self) -> None:
        self.pool.clear()


def parse(reply: Reply) -> Reply:
    try:
        root = ET.fromstring(reply.body)
    except ET.ParseError as exc:
        reply.error, reply.reason = 12100, f"not XML: {exc}"
        return reply
    if root.tag != "Response":
        reply.error, reply.reason = 12100, f"root is <{root.tag}>, not <Response>"
        return reply
    reply.root = root
    return reply


def resolve(base: str, url: str | None) -> str | None:
    """A TwiML URL attribute made absolute against the document's URL (None when absent)."""
    if url is None:
        return None
    return urljoin(base, url.strip())


def path_of(url: str) -> str:
    """Path and query of a URL, as the device API shows a request."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")
