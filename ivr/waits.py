"""Wait estimates: how long a waiting caller still has to wait, and what figure to say.

One pure function of a snapshot (no Redis, no Flask), so that a simulation can build the same
snapshot as a live queue and score it (`bench/wait_accuracy.py`, figures in docs/waits.md).

The predictor is the queue-length predictor refined with the busy agents' residual service
(Ibrahim & Whitt, 2009): a caller at position k, with a available agents, is answered at the
(k - a)-th departure among the agents serving the queue. Each busy agent's next departure is
drawn from the recent handle times that are longer than what they have talked already; after
it, the agent serves the next caller ahead. The estimate is the time t at which the expected
number of departures reaches k - a - 0.3 (near the median of that departure's time):

    D(t) = sum over agents i of  P(R_i <= t) + E[(t - R_i)+] / E[S]

with R_i the residual of agent i (empirical, conditioned on their elapsed talk time) and
S a handle time. The first term is the agent's own call ending; the second the callers they
serve after it, at the long-run rate of one per mean handle time.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from dataclasses import dataclass, field
from itertools import accumulate

_PRECISION = 1.0  # seconds: the bisection stops there (nobody hears seconds)
_MEDIAN_SHIFT = 0.3  # departures: a Poisson count of mean k - 0.3 reaches k half the time


@dataclass(frozen=True)
class Snapshot:
    """What is known of a queue when a caller is told their wait.

    `staffed` and `available` count the agents who serve the caller's queue (they have its
    skill); `busy_elapsed` holds, for each of those on a call, the seconds they have talked
    already. Staffed agents neither available nor on a call (ringing, wrap-up, break) are
    taken as about to start a call. `share` is the part of those agents' work that goes to
    this queue (1.0 when they serve no other queue with callers waiting): an agent of two
    busy queues frees up for this one only part of the time. With `patience`, some callers
    ahead hang up before their turn, and fewer departures are needed.
    """

    position: int  # 1 = the next caller to be answered
    staffed: int
    available: int
    busy_elapsed: list[float] = field(default_factory=list)
    handle_times: list[float] = field(default_factory=list)  # recent, oldest first
    share: float = 1.0
    patience: float = 0.0  # mean seconds callers wait before hanging up; 0: unknown or never


def estimate_wait(snapshot: Snapshot) -> float | None:
    """Seconds until the caller of `snapshot` is answered; None when nothing is known."""
    s = snapshot
    if s.position < 1 or s.staffed <= 0 or not s.handle_times:
        return None
    if s.available >= s.position:
        return 0.0
    needed = s.position - max(0, s.available)
    model = _Service(s.handle_times)
    fresh = max(0, s.staffed - max(0, s.available) - len(s.busy_elapsed))
    elapsed = [max(0.0, float(e)) for e in s.busy_elapsed] + [0.0] * fresh
    share = min(1.0, max(0.05, s.share))
    # departures of the agents: available ones take the callers ahead first (elapsed 0 too)
    elapsed += [0.0] * min(max(0, s.available), s.staffed)
    elapsed = elapsed[: s.staffed]

    def departures(t: float) -> float:
        return share * sum(model.departures(e, t) for e in elapsed)

    def short(t: float) -> bool:
        return departures(t) < _ahead(needed, t, s.patience)

    low, high = 0.0, max(model.mean, 1.0)
    while short(high):
        high *= 2
    while high - low > _PRECISION:
        mid = (low + high) / 2
        if short(mid):
            low = mid
        else:
            high = mid
    return round(high, 1)


def _ahead(needed: int, t: float, patience: float) -> float:
    """Departures the caller needs by `t`: the callers ahead who are still there, and theirs.

    With exponential patience, a caller ahead who would wait about half of `t` is still
    waiting with probability exp(-t / 2 / patience).
    """
    still = needed if patience <= 0 else 1 + (needed - 1) * math.exp(-t / 2 / patience)
    # the median of the needed-th departure, not its mean: the ±30% a caller judges us by is
    # met more often there when handle times are skewed (measured: bench/wait_accuracy.py)
    return still - _MEDIAN_SHIFT


class _Service:
    """The empirical handle-time distribution, sorted, with prefix sums for fast tails."""

    def __init__(self, handle_times: list[float]) -> None:
        self.times = sorted(max(0.0, float(h)) for h in handle_times)
        self.sums = [0.0, *accumulate(self.times)]
        self.mean = max(self.sums[-1] / len(self.times), 1.0)

    def departures(self, elapsed: float, t: float) -> float:
        """Expected departures by `t` of an agent who has talked `elapsed` seconds."""
        times, sums = self.times, self.sums
        n = len(times)
        start = bisect_right(times, elapsed)
        longer = n - start
        if longer == 0:
            # talking longer than any recent call: the residual is taken as half a mean call
            residual = self.mean / 2
            return (1.0 if t >= residual else 0.0) + max(0.0, t - residual) / self.mean
        end = bisect_right(times, elapsed + t)
        ended = end - start
        # E[(t - R)+] over the calls that end within t: sum of (elapsed + t - h)
        slack = (elapsed + t) * ended - (sums[end] - sums[start])
        return (ended + slack / self.mean) / longer


# -- what the caller hears -------------------------------------------------------------------


def spread(snapshot: Snapshot, seconds: float) -> tuple[float, float]:
    """A plausible range around an estimate: narrower when many departures average out.

    The k-th departure of c agents varies like a sum of k inter-departure gaps: its relative
    spread shrinks as 1/sqrt(k), times the handle times' coefficient of variation.
    """
    times = snapshot.handle_times
    needed = max(1, snapshot.position - max(0, snapshot.available))
    mean = sum(times) / len(times) if times else 0.0
    var = sum((h - mean) ** 2 for h in times) / len(times) if times else 0.0
    cv = math.sqrt(var) / mean if mean > 0 else 1.0
    relative = min(0.5, max(0.1, max(cv, 1.0) / math.sqrt(needed + 1) / 2))
    return seconds * (1 - relative), seconds * (1 + relative)


@dataclass(frozen=True)
class Said:
    """The last wait told to a caller: what, at which position, with how many agents."""

    seconds: float
    position: int
    staffed: int


def steady(last: Said | None, seconds: float, position: int, staffed: int) -> float:
    """The figure to announce: never more than the last one while the caller moved up (or kept
    their place) with no fewer agents; a rise is said only for a reason (they lost their place
    to a priority caller, or agents left)."""
    if last is None:
        return seconds
    if position <= last.position and staffed >= last.staffed:
        return min(seconds, last.seconds)
    return seconds
