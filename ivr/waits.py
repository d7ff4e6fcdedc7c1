"""Wait estimates: how long a waiting caller still has to wait, and what figure to say.

One pure function of a snapshot (no Redis, no Flask), so that a simulation can build the same
snapshot as a live queue and score it (`bench/wait_accuracy.py`, figures in docs/waits.md).

The predictor is the queue-length predictor refined with the busy agents' residual service
(Ibrahim & Whitt, 2009): a caller at position k, with a available agents, is answered at the
(k - a)-th departure among the agents serving the queue. Each busy agent's next departure is
drawn from the recent handle times that are longer than what they have talked already; after
it, the agent serves the next caller ahead. With the departures by t

    D(t) = sum over agents i of  1{R_i <= t} + N_i((t - R_i)+)

(R_i the residual of agent i, empirical and conditioned on their talk so far; N_i a renewal
count of one caller per mean handle time), the estimate is, for regular calls (cv < 0.75),
the time at which E[D(t)] reaches k - a - 0.3, near the median of the wait. For calls of
wider spread the wait's distribution is skewed and wide, and the estimate is the figure with
the best chance of being right (±30% or ±60 s), below the median (measured:
bench/wait_accuracy.py, docs/waits.md). When the agents serve this queue alone, nobody hangs
up and the replays are affordable, that distribution is replayed: 200 times the agents' calls
end and the next ones last as drawn from the lognormal law fitted to the recent handle times
(when they are consistent with one; from the times themselves otherwise). Otherwise D(t) is
taken as normal with its mean and variance.
"""

from __future__ import annotations

import heapq
import math
import random
from bisect import bisect_right
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from itertools import accumulate
from statistics import NormalDist, fmean, pstdev

_PRECISION = 1.0  # seconds: the bisection stops there (nobody hears seconds)
_MEDIAN_SHIFT = 0.3  # departures: a Poisson count of mean k - 0.3 reaches k half the time
# handle times' cv from which the figure most likely right replaces the median: measured
# better at cv 1 and 1.5, worse at 0.5 (the normal count is too coarse for near-regular calls)
_WIDE_CV = 0.75
_STEPS = 16  # figures tried between the wait's 10th and 90th percentiles
_RUNS = 200  # replays of the wait from the recent handle times (calls of wide spread)
_BUDGET = 20_000  # draws per estimate at most (runs x (agents + departures needed)); beyond, normal
# Kolmogorov-Smirnov distance of the handle times' logs to the fitted normal law under which
# they are taken as lognormal: 1.36 / sqrt(n) is the 5% test; 200 times: 0.096
_KS = 1.36
_QUANTILES = 256  # the fitted law, as that many evenly spaced quantiles
_TAIL = 40  # each busy agent's remaining call, as that many quantiles of the law above their talk
_TOP = 1 - 1e-12  # the highest quantile (the inverse is infinite at 1)
_NORMAL = NormalDist()


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
    if model.cv2 >= _WIDE_CV ** 2:
        if share >= 1.0 and s.patience <= 0 and _RUNS * (len(elapsed) + needed) <= _BUDGET:
            return round(_best_guess(_Replayed(model, elapsed, needed, _seed(s))), 1)
        return round(_best_guess(_Departures(model, elapsed, share, needed, s.patience)), 1)

    def short(t: float) -> bool:
        expected = share * sum(model.moments(e, t)[0] for e in elapsed)
        return expected < _ahead(needed, t, s.patience) - _MEDIAN_SHIFT

    return round(_first(short, model.mean), 1)


def _first(short: Callable[[float], bool], scale: float) -> float:
    """The first second at which `short` turns false (it is false from there on)."""
    low, high = 0.0, max(scale, 1.0)
    while short(high):
        high *= 2
    while high - low > _PRECISION:
        mid = (low + high) / 2
        if short(mid):
            low = mid
        else:
            high = mid
    return high


def _ahead(needed: int, t: float, patience: float) -> float:
    """Callers ahead (and the caller) still there at `t`, each needing a departure.

    With exponential patience, a caller ahead who would wait about half of `t` is still
    waiting with probability exp(-t / 2 / patience).
    """
    return needed if patience <= 0 else 1 + (needed - 1) * math.exp(-t / 2 / patience)


def patience(left: Iterable[tuple[float, bool]]) -> float:
    """Mean patience (s) of exponential abandonment, from the callers who left the line lately
    (seconds waited, whether they hung up): time at risk over hang-ups; 0 when nobody did."""
    waited = hung_up = 0.0
    for seconds, gone in left:
        waited += max(0.0, seconds)
        hung_up += 1 if gone else 0
    return waited / hung_up if hung_up else 0.0


def share(line: int, others: Iterable[int]) -> float:
    """The part of the agents' work that goes to a queue of `line` callers, when its agents
    serve other queues too: for each agent, that line over the lines of all the queues they
    serve (`others`: each agent's callers waiting in their other queues), averaged.

    A freed agent of several queues takes the caller whose wait request comes first, and every
    waiting caller asks as often: the queue with more callers waiting wins more often. 1.0
    with no agent, or when no other queue of theirs has anyone waiting.
    """
    parts = [line / (line + other) if line + other > 0 else 1.0
             for other in (max(0, int(o)) for o in others)]
    return sum(parts) / len(parts) if parts else 1.0


def right(guess: float) -> tuple[float, float]:
    """The waits for which `guess` is right: within 30% or 60 s of them."""
    return min(guess - 60, guess / 1.3), max(guess + 60, guess / 0.7)


class _Departures:
    """The chance that the caller has been answered by `t`: P(departures by t >= needed).

    The departure count, a sum over independent agents, is taken as normal with the exact
    mean and variance of the model (each agent's residual, then a renewal count at the
    handle times' cv); the variance is what widens the wait's distribution when calls vary.
    """

    def __init__(self, model: _Service, elapsed: list[float], share: float, needed: int,
                 patience: float) -> None:
        self.model, self.elapsed, self.share = model, elapsed, share
        self.needed, self.patience = needed, patience

    def cdf(self, t: float) -> float:
        if t <= 0:
            return 0.0
        mean = var = 0.0
        for e in self.elapsed:
            m, v = self.model.moments(e, t)
            mean, var = mean + m, var + v
        # each departure goes to this queue with probability `share` (a thinned count)
        mean, var = self.share * mean, self.share ** 2 * var + self.share * (1 - self.share) * mean
        gap = mean - _ahead(self.needed, t, self.patience) + 0.5  # continuity correction
        if var <= 1e-9:
            return 1.0 if gap >= 0 else 0.0
        return 0.5 * math.erfc(-gap / math.sqrt(2 * var))

    def quantile(self, q: float) -> float:
        return _first(lambda t: self.cdf(t) < q, self.model.mean)


class _Replayed:
    """The wait's distribution replayed `_RUNS` times: each busy agent's call ends like a
    call longer than their talk so far, and each later call lasts like a call of the queue;
    the caller is answered at the `needed`-th end.

    Calls are drawn from the lognormal law fitted to the recent handle times when they are
    consistent with one (call centres' handle times mostly are: Brown et al., 2005), which
    knows the tail beyond the longest recent call and conditions a long talk exactly; from the
    handle times themselves otherwise.

    Used for calls of wide spread, when every agent works for this queue alone and nobody
    hangs up: there the normal count misjudges the skewed wait of a few departures.
    """

    def __init__(self, model: _Service, elapsed: list[float], needed: int, seed: int) -> None:
        draw = random.Random(seed).random
        law = model.lognormal()
        if law is not None:
            # the fitted law as evenly spaced quantiles (drawn from like the times themselves),
            # and for each busy agent the law above their talk so far, by its inverse
            mu, sigma = law
            inverse = _NORMAL.inv_cdf
            times = [math.exp(mu + sigma * inverse((i + 0.5) / _QUANTILES))
                     for i in range(_QUANTILES)]
            tails = []
            for e in elapsed:
                low = _NORMAL.cdf((math.log(e) - mu) / sigma) if e > 0 else 0.0
                tails.append([max(0.0, math.exp(mu + sigma * inverse(
                    min(low + (1 - low) * (j + 0.5) / _TAIL, _TOP))) - e) for j in range(_TAIL)])
        else:
            # the recent calls longer than each talk so far (half a mean call past them all)
            times = model.times
            tails = [[h - e for h in times[bisect_right(times, e):]] or [model.mean / 2]
                     for e in elapsed]
        n = len(times)
        waits = []
        for _ in range(_RUNS):
            ends = [tail[int(draw() * len(tail))] for tail in tails]
            heapq.heapify(ends)
            for _ in range(needed - 1):
                heapq.heapreplace(ends, ends[0] + times[int(draw() * n)])
            waits.append(ends[0])
        self.waits = sorted(waits)

    def cdf(self, t: float) -> float:
        return bisect_right(self.waits, t) / len(self.waits)

    def quantile(self, q: float) -> float:
        return self.waits[min(len(self.waits) - 1, int(q * len(self.waits)))]


def _seed(s: Snapshot) -> int:
    """The same snapshot replays the same way: an estimate is a function of its snapshot."""
    return hash((s.position, s.staffed, s.available, tuple(s.busy_elapsed),
                 len(s.handle_times), sum(s.handle_times)))


def _best_guess(wait: _Departures | _Replayed) -> float:
    """The figure most likely to be right (±30% or ±60 s) for a wait of that distribution.

    Between its 10th and 90th percentiles; where several figures are about as likely, the
    middle of them (a narrow distribution makes a plateau, whose edge would be a poor bet).
    """
    low, high = max(wait.quantile(0.1), 1.0), max(wait.quantile(0.9), 2.0)
    scan = []
    for i in range(_STEPS + 1):
        guess = low * (high / low) ** (i / _STEPS)
        below, above = right(guess)
        scan.append((wait.cdf(above) - wait.cdf(below), guess))
    top = max(chance for chance, _ in scan)
    near = [guess for chance, guess in scan if chance >= top - 0.01]
    return math.sqrt(near[0] * near[-1])


class _Service:
    """The empirical handle-time distribution, sorted, with prefix sums for fast tails."""

    def __init__(self, handle_times: list[float]) -> None:
        self.times = sorted(max(0.0, float(h)) for h in handle_times)
        self.sums = [0.0, *accumulate(self.times)]
        self.squares = [0.0, *accumulate(h * h for h in self.times)]
        n = len(self.times)
        self.mean = max(self.sums[-1] / n, 1.0)
        self.cv2 = max(0.0, self.squares[-1] / n - (self.sums[-1] / n) ** 2) / self.mean ** 2

    def lognormal(self) -> tuple[float, float] | None:
        """(mu, sigma) of the lognormal law fitted to the handle times (the mean and standard
        deviation of their logs), or None when they are not consistent with one (a
        Kolmogorov-Smirnov test at 5%) or are too few to tell (under 20)."""
        n = len(self.times)
        if n < 20:
            return None
        logs = [math.log(max(h, 1.0)) for h in self.times]  # sorted, as the times are
        mu, sigma = fmean(logs), pstdev(logs)
        if sigma <= 0:
            return None
        cdf = _NORMAL.cdf
        distance = max(max(abs((i + 1) / n - c), abs(i / n - c))
                       for i, c in enumerate(cdf((x - mu) / sigma) for x in logs))
        return (mu, sigma) if distance <= _KS / math.sqrt(n) else None

    def moments(self, elapsed: float, t: float) -> tuple[float, float]:
        """Mean and variance of the departures by `t` of an agent who has talked `elapsed` s.

        Their call ends after a residual R (the recent calls longer than `elapsed`); then they
        answer one caller per mean handle time, a renewal count of mean (t - R)+ / mean and
        variance cv^2 times that.
        """
        times, sums, squares, mean = self.times, self.sums, self.squares, self.mean
        n = len(times)
        start = bisect_right(times, elapsed)
        longer = n - start
        if longer == 0:
            # talking longer than any recent call: the residual is taken as half a mean call
            after = t - mean / 2
            return (0.0, 0.0) if after < 0 else (1.0 + after / mean, self.cv2 * after / mean)
        end = bisect_right(times, elapsed + t)
        ended, until = end - start, elapsed + t
        # over the calls that end within t, sums of (t - R) = (until - h) and of its square
        total = sums[end] - sums[start]
        slack = (until * ended - total) / longer
        squared = until * until * ended - 2 * until * total + squares[end] - squares[start]
        slack2 = squared / longer
        p = ended / longer
        expected = p + slack / mean
        second = p + 2 * slack / mean + slack2 / mean ** 2
        return expected, max(0.0, second - expected ** 2) + self.cv2 * slack / mean


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
