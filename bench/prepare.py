"""The call mix's requests, prepared by driving real calls through the real app in this process
(Flask's test client, the served app's Redis and settings), in parallel processes.

A request of kind k is the k-th request of its call: the calls prepared for it are driven up to
request k-1 here, and request k, read from the last answer, is signed and written for wrk. So
the server is the first to see every (call, step) it is sent: a repeated step would take the
app's cheaper replay path. The Redis every server starts from: `reset`.
"""

from __future__ import annotations

import math
import multiprocessing
import random
import signal
import time
from collections.abc import Callable, Sized
from dataclasses import dataclass
from urllib.parse import urlsplit

import redis
from flask import Flask
from twilio.request_validator import RequestValidator

from calls import Walk, WalkError
from ivr import create_app, queue
from ivr.centre import agents
from stack import HANDLE_TIMES, TOKEN
from webhooks import Webhook

CHUNK = 100  # calls per task of a preparing process
Post = Callable[[Webhook], str]


class InProcess:
    """Twilio's requests into the app in this process, signed, through Flask's test client."""

    def __init__(self, app: Flask) -> None:
        self.client = app.test_client()
        self.validator = RequestValidator(TOKEN)

    def post(self, hook: Webhook) -> str:
        parts = urlsplit(hook.url)
        response = self.client.post(hook.target, data=hook.params,
                                    base_url=f"{parts.scheme}://{parts.netloc}",
                                    headers={"X-Twilio-Signature": hook.signature(self.validator)})
        body = response.get_data(as_text=True)
        if response.status_code != 200:
            raise WalkError(f"{hook.kind} ({hook.target}) answered HTTP "
                            f"{response.status_code}: {body[:200]}")
        return body


def in_process_app(env: dict[str, str]) -> Flask:
    return create_app({**env, "IVR_LOG_LEVEL": "WARNING"})


def reset(env: dict[str, str]) -> Flask:
    """Empty the bench's Redis, then what every server starts from: the bench flow published
    (IVR_FLOW_FILE), the demo clients, every agent signed in but on a break (queues staffed,
    nobody routed: no call is ever put through), recent handle times. The app, in-process."""
    r = redis.Redis.from_url(env["REDIS_URL"])
    try:
        r.flushdb()
    finally:
        r.close()
    app = in_process_app(env)  # publishes the flow, loads demo clients and agents
    service = app.extensions["ivr"]
    roster = agents.roster(service.redis)
    for presence in roster:
        if presence.state != "break":
            service.change_presence(presence.id, "break")
    rules = service.flows.current().queue_rules
    skills = {skill for presence in roster for skill in presence.agent.skills}
    unstaffed = sorted(name for name, rule in rules.items() if rule.skill not in skills)
    if unstaffed:
        raise RuntimeError(f"no demo agent answers {', '.join(unstaffed)}: its callers would "
                           "overflow")
    for name in rules:
        service.redis.rpush(queue.HANDLED_KEY.format(name), *HANDLE_TIMES)
    return app


def nobody_routed(env: dict[str, str]) -> list[str]:
    """Agents that are no longer on their break: routing gave them a caller."""
    r = redis.Redis.from_url(env["REDIS_URL"], decode_responses=True)
    try:
        return [f"{p.id} is {p.state}" for p in agents.roster(r) if p.state != "break"]
    finally:
        r.close()


def walk_to(post: Post, public_url: str, stamp: int, index: int, depth: int) -> Walk:
    """Call `index` driven through its first `depth` requests; its next one is `walk.current`."""
    walk = Walk(public_url, stamp, index)
    hook: Webhook | None = walk.first()
    for _ in range(depth):
        assert hook is not None
        hook = walk.next(post(hook))
        if hook is None:
            raise WalkError(f"call {index} ended after {depth} requests")
    return walk


def kinds_of_calls(post: Post, public_url: str, stamp: int, index: int) -> list[str]:
    """The kinds of the requests of one whole call of the mix, driven here (uses `index`)."""
    walk = Walk(public_url, stamp, index)
    hook: Webhook | None = walk.first()
    kinds = []
    while hook is not None:
        kinds.append(hook.kind)
        hook = walk.next(post(hook))
    return kinds


@dataclass(frozen=True)
class Prepared:
    """Signed request lines per kind, and what preparing them took."""

    lines: dict[str, list[str]]
    seconds: float
    processes: int

    def shuffled(self, seed: int) -> list[str]:
        """Every line, kinds mixed in a random order (the same for a seed), so that every wrk
        thread sends each kind in the same share."""
        every = [line for lines in self.lines.values() for line in lines]
        random.Random(seed).shuffle(every)
        return every

    def count(self) -> int:
        return sum(len(lines) for lines in self.lines.values())


class Ids:
    """Call indices never used twice in a bench run (so CallSids never repeat)."""

    def __init__(self) -> None:
        self.next = 0

    def take(self, count: int) -> int:
        first, self.next = self.next, self.next + count
        return first


def prepare(env: dict[str, str], kinds: list[str], per_kind: int, stamp: int, ids: Ids,
            processes: int) -> Prepared:
    """`per_kind` signed requests of each kind (the kind at depth d of the call), from calls
    driven in `processes` processes."""
    tasks = []
    for depth, kind in enumerate(kinds):
        first = ids.take(per_kind)
        for start in range(first, first + per_kind, CHUNK):
            tasks.append((kind, depth, start, min(CHUNK, first + per_kind - start)))
    lines: dict[str, list[str]] = {kind: [] for kind in kinds}
    started = time.perf_counter()
    # the slowest tasks (deepest calls) first, so that no process is left alone at the end
    tasks.sort(key=lambda task: -task[1])
    context = multiprocessing.get_context("fork")
    with context.Pool(processes, initializer=_start, initargs=(env, stamp)) as pool:
        for kind, chunk in pool.imap_unordered(_prepare_chunk, tasks):
            lines[kind] += chunk
    return Prepared(lines, time.perf_counter() - started, processes)


def walks(env: dict[str, str], app: Flask, kinds: list[str], per_kind: int, stamp: int,
          ids: Ids) -> list[Walk]:
    """`per_kind` calls of each kind driven in this process, each waiting for its request of
    that kind (`walk.current`): the samples whose answers are checked in full."""
    post = InProcess(app).post
    found = []
    for depth in range(len(kinds)):
        first = ids.take(per_kind)
        found += [walk_to(post, env["IVR_PUBLIC_URL"], stamp, index, depth)
                  for index in range(first, first + per_kind)]
    return found


def per_kind_for(rate: float, seconds: float, margin: float, kinds: Sized,
                 at_least: int) -> int:
    """Requests of each kind for `seconds` at `rate` requests a second, with `margin`."""
    return max(at_least, math.ceil(rate * seconds * margin / len(kinds)))


# -- in each preparing process -------------------------------------------------------------

_worker: tuple[InProcess, str, int] | None = None


def _start(env: dict[str, str], stamp: int) -> None:
    global _worker
    # Ctrl-C reaches the bench's own process, which ends the pool; the pool ends its workers
    # with SIGTERM, which must not unwind through the bench's handler here
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _worker = (InProcess(in_process_app(env)), env["IVR_PUBLIC_URL"], stamp)


def _prepare_chunk(task: tuple[str, int, int, int]) -> tuple[str, list[str]]:
    kind, depth, first, count = task
    assert _worker is not None
    transport, public_url, stamp = _worker
    lines = []
    for index in range(first, first + count):
        hook = walk_to(transport.post, public_url, stamp, index, depth).current
        if hook is None or hook.kind != kind:
            raise WalkError(f"call {index}: request {depth} is "
                            f"{hook.kind if hook else 'none'}, expected {kind}")
        lines.append(hook.line(transport.validator))
    return kind, lines
