"""Importing a large iOS App Privacy Report: wall clock and peak memory.

    python bench/import_report.py [LINES]         # default: 1,000,000

Builds a report of LINES records from the example report of the five seed apps (half of
the accesses moved to 300 other apps, as on a busy phone), then runs `consentkit trace
import` on it for one app in a child process and prints the child's wall-clock time and
peak resident memory. To measure another checkout's code (e.g. before a change), put it
first on the path: ``PYTHONPATH=/path/to/checkout``.
"""

from __future__ import annotations

import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "real-devices"


def build(path: Path, lines: int) -> None:
    records = [
        json.loads(x) for x in (EXAMPLE / "App_Privacy_Report.ndjson").read_text().split("\n") if x
    ]
    rng = random.Random(1)
    with path.open("w") as out:
        written = 0
        while written < lines:
            for record in records:
                if "accessor" in record and rng.random() < 0.5:
                    record = {
                        **record,
                        "accessor": {
                            **record["accessor"],
                            "identifier": f"com.other.app{rng.randrange(300)}",
                        },
                    }
                out.write(json.dumps(record, separators=(",", ":")) + "\n")
                written += 1


def main(lines: int) -> None:
    folder = Path(tempfile.mkdtemp(prefix="consentkit-import-bench-"))
    report = folder / "App_Privacy_Report.ndjson"
    build(report, lines)
    command = [
        sys.executable, "-m", "consentkit.cli", "trace", "import", str(report),
        "--format", "ios-privacy-report", "--app-id", "zhenyi-erp",
        "--bundle-id", "cn.zhenyi.erp", "--out", str(folder / "trace.jsonl"),
    ]  # fmt: skip
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(done.stderr)
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    size_mb = report.stat().st_size / 1e6
    print(f"{lines:,} records ({size_mb:,.0f} MB): {seconds:.1f} s, peak {peak_mb:,.0f} MB")
    print(done.stderr.strip())


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
