"""Redis round trips per webhook, counted on the wire. A call's state rides in the action URL of
its questions (ivr/flows/token.py), and the current flow version and the live switches are kept
in the process for IVR_SHARED_CACHE seconds: a new call costs none, a step one when it reads or
writes something shared (client records, the guard, a queue), and a wrong client id one more
(the guard's atomic count)."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest
import redis
from redis.connection import Connection, UnixDomainSocketConnection

from ivr.callers import guard
from ivr.core.settings import load_settings
from ivr.flows.loader import from_data
from ivr.services.hotline import Hotline
from tests.helpers import HOTLINE, INVALID, MENU_FR, TwiML

ROUND_TRIPS: list[int] = []


class _Counting:
    def send_packed_command(self, command, check_health=True):  # type: ignore[no-untyped-def]
        ROUND_TRIPS.append(1)
        return super().send_packed_command(command, check_health)  # type: ignore[misc]


class CountingTcp(_Counting, Connection):
    pass


class CountingUnix(_Counting, UnixDomainSocketConnection):
    pass


class Ticking:
    """The engine's monotonic clock, moved by the test."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def ticking() -> Ticking:
    return Ticking()


@pytest.fixture
def engine(env, r, clock, ticking):  # type: ignore[no-untyped-def]
    settings = load_settings({**env, "IVR_SHARED_CACHE": "0.5"})
    url = env["REDIS_URL"]
    cls = CountingUnix if url.startswith("unix://") else CountingTcp
    counted = redis.Redis.from_url(url, decode_responses=True, connection_class=cls)
    service = Hotline(settings, clock=clock, r=counted)
    service.prepare()
    service.engine.monotonic = ticking
    # warm: this process has read the current version and the switches
    caller = Call(service.engine, "CA-warm", "+33612345678")
    caller.start()
    caller.step(None)
    yield service.engine
    counted.close()


def trips(action) -> int:  # type: ignore[no-untyped-def]
    ROUND_TRIPS.clear()
    action()
    return len(ROUND_TRIPS)


class Call:
    def __init__(self, engine, sid: str, caller: str) -> None:  # type: ignore[no-untyped-def]
        self.engine = engine
        self.params = {"CallSid": sid, "From": caller, "To": HOTLINE}
        self.answers: list[str] = []

    def start(self) -> int:
        return trips(lambda: self.answers.append(self.engine.incoming(self.params)))

    def query(self) -> dict[str, str]:
        url = TwiML(self.answers[-1]).one("Gather").get("action") or ""
        return dict(parse_qsl(urlsplit(url).query))

    def step(self, keys: str | None, query: dict[str, str] | None = None) -> int:
        query = query or self.query()
        form = {**self.params, **({"Digits": keys} if keys is not None else {})}
        return trips(lambda: self.answers.append(self.engine.step(query, form)))


def test_a_call_to_the_queue_costs_one_round_trip_a_step_and_none_to_start(engine, r):
    call = Call(engine, "CA-rt", "+33144001001")
    assert call.start() == 0  # the greeting: version known here, nothing read or written
    assert "t" in call.query()
    assert call.step(None) == 1  # -> announcement, pending callback, hours, identify: reads
    assert call.step("7777") == 1  # a wrong id: read and counted by the guard at once
    assert r.zcard(guard.NUMBER_FAILS_KEY.format("+33144001001")) == 1
    assert TwiML(call.answers[-1]).said()[0] == INVALID
    assert call.step("1") == 1  # confirms ACME (the lock read with the client) -> menu
    assert call.step("2") == 1  # -> maintenance queue: the queue's writes and the state's copy
    assert TwiML(call.answers[-1]).one("Enqueue").text == "maintenance"
    stored = engine.call_state("CA-rt")
    assert stored.client["id"] == "1001" and stored.outcome == {"type": "enqueue",
                                                                "target": "maintenance"}


def test_a_menu_answer_that_reads_nothing_costs_none(engine):
    call = Call(engine, "CA-menu", "+33612345678")
    call.start()
    call.step(None)
    call.step("1001")  # a typed id -> the menu
    assert TwiML(call.answers[-1]).said()[0].startswith(MENU_FR)
    assert call.step("*") == 0  # repeat the menu: nothing shared read or written
    assert call.step("8") == 0  # a wrong key: asked again, the try counted in the URL
    assert call.step("8") == 0


def test_the_cache_is_read_again_once_stale_and_a_publish_reaches_new_calls(engine, clock,
                                                                           ticking):
    store = engine.store
    flow = store.current()
    data = flow.config.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    data["prompts"]["welcome"]["fr"] = "Bonjour."
    other = from_data(data)
    store.publish(other, clock.now())
    early = Call(engine, "CA-early", "+33612345678")
    assert early.start() == 0
    assert TwiML(early.answers[0]).said()[0] != "Bonjour."  # within the cache time
    ticking.now += 0.6
    late = Call(engine, "CA-late", "+33612345678")
    assert late.start() == 1  # the current version, read again
    assert TwiML(late.answers[0]).said()[0] == "Bonjour."
    assert early.step(None) == 1  # a call in progress keeps its version
    assert late.query()["v"] == other.version != early.query()["v"]


def test_a_repeated_request_is_answered_the_same_and_costs_what_the_first_did(engine):
    call = Call(engine, "CA-replay", "+33612345678")
    call.start()
    query = call.query()
    call.step(None, query)
    first = call.answers[-1]
    assert call.step(None, query) == 1
    assert call.answers[-1] == first
