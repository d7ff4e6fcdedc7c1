"""Callbacks (`ivr:cb:*`): the hotline calls a client back, once, at their place in a queue.

The one owner of callbacks' keys. A callback is a Redis record with a state machine (see
`ivr/core/lua/callbacks.lua`); every change is one Lua call that also moves its entry in the
queue's line (`ivr/core/lua/routing.lua`), so a callback and its place never disagree. One pending
callback per client and per number: a second request updates the first; a number gets at most
`daily_cap` requests a day.

`records` asks for and cancels callbacks, `reads` reads them, `ready` holds those an agent is
held for until a placer job claims them by batches, `dialling` the transitions of placing
them; `callbacks/` has the RQ jobs, `callbacks/policy.py` which numbers may be called at
all, how often and how many times.
"""

from __future__ import annotations

from callbacks.store.reads import (
    failed,
    fetch_pending,
    finished,
    get,
    history,
    of_number,
    parse_pending,
    pending,
    trim,
)
from callbacks.store.records import (
    CALL_KEY,
    CAP_KEY,
    CLIENT_KEY,
    DONE_KEY,
    FAILED_KEY,
    HISTORY_KEY,
    JOBLESS_KEY,
    LIBS,
    NUMBER_KEY,
    OPEN_KEY,
    PENDING,
    RECORD_KEY,
    SCHED_KEY,
    TERMINAL,
    WATCH_KEY,
    Callback,
    Outcome,
    Request,
    cancel,
    cancel_on,
    fetch_outcome,
    job_made,
    jobless,
    parse_outcome,
    remember_outcome,
    request,
)

__all__ = [
    "CALL_KEY", "CAP_KEY", "CLIENT_KEY", "DONE_KEY", "FAILED_KEY", "HISTORY_KEY", "JOBLESS_KEY",
    "LIBS", "NUMBER_KEY", "OPEN_KEY", "PENDING", "RECORD_KEY", "SCHED_KEY", "TERMINAL",
    "WATCH_KEY", "Callback", "Outcome", "Request", "cancel", "cancel_on", "failed",
    "fetch_outcome", "fetch_pending", "finished", "get", "history", "job_made", "jobless",
    "of_number", "parse_outcome", "parse_pending", "pending", "remember_outcome", "request",
    "trim",
]
