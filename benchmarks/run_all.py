"""Run every benchmark in turn (minutes, not seconds); each prints its own figures. Results go to RESULTS.md by hand.

python benchmarks/run_all.py            # or: python3 dev.py bench
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS = [
    ["benchmarks/bench_store_upsert.py", "--deals", "100000"],
    ["-m", "benchmarks.bench_emulator", "--deals", "20000"],
    ["-m", "benchmarks.bench_pull", "--deals", "10000", "100000"],
    ["benchmarks/bench_dedupe.py"],
    ["benchmarks/bench_rules_truth.py"],
    ["benchmarks/bench_audit.py"],
]


def main() -> int:
    failed = 0
    for args in BENCHMARKS:
        print("$ python", " ".join(args), flush=True)
        failed += subprocess.run([sys.executable, *args], cwd=ROOT, check=False).returncode != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
