"""Two different answers to the same step at the same instant.

Stored state (nodes whose state stays in Redis; here every node, the sealing turned off): the
state is written by one of them only (compare-and-set on its seq), the other answers with the
winner's TwiML, and the guard's counters move once, for the winner.

Sealed state (the state rides in the action URL): each answer is answered from the state in its
URL and its own keys; Twilio follows one of them. What is counted is named by call and step, so
two wrong answers to one question count one failure, and a repeated one counts once."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import parse_qsl, urlsplit

import pytest
import redis
from redis.connection import Connection, UnixDomainSocketConnection

from ivr.callers import guard
from ivr.core.settings import load_settings
from ivr.services.hotline import Hotline
from tests.helpers import ASK_ID, HOTLINE, INVALID, MENU_FR, UNKNOWN_CALLER, TwiML

# run just before this process's compare-and-set reaches Redis: the other answer, in full
BEFORE_COMMIT: list[Callable[[], None]] = []


class _Interleaving:
    def send_packed_command(self, command, check_health=True):  # type: ignore[no-untyped-def]
        packed = b"".join(command) if isinstance(command, list) else command
        if BEFORE_COMMIT and b"cjson.decode(stored)" in packed:
            BEFORE_COMMIT.pop()()
        return super().send_packed_command(command, check_health)  # type: ignore[misc]


class InterleavingTcp(_Interleaving, Connection):
    pass


class InterleavingUnix(_Interleaving, UnixDomainSocketConnection):
    pass


@pytest.fixture
def engines(env, r, clock):  # type: ignore[no-untyped-def]
    """Two web processes' engines on one Redis; the first lets the second answer just before
    it writes."""
    settings = load_settings(env)
    url = env["REDIS_URL"]
    cls = InterleavingUnix if url.startswith("unix://") else InterleavingTcp
    slow = Hotline(settings, clock=clock,
                   r=redis.Redis.from_url(url, decode_responses=True, connection_class=cls))
    slow.prepare()
    fast = Hotline(settings, clock=clock)
    slow.engine.sealer = fast.engine.sealer = None  # the stored way, for every node
    yield slow.engine, fast.engine
    BEFORE_COMMIT.clear()
    slow.redis.close()
    fast.redis.close()


PARAMS = {"CallSid": "CA-race", "From": UNKNOWN_CALLER, "To": HOTLINE}


def at_id_question(engine) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Start the call and let the greeting time out: the query of the id question's action."""
    greeting = engine.incoming(PARAMS)
    query = dict(parse_qsl(urlsplit(TwiML(greeting).one("Gather").get("action") or "").query))
    doc = TwiML(engine.step(query, PARAMS))
    assert doc.said() == [ASK_ID]
    return dict(parse_qsl(urlsplit(doc.one("Gather").get("action") or "").query))


def race(engines, first: str, second: str) -> tuple[TwiML, TwiML]:  # type: ignore[no-untyped-def]
    """`first` is read, then `second` answers the same question in full, then `first` writes."""
    slow, fast = engines
    query = at_id_question(fast)
    answers: dict[str, TwiML] = {}
    BEFORE_COMMIT.append(lambda: answers.update(
        second=TwiML(fast.step(query, {**PARAMS, "Digits": second}))))
    answers["first"] = TwiML(slow.step(query, {**PARAMS, "Digits": first}))
    assert not BEFORE_COMMIT, "the second answer did not run before the first one's write"
    return answers["first"], answers["second"]


def test_a_wrong_id_that_loses_to_the_right_one_answers_the_menu_and_counts_nothing(engines, r):
    lost, won = race(engines, first="9999", second="1001")
    assert won.said()[0].startswith(MENU_FR)
    assert lost.said() == won.said()  # the caller is told what was stored
    state = engines[0].call_state("CA-race")
    assert state.client["id"] == "1001" and state.node == "menu"
    assert r.zcard(guard.NUMBER_FAILS_KEY.format(UNKNOWN_CALLER)) == 0  # taken back
    assert state.tries == {}


def test_a_right_id_that_loses_to_a_wrong_one_answers_the_retry(engines, r):
    lost, won = race(engines, first="1001", second="9999")
    assert won.said() == [INVALID, ASK_ID]
    assert lost.said() == won.said()
    state = engines[0].call_state("CA-race")
    assert state.client is None and state.node == "identify"
    assert state.tries == {"identify": 1}
    assert r.zcard(guard.NUMBER_FAILS_KEY.format(UNKNOWN_CALLER)) == 1


def test_two_wrong_ids_at_once_count_one_failure_and_one_attempt(engines, r):
    lost, won = race(engines, first="9998", second="9999")
    assert lost.said() == won.said() == [INVALID, ASK_ID]
    assert engines[0].call_state("CA-race").tries == {"identify": 1}
    assert r.zcard(guard.NUMBER_FAILS_KEY.format(UNKNOWN_CALLER)) == 1


@pytest.fixture
def sealed(env, r, clock):  # type: ignore[no-untyped-def]
    """Two web processes' engines on one Redis, carrying the call state in the URL."""
    settings = load_settings(env)
    first, second = Hotline(settings, clock=clock), Hotline(settings, clock=clock)
    first.prepare()
    yield first.engine, second.engine
    first.redis.close()
    second.redis.close()


def test_sealed_two_wrong_ids_to_one_question_count_one_failure(sealed, r):
    first, second = sealed
    query = at_id_question(first)
    assert "t" in query
    one = TwiML(first.step(query, {**PARAMS, "Digits": "9998"}))
    two = TwiML(second.step(query, {**PARAMS, "Digits": "9999"}))
    assert one.said() == two.said() == [INVALID, ASK_ID]
    assert r.zcard(guard.NUMBER_FAILS_KEY.format(UNKNOWN_CALLER)) == 1
    again = TwiML(second.step(query, {**PARAMS, "Digits": "9999"}))  # Twilio asks again
    assert again.said() == two.said()
    assert again.one("Gather").get("action") == two.one("Gather").get("action")
    assert r.zcard(guard.NUMBER_FAILS_KEY.format(UNKNOWN_CALLER)) == 1


def test_sealed_answers_to_one_question_each_go_on_from_their_own_keys(sealed, r):
    first, second = sealed
    query = at_id_question(first)
    wrong = TwiML(first.step(query, {**PARAMS, "Digits": "9999"}))
    right = TwiML(second.step(query, {**PARAMS, "Digits": "1001"}))
    assert wrong.said() == [INVALID, ASK_ID]
    assert right.said()[0].startswith(MENU_FR)
    # whichever Twilio follows, the next step goes on from what that caller was told
    after_right = dict(parse_qsl(urlsplit(right.one("Gather").get("action") or "").query))
    assert after_right["n"] == "menu"
    after_wrong = dict(parse_qsl(urlsplit(wrong.one("Gather").get("action") or "").query))
    assert after_wrong["n"] == "identify" and after_wrong["t"] != query["t"]
