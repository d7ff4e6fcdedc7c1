"""A call's state carried in its action URL, sealed so that it comes back as we wrote it.

Twilio only requests the URLs our TwiML gives it, and signs each request over the full URL,
query included; so the small state of a call (flow version, node, sequence, language, tries,
variables, the identified client) can travel in the URL of the next question, and a step that
reads or writes nothing shared needs no Redis round trip at all. The state is compact
JSON in URL-safe base64, sealed by itsdangerous' `Signer` (the signer under Flask's sessions:
HMAC-SHA256 keyed from the app's secret key with a salt of its own, compared in constant
time); its `URLSafeSerializer` would also try zlib on every step, which doubles the cost of a
seal (11 us against 5 us, `bench/seal.py`) for states this small. The opened state must agree
with the URL's `v`, `n` and `s`, so a tampered URL is refused even where Twilio's
signature check is off (development).

Not in the token: the caller's and called numbers (Twilio sends `From` and `To`, signed, with
every request), when the call started (unused), nor the previous answer (a replayed step is
simply run again: it reads the same state and the same request, and what it counts is keyed by
call and step).
"""

from __future__ import annotations

import hashlib
import json

from itsdangerous import BadSignature, Signer
from itsdangerous.encoding import base64_decode, base64_encode

from ivr.flows.call import CallState

# Twilio refuses callback URLs over 4,000 characters; a state that would make the action URL
# longer than this stays in Redis instead (the stored path), whatever the node.
MAX_TOKEN = 1800
_LEFT_OUT = frozenset({"caller", "called", "last", "started"})


class Tampered(ValueError):
    """An action URL whose state token does not carry our seal, or disagrees with the URL."""


class Sealer:
    """Seals call states into URL-safe tokens and opens them again."""

    def __init__(self, secret: str) -> None:
        self._signer = Signer(secret, salt="ivr call state", digest_method=hashlib.sha256)

    def seal(self, state: CallState) -> str | None:
        """The token for `state` (whose node and seq are those of its action URL), or None
        when it would be too long for a URL."""
        data = {k: v for k, v in vars(state).items() if k not in _LEFT_OUT and v}
        text = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
        token = self._signer.sign(base64_encode(text)).decode()
        return token if len(token) <= MAX_TOKEN else None

    def open(self, token: str, version: str, node: str, seq: str) -> CallState:
        """The state sealed in `token`; Tampered unless it is ours and agrees with the URL."""
        try:
            payload = self._signer.unsign(token)
        except BadSignature as error:
            raise Tampered("the call state in the action URL is not ours") from error
        try:
            state = CallState(**json.loads(base64_decode(payload)))
        except (ValueError, TypeError) as error:  # sealed by us, so only after a change of ours
            raise Tampered(f"unreadable call state: {error}") from error
        if state.version != version or state.node != node or str(state.seq) != seq:
            raise Tampered("the action URL disagrees with its call state")
        return state
