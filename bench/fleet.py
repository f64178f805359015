"""Devices through the reference scenario: devices per second, and cost per device.

    python bench/fleet.py                 # 1,000 and 10,000 devices, all CPUs
    python bench/fleet.py 200 1000        # other sizes

Goals: at most 45 ms of CPU per device (10,000 devices in <= 240 s on 2 cores)
in-process, without weakening any check or the password hashing; the per-device cost at
10,000 within 20% of the cost at 1,000. The change is computed from CPU time, which other
work on a shared machine moves far less than wall-clock time (both are printed). The
scenario is examples/scenarios/bench.yaml: onboarding, three features, a withdrawal, a
cancellation and its purge.
"""

from __future__ import annotations

import os
import resource
import sys
import time

from consentkit.examples import examples_dir
from consentkit.simulator.run import Job, run_fleet


def _cpu_seconds() -> float:
    """CPU time of this process and of its reaped workers: what the devices really cost,
    whatever else the machine was doing."""
    own, workers = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return own.ru_utime + own.ru_stime + workers.ru_utime + workers.ru_stime


def main(sizes: list[int]) -> None:
    root = examples_dir()
    workers = os.cpu_count() or 1
    print(
        f"{'devices':>8} {'seconds':>9} {'devices/s':>10} {'ms/device/core':>15}"
        f" {'cpu ms/device':>14} {'errors':>7}"
    )
    costs, cpu_costs = {}, {}
    for n in sizes:
        job = Job(
            str(root / "apps" / "seed_apps.py"),
            "zhenyi-erp",
            str(root / "scenarios" / "bench.yaml"),
            n,
            "accept-all",
            "mix",
        )
        start, cpu = time.perf_counter(), _cpu_seconds()
        results = run_fleet([job], seed=1, workers=workers)
        seconds, cpu = time.perf_counter() - start, _cpu_seconds() - cpu
        errors = sum(len(r.errors) for r in results)
        costs[n] = seconds * workers / n * 1000
        cpu_costs[n] = cpu / n * 1000
        print(
            f"{n:>8} {seconds:>9.1f} {n / seconds:>10.1f} {costs[n]:>15.1f}"
            f" {cpu / n * 1000:>14.1f} {errors:>7}"
        )
    if len(sizes) >= 2:
        first, last = sizes[0], sizes[-1]
        change = (cpu_costs[last] / cpu_costs[first] - 1) * 100
        wall = (costs[last] / costs[first] - 1) * 100
        print(
            f"per-device CPU cost change {first} -> {last}: {change:+.1f}% (goal: within 20%);"
            f" wall clock per device per core: {wall:+.1f}%"
        )
    print(f"workers: {workers}; goal: <= 45 CPU ms per device (10,000 devices <= 240 s on 2 cores)")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [1000, 10000])
