"""The simulation's ceiling (bench/wait_ceiling.py): the best figure knowing the law."""

from __future__ import annotations

import math
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

import wait_ceiling  # noqa: E402


def test_the_best_figure_is_right_for_most_waits():
    # eight callers in ten answered at 100-120 s, two at half an hour: a figure near 110 s is
    # right for the eight (the mean, 449 s, for none)
    waits = sorted([100.0, 105.0, 110.0, 110.0, 112.0, 115.0, 118.0, 120.0, 1800.0, 1900.0])
    figure = wait_ceiling.best(waits)
    assert 60 <= figure <= 160
    assert sum(abs(figure - w) <= max(0.3 * w, 60) for w in waits) == 8


def test_a_long_call_is_replayed_from_the_law_above_its_talk():
    # one agent, lognormal calls of mean 300 s and cv 1.5, already 1,200 s into a call: every
    # replayed end is after now, and the median remaining time is that of the law above 1,200 s
    waits = wait_ceiling.waits(1, 0, [1200.0], 1, 300.0, 1.5, 4000, random.Random(3))
    assert min(waits) >= 0
    sigma = math.sqrt(math.log(1 + 1.5 ** 2))
    mu = math.log(300) - sigma ** 2 / 2
    law = random.Random(4)
    longer = sorted(x - 1200 for x in (math.exp(law.gauss(mu, sigma)) for _ in range(400_000))
                    if x > 1200)
    assert abs(waits[len(waits) // 2] - longer[len(longer) // 2]) < 0.1 * longer[len(longer) // 2]


def test_with_a_free_agent_the_next_caller_does_not_wait():
    assert wait_ceiling.ceiling(1, 1, [], 1, 300.0, 1.0) == 1.0  # the smallest figure said
