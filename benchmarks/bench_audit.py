"""``run_audit`` end to end over a SQLite store of N synthetic deals: wall time per step and peak RSS.

    python benchmarks/bench_audit.py [--deals 100000 1000000] [--dir DIR] [--reports] [--profile]

For each size, a store is filled once (kept in ``--dir`` and copied afresh for every run, so that no run sees
an earlier run's flags):
two connections (``sf-main`` Salesforce, ``hs-main`` HubSpot) with saved discovery (corporate currency, rates,
stage probabilities), N deals upserted through ``Store.upsert_deals`` — realistic names (the emulator's word
lists: ~50,000 accounts), five currencies, all statuses, ~8% of deals copied into the other CRM with drifted
fields (a duplicate to find), 1% deleted — then a second upsert moving 20% of the deals on (stage, close date
pushed, amount) so that they have history. Filling is not part of the figures.

The audit then runs in a child process (so its peak RSS is its own): ``run_audit`` with the default settings,
timed per step (``AuditResult.timings``), plus, with ``--reports``, writing the JSON and HTML reports. A second
child times a bare ``iter_deals`` pass, the floor of any step that reads every deal. ``--profile`` adds a
cProfile of the audit (top functions by own time).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from dealsync.canonical import Deal, DealRef, Stage, Status
from dealsync.emulator.seed_names import COMPANY_CORES, COMPANY_PREFIXES, COMPANY_QUALIFIERS, DEAL_KINDS, PRODUCTS
from dealsync.store import open_store

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
T0 = NOW - timedelta(days=30)
CONNECTIONS = (("sf-main", "salesforce"), ("hs-main", "hubspot"))
CURRENCIES = (("USD", "1"), ("EUR", "1.08"), ("GBP", "1.27"), ("CAD", "0.74"), ("JPY", "0.0066"))
SUFFIXES = ("Inc", "Inc.", "LLC", "Ltd", "GmbH", "SAS", "S.A.", "Corp", "")
OPEN_STAGES = [s for s in Stage if s is not Stage.POST_SALE]
PROBABILITY = {s: Decimal(p) for s, p in zip(Stage, ("0.05", "0.1", "0.2", "0.4", "0.6", "0.8", "1"), strict=True)}
SCHEMA_STAGES = {
    s.value: {"label": s.value, "probability": str(PROBABILITY[s]), "is_closed": False} for s in OPEN_STAGES
} | {"won": {"label": "Won", "probability": "1.0", "is_closed": True}, "lost": {"label": "Lost", "probability": "0"}}

CHILD = """
import json, os, resource, sys, threading, time
from datetime import datetime
from dealsync.config import Settings
from dealsync.store import open_store

def tree_rss_mb(pid):
    try:
        total = int(open(f"/proc/{pid}/statm").read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        for task in os.listdir(f"/proc/{pid}/task"):
            for child in open(f"/proc/{pid}/task/{task}/children").read().split():
                total += tree_rss_mb(int(child)) * 2**20
    except OSError:
        return 0
    return total / 2**20

combined = [0.0]
def sample():
    while True:
        combined[0] = max(combined[0], tree_rss_mb(os.getpid()))
        time.sleep(0.2)
threading.Thread(target=sample, daemon=True).start()
url, now, mode, out = sys.argv[1], datetime.fromisoformat(sys.argv[2]), sys.argv[3], sys.argv[4]
parallel = {"auto": None, "parallel": True, "inprocess": False}[sys.argv[5]]
figures = {}
with open_store(url) as store:
    if mode == "read":
        start = time.perf_counter()
        figures["deals"] = sum(1 for _ in store.iter_deals())
        figures["iter_deals_s"] = time.perf_counter() - start
        start = time.perf_counter()
        figures["history_rows"] = sum(1 for _ in store.iter_history())
        figures["iter_history_s"] = time.perf_counter() - start
    else:
        from dealsync.sync.audit import run_audit
        settings = Settings(store=url)
        start = time.perf_counter()
        if mode == "profile":
            import cProfile, pstats, io
            profile = cProfile.Profile()
            result = profile.runcall(run_audit, store, settings, now=now, parallel=parallel)
            text = io.StringIO()
            pstats.Stats(profile, stream=text).sort_stats("tottime").print_stats(25)
            figures["profile"] = text.getvalue()
        else:
            result = run_audit(store, settings, now=now, parallel=parallel)
        figures["audit_s"] = time.perf_counter() - start
        figures["steps"] = dict(result.timings)
        figures["deals"], figures["flags"], figures["clusters"] = result.deals, len(result.flags), len(result.clusters)
        figures["rss_after_audit_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        if mode == "reports":
            from dealsync.reports import write_html, write_json
            for name, writer in (("json", write_json), ("html", write_html)):
                start = time.perf_counter()
                with open(out + "." + name, "w", encoding="utf-8") as handle:
                    writer(result, handle)
                figures[name + "_report_s"] = time.perf_counter() - start
figures["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
figures["dedupe_child_peak_rss_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
figures["combined_peak_rss_mb"] = combined[0]
print(json.dumps(figures))
"""


def account_names(rng: random.Random) -> list[str]:
    names = [f"{p} {c} {q}" for p in COMPANY_PREFIXES for c in COMPANY_CORES for q in COMPANY_QUALIFIERS]
    rng.shuffle(names)
    return names


def base_deal(i: int, rng: random.Random, accounts: list[str]) -> Deal:
    # a few big accounts, a long tail: index drawn from a Pareto-like distribution
    account = accounts[min(int(rng.paretovariate(1.2) * 40) - 40, len(accounts) - 1)]
    status = rng.choices((Status.OPEN, Status.WON, Status.LOST), (60, 25, 15))[0]
    stage: Stage | None = Stage.POST_SALE if status is Status.WON else rng.choice(OPEN_STAGES)
    if rng.random() < 0.02 and status is Status.OPEN:
        stage = None  # an unmapped CRM stage
    currency, _ = rng.choice(CURRENCIES)
    amount = Decimal(rng.randrange(1_000, 200_000)) * (150 if currency == "JPY" else 1)
    if rng.random() < 0.01:
        amount *= 100  # a typo
    created = T0 - timedelta(days=rng.randrange(1, 700))
    connection = CONNECTIONS[i % 2][0]
    product = f"{rng.choice(PRODUCTS)} {rng.choice(DEAL_KINDS)} {rng.randrange(2024, 2028)}"
    return Deal(
        ref=DealRef(connection=connection, id=f"{'006' if i % 2 == 0 else ''}{i:09d}"),
        name=f"{account} {rng.choice(SUFFIXES)} - {product}",
        account_name=f"{account} {rng.choice(SUFFIXES)}".strip(),
        amount=None if rng.random() < 0.02 else amount,
        currency=currency,
        stage=stage,
        status=status,
        crm_stage_id="won" if status is Status.WON else ("lost" if status is Status.LOST else (stage or "Custom")),
        pipeline="default",
        probability=None if stage is None else PROBABILITY[stage],
        close_date=(created + timedelta(days=rng.randrange(20, 400))).date(),
        owner=f"rep{rng.randrange(300)}@example.com",
        created_at=created,
        modified_at=T0,
        last_activity_at=None if rng.random() < 0.3 else T0 - timedelta(days=rng.randrange(0, 120)),
        raw={"Id": str(i), "StageName": stage.value if stage else "Custom", "Description": "x" * 60},
    )


def duplicate_of(deal: Deal, n: int, rng: random.Random) -> Deal:
    """The same deal entered again, in the other CRM: drifted case, suffix, amount and close date."""
    other = CONNECTIONS[1][0] if deal.ref.connection == CONNECTIONS[0][0] else CONNECTIONS[0][0]
    amount = (
        None
        if deal.amount is None
        else (deal.amount * Decimal(rng.choice(("1", "1", "1.01", "0.995")))).quantize(Decimal("0.01"))
    )
    close = None if deal.close_date is None else deal.close_date + timedelta(days=rng.choice((0, 0, 1, -2)))
    return deal.model_copy(
        update={
            "ref": DealRef(connection=other, id=f"{'006' if other == 'sf-main' else ''}{n:09d}"),
            "name": deal.name.upper() if rng.random() < 0.3 else deal.name.replace(" - ", " \u2013 "),
            "amount": amount,
            "close_date": close,
            "modified_at": T0 + timedelta(minutes=1),
        }
    )


def generate(count: int, seed: int) -> Iterator[Deal]:
    """``count`` deals (about 8% of them duplicates of an earlier one), streamed."""
    rng = random.Random(seed)
    accounts = account_names(rng)
    made = 0
    while made < count:
        deal = base_deal(made, rng, accounts)
        yield deal
        made += 1
        if made < count and rng.random() < 0.087:
            yield duplicate_of(deal, made, rng)
            made += 1


def moved_on(deal: Deal, rng: random.Random) -> Deal:
    """A later version: the stage advanced or the close date pushed, sometimes the amount changed."""
    update: dict[str, object] = {"modified_at": T0 + timedelta(days=10)}
    if deal.is_open and deal.stage is not None and deal.stage is not Stage.NEGOTIATION and rng.random() < 0.5:
        update["stage"] = list(Stage)[deal.stage.order]
        update["crm_stage_id"] = update["stage"]
    elif deal.close_date is not None:
        update["close_date"] = deal.close_date + timedelta(days=rng.randrange(10, 60))
    if deal.amount is not None and rng.random() < 0.3:
        update["amount"] = deal.amount + 1000
    return deal.model_copy(update=update)


def fill(path: Path, count: int, seed: int) -> None:
    path.unlink(missing_ok=True)
    url = f"sqlite:///{path}"
    start = time.perf_counter()
    with open_store(url) as store:
        for name, kind in CONNECTIONS:
            store.register_connection(name, kind, at=T0)
            store.save_connection_schema(
                name,
                {
                    "corporate_currency": "USD",
                    "fx_rates": dict(CURRENCIES),
                    "stages": SCHEMA_STAGES,
                    "multi_currency": True,
                },
            )
        store.upsert_deals(generate(count, seed), observed_at=T0)
        rng = random.Random(seed + 1)
        later = (moved_on(d, rng) for d in generate(count, seed) if rng.random() < 0.2)
        store.upsert_deals(later, observed_at=T0 + timedelta(days=10))
        for name, _ in CONNECTIONS:
            ids = sorted(i for i in store.deal_ids(name) if int(i.removeprefix("006")) % 100 == 7)
            store.mark_deleted(name, ids, at=T0 + timedelta(days=11))
    print(f"  filled {count:,} deals in {time.perf_counter() - start:.0f} s ({path.stat().st_size / 1e6:.0f} MB)")


def child(url: str, mode: str, out: Path, dedupe: str = "auto") -> dict[str, object]:
    command = [sys.executable, "-c", CHILD, url, NOW.isoformat(), mode, str(out), dedupe]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"audit child failed:\n{done.stderr}")
    figures: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deals", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()) / "dealsync-bench-audit")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--reports", action="store_true", help="also time writing the JSON and HTML reports")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of the audit (this process only)")
    parser.add_argument(
        "--dedupe", choices=("auto", "parallel", "inprocess"), default="auto", help="where dedupe runs (run_audit)"
    )
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    print(
        f"machine: {platform.machine()} {platform.system()}, {os.cpu_count()} cores, python {platform.python_version()}"
    )
    for count in args.deals:
        pristine = args.dir / f"deals-{count}-{args.seed}.db"
        if not pristine.exists():
            fill(pristine, count, args.seed)
        path = args.dir / f"audit-{count}.db"  # each run starts from the same store: no earlier run's flags
        shutil.copyfile(pristine, path)
        url = f"sqlite:///{path}"
        read = child(url, "read", args.dir / "report")
        mode = "profile" if args.profile else ("reports" if args.reports else "audit")
        audit = child(url, mode, args.dir / f"report-{count}", args.dedupe)
        print(f"\n{count:,} deals generated ({read['deals']:,} live, {read['history_rows']:,} history rows)")
        print(f"  bare iter_deals {read['iter_deals_s']:.1f} s, iter_history {read['iter_history_s']:.1f} s")
        steps = audit["steps"]
        assert isinstance(steps, dict)
        print(f"  run_audit {audit['audit_s']:.1f} s: " + ", ".join(f"{k} {v:.1f} s" for k, v in steps.items()))
        print(
            f"  {audit['flags']:,} findings, {audit['clusters']:,} clusters; peak RSS {audit['peak_rss_mb']:.0f} MB"
            f" (dedupe child process: {audit['dedupe_child_peak_rss_mb']:.0f} MB;"
            f" both together, sampled: {audit['combined_peak_rss_mb']:.0f} MB)"
        )
        for name in ("json", "html"):
            if f"{name}_report_s" in audit:
                print(f"  {name} report {audit[f'{name}_report_s']:.1f} s")
        if "profile" in audit:
            print(audit["profile"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
