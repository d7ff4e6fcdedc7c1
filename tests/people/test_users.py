"""Users: names, roles, hashed passwords, API tokens; sessions and the sign-in throttle."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ivr.core.exceptions import SignInRefused, UserError
from ivr.people import sessions, users
from tests.conftest import MONDAY_MORNING

PASSWORD = "correct horse battery"
LIFE = sessions.Lifetime(idle=3600, max_age=12 * 3600)


def test_password_is_stored_hashed_and_checked(r):
    users.add(r, "alice", "admin", PASSWORD, MONDAY_MORNING)
    assert PASSWORD not in r.hget(users.USERS_KEY, "alice")
    assert users.verify(r, "alice", PASSWORD) == users.User(
        "alice", "admin", None, MONDAY_MORNING.isoformat())
    assert users.verify(r, "alice", PASSWORD + "x") is None
    assert users.verify(r, "nobody", PASSWORD) is None


@pytest.mark.parametrize(("name", "role", "password", "agent_id", "message"), [
    ("Alice", "admin", PASSWORD, None, "lower-case"),
    ("a b", "admin", PASSWORD, None, "lower-case"),
    ("system", "admin", PASSWORD, None, "reserved"),
    ("bob", "root", PASSWORD, None, "role must be one of agent, supervisor, admin"),
    ("bob", "admin", "short", None, "at least 10 characters"),
    ("bob", "agent", PASSWORD, None, "needs an agent id"),
    ("bob", "agent", PASSWORD, "a b", "agent id must be"),
    ("bob", "agent", PASSWORD, "ghost", "no agent 'ghost' in the roster"),
])
def test_bad_user_is_refused_with_the_reason(r, name, role, password, agent_id, message):
    with pytest.raises(UserError, match=message):
        users.add(r, name, role, password, MONDAY_MORNING, agent_id)
    assert r.hlen(users.USERS_KEY) == 0


def test_a_name_is_taken_once(r):
    users.add(r, "alice", "admin", PASSWORD, MONDAY_MORNING)
    with pytest.raises(UserError, match="already exists"):
        users.add(r, "alice", "supervisor", PASSWORD, MONDAY_MORNING)
    assert users.get(r, "alice").role == "admin"


def test_roles_are_ranked():
    admin, agent = users.User("a", "admin"), users.User("b", "agent")
    assert [admin.can(role) for role in users.ROLES] == [True, True, True]
    assert [agent.can(role) for role in users.ROLES] == [True, False, False]
    assert users.User("c", "supervisor").can("admin") is False
    assert admin.can("root") is False


def test_api_token_is_kept_hashed_and_dies_with_its_user(r):
    users.add(r, "ci", "admin", PASSWORD, MONDAY_MORNING)
    token_id, token = users.issue_token(r, "ci", "pipeline", MONDAY_MORNING)
    assert token not in str(r.hgetall(users.TOKENS_KEY))
    assert users.user_for_token(r, token).name == "ci"
    assert users.user_for_token(r, token + "x") is None
    assert [t["id"] for t in users.tokens(r, "ci")] == [token_id]
    users.remove(r, "ci")
    assert users.user_for_token(r, token) is None


def test_revoked_token_stops_working(r):
    users.add(r, "ci", "admin", PASSWORD, MONDAY_MORNING)
    token_id, token = users.issue_token(r, "ci", "", MONDAY_MORNING)
    users.revoke_token(r, "ci", token_id)
    assert users.user_for_token(r, token) is None
    with pytest.raises(UserError, match="no token"):
        users.revoke_token(r, "ci", token_id)


# -- sessions --------------------------------------------------------------------------------


def test_session_ends_when_idle_too_long(r):
    user = users.add(r, "alice", "admin", PASSWORD, MONDAY_MORNING)
    sid = sessions.open_session(r, user, MONDAY_MORNING, LIFE)
    later = MONDAY_MORNING + timedelta(minutes=59)
    assert sessions.resume(r, sid, later, LIFE) == user
    assert sessions.resume(r, sid, later + timedelta(minutes=59), LIFE) == user  # seen: renewed
    assert sessions.resume(r, sid, later + timedelta(minutes=59 + 61), LIFE) is None
    assert not r.exists(sessions.SESSION_KEY.format(sid))


def test_session_ends_at_its_maximum_age_even_when_busy(r):
    user = users.add(r, "alice", "admin", PASSWORD, MONDAY_MORNING)
    sid = sessions.open_session(r, user, MONDAY_MORNING, LIFE)
    for minutes in range(50, 12 * 60, 50):
        assert sessions.resume(r, sid, MONDAY_MORNING + timedelta(minutes=minutes), LIFE) == user
    assert sessions.resume(r, sid, MONDAY_MORNING + timedelta(hours=12, minutes=5), LIFE) is None


def test_closing_all_sessions_of_a_user(r):
    user = users.add(r, "alice", "admin", PASSWORD, MONDAY_MORNING)
    sids = [sessions.open_session(r, user, MONDAY_MORNING, LIFE) for _ in range(2)]
    assert sessions.close_all(r, "alice") == 2
    assert [sessions.resume(r, sid, MONDAY_MORNING, LIFE) for sid in sids] == [None, None]


# -- sign-in throttle -----------------------------------------------------------------------


def _attempt(r, name, password, at, address="10.0.0.1"):
    try:
        return sessions.sign_in(r, name, password, address, at)
    except SignInRefused as exc:
        return exc


def test_wrong_password_and_unknown_user_get_the_same_answer(r):
    users.add(r, "alice", "admin", PASSWORD, MONDAY_MORNING)
    wrong = _attempt(r, "alice", "wrong password", MONDAY_MORNING)
    unknown = _attempt(r, "mallory", "wrong password", MONDAY_MORNING, "10.0.0.2")
    assert (str(wrong), wrong.retry_after) == (str(unknown), unknown.retry_after) == (
        sessions.WRONG, 0)


def test_delay_grows_with_each_failure_for_known_and_unknown_names(r):
    users.add(r, "alice", "admin", PASSWORD, MONDAY_MORNING)
    waits = {}
    for name in ("alice", "ghost"):
        at = MONDAY_MORNING
        waits[name] = []
        for n in range(6):
            answer = _attempt(r, name, "wrong password", at, f"10.0.1.{len(waits)}")
            if answer.retry_after:  # throttled: wait exactly that long, then try again
                waits[name].append(answer.retry_after)
                at += timedelta(seconds=answer.retry_after)
                answer = _attempt(r, name, "wrong password", at, f"10.0.1.{len(waits)}")
            assert str(answer) == sessions.WRONG, n
    assert waits["alice"] == waits["ghost"] == [1, 2, 4]


def test_throttled_sign_in_is_refused_even_with_the_right_password(r):
    users.add(r, "alice", "admin", PASSWORD, MONDAY_MORNING)
    for _ in range(3):
        _attempt(r, "alice", "wrong password", MONDAY_MORNING)
    refused = _attempt(r, "alice", PASSWORD, MONDAY_MORNING)
    assert isinstance(refused, SignInRefused) and refused.retry_after == 1
    assert _attempt(r, "alice", PASSWORD, MONDAY_MORNING + timedelta(seconds=1)).name == "alice"


def test_one_address_guessing_many_names_is_slowed_down(r):
    answers = [_attempt(r, f"user{n}", "wrong password", MONDAY_MORNING) for n in range(12)]
    assert [a.retry_after for a in answers] == [0] * 10 + [1, 1]
    # another address is not slowed down
    assert _attempt(r, "user0", "wrong password", MONDAY_MORNING, "10.9.9.9").retry_after == 0


def test_racing_wrong_attempts_are_all_counted(r):
    from concurrent.futures import ThreadPoolExecutor

    users.add(r, "alice", "admin", PASSWORD, MONDAY_MORNING)
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda n: _attempt(r, "alice", f"wrong {n}", MONDAY_MORNING,
                                                   f"10.2.0.{n}"), range(8)))
    assert sorted(a.retry_after for a in answers) == [0, 0, 0, 1, 1, 1, 1, 1]


def test_success_forgets_the_name_failures(r):
    users.add(r, "alice", "admin", PASSWORD, MONDAY_MORNING)
    for _ in range(2):
        _attempt(r, "alice", "wrong password", MONDAY_MORNING)
    assert _attempt(r, "alice", PASSWORD, MONDAY_MORNING).name == "alice"
    for _ in range(2):
        assert str(_attempt(r, "alice", "wrong password", MONDAY_MORNING)) == sessions.WRONG


def test_demo_users_are_made_once_and_their_passwords_kept(r, tmp_path):
    from ivr.centre import agents
    from ivr.services.demo import DEMO_AGENTS

    agents.load_demo(r, DEMO_AGENTS, MONDAY_MORNING)
    first = users.ensure_demo_users(r, tmp_path, MONDAY_MORNING)
    assert [name for name, _ in first] == ["admin", "supervisor", "agent"]
    assert users.ensure_demo_users(r, tmp_path, MONDAY_MORNING) == first
    assert all(users.verify(r, name, password) for name, password in first)
    assert users.get(r, "agent").agent_id == "sophie"
    assert (tmp_path / "demo_users.json").stat().st_mode & 0o077 == 0


def test_passwords_are_hashed_with_scrypt_outside_tests(r, monkeypatch):
    assert users.DEFAULT_HASH_METHOD == "scrypt"
    monkeypatch.setattr(users, "HASH_METHOD", users.DEFAULT_HASH_METHOD)
    users.add(r, "alice", "admin", PASSWORD, MONDAY_MORNING)
    assert '"password": "scrypt:' in r.hget(users.USERS_KEY, "alice")
    assert users.verify(r, "alice", PASSWORD) is not None
