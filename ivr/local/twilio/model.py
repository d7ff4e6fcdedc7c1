"""What the stand-in holds in memory: calls, queues, simulated phones, and simulated time."""

from __future__ import annotations

import secrets
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ivr.local.twilio.talk import Talkers

FINAL = frozenset({"completed", "busy", "no-answer", "failed", "canceled"})
DEFAULT_MAX_SIZE = 1000  # Twilio's default queue size
KEEP_ENDED = 1000  # ended calls kept (with their events) for fetch and the device API


def new_sid(prefix: str) -> str:
    return prefix + secrets.token_hex(16)


def utcnow() -> datetime:
    return datetime.now(UTC)


class SimClock:
    """Simulated seconds since start; `scale` real seconds pass per simulated second."""

    def __init__(self, scale: float) -> None:
        if scale <= 0:
            raise ValueError(f"time scale must be positive, got {scale!r}")
        self.scale = scale
        self._start = time.monotonic()

    def now(self) -> float:
        return (time.monotonic() - self._start) / self.scale

    def real(self, seconds: float) -> float:
        return max(0.0, seconds * self.scale)


class Phone(BaseModel):
    """How a simulated person at a number, SIP URI or client answers (device API JSON)."""

    model_config = ConfigDict(extra="forbid")

    answer: Literal["answer", "busy", "no-answer", "failed"] = "answer"
    ring: float = Field(default=2.0, ge=0, le=3600)
    talk: float | None = Field(default=20.0, ge=0, le=14400)  # None: until hung up by API
    # 0: every call lasts `talk`; else each lasts a lognormal draw of mean `talk` and this
    # coefficient of variation, from the phone's generator seeded with `seed` (None: unseeded)
    talk_cv: float = Field(default=0.0, ge=0, le=10)
    seed: int | None = Field(default=None, ge=0)
    keys: list[str] = Field(default_factory=list, max_length=100)  # one per <Gather>
    # what becomes of an SMS sent to it: its last status callback (failed: Twilio refused to
    # send it on, undelivered: the carrier could not deliver it)
    sms: Literal["delivered", "undelivered", "failed"] = "delivered"

    @model_validator(mode="after")
    def _spread_needs_a_mean(self) -> Phone:
        if self.talk_cv and not self.talk:
            raise ValueError("talk_cv needs a talk time above 0 (the mean of the draws)")
        return self


# -- interrupts: raised in a call's thread when something outside changes its course --------


class Interrupt(Exception):  # noqa: N818  (a signal, not an error)
    """Something stopped what the call was doing."""


class HungUp(Interrupt):
    """The call ended: `by` is caller, api, talk (the person's time is up), hold, limit."""

    def __init__(self, by: str) -> None:
        super().__init__(by)
        self.by = by


class Redirected(Interrupt):
    """A REST update gave the call a new URL (`member`: through the queue's Members)."""

    def __init__(self, url: str, method: str, member: bool = False,
                 twiml: str | None = None) -> None:
        super().__init__(url)
        self.url, self.method, self.member, self.twiml = url, method, member, twiml


class Bridging(Interrupt):
    """A `<Dial><Queue>` took this waiting call out of its queue, to bridge it."""

    def __init__(self, bridge: Bridge) -> None:
        super().__init__("bridge")
        self.bridge = bridge


@dataclass(eq=False)
class Bridge:
    """Two TwiML calls joined by <Dial><Queue>: each side waits for the other to leave."""

    dialer: Call
    member: Call
    url: str | None
    method: str
    connected: threading.Event = field(default_factory=threading.Event)
    ended: threading.Event = field(default_factory=threading.Event)
    connected_at: float | None = None

    def end(self) -> None:
        self.ended.set()
        for call in (self.dialer, self.member):
            call.doorbell.set()


@dataclass(eq=False)
class Call:
    """One Twilio call (or a leg dialled by <Dial>)."""

    sid: str
    account_sid: str
    from_: str
    to: str
    direction: str  # inbound, outbound-api, outbound-dial
    url: str | None = None
    method: str = "POST"
    twiml: str | None = None
    fallback_url: str | None = None
    fallback_method: str = "POST"
    status_callback: str | None = None
    status_callback_method: str = "POST"
    status_callback_events: frozenset[str] = frozenset({"completed"})
    timeout: float = 60.0
    parent: Call | None = None
    phone: Phone | None = None  # the simulated person at the far end (outbound and legs)
    interactive: bool = False
    hold: float | None = None  # the caller hangs up after this long in a queue
    record_seconds: float = 5.0  # how long the caller speaks when recorded
    status: str = "queued"
    created: datetime = field(default_factory=utcnow)
    updated: datetime = field(default_factory=utcnow)
    started: datetime | None = None
    ended: datetime | None = None
    sim_created: float = 0.0
    sim_answered: float | None = None
    sim_ended: float | None = None
    hangup_at: float | None = None
    hangup_by: str = "caller"
    queue: Queue | None = None
    sim_enqueued: float = 0.0
    enqueued: datetime | None = None
    queue_time: int = 0
    duration: int = 0  # simulated seconds from answer to end
    pending: Interrupt | None = None
    presses: deque[str] = field(default_factory=deque)
    digits: deque[str | None] = field(default_factory=deque)  # typed live (interactive)
    gather_open: bool = False
    leg: Call | None = None  # the leg this call is bridged to, while it is
    doorbell: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)  # guards `pending`
    events: list[dict[str, Any]] = field(default_factory=list)
    changed: threading.Condition = field(default_factory=threading.Condition)

    @property
    def is_final(self) -> bool:
        return self.status in FINAL

    def interrupt(self, signal: Interrupt) -> None:
        """Hand `signal` to the call's thread; a hang-up is never replaced by a redirect."""
        with self.lock:
            if not isinstance(self.pending, HungUp):
                self.pending = signal
        self.doorbell.set()

    def take_pending(self) -> Interrupt | None:
        """The signal for the call's thread; a hang-up stays (every later check sees it)."""
        with self.lock:
            pending = self.pending
            if pending is not None and not isinstance(pending, HungUp):
                self.pending = None
            return pending

    def emit(self, event: str, sim_now: float, /, **data: Any) -> None:
        """Record an event for the device API's long-poll."""
        with self.changed:
            self.events.append({"n": len(self.events), "t": round(sim_now - self.sim_created, 2),
                                "type": event, **data})
            self.changed.notify_all()

    def events_after(self, after: int, wait: float) -> list[dict[str, Any]]:
        with self.changed:
            if len(self.events) <= after and not self.sim_ended_flag:
                self.changed.wait(timeout=wait)
            return self.events[after:]

    @property
    def sim_ended_flag(self) -> bool:
        return self.sim_ended is not None

    def mark_ended(self, sim_now: float) -> None:
        with self.changed:
            self.sim_ended = sim_now
            self.changed.notify_all()


@dataclass(eq=False)
class Queue:
    """A Twilio queue: callers waiting in order."""

    sid: str
    name: str
    max_size: int = DEFAULT_MAX_SIZE
    members: list[Call] = field(default_factory=list)
    created: datetime = field(default_factory=utcnow)
    updated: datetime = field(default_factory=utcnow)
    waiters: set[threading.Event] = field(default_factory=set)  # <Dial><Queue> doorbells


@dataclass(eq=False)
class Message:
    """One SMS: sent through Messages.json (outbound-api), received (inbound) or answered
    with TwiML <Message> (outbound-reply)."""

    sid: str
    account_sid: str
    from_: str
    to: str
    body: str
    direction: str
    status: str
    status_callback: str | None = None
    error_code: int | None = None
    created: datetime = field(default_factory=utcnow)
    updated: datetime = field(default_factory=utcnow)
    sent: datetime | None = None
    statuses: list[str] = field(default_factory=list)  # every status it went through


class World:
    """Every call, queue and phone the stand-in knows; one lock guards them all."""

    def __init__(self, app_url: str, account_sid: str, auth_token: str, scale: float) -> None:
        self.app_url = app_url.rstrip("/")
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.clock = SimClock(scale)
        self.lock = threading.RLock()
        self.calls: dict[str, Call] = {}
        self.ended: deque[str] = deque()
        self.queues: dict[str, Queue] = {}
        self.phones: dict[str, Phone] = {}
        self.default_phone = Phone()
        self.talkers = Talkers()
        self.dialled: Counter[str] = Counter()
        self.recordings: dict[str, float] = {}
        self.messages: dict[str, Message] = {}  # SMS, in the order made (dicts keep it)
        self.faults: deque[dict[str, Any]] = deque()
        self.stopping = threading.Event()
        self.threads: set[threading.Thread] = set()  # calls' threads still running
        self.base_url = ""  # set once the server listens

    # -- calls -------------------------------------------------------------------------

    def add_call(self, call: Call) -> Call:
        call.sim_created = self.clock.now()
        with self.lock:
            self.calls[call.sid] = call
        return call

    def call(self, sid: str) -> Call | None:
        with self.lock:
            return self.calls.get(sid)

    def forget_old(self, call: Call) -> None:
        """Keep the last KEEP_ENDED ended calls, so a long `make run` stays small."""
        with self.lock:
            self.ended.append(call.sid)
            while len(self.ended) > KEEP_ENDED:
                self.calls.pop(self.ended.popleft(), None)

    def active(self) -> int:
        with self.lock:
            return sum(1 for c in self.calls.values() if not c.is_final)

    def phone(self, target: str) -> Phone:
        with self.lock:
            return self.phones.get(target, self.default_phone)

    def set_phone(self, target: str, phone: Phone | None) -> None:
        """How the person at `target` (or `default`) answers from now on; None: as the
        default phone does (the default phone itself: as a new one)."""
        with self.lock:
            if target == "default":
                self.default_phone = phone or Phone()
            elif phone is None:
                self.phones.pop(target, None)
            else:
                self.phones[target] = phone
            self.talkers.reset(target, (phone or Phone()).seed)

    def talk_time(self, call: Call) -> float | None:
        """Simulated seconds the person `call` reached talks before hanging up (None: until
        hung up through the API): their phone's `talk`, or a draw around it."""
        with self.lock:
            key = call.to if call.to in self.phones else "default"
            phone = call.phone or self.phones.get(call.to, self.default_phone)
            return self.talkers.talk(key, phone.talk, phone.talk_cv, phone.seed)

    def add_message(self, message: Message) -> Message:
        """Keep an SMS (the last KEEP_ENDED of them)."""
        message.statuses.append(message.status)
        with self.lock:
            self.messages[message.sid] = message
            while len(self.messages) > KEEP_ENDED:
                self.messages.pop(next(iter(self.messages)))
        return message

    # -- queues ------------------------------------------------------------------------

    def queue_named(self, name: str, create: bool = True) -> Queue | None:
        with self.lock:
            for queue in self.queues.values():
                if queue.name == name:
                    return queue
            if not create:
                return None
            queue = Queue(new_sid("QU"), name)
            self.queues[queue.sid] = queue
            return queue

    def join(self, queue: Queue, call: Call) -> int | None:
        """Put a call at the back of a queue; its position, or None when the queue is full."""
        with self.lock:
            if len(queue.members) >= queue.max_size:
                return None
            queue.members.append(call)
            queue.updated = utcnow()
            call.queue, call.sim_enqueued, call.enqueued = queue, self.clock.now(), utcnow()
            for doorbell in queue.waiters:
                doorbell.set()
            return len(queue.members)

    def leave(self, call: Call) -> bool:
        """Take a call out of its queue (True when it was in one)."""
        with self.lock:
            queue = call.queue
            if queue is None:
                return False
            if call in queue.members:
                queue.members.remove(call)
                queue.updated = utcnow()
            call.queue_time = int(self.clock.now() - call.sim_enqueued)
            call.queue = None
            return True

    def position(self, call: Call) -> int:
        with self.lock:
            queue = call.queue
            return queue.members.index(call) + 1 if queue and call in queue.members else 0

    def average_wait(self, queue: Queue) -> int:
        with self.lock:
            now = self.clock.now()
            waits = [now - c.sim_enqueued for c in queue.members]
            return int(sum(waits) / len(waits)) if waits else 0
