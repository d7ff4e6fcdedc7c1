"""What one wait estimate costs: `ivr.waits.estimate_wait` timed on the snapshots a simulated
queue gives its callers, against another version of the module timed in the same run.

    git show HEAD~1:ivr/waits.py > /tmp/waits_before.py
    .venv/bin/python bench/wait_cost.py --against /tmp/waits_before.py
    .venv/bin/python bench/wait_cost.py --against /tmp/waits_before.py --agents 5 --cv 1.5

The snapshots are those of `bench/wait_accuracy.py` for one cell (every announcement of every
caller). Both versions estimate each snapshot in turn, over --rounds rounds in alternation
(this machine is noisy: what disturbs one disturbs the other); prints, as JSON, the median and
the 90th percentile of the milliseconds per estimate of each, and their ratio.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import wait_accuracy
from ivr import waits


def snapshots(params: wait_accuracy.Params) -> list[waits.Snapshot]:
    """Every snapshot the simulated queue of `params` gives to the estimate."""
    seen: list[waits.Snapshot] = []

    def record(snapshot: waits.Snapshot) -> float | None:
        seen.append(snapshot)
        return waits.estimate_wait(snapshot)

    wait_accuracy.estimate_wait = record  # the bench calls it by that name
    try:
        wait_accuracy.simulate(params)
    finally:
        wait_accuracy.estimate_wait = waits.estimate_wait
    return seen


def load(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location("waits_against", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"wait_cost: cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules["waits_against"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def timed(estimate: Callable[[Any], Any], cases: list[Any]) -> list[float]:
    out = []
    for case in cases:
        start = time.perf_counter()
        estimate(case)
        out.append((time.perf_counter() - start) * 1000)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", type=Path, required=True,
                        help="another version of ivr/waits.py, timed in the same run")
    parser.add_argument("--agents", type=int, default=20)
    parser.add_argument("--load", type=float, default=0.97)
    parser.add_argument("--cv", type=float, default=1.5)
    parser.add_argument("--callers", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    if not args.against.is_file():
        print(f"wait_cost: no file {args.against}", file=sys.stderr)
        return 2
    other = load(args.against)
    params = wait_accuracy.Params(agents=args.agents, load=args.load, cv=args.cv,
                                  callers=args.callers, seed=args.seed)
    ours = snapshots(params)
    theirs = [other.Snapshot(**vars(s)) for s in ours]
    now: list[float] = []
    before: list[float] = []
    for _ in range(args.rounds):
        before += timed(other.estimate_wait, theirs)
        now += timed(waits.estimate_wait, ours)

    def figures(ms: list[float]) -> dict[str, float]:
        cuts = statistics.quantiles(ms, n=10)
        return {"median_ms": round(statistics.median(ms), 3), "p90_ms": round(cuts[-1], 3)}

    print(json.dumps({"params": vars(params), "snapshots": len(ours),
                      "against": {"file": str(args.against), **figures(before)},
                      "now": figures(now),
                      "ratio_median": round(statistics.median(now) / statistics.median(before),
                                            2)}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
