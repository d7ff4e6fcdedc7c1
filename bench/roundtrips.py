"""Redis round trips per webhook kind of the call mix, counted on the real app in this process.

Every round trip goes through `send_packed_command` (one call per command, one per pipeline),
so the bench wraps that method for the time of the count. This is measurement, not a test:
the app's code is left as it is.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask
from redis.connection import AbstractConnection

from calls import Walk
from prepare import Ids, InProcess
from webhooks import Webhook

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


def count_round_trips(app: Flask, public_url: str, stamp: int, ids: Ids,
                      calls: int = 50) -> dict[str, dict[str, float]]:
    """Round trips of each request of `calls` whole calls of the mix (after a warm-up), by
    kind: min, mean and max."""
    post = InProcess(app).post
    counts: dict[str, list[int]] = {}
    first = ids.take(WARM_UP_CALLS + calls)
    with counting_sends() as sent:
        for index in range(first, first + WARM_UP_CALLS + calls):
            walk = Walk(public_url, stamp, index)
            hook: Webhook | None = walk.first()
            while hook is not None:
                before = sent()
                answer = post(hook)
                if index >= first + WARM_UP_CALLS:
                    counts.setdefault(hook.kind, []).append(sent() - before)
                hook = walk.next(answer)
    return {kind: {"min": min(values), "mean": statistics.fmean(values), "max": max(values)}
            for kind, values in counts.items()}
