"""Store upsert throughput: N synthetic canonical deals into a fresh SQLite store, then again with 10% changed.

    python benchmarks/bench_store_upsert.py [--deals 100000] [--changed 0.1] [--store PATH | --url URL]

``--url`` runs against another database (e.g. an empty PostgreSQL one); its deals table must start empty.

Prints wall time and rows/s for the first insert, the update pass and a full streaming read, and the peak RSS.
Target (docs/benchmarks): 100,000 deals upserted in well under 30 s on a 2-core machine.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import resource
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from dealsync.canonical import Deal, DealRef, Stage, Status
from dealsync.store import UpsertCounts, open_store

T0 = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)
STAGES = [s for s in Stage if s is not Stage.POST_SALE]


def synthetic_deal(i: int, rng: random.Random, *, modified_at: datetime = T0, version: int = 0) -> Deal:
    connection = "sf-main" if i % 2 == 0 else "hs-main"
    stage = rng.choice(STAGES)
    return Deal(
        ref=DealRef(connection=connection, id=f"{i:010d}"),
        name=f"Deal {i} v{version}",
        account_name=f"Account {i % 5000}",
        amount=Decimal(rng.randrange(100, 10_000_000)) / 100,
        currency=rng.choice(["EUR", "USD", "GBP"]),
        stage=stage,
        status=Status.OPEN,
        crm_stage_id=stage.value,
        crm_stage_label=stage.value.replace("_", " ").title(),
        pipeline="default",
        probability=Decimal(rng.randrange(0, 101)) / 100,
        close_date=date(2026, 1, 1) + timedelta(days=rng.randrange(0, 365)),
        owner=f"rep{i % 40}@example.com",
        created_at=T0 - timedelta(days=rng.randrange(1, 700)),
        modified_at=modified_at,
        last_activity_at=T0 - timedelta(days=rng.randrange(0, 90)),
        raw={"Id": f"{i:010d}", "StageName": stage.value, "Amount": str(i), "Custom__c": "x" * 40},
    )


def timed_upsert(url: str, deals: list[Deal], observed_at: datetime) -> tuple[float, UpsertCounts]:
    with open_store(url) as store:
        start = time.perf_counter()
        counts = store.upsert_deals(deals, observed_at=observed_at)
        return time.perf_counter() - start, counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deals", type=int, default=100_000)
    parser.add_argument("--changed", type=float, default=0.1, help="share of deals changed in the second pass")
    parser.add_argument("--store", type=Path, default=None, help="SQLite file (default: a fresh temporary one)")
    parser.add_argument("--url", default=None, help="any store URL instead of a SQLite file (must start empty)")
    args = parser.parse_args()

    rng = random.Random(42)
    start = time.perf_counter()
    deals = [synthetic_deal(i, rng) for i in range(args.deals)]
    generate_s = time.perf_counter() - start

    with tempfile.TemporaryDirectory() as folder:
        path = args.store or Path(folder) / "bench.db"
        if args.url is None:
            path.unlink(missing_ok=True)
        url = args.url or f"sqlite:///{path}"
        open_store(url).close()  # schema creation is not part of the figure

        insert_s, inserted = timed_upsert(url, deals, T0)
        assert inserted == UpsertCounts(new=args.deals), inserted

        step = max(1, round(1 / args.changed)) if args.changed > 0 else args.deals + 1
        later = T0 + timedelta(hours=1)
        second = [
            synthetic_deal(i, random.Random(i), modified_at=later, version=1) if i % step == 0 else deal
            for i, deal in enumerate(deals)
        ]
        expected_changed = sum(1 for i in range(args.deals) if i % step == 0)
        update_s, updated = timed_upsert(url, second, later)
        assert updated == UpsertCounts(changed=expected_changed, unchanged=args.deals - expected_changed), updated

        with open_store(url) as store:
            start = time.perf_counter()
            streamed = sum(1 for _ in store.iter_deals())
            read_s = time.perf_counter() - start
        assert streamed == args.deals
        where = f"SQLite file {path.stat().st_size / 1e6:.0f} MB" if args.url is None else store.url

    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(
        f"machine: {platform.machine()} {platform.system()}, {os.cpu_count()} cores, python {platform.python_version()}"
    )
    print(f"command: python benchmarks/bench_store_upsert.py --deals {args.deals} --changed {args.changed}")
    print(f"generate {args.deals:,} Deals: {generate_s:.2f} s (not part of the figures below)")
    second_label = f"second upsert ({expected_changed:,} changed):"
    print(f"{'first upsert (insert):':30} {insert_s:6.2f} s  {args.deals / insert_s:9,.0f} rows/s  {inserted}")
    print(f"{second_label:30} {update_s:6.2f} s  {args.deals / update_s:9,.0f} rows/s  {updated}")
    print(f"{'stream all with iter_deals:':30} {read_s:6.2f} s  {args.deals / read_s:9,.0f} rows/s")
    print(f"store: {where}; peak RSS: {peak_rss_mb:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
