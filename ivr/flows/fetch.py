"""The reads a step needs, planned from the flow, done in the step's first Redis round trip."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import redis

from callbacks import store as callbacks_store
from ivr import queue
from ivr.callers import guard, spoken
from ivr.callers.directory import CLIENT_KEY, PHONE_KEY, Client, client_from_json
from ivr.flows.switches import LIVE_KEY, Live

CLIENT_ID = re.compile(r"^[0-9]{1,12}$")


def answered_id(params: Mapping[str, str]) -> str | None:
    """The client id an answer may give: the keys typed, else the digits said."""
    digits = params.get("Digits")
    if digits:
        return digits
    return spoken.digits_said(params.get("SpeechResult"))


class Fetch:
    """Queues reads on a pipeline, then turns their results into what nodes use:
    `live` (emergency closure, announcements), `caller` (clients sharing the calling number),
    `typed` (the client of the typed or spoken id), `guard` (brute-force record of the calling
    number), `entry` (the state of the call's place in a queue), `callback` (what the call's
    callback request came to), `callback_pending` (the calling number's pending callback).
    """

    def __init__(self, needs: frozenset[str], caller: str | None, digits: str | None,
                 sid: str = "") -> None:
        self.needs = needs
        self.caller = caller
        self.typed = digits if digits and CLIENT_ID.match(digits) else None
        self.sid = sid

    def queue(self, pipe: redis.client.Pipeline) -> None:
        if "live" in self.needs:
            pipe.hgetall(LIVE_KEY)
        if "caller" in self.needs and self.caller:
            pipe.hgetall(PHONE_KEY.format(self.caller))
        if "typed" in self.needs and self.typed:
            pipe.get(CLIENT_KEY.format(self.typed))
        if "entry" in self.needs:
            queue.fetch_state(pipe, self.sid)
        if "callback" in self.needs:
            callbacks_store.fetch_outcome(pipe, self.sid)
        if "callback_pending" in self.needs:
            callbacks_store.fetch_pending(pipe, self.caller)
        if "guard" in self.needs:  # last: it reads what is left
            guard.fetch(pipe, self.caller)

    def parse(self, results: list[Any]) -> dict[str, Any]:
        results = list(results)
        fetched: dict[str, Any] = {}
        if "live" in self.needs:
            fetched["live"] = Live.from_hash(results.pop(0))
        if "caller" in self.needs and self.caller:
            raw = results.pop(0) or {}
            fetched["caller"] = sorted((Client.model_validate_json(v) for v in raw.values()),
                                       key=lambda c: c.id)
        if "typed" in self.needs and self.typed:
            fetched["typed"] = client_from_json(results.pop(0))
        if "entry" in self.needs:
            fetched["entry"] = queue.parse_state(results.pop(0))
        if "callback" in self.needs:
            fetched["callback"] = callbacks_store.parse_outcome(results.pop(0))
        if "callback_pending" in self.needs:
            fetched["callback_pending"] = callbacks_store.parse_pending(results.pop(0))
        if "guard" in self.needs:
            fetched["guard"] = guard.parse(results, self.caller)
        return fetched
