"""Each webhook costs at most two Redis round trips, one read and one compare-and-set write; a
guess of who is calling one more (the guard's atomic verdict), and so does a step with writes of
its own (they follow the compare-and-set, only when it won)."""

from __future__ import annotations

import pytest
import redis
from redis.connection import Connection, UnixDomainSocketConnection

from ivr.flows.loader import from_data
from ivr.services import Hotline
from ivr.settings import load_settings
from tests.helpers import HOTLINE, TwiML

ROUND_TRIPS: list[int] = []


class _Counting:
    def send_packed_command(self, command, check_health=True):  # type: ignore[no-untyped-def]
        ROUND_TRIPS.append(1)
        return super().send_packed_command(command, check_health)  # type: ignore[misc]


class CountingTcp(_Counting, Connection):
    pass


class CountingUnix(_Counting, UnixDomainSocketConnection):
    pass


@pytest.fixture
def engine(env, r, clock):  # type: ignore[no-untyped-def]
    settings = load_settings(env)
    url = env["REDIS_URL"]
    cls = CountingUnix if url.startswith("unix://") else CountingTcp
    counted = redis.Redis.from_url(url, decode_responses=True, connection_class=cls)
    service = Hotline(settings, clock=clock, r=counted)
    service.prepare()
    service.engine.incoming({"CallSid": "CA-warm", "From": "+33612345678", "To": HOTLINE})
    return service.engine


def trips(action) -> int:  # type: ignore[no-untyped-def]
    ROUND_TRIPS.clear()
    action()
    return len(ROUND_TRIPS)


def test_every_step_of_a_call_costs_two_round_trips_and_a_guess_three(engine):
    params = {"CallSid": "CA-rt", "From": "+33144001001", "To": HOTLINE}
    answers: list[str] = []

    def step(keys: str | None) -> None:
        url = TwiML(answers[-1]).one("Gather").get("action") or ""
        query = dict(part.split("=") for part in url.split("?", 1)[1].split("&"))
        form = {**params, **({"Digits": keys} if keys is not None else {})}
        answers.append(engine.step(query, form))

    assert trips(lambda: answers.append(engine.incoming(params))) == 1  # check version + store
    assert trips(lambda: step(None)) == 2  # greeting -> hours -> identify (caller ID lookup)
    assert trips(lambda: step("7777")) == 3  # a wrong id: the guard counts it
    assert trips(lambda: step("1")) == 3  # confirms ACME (the guard checks the lock) -> menu
    # -> maintenance queue: the queue's writes go out once the call's state is written (a step
    # that lost to a concurrent answer must not put the caller in a queue)
    assert trips(lambda: step("2")) == 3
    assert TwiML(answers[-1]).one("Enqueue").text == "maintenance"


def test_a_publish_between_calls_costs_two_more_round_trips(engine, clock):
    service_flows = engine.store
    flow = service_flows.current()
    data = flow.config.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    data["prompts"]["welcome"]["fr"] = "Bonjour."
    other = from_data(data)
    service_flows.publish(other, clock.now())
    service_flows.last_current = flow.version  # this process has not seen the publish yet
    params = {"CallSid": "CA-publish", "From": "+33612345678", "To": HOTLINE}
    answers: list[str] = []
    assert trips(lambda: answers.append(engine.incoming(params))) == 3
    assert TwiML(answers[0]).said()[0] == "Bonjour."
    assert engine.call_state("CA-publish").version == other.version  # type: ignore[union-attr]


def test_replay_costs_one_round_trip(engine):
    params = {"CallSid": "CA-replay", "From": "+33612345678", "To": HOTLINE}
    first = engine.incoming(params)
    url = TwiML(first).one("Gather").get("action") or ""
    query = dict(part.split("=") for part in url.split("?", 1)[1].split("&"))
    engine.step(query, params)
    assert trips(lambda: engine.step(query, params)) == 1
