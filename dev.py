#!/usr/bin/env python3
"""One entry point for a fresh clone: creates .venv, installs dealsync with its test extras, then runs a task.

    python3 dev.py demo    # dealsync demo: emulator + SQLite, pull -> audit -> sync
    python3 dev.py test    # format check, lint, types, import contracts, the test suite
    python3 dev.py bench   # the benchmarks (minutes)

Needs only Python 3.11+. Reinstalls when pyproject.toml changes.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".dealsync-installed"

TASKS: dict[str, list[list[str]]] = {
    "demo": [["dealsync", "demo"]],
    "test": [
        ["ruff", "format", "--check", "src", "tests", "benchmarks", "dev.py"],
        ["ruff", "check", "src", "tests", "benchmarks", "dev.py"],
        ["mypy"],
        ["lint-imports"],
        ["python", "-m", "pytest", "-n", "2", "-q"],
    ],
    "bench": [["python", "benchmarks/run_all.py"]],
}


def ensure_venv() -> None:
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text() == wanted:
        return
    if not (BIN / "python").exists():
        print("creating .venv ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    print("installing dealsync and its test tools into .venv ...", flush=True)
    pip = [str(BIN / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, "-e", f"{ROOT}[test]"], check=True, cwd=ROOT)
    STAMP.write_text(wanted)


def run(task: str, extra: list[str]) -> int:
    steps = TASKS[task]
    for i, step in enumerate(steps):
        command = [str(BIN / step[0]), *step[1:]]
        if i == len(steps) - 1:
            command += extra
        print("$", " ".join([step[0], *command[1:]]), flush=True)
        code = subprocess.run(command, cwd=ROOT, check=False).returncode
        if code != 0:
            return code
    return 0


def main() -> int:
    if len(sys.argv) < 2 or sys.argv[1] not in TASKS:
        print(__doc__)
        return 2
    ensure_venv()
    return run(sys.argv[1], sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
