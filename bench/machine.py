"""CPU the rest of the machine used during a run: other work there lowers every number.

From /proc (Linux): the machine's busy CPU time, less the time of this process, its live
descendants (Redis, the server and its workers) and its reaped children (wrk).
"""

from __future__ import annotations

import os
import resource
import time
from pathlib import Path

TICK = 1 / os.sysconf("SC_CLK_TCK")


class OtherWork:
    """Context manager; `cpus` is the CPUs others used on average inside the block."""

    def __init__(self) -> None:
        self.cpus = 0.0

    def __enter__(self) -> OtherWork:
        self._start = (time.monotonic(), machine_busy(), ours())
        return self

    def __exit__(self, *_: object) -> None:
        started, busy, mine = self._start
        elapsed = time.monotonic() - started
        others = (machine_busy() - busy) - (ours() - mine)
        self.cpus = max(0.0, others / elapsed) if elapsed > 0 else 0.0


def machine_busy() -> float:
    """Seconds of CPU spent not idle, all CPUs, since boot (steal included)."""
    fields = [int(value) for value in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields[:8]
    return (user + nice + system + irq + softirq + steal) * TICK


def ours() -> float:
    """Seconds of CPU of this process, its live descendants and its reaped children."""
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # gone meanwhile
        pid = int(stat.parent.name)
        parents[pid] = int(fields[1])
        times[pid] = sum(int(value) for value in fields[11:15]) * TICK  # u, s, cu, cs
    family, frontier = {os.getpid()}, [os.getpid()]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent]
        family.update(children)
        frontier += children
    reaped = resource.getrusage(resource.RUSAGE_CHILDREN)
    own = resource.getrusage(resource.RUSAGE_SELF)
    live = sum(times.get(pid, 0.0) for pid in family if pid != os.getpid())
    return live + own.ru_utime + own.ru_stime + reaped.ru_utime + reaped.ru_stime
