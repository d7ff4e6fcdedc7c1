"""A call's state carried in its action URL, sealed so that it comes back as we wrote it.

Twilio only requests the URLs our TwiML gives it, and signs each request over the full URL,
query included; so the small state of a call (flow version, node, sequence, language, tries,
variables, the identified client) can travel in the URL of the next question, and a step that
reads or writes nothing shared needs no Redis round trip at all. The seal is our own HMAC
(SHA-256, keyed from the app's secret key) over the state and the URL's `v`, `n` and `s`, so a
tampered URL is refused even where Twilio's signature check is off (development).

Not in the token: the caller's and called numbers (Twilio sends `From` and `To`, signed, with
every request), when the call started (unused), nor the previous answer (a replayed step is
simply run again: it reads the same state and the same request, and what it counts is keyed by
call and step).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

from ivr.flows.call import CallState

# Twilio refuses callback URLs over 4,000 characters; a state that would make the action URL
# longer than this stays in Redis instead (the stored path), whatever the node.
MAX_TOKEN = 1800
_LEFT_OUT = frozenset({"caller", "called", "last", "started"})
_MAC_BYTES = 16


class Tampered(ValueError):
    """An action URL whose state token does not carry our seal, or disagrees with the URL."""


class Sealer:
    """Seals call states into URL-safe tokens and opens them again."""

    def __init__(self, secret: str) -> None:
        self._key = hmac.new(secret.encode(), b"ivr call state", hashlib.sha256).digest()

    def seal(self, state: CallState) -> str | None:
        """The token for `state` (whose node and seq are those of its action URL), or None
        when it would be too long for a URL."""
        data = {k: v for k, v in vars(state).items() if k not in _LEFT_OUT and v}
        payload = base64.urlsafe_b64encode(
            json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()
        ).rstrip(b"=")
        if len(payload) > MAX_TOKEN:
            return None
        return f"{payload.decode()}.{self._mac(payload)}"

    def open(self, token: str, version: str, node: str, seq: str) -> CallState:
        """The state sealed in `token`; Tampered unless it is ours and agrees with the URL."""
        payload, _, mac = token.partition(".")
        raw = payload.encode()
        if not mac or not hmac.compare_digest(mac, self._mac(raw)):
            raise Tampered("the call state in the action URL is not ours")
        try:
            data = json.loads(base64.urlsafe_b64decode(raw + b"=" * (-len(raw) % 4)))
            state = CallState(**data)
        except (ValueError, TypeError) as error:  # sealed by us, so only after a change of ours
            raise Tampered(f"unreadable call state: {error}") from error
        if state.version != version or state.node != node or str(state.seq) != seq:
            raise Tampered("the action URL disagrees with its call state")
        return state

    def _mac(self, payload: bytes) -> str:
        digest = hmac.new(self._key, payload, hashlib.sha256).digest()[:_MAC_BYTES]
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
