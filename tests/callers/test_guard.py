"""The brute-force guard: one atomic verdict per guess, a lock that holds, and a failure taken
back when its answer lost to a concurrent one."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from ivr.callers import guard
from tests.conftest import MONDAY_MORNING

POLICY = guard.Policy(failures=5, window=3600, duration=1800, flag_after=3)
NUMBER = "+33612345678"
NOW = MONDAY_MORNING


def failures(r, number: str = NUMBER) -> int:  # type: ignore[no-untyped-def]
    return int(r.zcard(guard.NUMBER_FAILS_KEY.format(number)))


def wrong(r, guess: str, at=NOW, typed: str | None = "9999"):  # type: ignore[no-untyped-def]
    return guard.judge(r, POLICY, at, NUMBER, guess, right=False, typed=typed)


def right(r, guess: str = "CA-right", at=NOW):  # type: ignore[no-untyped-def]
    return guard.judge(r, POLICY, at, NUMBER, guess, right=True, typed=None)


def test_wrong_guesses_are_counted_and_the_limit_locks(r):
    assert [wrong(r, f"CA{i}") for i in range(5)] == ["wrong"] * 4 + ["locked_now"]
    assert failures(r) == 5
    assert right(r) == "locked"
    assert wrong(r, "CA-more") == "locked"
    assert failures(r) == 5  # a locked number's guesses are not even counted


def test_ten_parallel_wrong_guesses_are_counted_to_the_limit_only(r):
    barrier = threading.Barrier(10)
    verdicts: list[str] = []

    def guess(i: int) -> None:
        barrier.wait(timeout=10)
        verdicts.append(wrong(r, f"CA{i}"))

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures(r) == 5
    assert sorted(verdicts) == ["locked"] * 5 + ["locked_now"] + ["wrong"] * 4


def test_a_right_guess_passes_until_the_number_is_locked(r):
    for i in range(4):
        wrong(r, f"CA{i}")
    assert right(r) == "pass"
    assert failures(r) == 4  # a right guess counts nothing
    wrong(r, "CA4")
    assert right(r) == "locked"


def test_the_lock_ends_after_its_duration(r):
    for i in range(5):
        wrong(r, f"CA{i}")
    assert right(r, at=NOW + timedelta(seconds=1799)) == "locked"
    assert right(r, at=NOW + timedelta(seconds=1800)) == "pass"


def test_failures_older_than_the_window_fall_out(r):
    for i in range(4):
        wrong(r, f"CA{i}")
    later = NOW + timedelta(seconds=3601)
    assert wrong(r, "CA-late", at=later) == "wrong"
    assert failures(r) == 1


def test_a_refund_takes_back_the_failure_and_the_lock_it_set(r):
    for i in range(4):
        wrong(r, f"CA{i}")
    assert wrong(r, "CA-lost") == "locked_now"
    guard.refund(r, NUMBER, "CA-lost")
    assert failures(r) == 4
    assert right(r) == "pass"


def test_a_refund_leaves_a_lock_set_by_another_step(r):
    for i in range(5):
        wrong(r, f"CA{i}")  # CA4 locks
    guard.refund(r, NUMBER, "CA0")
    assert failures(r) == 4
    assert right(r) == "locked"


def test_anonymous_callers_are_never_locked_but_their_ids_are_flagged(r):
    for i in range(8):
        verdict = guard.judge(r, POLICY, NOW, None, f"CA{i}", right=False, typed="2001")
        assert verdict == "wrong"  # nothing to count against a number
    assert guard.flagged(r)["2001"]["numbers"] == 8


def test_an_id_failed_from_enough_numbers_is_flagged(r):
    for n in range(3):
        guard.judge(r, POLICY, NOW, f"+3361234560{n}", f"CA{n}", right=False, typed="2001")
    flag = guard.flagged(r)["2001"]
    assert flag == {"at": NOW.isoformat(), "numbers": 3}


@pytest.mark.parametrize(("stored", "until"), [
    (None, 0.0), ("1796630400.5 CA1:3", 1796630400.5), ("1796630400.5", 1796630400.5),
])
def test_record_reads_the_lock(r, stored, until):
    if stored:
        r.set(guard.LOCK_KEY.format(NUMBER), stored)
    pipe = r.pipeline()
    assert guard.fetch(pipe, NUMBER) == 1
    assert guard.parse(pipe.execute(), NUMBER) == guard.Record(until)
    assert guard.parse([], None) == guard.Record()
