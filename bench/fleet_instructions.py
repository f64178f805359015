"""Instructions per device through the reference scenario, counted by valgrind.

    python bench/fleet_instructions.py            # 10 and 30 devices, one process each
    python bench/fleet_instructions.py 10 50

Wall-clock figures on a shared machine move by a third from hour to hour; callgrind counts
instructions, which do not. Two runs of different sizes, in parallel, and the difference
divided by the extra devices is the cost of one device, free of start-up costs. It takes a
few minutes: callgrind runs Python about fifty times slower.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ONE_RUN = """
import sys
from consentkit.examples import examples_dir
from consentkit.simulator.run import Job, run_fleet
root = examples_dir()
job = Job(str(root / "apps" / "seed_apps.py"), "zhenyi-erp",
          str(root / "scenarios" / "bench.yaml"), int(sys.argv[1]), "accept-all", "mix")
results = run_fleet([job], seed=1, workers=1)
assert not any(r.errors for r in results), [r.errors for r in results if r.errors]
"""


def _instructions(devices: int, folder: Path) -> int:
    out = folder / f"callgrind.{devices}"
    run = subprocess.run(
        [
            "valgrind",
            "--tool=callgrind",
            f"--callgrind-out-file={out}",
            *(sys.executable, "-c", ONE_RUN, str(devices)),
        ],
        capture_output=True,
        text=True,
    )
    found = re.search(r"Collected : (\d+)", run.stderr)
    if run.returncode != 0 or found is None:
        raise SystemExit(f"the {devices}-device run failed:\n{run.stderr[-2000:]}")
    return int(found.group(1))


def main(small: int, large: int) -> None:
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (Debian: apt-get install valgrind)")
    with tempfile.TemporaryDirectory() as tmp, ThreadPoolExecutor(2) as pool:
        found = pool.map(lambda n: _instructions(n, Path(tmp)), (small, large))
        counts = dict(zip((small, large), found, strict=True))
    per_device = (counts[large] - counts[small]) / (large - small)
    for n, count in counts.items():
        print(f"{n:>6} devices: {count / 1e9:8.2f} G instructions")
    print(f"per device: {per_device / 1e6:.0f} M instructions")


if __name__ == "__main__":
    sizes = [int(a) for a in sys.argv[1:]] or [10, 30]
    if len(sizes) != 2 or sizes[0] >= sizes[1]:
        raise SystemExit("usage: fleet_instructions.py [SMALL LARGE]  (two sizes, smaller first)")
    main(*sizes)
