"""Simulated people talk a fixed time, or a lognormal one of a mean and cv (seeded)."""

from __future__ import annotations

import math
import random
import statistics

import requests

from ivr.local.twilio.model import Call, Phone, World
from tests.standin import CALLER, HOTLINE, ended

AGENT = "+33700000001"
OTHER = "+33700000002"
DIAL = ('<Response><Dial action="/dialed" timeout="15">'
        f"<Number>{AGENT}</Number></Dial></Response>")


def world_with(target: str, phone: Phone) -> World:
    world = World("http://127.0.0.1:9", "AC" + "ab" * 16, "token", scale=0.01)
    world.set_phone(target, phone)
    return world


def answered_by(world: World, target: str) -> Call:
    return Call("CA" + "0" * 32, world.account_sid, CALLER, target, "outbound-dial",
                phone=world.phone(target))


def test_talk_times_follow_the_lognormal_law_of_their_mean_and_cv():
    world = world_with(AGENT, Phone(talk=300, talk_cv=1.0, seed=7))
    call = answered_by(world, AGENT)
    draws = [world.talk_time(call) for _ in range(20_000)]
    times = [t for t in draws if t is not None]
    mean = statistics.fmean(times)
    assert 291 < mean < 309  # the standard error of the mean is 300 / sqrt(20000) = 2.1 s
    assert 0.9 < statistics.pstdev(times) / mean < 1.1
    # lognormal: the logs are normal, of sd sqrt(ln(1 + cv^2)) and mean ln(mean) - sd^2 / 2
    logs = [math.log(t) for t in times]
    assert abs(statistics.pstdev(logs) - math.sqrt(math.log(2))) < 0.02
    assert abs(statistics.fmean(logs) - (math.log(300) - math.log(2) / 2)) < 0.02


def test_a_phone_draws_the_same_times_from_its_seed_whatever_other_phones_do():
    world = world_with(AGENT, Phone(talk=300, talk_cv=1.0, seed=7))
    world.set_phone(OTHER, Phone(talk=60, talk_cv=0.5, seed=8))
    agent, other = answered_by(world, AGENT), answered_by(world, OTHER)
    first = [world.talk_time(agent) for _ in range(5)]
    world.set_phone(AGENT, Phone(talk=300, talk_cv=1.0, seed=7))  # set again: from the seed
    again = []
    for _ in range(5):
        world.talk_time(other)
        again.append(world.talk_time(agent))
    assert again == first
    assert len(set(first)) == 5  # spread out, not one time


def test_without_a_cv_every_call_lasts_the_phones_talk_time():
    world = world_with(AGENT, Phone(talk=42))
    call = answered_by(world, AGENT)
    assert [world.talk_time(call) for _ in range(3)] == [42, 42, 42]
    world.set_phone(AGENT, Phone(talk=None, talk_cv=0))
    assert world.talk_time(answered_by(world, AGENT)) is None


def test_a_dialled_agent_hangs_up_after_the_seeded_draws(customer, timed_device):
    customer.on("/voice/incoming", DIAL)
    customer.on("/dialed", "<Response><Hangup/></Response>")
    timed_device.set_phone(AGENT, ring=0, talk=30, talk_cv=1.0, seed=4)
    sigma = math.sqrt(math.log(2))
    rng = random.Random(4)
    expected = [math.exp(rng.normalvariate(math.log(30) - sigma ** 2 / 2, sigma))
                for _ in range(2)]  # 13.9 s, then 17.8 s
    durations = []
    for _ in expected:
        ended(timed_device, timed_device.start_call(CALLER, HOTLINE), timeout=20)
        durations.append(int(customer.hits_to("/dialed")[-1].form["DialCallDuration"]))
    assert [abs(d - e) <= 1.5 for d, e in zip(durations, expected, strict=True)] == [True, True]


def test_a_spread_needs_a_mean_talk_time(timed_device):
    url = f"{timed_device.base_url}/_local/phones/{AGENT}"
    refused = requests.put(url, json={"talk": None, "talk_cv": 1.0}, timeout=5)
    assert refused.status_code == 400
    assert "talk_cv needs a talk time above 0" in refused.json()["error"]
    negative = requests.put(url, json={"talk": 30, "talk_cv": -1}, timeout=5)
    assert (negative.status_code, negative.json()["error"]) == (
        400, "talk_cv: Input should be greater than or equal to 0")
