"""How right the wait we announce is: a discrete-event simulation of one queue (issue 18).

    .venv/bin/python bench/wait_accuracy.py --agents 20 --load 0.9 --cv 1 --callers 4000
    .venv/bin/python bench/wait_accuracy.py --grid --markdown   # the table of docs/waits.md
    .venv/bin/python bench/wait_accuracy.py --agents 5 --load 0.97 --cv 1.5 --seeds 1-5

c agents, Poisson arrivals at `load` x c / mean handle time, lognormal handle times of mean
--handle and coefficient of variation --cv, FIFO, optional abandonment (exponential patience of
mean --patience seconds, 0: none). Each caller who has to wait is told a wait on arrival and
again every --reminder seconds, as the wait loop does; at each announcement the snapshot the
live queue would build (position, agents staffed/available, each busy agent's talk so far, the
last 200 handle times) is given to `ivr.waits.estimate_wait` and to the rival predictors:

- `naive`: today's former formula, ceil(position / staffed) x mean handle time;
- `queue_length`: position / staffed x mean handle time (Ibrahim & Whitt's QL);
- `head_of_line`: the wait so far of the caller at the head of the line, x position / line;
- `last_to_enter`: the wait of the last caller who reached an agent, x position / line;
- `residual`: `estimate_wait` (queue length with the busy agents' residual service, and the
  callers ahead who will hang up, from the patience estimated on the last 200 who left);
- `said`: `residual` after the never-rising rule (`ivr.waits.steady`), what the caller hears;
- with --other-load, `unshared`: `residual` as if the agents served this queue only (share 1);
- with --ceiling (first announcements, no abandonment, one queue), `ceiling`: the figure most
  often right knowing the true handle-time law (bench/wait_ceiling.py), the best any
  predictor of the snapshot can do.

With --other-load L2 the same agents also serve a second queue (arrivals at L2 x c / mean
handle time, not scored): a freed agent takes the next caller of one line or the other with a
chance in proportion to their lengths, as live routing does (the first waiting caller to ask
again gets the agent, and every caller asks as often), and the snapshot's `share` is
`ivr.waits.share` of the two lines.

A prediction is right when within 30% or 60 s of the wait the caller then had; callers who hang
up are not scored. The first 10% of callers warm the queue up and are not scored. Prints one
JSON document: per predictor, for first and for later announcements, the share right and the
median absolute error (s). With --seeds, one run per seed and, per predictor, the mean over
seeds of the share right (`mean_within`) beside each seed's.
"""

from __future__ import annotations

import argparse
import heapq
import json
import math
import random
import statistics
import sys
from collections import deque
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from itertools import product
from typing import Any

import wait_ceiling
from ivr.local.twilio.talk import lognormal
from ivr.waits import Said, Snapshot, estimate_wait, patience, share, steady

KEEP = 200  # handle times kept per queue, as ivr/core/lua/routing.lua keeps them
PREDICTORS = ("naive", "queue_length", "head_of_line", "last_to_enter", "residual", "said",
              "unshared", "ceiling")
GRID = {"agents": (2, 5, 20, 50), "load": (0.7, 0.9, 0.97), "cv": (0.5, 1.0, 1.5),
        "patience": (0.0, 600.0)}


@dataclass
class Params:
    agents: int = 20
    load: float = 0.9
    handle: float = 300.0
    cv: float = 1.0
    patience: float = 0.0
    callers: int = 4000
    reminder: float = 60.0
    seed: int = 1
    other_load: float = 0.0  # a second queue the same agents serve (offered load per agent)
    ceiling: bool = False  # also score the best figure knowing the law (slow)


@dataclass
class Caller:
    id: int
    arrived: float
    scored: bool
    said: Said | None = None
    announced: list[tuple[float, bool, dict[str, float]]] = field(default_factory=list)
    gone: bool = False


def _naive(position: int, staffed: int, mean: float) -> float:
    return math.ceil(position / staffed) * mean


def simulate(p: Params) -> dict[str, Any]:
    """Run one queue; return the scores of each predictor."""
    rng = random.Random(p.seed)
    rate = p.load * p.agents / p.handle
    talking: list[float | None] = [None] * p.agents  # start of each agent's call
    handled: deque[float] = deque(maxlen=KEEP)
    # callers who left the line (served or hung up): time in it, and whether they hung up
    outcomes: deque[tuple[float, bool]] = deque(maxlen=KEEP)
    line: deque[Caller] = deque()
    other: deque[Caller] = deque()  # the second queue's callers (--other-load), not scored
    events: list[tuple[float, int, str, Any]] = []
    seq = 0
    last_entered_wait = 0.0
    results: dict[bool, dict[str, list[float]]] = {True: {}, False: {}}  # first? -> errors
    rights: dict[bool, dict[str, list[bool]]] = {True: {}, False: {}}
    counts = {"callers": p.callers, "waited": 0, "abandoned": 0, "announcements": 0}

    def push(at: float, kind: str, what: Any) -> None:
        nonlocal seq
        seq += 1
        heapq.heappush(events, (at, seq, kind, what))

    def start(agent: int, now: float) -> None:
        talking[agent] = now
        push(now + lognormal(rng, p.handle, p.cv), "end", agent)  # as the stand-in's phones

    def announce(caller: Caller, now: float) -> None:
        waiting = [c for c in line if not c.gone]
        position = waiting.index(caller) + 1
        busy = [now - t for t in talking if t is not None]
        times = list(handled)
        # exponential patience, estimated as a live queue does: time at risk / hang-ups
        elsewhere = sum(1 for c in other if not c.gone)
        snapshot = Snapshot(position=position, staffed=p.agents, available=p.agents - len(busy),
                            busy_elapsed=busy, handle_times=times, patience=patience(outcomes),
                            share=share(len(waiting), [elsewhere] * p.agents))
        residual = estimate_wait(snapshot)
        if residual is None:
            return
        mean = sum(times) / len(times)
        head = now - waiting[0].arrived
        guesses = {
            "naive": _naive(position, p.agents, mean),
            "queue_length": position / p.agents * mean,
            "head_of_line": head * position / len(waiting),
            "last_to_enter": last_entered_wait * position / len(waiting),
            "residual": residual,
        }
        guesses["said"] = steady(caller.said, residual, position, p.agents)
        if p.ceiling and not caller.announced:
            guesses["ceiling"] = wait_ceiling.ceiling(position, snapshot.available, busy,
                                                      p.agents, p.handle, p.cv,
                                                      seed=p.seed * 10**7 + caller.id)
        if p.other_load > 0:
            guesses["unshared"] = estimate_wait(replace(snapshot, share=1.0)) or 0.0
        caller.said = Said(guesses["said"], position, p.agents)
        caller.announced.append((now, not caller.announced, guesses))
        counts["announcements"] += 1

    def served(caller: Caller, now: float) -> None:
        if not caller.scored:
            return
        for at, first, guesses in caller.announced:
            actual = now - at
            for name, guess in guesses.items():
                error = abs(guess - actual)
                results[first].setdefault(name, []).append(error)
                rights[first].setdefault(name, []).append(error <= max(0.3 * actual, 60.0))

    at = 0.0
    for i in range(p.callers):
        at += rng.expovariate(rate)
        push(at, "arrive", Caller(i, at, scored=i >= p.callers // 10))
    if p.other_load > 0:  # the second queue, over the same time (its own stream of randoms)
        other_rng, horizon, at, i = random.Random(p.seed + 10**6), at, 0.0, 0
        while at < horizon:
            at += other_rng.expovariate(p.other_load * p.agents / p.handle)
            push(at, "other", Caller(-1 - i, at, scored=False))
            i += 1
    while events:
        now, _, kind, what = heapq.heappop(events)
        if kind == "other":
            free = [a for a, t in enumerate(talking) if t is None]
            if free and not any(not c.gone for c in other):
                start(free[0], now)
                continue
            other.append(what)
            if p.patience > 0:
                push(now + rng.expovariate(1 / p.patience), "abandon", what)
        elif kind == "arrive":
            free = [a for a, t in enumerate(talking) if t is None]
            if free and not any(not c.gone for c in line):
                start(free[0], now)
                continue
            counts["waited"] += 1
            line.append(what)
            announce(what, now)
            push(now + p.reminder, "remind", what)
            if p.patience > 0:
                push(now + rng.expovariate(1 / p.patience), "abandon", what)
        elif kind == "remind":
            if not what.gone and what in line:
                announce(what, now)
                push(now + p.reminder, "remind", what)
        elif kind == "abandon":
            if not what.gone and what in other:
                what.gone = True
            elif not what.gone and what in line:
                what.gone = True
                counts["abandoned"] += 1
                outcomes.append((now - what.arrived, True))
        elif kind == "end":
            handled.append(now - talking[what])  # type: ignore[operator]
            talking[what] = None
            while line and line[0].gone:
                line.popleft()
            while other and other[0].gone:
                other.popleft()
            here = sum(1 for c in line if not c.gone)
            there = sum(1 for c in other if not c.gone)
            if there and rng.random() * (here + there) >= here:  # the agent goes to the other
                other.popleft().gone = True
                start(what, now)
            elif line:
                caller = line.popleft()
                caller.gone = True
                last_entered_wait = now - caller.arrived
                outcomes.append((last_entered_wait, False))
                served(caller, now)
                start(what, now)
    return {"params": vars(p), "counts": counts, "first": _scores(results[True], rights[True]),
            "later": _scores(results[False], rights[False])}


def _scores(errors: dict[str, list[float]], rights: dict[str, list[bool]]) -> dict[str, Any]:
    return {name: {"within": round(sum(rights[name]) / len(rights[name]), 3),
                   "median_error": round(statistics.median(errors[name]), 1),
                   "n": len(errors[name])}
            for name in PREDICTORS if errors.get(name)}


def grid(base: Params, processes: int) -> list[dict[str, Any]]:
    """Every cell of the issue's grid, on `processes` processes."""
    cells = [Params(**{**vars(base), "agents": a, "load": rho, "cv": cv, "patience": pat})
             for a, rho, cv, pat in product(*GRID.values())]
    with ProcessPoolExecutor(processes) as pool:
        return list(pool.map(simulate, cells))


def over_seeds(base: Params, seeds: list[int], processes: int) -> dict[str, Any]:
    """One run per seed; per predictor, the mean over seeds of the share right."""
    with ProcessPoolExecutor(processes) as pool:
        runs = list(pool.map(simulate, [replace(base, seed=seed) for seed in seeds]))
    out: dict[str, Any] = {"params": {**vars(base), "seed": seeds}}
    for part in ("first", "later"):
        names = [n for n in PREDICTORS if all(n in run[part] for run in runs)]
        out[part] = {name: {"mean_within": round(statistics.mean(run[part][name]["within"]
                                                                  for run in runs), 4),
                            "within": [run[part][name]["within"] for run in runs]}
                     for name in names}
    return out


def _seeds(text: str) -> list[int]:
    """`1-5` or `1,3,7`: the seeds to run."""
    try:
        if "-" in text:
            low, high = (int(part) for part in text.split("-", 1))
            seeds = list(range(low, high + 1))
        else:
            seeds = [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"seeds {text!r}: give 1-5 or 1,3,7") from None
    if not seeds:
        raise argparse.ArgumentTypeError(f"seeds {text!r}: no seed in that range")
    return seeds


def markdown(rows: list[dict[str, Any]]) -> str:
    """The docs' table: share of first announcements right, per predictor and cell."""
    names = ("naive", "queue_length", "head_of_line", "last_to_enter", "residual")
    out = ["| agents | load | cv | abandon | " + " | ".join(names)
           + " | residual, later | said, later |",
           "|---:|---:|---:|:---:|" + "---:|" * (len(names) + 2)]
    for row in rows:
        q, first, later = row["params"], row["first"], row["later"]

        def share(part: dict[str, Any], name: str) -> str:
            return f"{part[name]['within'] * 100:.0f}%" if name in part else "-"

        out.append(f"| {q['agents']} | {q['load']} | {q['cv']} | "
                   f"{'yes' if q['patience'] else 'no'} | "
                   + " | ".join(share(first, n) for n in names)
                   + f" | {share(later, 'residual')} | {share(later, 'said')} |")
    return "\n".join(out)


def main(argv: list[str] | None = None, run: Callable[[Params], dict[str, Any]] = simulate) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=20)
    parser.add_argument("--load", type=float, default=0.9, help="offered load per agent, < 1")
    parser.add_argument("--handle", type=float, default=300.0, help="mean handle time (s)")
    parser.add_argument("--cv", type=float, default=1.0, help="handle times' coeff. of variation")
    parser.add_argument("--patience", type=float, default=0.0,
                        help="mean patience (s) of an exponential abandonment; 0: none")
    parser.add_argument("--callers", type=int, default=4000)
    parser.add_argument("--reminder", type=float, default=60.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--seeds", type=_seeds, default=None,
                        help="several seeds (1-5 or 1,3,7): the mean share right over them")
    parser.add_argument("--other-load", type=float, default=0.0,
                        help="offered load per agent of a second queue the agents also serve")
    parser.add_argument("--ceiling", action="store_true",
                        help="also the best figure knowing the law (no abandonment, one queue)")
    parser.add_argument("--grid", action="store_true",
                        help="agents 2,5,20,50 x load .7,.9,.97 x cv .5,1,1.5 x patience 0,600")
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--markdown", action="store_true", help="with --grid: the docs' table")
    args = parser.parse_args(argv)
    if args.agents < 1 or not 0 < args.load < 1 or args.handle <= 0 or args.cv <= 0 \
            or args.callers < 10 or not 0 <= args.other_load < 1 - args.load:
        print("wait_accuracy: need --agents >= 1, 0 < --load < 1, --handle > 0, --cv > 0, "
              "--callers >= 10, 0 <= --other-load < 1 - --load", file=sys.stderr)
        return 2
    if args.ceiling and (args.patience > 0 or args.other_load > 0):
        print("wait_accuracy: --ceiling is for one queue without abandonment "
              "(no --patience, no --other-load)", file=sys.stderr)
        return 2
    base = Params(args.agents, args.load, args.handle, args.cv, args.patience, args.callers,
                  args.reminder, args.seed, args.other_load, args.ceiling)
    if args.grid:
        rows = grid(base, args.processes)
        print(markdown(rows) if args.markdown else json.dumps(rows, indent=1))
    elif args.seeds:
        print(json.dumps(over_seeds(base, args.seeds, args.processes), indent=1))
    else:
        print(json.dumps(run(base), indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
