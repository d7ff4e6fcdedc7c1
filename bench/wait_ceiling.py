"""The best any wait estimate could do in the simulation: the figure most often right for the
caller of a snapshot when the handle-time law is known exactly (bench/wait_accuracy.py
--ceiling).

Without abandonment, the caller at position k (a agents free) is answered at the (k - a)-th
end of call among the agents, whatever happens behind them: given the snapshot, the wait
depends only on how long the current calls still last and how long the next ones last. This
replays that `runs` times from the true lognormal law (each busy agent's call drawn from the
law conditioned on lasting longer than their talk so far, by inverting its distribution
function), and returns the figure right (±30% or ±60 s) for the most replays, scanned finely.
No predictor that sees only the snapshot can be right more often, save by the replays' noise.
"""

from __future__ import annotations

import heapq
import math
import random
from bisect import bisect_left, bisect_right
from statistics import NormalDist

_NORMAL = NormalDist()
_SCAN = 400  # figures tried between the shortest and the longest replayed wait


def waits(position: int, available: int, busy_elapsed: list[float], staffed: int,
          mean: float, cv: float, runs: int, rng: random.Random) -> list[float]:
    """The replayed waits, sorted, of the caller at `position` (lognormal law of `mean`, `cv`)."""
    needed = position - max(0, available)
    if needed <= 0:
        return [0.0] * runs
    sigma2 = math.log(1 + cv * cv)
    sigma, mu = math.sqrt(sigma2), math.log(mean) - sigma2 / 2
    elapsed = list(busy_elapsed) + [0.0] * (staffed - len(busy_elapsed))
    lows = [_NORMAL.cdf((math.log(e) - mu) / sigma) if e > 0 else 0.0 for e in elapsed]
    out = []
    for _ in range(runs):
        ends = []
        for e, low in zip(elapsed, lows, strict=True):
            u = min(max(low + (1 - low) * rng.random(), 1e-15), 1 - 1e-15)
            ends.append(max(0.0, math.exp(mu + sigma * _NORMAL.inv_cdf(u)) - e))
        heapq.heapify(ends)
        for _ in range(needed - 1):
            heapq.heapreplace(ends, ends[0] + math.exp(rng.gauss(mu, sigma)))
        out.append(ends[0])
    return sorted(out)


def best(replayed: list[float]) -> float:
    """The figure within 30% or 60 s of the most of `replayed` (sorted)."""
    low, high = max(replayed[0], 1.0), max(replayed[-1], 2.0)
    top, figure = -1, low
    for i in range(_SCAN + 1):
        guess = low * (high / low) ** (i / _SCAN)
        right = (bisect_right(replayed, max(guess + 60, guess / 0.7))
                 - bisect_left(replayed, min(guess - 60, guess / 1.3)))
        if right > top:
            top, figure = right, guess
    return figure


def ceiling(position: int, available: int, busy_elapsed: list[float], staffed: int,
            mean: float, cv: float, runs: int = 400, seed: int = 0) -> float:
    """The best figure for that caller, knowing the law (see the module's doc)."""
    return best(waits(position, available, busy_elapsed, staffed, mean, cv, runs,
                      random.Random(seed)))
