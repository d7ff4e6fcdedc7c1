"""Requests to the customer's app, as Twilio makes them: signed, Twilio's timeout, TwiML parsed."""

from __future__ import annotations

import threading
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from urllib.parse import urlencode, urljoin, urlsplit

import requests
from requests.adapters import HTTPAdapter
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
    """Signs and sends webhook requests; one pooled session per thread."""

    def __init__(self, auth_token: str, timeout: float = TIMEOUT) -> None:
        self.validator = RequestValidator(auth_token)
        self.timeout = timeout
        self._local = threading.local()

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            session.mount("http://", HTTPAdapter(pool_connections=4, pool_maxsize=4,
                                                 max_retries=0))
            self._local.session = session
        return session

    def send(self, url: str, method: str, params: dict[str, str]) -> Reply:
        """One request; never raises for the app's faults (they are in the Reply)."""
        method = method.upper() if method.upper() in ("GET", "POST") else "POST"
        if method == "GET":
            url = url + ("&" if urlsplit(url).query else "?") + urlencode(params)
            signature, data = self.validator.compute_signature(url, {}), None
        else:
            signature, data = self.validator.compute_signature(url, params), params
        headers = {"X-Twilio-Signature": signature, "User-Agent": "TwilioProxy/1.1 (local)"}
        try:
            response = self._session().request(method, url, data=data, headers=headers,
                                                timeout=self.timeout, allow_redirects=True)
        except requests.RequestException as exc:
            return Reply(url, 0, "", error=11205, reason=f"{type(exc).__name__}: {exc}"[:300])
        body = response.text[:MAX_BODY]
        if response.status_code != 200:
            return Reply(url, response.status_code, body, error=11200,
                         reason=f"HTTP {response.status_code}")
        return parse(Reply(url, 200, body))

    def close(self) -> None:
        session = getattr(self._local, "session", None)
        if session is not None:
            session.close()


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
