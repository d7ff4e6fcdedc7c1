"""Redis round trips per webhook, counted on the real app in this process.

Every round trip goes through `send_packed_command` (one call per command, one per pipeline),
so the bench wraps that method for the time of the count. This is measurement, not a test:
the app's code is left as it is.
"""

from __future__ import annotations

import statistics
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urljoin, urlsplit

from flask import Flask
from redis.connection import AbstractConnection
from twilio.request_validator import RequestValidator

from webhooks import incoming_params

WARM_UP_CALLS = 3  # connections are opened and the flow parsed on the first calls


@contextmanager
def counting_sends() -> Iterator[Callable[[], int]]:
    """Count Redis round trips made in the block; yields a function reading the count."""
    original = AbstractConnection.send_packed_command
    count = 0

    def send_packed_command(self: AbstractConnection, *args: Any, **kwargs: Any) -> None:
        nonlocal count
        count += 1
        original(self, *args, **kwargs)

    AbstractConnection.send_packed_command = send_packed_command  # type: ignore[method-assign]
    try:
        yield lambda: count
    finally:
        AbstractConnection.send_packed_command = original  # type: ignore[method-assign]


def count_round_trips(app: Flask, public_url: str, token: str, calls: int = 50,
                      run: int = 0xFFFF) -> dict[str, dict[str, float]]:
    """Round trips of /voice/incoming and of the step answering the greeting (no key pressed),
    over `calls` calls after a warm-up; min, mean and max per webhook."""
    client = app.test_client()
    validator = RequestValidator(token)
    counts: dict[str, list[int]] = {"/voice/incoming": [], "/voice/step": []}

    def post(url: str, params: dict[str, str]) -> str:
        parts = urlsplit(url)
        response = client.post(parts.path + (f"?{parts.query}" if parts.query else ""),
                               data=params, base_url=f"{parts.scheme}://{parts.netloc}",
                               headers={"X-Twilio-Signature":
                                        validator.compute_signature(url, params)})
        body = response.get_data(as_text=True)
        if response.status_code != 200:
            raise RuntimeError(f"{parts.path} answered HTTP {response.status_code}: {body[:200]}")
        return body

    with counting_sends() as sent:
        for index in range(WARM_UP_CALLS + calls):
            params = incoming_params(run, index)
            incoming_url = f"{public_url}/voice/incoming"
            before = sent()
            greeting = ET.fromstring(post(incoming_url, params)).find("Gather")
            middle = sent()
            if greeting is None:
                raise RuntimeError("/voice/incoming did not answer the greeting's <Gather>")
            # the greeting's Gather times out (actionOnEmptyResult): the common answer
            post(urljoin(incoming_url, greeting.get("action", "")),
                 {**params, "CallStatus": "in-progress"})
            if index >= WARM_UP_CALLS:
                counts["/voice/incoming"].append(middle - before)
                counts["/voice/step"].append(sent() - middle)
    return {path: {"min": min(values), "mean": statistics.fmean(values), "max": max(values)}
            for path, values in counts.items()}
