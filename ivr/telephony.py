"""Twilio's REST API: the only module that calls it (redirect, dequeue, hang up, place, fetch,
send an SMS).

Its base URL is a setting (TWILIO_API_URL), so development, tests and benchmarks point it at
the local stand-in (`ivr.local.twilio`), which answers in Twilio's own shapes. Requests go
over kept-alive connections (one pool per client); many calls are placed a few at once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client
from urllib3.util.retry import Retry

from ivr.core.exceptions import IvrError
from ivr.core.phones import mask
from ivr.core.settings import Settings

log = logging.getLogger(__name__)

CONNECT_TIMEOUT = 2.0
READ_TIMEOUT = 5.0
RETRIES = 3
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
# A create that timed out or got a 500 may have placed the call: only errors that Twilio
# documents as "not processed" are retried for it, so a retry never dials twice.
CREATE_RETRY_STATUSES = frozenset({429, 503})
NOT_IN_PROGRESS = 21220  # Twilio's error code for updating a call that has ended
AT_ONCE = 8  # requests in flight at once when placing many calls (each holds a connection)


class TelephonyError(IvrError):
    """Twilio's REST API refused or failed, after retries; `status` is the HTTP status
    (None without an answer) and `retryable` says whether trying later may work."""

    def __init__(self, message: str, status: int | None = None,
                 retryable: bool = False) -> None:
        super().__init__(message)
        self.status = status
        self.retryable = retryable


class CallGone(TelephonyError):
    """The call (or queue member) no longer exists or has ended: nothing to update."""


@dataclass(frozen=True)
class Dial:
    """An outbound call to place: the number, the caller ID shown, the URL of its TwiML, the
    URL told of its answer and end, and how long it may ring (seconds)."""

    to: str
    from_: str
    url: str
    status_callback: str
    timeout: int = 30


def _http_client(base_url: str, retry: Retry,
                 timeout: tuple[float, float]) -> TwilioHttpClient:
    """twilio's HTTP client with timeouts and urllib3 retries for http:// and https://, its
    connections kept alive; the environment's proxy and CA bundle for `base_url` are read
    once here, not on every request (requests would read the whole environment twice)."""
    client = TwilioHttpClient(timeout=timeout[1])
    client.timeout = timeout  # (connect, read): requests takes both; twilio passes it on
    session = client.session
    assert session is not None
    adapter = HTTPAdapter(max_retries=retry, pool_maxsize=2 * AT_ONCE)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    found = session.merge_environment_settings(base_url, {}, None, None, None)
    session.proxies.update(found["proxies"])
    session.verify = found["verify"]
    session.trust_env = False
    return client


def _retry(statuses: frozenset[int], read: int, backoff: float) -> Retry:
    return Retry(total=RETRIES, connect=RETRIES, read=read, status=RETRIES, other=0,
                 status_forcelist=statuses, allowed_methods=None, backoff_factor=backoff,
                 backoff_max=4.0, raise_on_status=False, respect_retry_after_header=True)


class Telephony:
    """Calls, queue members, outbound calls and SMS, through twilio's `Client`."""

    def __init__(self, settings: Settings, *, retry_backoff: float = 0.25,
                 timeout: tuple[float, float] = (CONNECT_TIMEOUT, READ_TIMEOUT),
                 on_error: Callable[[TelephonyError], None] | None = None) -> None:
        self.on_error = on_error  # told of every failed request, after retries (metrics)
        self.account_sid = settings.account_sid()
        token = settings.auth_token()
        self.base_url = settings.twilio_api_url
        self._client = self._make_client(token, _http_client(
            self.base_url, _retry(RETRY_STATUSES, RETRIES, retry_backoff), timeout))
        self._create_client = self._make_client(token, _http_client(
            self.base_url, _retry(CREATE_RETRY_STATUSES, 0, retry_backoff), timeout))

    def _make_client(self, token: str, http_client: TwilioHttpClient) -> Client:
        # environment={}: TWILIO_EDGE/REGION would rewrite the host of TWILIO_API_URL
        client = Client(self.account_sid, token, http_client=http_client, environment={})
        client.api.base_url = self.base_url
        client.voice.base_url = self.base_url
        return client

    def warm_up(self) -> None:
        """Load what requests need (twilio loads its REST resources on first use): processes
        forked from this one then start ready to place calls. No connection is opened here:
        a forked process must never share one with its parent."""
        for client in (self._client, self._create_client):
            client.api.v2010.account.calls.list  # noqa: B018 (the access loads them)

    def redirect(self, call_sid: str, url: str) -> None:
        """Make a live call leave whatever it does (a queue, a prompt) and run `url`."""
        self._do(f"redirect {call_sid}", lambda: self._client.api.v2010.account.calls(
            call_sid).update(url=url, method="POST"))

    def dequeue(self, queue_sid: str, call_sid: str, url: str) -> None:
        """Take a waiting call out of a Twilio queue and run `url` for it."""
        self._do(f"dequeue {call_sid} from {queue_sid}", lambda: self._client.api.v2010.account
                 .queues(queue_sid).members(call_sid).update(url=url, method="POST"))

    def hangup(self, call_sid: str) -> None:
        """End a call (raises CallGone when it has already ended)."""
        self._do(f"hang up {call_sid}", lambda: self._client.api.v2010.account.calls(
            call_sid).update(status="completed"))

    def place_call(self, to: str, from_: str, url: str, status_callback: str,
                   timeout: int = 30) -> str:
        """Dial `to` (no answering-machine detection); its CallSid."""
        call = self._do(f"call {mask(to)}", lambda: self._create_client.api.v2010.account
                        .calls.create(to=to, from_=from_, url=url, method="POST",
                                      status_callback=status_callback,
                                      status_callback_method="POST",
                                      status_callback_event=["answered", "completed"],
                                      timeout=timeout))
        return str(call.sid)

    def place_calls(self, dials: Sequence[Dial]) -> list[str | TelephonyError]:
        """Place several calls, at most AT_ONCE requests in flight: each one's CallSid, or
        the error that placing it ended with, in the order given."""
        if len(dials) <= 1:
            return [self._place_or_error(dial) for dial in dials]
        # a pool per batch: a forked job process never inherits a pool's dead threads
        with ThreadPoolExecutor(max_workers=min(AT_ONCE, len(dials)),
                                thread_name_prefix="twilio-rest") as pool:
            return list(pool.map(self._place_or_error, dials))

    def _place_or_error(self, dial: Dial) -> str | TelephonyError:
        try:
            return self.place_call(dial.to, dial.from_, dial.url, dial.status_callback,
                                   timeout=dial.timeout)
        except TelephonyError as exc:
            return exc

    def send_sms(self, to: str, from_: str, body: str,
                 status_callback: str | None = None) -> tuple[str, str]:
        """Send an SMS through Twilio's Messaging API (Messages.json); its MessageSid and
        first status (`queued`). Not retried after a timeout or a 500: it may have been sent."""
        extra = {"status_callback": status_callback} if status_callback else {}
        message = self._do(f"SMS to {mask(to)}", lambda: self._create_client.api.v2010.account
                           .messages.create(to=to, from_=from_, body=body, **extra))
        return str(message.sid), str(message.status)

    def fetch_call(self, call_sid: str) -> dict[str, Any] | None:
        """A call's state as Twilio reports it (status, duration...), None when unknown."""
        try:
            call = self._do(f"fetch {call_sid}",
                            lambda: self._client.api.v2010.account.calls(call_sid).fetch())
        except CallGone:
            return None
        return {
            "sid": call.sid, "status": call.status, "direction": call.direction,
            "from": call._from,  # twilio names it so (`from` is a keyword)
            "to": call.to, "parent_call_sid": call.parent_call_sid,
            "duration": int(call.duration) if call.duration else None,
            "queue_time": int(call.queue_time) if call.queue_time else None,
            "start_time": call.start_time.isoformat() if call.start_time else None,
            "end_time": call.end_time.isoformat() if call.end_time else None,
        }

    def _do(self, what: str, request: Any) -> Any:
        """Run one REST request; Twilio's and the network's errors become TelephonyError."""
        try:
            return request()
        except TwilioRestException as exc:
            gone = exc.status == 404 or exc.code == NOT_IN_PROGRESS
            kind = CallGone if gone else TelephonyError
            log.log(logging.INFO if gone else logging.WARNING, "Twilio %s: HTTP %s (%s)",
                    what, exc.status, exc.code)
            error = kind(f"Twilio {what}: HTTP {exc.status}, error {exc.code}", exc.status,
                         retryable=exc.status in RETRY_STATUSES)
        except requests.RequestException as exc:
            log.warning("Twilio %s: %s", what, type(exc).__name__)
            error = TelephonyError(f"Twilio {what}: {type(exc).__name__}", None,
                                   retryable=True)
        if self.on_error:
            self.on_error(error)
        raise error from None
