"""Full pull of N deals per CRM from the emulator: API calls against the lower bound, wall time, peak memory,
and the ratio to a bare script that pages through the same data with the same client libraries.

The emulator runs in its own process (``dealsync emulator serve``) so that each pull's peak RSS is its own.

    python -m benchmarks.bench_pull --deals 10000 100000
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests

PULL_ONE = """
import json, resource, sys, time
from dealsync.config import load_settings
from dealsync.connectors.registry import open_connector
from dealsync.store import open_store
from dealsync.sync.pull import pull_connection
settings = load_settings(__import__("pathlib").Path(sys.argv[1]), environ={})
conf = settings.connection(sys.argv[2])
with open_store(settings.store) as store:
    connector = open_connector(conf)
    started = time.perf_counter()
    result = pull_connection(store, connector, connection_type=conf.type, full=True)
    seconds = time.perf_counter() - started
print(json.dumps({"seconds": seconds, "records": result.records, "new": result.new, "requests": result.requests,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def emulator(deals: int, hubspot_limit: int) -> Iterator[dict[str, Any]]:
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "dealsync.cli",
        "--json",
        "emulator",
        "serve",
        "--port",
        str(port),
        "--deals",
        str(deals),
        "--hubspot-limit",
        str(hubspot_limit),
    ]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        lines = []
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)
            if line.startswith("}"):
                break
        yield json.loads("".join(lines))
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def write_config(info: dict[str, Any], folder: Path) -> Path:
    config = folder / "dealsync.yml"
    config.write_text(
        f"store: sqlite:///{folder / 'bench.db'}\nconnections:\n"
        f"  - {{name: sf, type: salesforce, instance_url: '{info['salesforce_url']}', ca_bundle: '{info['ca_bundle']}',"
        " auth: {access_token: emulator-sf-session-token}}\n"
        f"  - {{name: hs, type: hubspot, base_url: '{info['hubspot_url']}',"
        " auth: {access_token: emulator-hs-private-app-token}}\n"
    )
    return config


def stats(info: dict[str, Any]) -> dict[str, int]:
    return dict(requests.get(info["stats_url"], timeout=30).json()["requests"])


def run_pull(config: Path, connection: str) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-c", PULL_ONE, str(config), connection],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def run_baseline(info: dict[str, Any]) -> dict[str, Any]:
    command = [
        sys.executable,
        "-m",
        "benchmarks.baseline_pull",
        "--salesforce-url",
        info["salesforce_url"],
        "--hubspot-url",
        info["hubspot_url"],
        "--ca-bundle",
        info["ca_bundle"],
    ]
    started = time.perf_counter()
    out = subprocess.run(command, capture_output=True, text=True, check=True)
    result = dict(json.loads(out.stdout))
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    result["wall"] = time.perf_counter() - started
    return result


def delta(after: dict[str, int], before: dict[str, int], api: str) -> dict[str, int]:
    return {k: v - before.get(k, 0) for k, v in after.items() if k.startswith(api) and v - before.get(k, 0)}


def bench(deals: int, hubspot_limit: int) -> dict[str, Any]:
    with emulator(deals, hubspot_limit) as info, tempfile.TemporaryDirectory() as tmp:
        config = write_config(info, Path(tmp))
        base = run_baseline(info)
        before = stats(info)
        sf = run_pull(config, "sf")
        mid = stats(info)
        hs = run_pull(config, "hs")
        after = stats(info)
        sf_calls, hs_calls = delta(mid, before, "salesforce"), delta(after, mid, "hubspot")
    return {
        "deals_per_crm": deals,
        "hubspot_limit_per_10s": hubspot_limit,
        "salesforce": {
            **sf,
            "calls": sf_calls,
            "query_pages_lower_bound": math.ceil(sf["records"] / 2000),
            "baseline_seconds": base["salesforce"]["seconds"],
            "ratio_to_baseline": round(sf["seconds"] / base["salesforce"]["seconds"], 2),
        },
        "hubspot": {
            **hs,
            "calls": hs_calls,
            "list_pages_lower_bound": math.ceil(hs["records"] / 100),
            "baseline_seconds": base["hubspot"]["seconds"],
            "ratio_to_baseline": round(hs["seconds"] / base["hubspot"]["seconds"], 2),
        },
        "baseline_peak_rss_mb": base["peak_rss_mb"],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--deals", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument(
        "--hubspot-limit",
        type=int,
        default=1_000_000,
        help="requests per 10 s the emulator advertises; the default takes the limit out of the comparison",
    )
    args = parser.parse_args()
    for n in args.deals:
        print(json.dumps(bench(n, args.hubspot_limit), indent=2), flush=True)


if __name__ == "__main__":
    main()
