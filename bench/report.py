"""Issue 11's targets, judged on a run's results, and the table `make bench` prints."""

from __future__ import annotations

from typing import Any

# Same run, same server, 2 workers, wrk -t2 -c32, signed requests, distinct CallSids.
# req/s of the route / req/s of the bare ceiling (bench/bare.py: a Flask app with nothing of
# ours); also shown against `constant`, the same route inside our app (its hooks included)
RATIO_TARGETS = (("incoming", 0.5), ("mix", 0.4))
CEILINGS = ("bare", "constant")
P99_TARGET_MS = 30.0  # for incoming and for the mix
# Redis round trips per webhook kind. A new call reads and writes nothing shared: the flow
# version is cached in the process and the call's state can travel in its signed action URL.
# The others each need something shared, in one round trip: the greeting's step the
# announcement, the caller's pending callback and the emergency closure; identification the
# directory and the lock-out counts; the menu the queue it joins; the wait URL the caller's place.
ROUND_TRIP_TARGETS = {"incoming": 0}
ROUND_TRIP_DEFAULT = 1
BUSY = 0.2  # CPUs used by other work above which a run is flagged


def judge(runs: list[dict[str, Any]], round_trips: dict[str, dict[str, float]],
          servers: list[str]) -> dict[str, Any]:
    """Target rows (met or missed) and the fastest server for incoming and for the mix."""
    by = {(run["server"], run["route"]): run for run in runs}
    rows = []
    for server in servers:
        for ceiling in CEILINGS:
            top = by.get((server, ceiling))
            for route, target in RATIO_TARGETS:
                run = by.get((server, route))
                if top and run:
                    value = run["requests_per_s"] / top["requests_per_s"]
                    rows.append({"what": f"{route} / {ceiling}", "server": server,
                                 "value": round(value, 2), "target": f">= {target}",
                                 "met": value >= target})
        for route, _ in RATIO_TARGETS:
            run = by.get((server, route))
            if run:
                rows.append({"what": f"p99 ms, {route}", "server": server,
                             "value": run["p99_ms"], "target": f"<= {P99_TARGET_MS:g}",
                             "met": run["p99_ms"] <= P99_TARGET_MS})
    for kind, count in round_trips.items():
        # judged on the mean per request, to a tenth: a value cached in the process for a
        # fraction of a second (the current flow version) is read again now and then
        target = ROUND_TRIP_TARGETS.get(kind, ROUND_TRIP_DEFAULT)
        mean = round(count["mean"], 1)
        rows.append({"what": f"Redis round trips, {kind}", "server": "in-process (mean)",
                     "value": mean, "target": f"<= {target}", "met": mean <= target})
    best = {}
    for route, _ in RATIO_TARGETS:
        measured = [run for run in runs if run["route"] == route]
        if measured:
            top = max(measured, key=lambda run: run["requests_per_s"])
            best[route] = {"server": top["server"], "requests_per_s": top["requests_per_s"]}
    return {"targets": rows, "best": best}


def print_report(results: dict[str, Any]) -> None:
    load = results["load"]
    print(f"\nwrk -t{load['threads']} -c{load['connections']} -d{load['duration_s']}s, "
          f"{results['machine']['cpus']} CPUs, {results['date']}; others before the run: "
          f"{results['machine']['others_before']:.2f} CPUs")
    print(f"mix: {', '.join(results['mix_kinds'])}, equal shares, each request the first of "
          "its (call, step)\n")
    print(f"{'server':<18}{'route':<10}{'req/s':>8}{'p50 ms':>8}{'p90 ms':>8}{'p99 ms':>8}"
          f"{'errors':>8}{'replayed':>10}{'others':>8}")
    for run in results["runs"]:
        errors = sum(run[name] for name in ("non200", "not_twiml", "socket_errors",
                                            "apologies", "leaves", "dials"))
        replayed = "-" if run["route"] in CEILINGS else str(run["replayed"])
        notes = [note for note, shown in (
            ("machine busy", run["other_cpus"] > BUSY),
            ("requests sent twice: too fast", run["route"] not in CEILINGS and run["replayed"]))
            if shown]
        note = "  " + ", ".join(notes) if notes else ""
        print(f"{run['server']:<18}{run['route']:<10}{run['requests_per_s']:>8.0f}"
              f"{run['p50_ms']:>8.2f}{run['p90_ms']:>8.2f}{run['p99_ms']:>8.2f}{errors:>8}"
              f"{replayed:>10}{run['other_cpus']:>8.2f}{note}")
    print("(errors: non-200, not TwiML, socket errors, apologies, <Leave>, <Dial>; replayed: "
          "requests sent twice; others: CPUs used by other work on the machine during the run)")
    for run in results["runs"]:
        if "prepared" in run:
            prepared = run["prepared"]
            print(f"  {run['server']} mix: {prepared['requests']} requests prepared in "
                  f"{prepared['seconds']:.0f} s ({prepared['processes']} processes), "
                  f"sized from the warm-up's {run['warm_rate']:.0f} req/s")
        if run.get("first_replayed"):
            print(f"  {run['server']} {run['route']}: measured twice, the first run sent "
                  f"{run['first_replayed']} requests twice (its warm-up went slower)")
    print(f"\n{'target (issue 11)':<32}{'server':<18}{'measured':>9}  {'target':<8}")
    for row in results["judged"]["targets"]:
        verdict = "met" if row["met"] else "MISSED"
        print(f"{row['what']:<32}{row['server']:<18}{row['value']:>9}  {row['target']:<8} "
              f"{verdict}")
    counted = results["round_trips"]
    print(f"\nRedis round trips per webhook, in-process, {results['round_trip_calls']} calls "
          "(min / mean / max):")
    for kind, count in counted.items():
        print(f"  {kind:<10}{count['min']} / {count['mean']:.2f} / {count['max']}")
    for route, top in results["judged"]["best"].items():
        print(f"fastest for {route}: {top['server']} ({top['requests_per_s']:.0f} req/s)")
    for server, checked in results["samples"].items():
        shown = ", ".join(f"{kind} {count}" for kind, count in checked.items())
        print(f"answers parsed in full, {server}: {shown}")
