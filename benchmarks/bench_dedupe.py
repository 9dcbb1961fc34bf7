"""Duplicate detection scored against the emulator's ground truth, side by side with splink.

    python benchmarks/bench_dedupe.py [--deals 10000 100000] [--seed 7] [--splink] [--replicate K]

For each size: seed the emulator's data (``--deals`` records per CRM), convert both CRMs' live records to
canonical ``Deal``s (the converter below mirrors what the connectors produce: Salesforce Opportunity + Account
name + Owner name; HubSpot deal + its associated company's name + owner name; deleted and archived records
skipped), write them to a JSON-lines file and run ``find_clusters`` in two child processes: one times it over
deals already parsed into a list, the other streams the deals in from the file and reports its peak RSS (the
whole process: interpreter and imports are about 40 MiB). The clusters are scored pairwise against
``GroundTruth.duplicate_clusters``: precision, recall and F1 over the pairs of records that share a cluster.

``--splink`` also runs splink 5 (DuckDB backend, unsupervised: u by random sampling, m by EM over two
blocking rules) on the same deals with comparable blocking rules and comparisons, scored the same way.
splink is an optional, benchmark-only dependency (``pip install splink``), imported only here.

``--replicate K`` times dedupe on K copies of the seeded data (each copy's ids and names made distinct), to
measure scale beyond what the seed can generate quickly, e.g. ``--deals 100000 --replicate 5`` = 1,000,000 deals.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from dealsync.canonical import Deal, DealRef, StageInfo, StageMapper
from dealsync.canonical.parsing import parse_amount, parse_date, parse_timestamp
from dealsync.emulator.seed import SeedSettings, generate
from dealsync.emulator.state import EmulatorState
from dealsync.quality.model import FxTable

Pair = tuple[tuple[str, str], tuple[str, str]]
SF, HS = "salesforce", "hubspot"  # connection names = the ground truth's system names


# ---- emulator records -> canonical deals ---------------------------------------------------------------------
def salesforce_deals(state: EmulatorState) -> Iterator[Deal]:
    org = state.salesforce
    accounts = {aid: row["Name"] for aid, row in org.table("Account").items()}
    users = {uid: row["Name"] for uid, row in org.table("User").items()}
    stages = {
        row["ApiName"]: StageInfo(
            id=row["ApiName"], label=row["MasterLabel"], is_closed=row["IsClosed"], is_won=row["IsWon"]
        )
        for row in org.table("OpportunityStage").values()
    }
    mapper = StageMapper(SF, "salesforce")
    for row in org.table("Opportunity").values():
        if row["IsDeleted"]:
            continue
        resolution = mapper.resolve(stages[row["StageName"]])
        yield Deal(
            ref=DealRef(connection=SF, id=row["Id"]),
            name=row["Name"],
            account_name=accounts.get(row["AccountId"]),
            amount=parse_amount(row["Amount"]),
            currency=row.get("CurrencyIsoCode") or org.corporate_currency,
            stage=resolution.stage,
            status=resolution.status,
            crm_stage_id=row["StageName"],
            close_date=row["CloseDate"],
            owner=users.get(row["OwnerId"]),
            created_at=row["CreatedDate"],
            modified_at=row["SystemModstamp"],
        )


def hubspot_deals(state: EmulatorState) -> Iterator[Deal]:
    portal = state.hubspot
    zone = ZoneInfo(portal.time_zone)
    companies = {cid: c.properties.get("name") for cid, c in portal.companies.items()}
    owners = {oid: f"{o['firstName']} {o['lastName']}" for oid, o in portal.owners.items()}
    stages: dict[str, StageInfo] = {}
    for pipeline in portal.pipelines:
        for s in pipeline["stages"]:
            closed = s["metadata"].get("isClosed") == "true"
            won = closed and s["metadata"].get("probability") == "1.0"
            stages[s["id"]] = StageInfo(
                id=s["id"], label=s["label"], pipeline=pipeline["id"], is_closed=closed, is_won=won
            )
    mapper = StageMapper(HS, "hubspot")
    for deal in portal.deals.values():
        if deal.archived:
            continue
        props = deal.properties
        resolution = mapper.resolve(stages[props["dealstage"] or ""])
        company = next(iter(portal.deal_companies.get(deal.id, ())), None)
        yield Deal(
            ref=DealRef(connection=HS, id=deal.id),
            name=props["dealname"] or "",
            account_name=companies.get(company) if company else None,
            amount=parse_amount(props["amount"]),
            currency=props["deal_currency_code"] or portal.home_currency,
            stage=resolution.stage,
            status=resolution.status,
            crm_stage_id=props["dealstage"] or "",
            pipeline=props["pipeline"],
            close_date=parse_date(props["closedate"], zone),
            owner=owners.get(props["hubspot_owner_id"] or ""),
            created_at=parse_timestamp(props["createdate"]) or deal.created_at,
            modified_at=parse_timestamp(props["hs_lastmodifieddate"]) or deal.updated_at,
        )


def fx_table(state: EmulatorState) -> FxTable:
    """Salesforce's CurrencyType rates (units per corporate-currency unit), inverted to FxTable's direction."""
    org = state.salesforce
    rates = {row["IsoCode"]: 1 / Decimal(str(row["ConversionRate"])) for row in org.table("CurrencyType").values()}
    return FxTable(base=org.corporate_currency, rates=rates)


def truth_clusters(state: EmulatorState) -> list[list[tuple[str, str]]]:
    return [[(m["system"], m["id"]) for m in cluster] for cluster in state.truth.duplicate_clusters]


# ---- pairwise scoring ------------------------------------------------------------------------------------
def cluster_pairs(clusters: Iterable[Iterable[Iterable[str]]]) -> set[Pair]:
    """Every pair of records that share a cluster (members as (system, id), lists from JSON accepted)."""
    pairs: set[Pair] = set()
    for cluster in clusters:
        members = sorted({(a, b) for a, b in cluster})
        pairs.update(itertools.combinations(members, 2))
    return pairs


def pairwise_scores(
    found: Iterable[Iterable[tuple[str, str]]], truth: Iterable[Iterable[tuple[str, str]]]
) -> dict[str, float]:
    """Precision, recall and F1 over the pairs of records put in one cluster (found) vs. in one real deal (truth)."""
    got, want = cluster_pairs(found), cluster_pairs(truth)
    hits = len(got & want)
    precision = hits / len(got) if got else 1.0
    recall = hits / len(want) if want else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "found_pairs": len(got), "true_pairs": len(want)}


# ---- data files shared with the child processes ------------------------------------------------------------
_ROT = {
    k: str.maketrans(
        {
            **{chr(97 + i): chr(97 + (i + k) % 26) for i in range(26)},
            **{chr(65 + i): chr(65 + (i + k) % 26) for i in range(26)},
        }
    )
    for k in range(1, 26)
}


def replica(deal: Deal, copy: int) -> Deal:
    """Copy ``copy`` of a deal as another company's: ids suffixed, letters of names shifted (rot-k), so copies
    never match each other while each copy keeps the seed's drift between its own duplicates."""
    if copy == 0:
        return deal
    table = _ROT[copy % 25 + 1]
    account = None if deal.account_name is None else f"{deal.account_name.translate(table)} {copy // 25 or ''}".strip()
    return deal.model_copy(
        update={
            "ref": DealRef(connection=deal.ref.connection, id=f"{deal.ref.id}~{copy}"),
            "name": f"{deal.name.translate(table)} {copy // 25 or ''}".strip(),
            "account_name": account,
        }
    )


def write_deals(path: Path, deals: list[Deal], copies: int) -> int:
    count = 0
    with path.open("w") as out:
        for copy in range(copies):
            for deal in deals:
                out.write(replica(deal, copy).model_dump_json(exclude={"raw"}) + "\n")
                count += 1
    return count


def replicated_truth(truth: list[list[tuple[str, str]]], copies: int) -> list[list[tuple[str, str]]]:
    return [[(s, i if k == 0 else f"{i}~{k}") for s, i in cluster] for k in range(copies) for cluster in truth]


def read_deals(path: Path) -> Iterator[Deal]:
    with path.open() as lines:
        for line in lines:
            yield Deal.model_validate_json(line)


def peak_rss_mib() -> float:
    """This process's peak RSS since it started its program. ``ru_maxrss`` would do, but Linux carries it over
    from the forked parent (who holds the seeded data) across exec; ``VmHWM`` belongs to the new program."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


# ---- the runs (each in a child process) ----------------------------------------------------------------------
def run_dealsync(path: Path, fx: FxTable, streamed: bool) -> dict[str, Any]:
    """``find_clusters`` over the file's deals: all parsed first (time), or streamed in (peak memory)."""
    from dealsync.quality.dedupe import find_clusters

    baseline = peak_rss_mib()
    deals: Iterable[Deal] = read_deals(path) if streamed else list(read_deals(path))
    before = peak_rss_mib()
    start = time.perf_counter()
    clusters = find_clusters(deals, fx)
    seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "peak_rss_mib": peak_rss_mib(),
        "rss_before_mib": before,
        "rss_after_imports_mib": baseline,
        "clusters": [[(m.connection, m.id) for m in c.members] for c in clusters],
    }


def splink_rows(deals: Iterable[Deal], fx: FxTable) -> dict[str, list[Any]]:
    """The deals as splink input columns: the same normalised names, blocking keys and USD amounts dealsync uses,
    so the comparison is of the matching, not of the data cleaning."""
    from dealsync.quality.dedupe.normalize import company_name
    from dealsync.quality.dedupe.records import name_key, without_years

    columns: dict[str, list[Any]] = {
        k: []
        for k in (
            "unique_id",
            "deal_name",
            "name_key",
            "name_prefix_key",
            "name_suffix_key",
            "account",
            "amount_usd",
            "close_date",
            "owner",
            "stage",
        )
    }
    for deal in deals:
        full = name_key(deal.name)
        block = without_years(full)
        words = block.split()
        columns["unique_id"].append(f"{deal.ref.connection}|{deal.ref.id}")
        columns["deal_name"].append(full or None)
        columns["name_key"].append(block or None)
        columns["name_prefix_key"].append(" ".join(w[:3] for w in words) if len(words) > 1 else None)
        columns["name_suffix_key"].append(" ".join(sorted(w[-3:] for w in words)) if len(words) > 1 else None)
        columns["account"].append(company_name(deal.account_name) or None)
        usd = fx.convert(deal.amount, deal.currency)
        columns["amount_usd"].append(None if usd is None else float(usd))
        columns["close_date"].append(deal.close_date)
        columns["owner"].append(deal.owner)
        columns["stage"].append(None if deal.stage is None else deal.stage.value)
    return columns


def splink_settings() -> Any:
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on

    amount = cl.CustomComparison(
        [
            cll.NullLevel("amount_usd"),
            cll.PercentageDifferenceLevel("amount_usd", 0.005),
            cll.PercentageDifferenceLevel("amount_usd", 0.02),
            cll.PercentageDifferenceLevel("amount_usd", 0.1),
            cll.PercentageDifferenceLevel("amount_usd", 0.5),
            cll.ElseLevel(),
        ],
        output_column_name="amount_usd",
    )
    return SettingsCreator(
        link_type="dedupe_only",
        blocking_rules_to_generate_predictions=[
            block_on("account"),
            block_on("name_key"),
            block_on("name_prefix_key"),
            block_on("name_suffix_key"),
        ],
        comparisons=[
            cl.LevenshteinAtThresholds("deal_name", [1, 2, 4]),
            cl.JaroWinklerAtThresholds("account", [0.95, 0.88]),
            amount,
            cl.AbsoluteDateDifferenceAtThresholds(
                "close_date", input_is_string=False, metrics=["day", "day", "day"], thresholds=[7, 31, 182]
            ),
            cl.ExactMatch("owner"),
            cl.ExactMatch("stage"),
        ],
        retain_intermediate_calculation_columns=False,
    )


def run_splink(path: Path, fx: FxTable, threshold: float) -> dict[str, Any]:
    """splink 5 with DuckDB, unsupervised, as its tutorials train it: lambda from a deterministic rule, u by
    random sampling (splink's default 1e6 pairs), m by EM over two blocking rules; then predict and connected
    components at ``threshold``. Timed from the parsed deals: our normalisation of its input columns included."""
    import logging

    from splink import DuckDBAPI, Linker, block_on

    deals = list(read_deals(path))  # parsed before the clock starts, as for find_clusters
    start = time.perf_counter()
    db_api = DuckDBAPI()
    table = db_api.register(splink_rows(deals, fx))
    del deals
    linker = Linker(table, splink_settings(), log_level=logging.WARNING)
    linker.training.estimate_probability_two_random_records_match(
        ["l.name_key = r.name_key and l.account = r.account"], recall=0.7
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=1)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("account"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("close_date", "owner"))
    predictions = linker.inference.predict(threshold_match_probability=threshold)
    clustered = linker.clustering.cluster_pairwise_predictions_at_threshold(predictions, threshold)
    groups: dict[str, list[tuple[str, str]]] = {}
    for row in clustered.as_record_list():
        connection, _, deal_id = row["unique_id"].partition("|")
        groups.setdefault(row["cluster_id"], []).append((connection, deal_id))
    return {
        "seconds": time.perf_counter() - start,
        "peak_rss_mib": peak_rss_mib(),
        "clusters": [members for members in groups.values() if len(members) > 1],
    }


def child(args: argparse.Namespace) -> int:
    fx = FxTable(base=args.fx_base, rates={k: Decimal(v) for k, v in json.loads(args.fx_rates).items()})
    if args.child == "splink":
        result = run_splink(args.deals_file, fx, args.threshold)
    else:
        result = run_dealsync(args.deals_file, fx, streamed=args.child == "stream")
    args.result_file.write_text(json.dumps(result))
    return 0


def in_child(mode: str, deals_file: Path, fx: FxTable, threshold: float) -> dict[str, Any]:
    result_file = deals_file.with_suffix(f".{mode}.json")
    command = [
        sys.executable,
        __file__,
        "--child",
        mode,
        "--deals-file",
        str(deals_file),
        "--result-file",
        str(result_file),
        "--fx-base",
        fx.base,
        "--fx-rates",
        json.dumps({k: str(v) for k, v in fx.rates.items()}),
        "--threshold",
        str(threshold),
    ]
    subprocess.run(command, check=True)
    result: dict[str, Any] = json.loads(result_file.read_text())
    return result


# ---- the benchmark ---------------------------------------------------------------------------------------------
def bench_size(per_crm: int, seed: int, copies: int, with_splink: bool, folder: Path) -> list[dict[str, Any]]:
    start = time.perf_counter()
    state = generate(SeedSettings(deals=per_crm, seed=seed, as_of=date(2026, 1, 15)))
    deals = [*salesforce_deals(state), *hubspot_deals(state)]
    fx, truth = fx_table(state), replicated_truth(truth_clusters(state), copies)
    del state
    deals_file = folder / f"deals_{per_crm}_{copies}.jsonl"
    count = write_deals(deals_file, deals, copies)
    del deals
    print(
        f"seeded {per_crm:,} per CRM x {copies}: {count:,} live deals in {time.perf_counter() - start:.0f} s",
        flush=True,
    )
    rows = []
    timed = in_child("time", deals_file, fx, 0.9)
    streamed = in_child("stream", deals_file, fx, 0.9)
    rows.append(
        {
            "tool": "dealsync find_clusters",
            "deals": count,
            "seconds": timed["seconds"],
            "peak_rss_mib": streamed["peak_rss_mib"],
            "rss_after_imports_mib": streamed["rss_after_imports_mib"],
            **pairwise_scores(timed["clusters"], truth),
        }
    )
    if with_splink:
        result = in_child("splink", deals_file, fx, 0.9)
        rows.append(
            {
                "tool": "splink 5 (duckdb)",
                "deals": count,
                "seconds": result["seconds"],
                "peak_rss_mib": result["peak_rss_mib"],
                **pairwise_scores(result["clusters"], truth),
            }
        )
    deals_file.unlink()
    return rows


def report(rows: list[dict[str, Any]], command: str) -> None:
    print(f"\n{datetime.now(UTC):%Y-%m-%d}, {os.cpu_count()} cores, Python {platform.python_version()}: {command}")
    print("| tool | deals | precision | recall | F1 | time | peak RSS |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['tool']} | {r['deals']:,} | {r['precision']:.4f} | {r['recall']:.4f} | {r['f1']:.4f} | "
            f"{r['seconds']:.1f} s | {r['peak_rss_mib']:,.0f} MiB |"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deals", type=int, nargs="+", default=[10_000, 100_000], help="records per CRM")
    parser.add_argument("--seed", type=int, default=7, help="not a seed the default weights were estimated on")
    parser.add_argument("--replicate", type=int, default=1, help="copies of the seeded data (scale runs)")
    parser.add_argument("--splink", action="store_true", help="also run splink (pip install splink)")
    parser.add_argument("--child", choices=["time", "stream", "splink"], help=argparse.SUPPRESS)
    parser.add_argument("--deals-file", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--result-file", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--fx-base", help=argparse.SUPPRESS)
    parser.add_argument("--fx-rates", help=argparse.SUPPRESS)
    parser.add_argument("--threshold", type=float, default=0.9, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args)
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as folder:
        for per_crm in args.deals:
            rows += bench_size(per_crm, args.seed, args.replicate, args.splink, Path(folder))
    report(rows, "python " + " ".join(sys.argv))
    return 0


if __name__ == "__main__":
    sys.exit(main())
