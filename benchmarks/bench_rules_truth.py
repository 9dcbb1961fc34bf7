"""Quality rules scored against the emulator's ground truth: precision and recall per rule and per family.

    python benchmarks/bench_rules_truth.py [--deals 10000 100000] [--seed 42] [--as-of 2026-01-31] [--json PATH]

For each size, seeds the emulator's data in memory (``deals`` records per CRM), converts both CRMs' live records
to canonical ``Deal`` values and ``HistoryPoint`` lists (Salesforce ``OpportunityHistory`` rows; HubSpot property
history of ``dealstage``, ``amount`` and ``closedate``), links deals by the ground truth's duplicate clusters (so
the scores do not depend on dedupe quality), runs every rule with the default thresholds and ``now`` = ``as_of``
00:00 UTC, and compares the findings with ``GroundTruth.flags``.

Rules the seed does not plant (``mis_valued.probability_inconsistent``, ``stale.closed_elsewhere``,
``consistency.closed_without_close_date``) have no truth to score against: their firings are counted apart and
left out of the family figures. Also times the health score and the pipeline metrics over the same deals.
"""

from __future__ import annotations

import argparse
import gc
import json
import platform
import resource
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from dealsync.canonical import Deal, DealRef, StageInfo, StageMapper, Status
from dealsync.canonical.parsing import parse_amount, parse_date, parse_timestamp
from dealsync.emulator.seed import PLANTED_RULES, SeedSettings, generate
from dealsync.emulator.state import EmulatorState, HubSpotPortal, SalesforceOrg
from dealsync.quality.health import score
from dealsync.quality.metrics import compute_metrics
from dealsync.quality.model import FxTable, HistoryPoint
from dealsync.quality.rules import RULE_IDS, OutlierStats, RuleContext, evaluate, family

History = dict[DealRef, list[HistoryPoint]]


# ---- the emulator's records as canonical deals --------------------------------------------------------------
def _sf_stages(org: SalesforceOrg) -> dict[str, StageInfo]:
    stages: dict[str, StageInfo] = {}
    for row in org.tables["OpportunityStage"].values():
        stages[row["ApiName"]] = StageInfo(
            id=row["ApiName"],
            label=row["MasterLabel"],
            is_closed=row["IsClosed"],
            is_won=row["IsWon"],
            probability=Decimal(str(row["DefaultProbability"])) / 100,
            display_order=row["SortOrder"],
        )
    return stages


def salesforce_deals(org: SalesforceOrg, connection: str = "salesforce") -> tuple[list[Deal], History]:
    stages, mapper = _sf_stages(org), StageMapper(connection, "salesforce")
    rows_by_opp: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in org.tables["OpportunityHistory"].values():
        if not row["IsDeleted"]:
            rows_by_opp[row["OpportunityId"]].append(row)
    accounts = org.tables["Account"]
    deals: list[Deal] = []
    history: History = {}
    for opp in org.tables["Opportunity"].values():
        if opp["IsDeleted"]:
            continue
        ref = DealRef(connection=connection, id=opp["Id"])
        currency = opp.get("CurrencyIsoCode") or org.corporate_currency
        points, last_open = _sf_points(rows_by_opp.get(opp["Id"], []), stages, mapper, currency)
        history[ref] = points
        info = stages[opp["StageName"]]
        resolved = mapper.resolve(info, last_open)
        account = accounts.get(opp["AccountId"] or "")
        deals.append(
            Deal(
                ref=ref,
                name=opp["Name"],
                account_name=None if account is None else account["Name"],
                amount=parse_amount(opp["Amount"]),
                currency=currency,
                stage=resolved.stage,
                status=resolved.status,
                crm_stage_id=opp["StageName"],
                crm_stage_label=info.label,
                probability=Decimal(str(opp["Probability"])) / 100,
                close_date=opp["CloseDate"],
                owner=opp["OwnerId"],
                created_at=opp["CreatedDate"],
                modified_at=opp["SystemModstamp"],
                last_activity_at=_midnight(opp["LastActivityDate"]),
            )
        )
    return deals, history


def _sf_points(
    rows: list[dict[str, Any]], stages: Mapping[str, StageInfo], mapper: StageMapper, currency: str
) -> tuple[list[HistoryPoint], Any]:
    points: list[HistoryPoint] = []
    last_open = None
    for row in sorted(rows, key=lambda r: r["CreatedDate"]):
        resolved = mapper.resolve(stages[row["StageName"]], last_open)
        if resolved.status is Status.OPEN and resolved.stage is not None:
            last_open = resolved.stage
        points.append(
            HistoryPoint(
                changed_at=row["CreatedDate"],
                stage=resolved.stage,
                crm_stage_id=row["StageName"],
                amount=parse_amount(row["Amount"]),
                currency=currency,
                close_date=row["CloseDate"],
                status=resolved.status,
            )
        )
    return points, last_open


def _midnight(day: date | None) -> datetime | None:
    return None if day is None else datetime(day.year, day.month, day.day, tzinfo=UTC)


def _hs_stages(portal: HubSpotPortal) -> dict[str, StageInfo]:
    stages: dict[str, StageInfo] = {}
    for pipeline in portal.pipelines:
        for s in pipeline["stages"]:
            closed = s["metadata"]["isClosed"] == "true"
            probability = Decimal(s["metadata"]["probability"])
            stages[s["id"]] = StageInfo(
                id=s["id"],
                label=s["label"],
                pipeline=pipeline["id"],
                is_closed=closed,
                is_won=closed and probability == 1,
                probability=probability,
                display_order=s["displayOrder"],
            )
    return stages


def hubspot_deals(portal: HubSpotPortal, connection: str = "hubspot") -> tuple[list[Deal], History]:
    stages, mapper = _hs_stages(portal), StageMapper(connection, "hubspot")
    deals: list[Deal] = []
    history: History = {}
    for obj in portal.deals.values():
        if obj.archived:
            continue
        props = obj.properties
        ref = DealRef(connection=connection, id=obj.id)
        currency = props.get("deal_currency_code") or portal.home_currency
        points, last_open = _hs_points(obj.history, stages, mapper, currency)
        history[ref] = points
        info = stages[props["dealstage"] or ""]
        resolved = mapper.resolve(info, last_open)
        companies = portal.deal_companies.get(obj.id) or []
        company = portal.companies.get(companies[0]) if companies else None
        probability = props.get("hs_deal_stage_probability")
        deals.append(
            Deal(
                ref=ref,
                name=props["dealname"] or "",
                account_name=None if company is None else company.properties.get("name"),
                amount=parse_amount(props.get("amount")),
                currency=currency,
                stage=resolved.stage,
                status=resolved.status,
                crm_stage_id=info.id,
                crm_stage_label=info.label,
                pipeline=props.get("pipeline"),
                probability=None if probability is None else Decimal(probability),
                close_date=parse_date(props.get("closedate")),
                owner=props.get("hubspot_owner_id"),
                created_at=obj.created_at,
                modified_at=obj.updated_at,
                last_activity_at=parse_timestamp(props.get("notes_last_updated")),
            )
        )
    return deals, history


_HS_TRACKED = ("dealstage", "amount", "closedate")


def _hs_points(
    versions: Mapping[str, list[dict[str, str]]], stages: Mapping[str, StageInfo], mapper: StageMapper, currency: str
) -> tuple[list[HistoryPoint], Any]:
    """Property histories (newest first each) merged into one snapshot per distinct timestamp, oldest first."""
    events = sorted(
        (parse_timestamp(v["timestamp"]), name, v["value"]) for name in _HS_TRACKED for v in versions.get(name, [])
    )
    state: dict[str, str] = {}
    points: list[HistoryPoint] = []
    last_open = None
    for i, (at, name, value) in enumerate(events):
        state[name] = value
        if at is None or (i + 1 < len(events) and events[i + 1][0] == at) or "dealstage" not in state:
            continue
        resolved = mapper.resolve(stages[state["dealstage"]], last_open)
        if resolved.status is Status.OPEN and resolved.stage is not None:
            last_open = resolved.stage
        points.append(
            HistoryPoint(
                changed_at=at,
                stage=resolved.stage,
                crm_stage_id=state["dealstage"],
                amount=parse_amount(state.get("amount")),
                currency=currency,
                close_date=parse_date(state.get("closedate")),
                status=resolved.status,
            )
        )
    return points, last_open


def fx_table(org: SalesforceOrg) -> FxTable:
    """Salesforce ``CurrencyType``: ConversionRate is units per corporate unit; FxTable wants the inverse."""
    rates = {
        row["IsoCode"]: Decimal(1) / Decimal(str(row["ConversionRate"]))
        for row in org.tables["CurrencyType"].values()
        if row["ConversionRate"]
    }
    return FxTable(base=org.corporate_currency, rates=rates)


def stage_probabilities(state: EmulatorState) -> dict[str, dict[str, Decimal]]:
    sf = {sid: info.probability for sid, info in _sf_stages(state.salesforce).items() if info.probability is not None}
    hs = {sid: info.probability for sid, info in _hs_stages(state.hubspot).items() if info.probability is not None}
    return {"salesforce": sf, "hubspot": hs}


def linked_deals(clusters: Iterable[list[dict[str, str]]], deals: Mapping[DealRef, Deal]) -> dict[DealRef, list[Deal]]:
    linked: dict[DealRef, list[Deal]] = {}
    for members in clusters:
        refs = [DealRef(connection=m["system"], id=m["id"]) for m in members]
        present = [deals[r] for r in refs if r in deals]
        for deal in present:
            linked[deal.ref] = [other for other in present if other.ref != deal.ref]
    return linked


# ---- scoring ------------------------------------------------------------------------------------------------
@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    fp_examples: list[str] = field(default_factory=list)
    fn_examples: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float | None:
        return None if self.tp + self.fp == 0 else self.tp / (self.tp + self.fp)

    @property
    def recall(self) -> float | None:
        return None if self.tp + self.fn == 0 else self.tp / (self.tp + self.fn)


def score_findings(found: set[tuple[str, str, str]], truth: set[tuple[str, str, str]]) -> dict[str, Score]:
    scores: dict[str, Score] = {rule: Score() for rule in PLANTED_RULES}
    for key in found | truth:
        rule = key[2]
        if rule not in scores:
            continue
        s = scores[rule]
        if key in found and key in truth:
            s.tp += 1
        elif key in found:
            s.fp += 1
            if len(s.fp_examples) < 3:
                s.fp_examples.append(f"{key[0]}:{key[1]}")
        else:
            s.fn += 1
            if len(s.fn_examples) < 3:
                s.fn_examples.append(f"{key[0]}:{key[1]}")
    families: dict[str, Score] = defaultdict(Score)
    for rule, s in list(scores.items()):
        f = families["family " + family(rule)]
        f.tp, f.fp, f.fn = f.tp + s.tp, f.fp + s.fp, f.fn + s.fn
    all_ = Score(*(sum(getattr(s, a) for s in scores.values()) for a in ("tp", "fp", "fn")))
    return {**scores, **dict(sorted(families.items())), "all planted rules": all_}


def outlier_margins(deals: list[Deal], ctx: RuleContext, planted: set[tuple[str, str]]) -> dict[str, float]:
    """The smallest |robust z| of a planted outlier and the largest of any other deal: the rule's margin."""
    if ctx.outlier_stats is None:
        return {}
    z_planted: list[float] = []
    z_other: list[float] = []
    for deal in deals:
        placed = ctx.outlier_stats.place(deal, ctx.fx, ctx.thresholds.outlier_min_group)
        if placed is not None:
            key = (deal.ref.connection, deal.ref.id)
            (z_planted if key in planted else z_other).append(abs(placed.z))
    return {"planted_min": round(min(z_planted, default=0), 2), "others_max": round(max(z_other, default=0), 2)}


class Timer:
    """Wall and CPU seconds per step (the CPU figure is what to compare on a shared machine)."""

    def __init__(self) -> None:
        self.wall: dict[str, float] = {}
        self.cpu: dict[str, float] = {}

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        wall, cpu = time.perf_counter(), time.process_time()
        yield
        self.wall[name] = round(time.perf_counter() - wall, 2)
        self.cpu[name] = round(time.process_time() - cpu, 2)


def run(size: int, seed: int, as_of: date) -> dict[str, Any]:
    timer = Timer()
    with timer.step("seed"):
        state = generate(SeedSettings(deals=size, seed=seed, as_of=as_of))
    with timer.step("convert"):
        sf_deals, sf_history = salesforce_deals(state.salesforce)
        hs_deals, hs_history = hubspot_deals(state.hubspot)
        deals = sf_deals + hs_deals
        history = {**sf_history, **hs_history}
        linked = linked_deals(state.truth.duplicate_clusters, {d.ref: d for d in deals})
        fx = fx_table(state.salesforce)
        probabilities = stage_probabilities(state)
    truth_flags = state.truth.flags
    del state, sf_deals, hs_deals, sf_history, hs_history  # the CRMs' records are not part of an audit
    gc.collect()

    now = datetime(as_of.year, as_of.month, as_of.day, tzinfo=UTC)
    with timer.step("outlier_stats"):
        stats = OutlierStats.build(deals, fx)
    ctx = RuleContext(
        now=now, history=history, fx=fx, linked=linked, outlier_stats=stats, stage_probabilities=probabilities
    )
    with timer.step("rules"):
        findings = [f for deal in deals for f in evaluate(deal, ctx)]
    with timer.step("health"):
        health = [score(deal, ctx) for deal in deals]
    with timer.step("metrics"):
        metrics = compute_metrics(
            deals, history, fx, now=now, revenue_target=Decimal(5_000_000), stage_probabilities=probabilities
        )

    found = {(f.ref.connection, f.ref.id, f.rule) for f in findings}
    truth = {(f["system"], f["id"], f["rule"]) for f in truth_flags}
    margins = outlier_margins(deals, ctx, {(s, i) for s, i, rule in truth if rule == "mis_valued.outlier"})
    scores = score_findings(found, truth)
    unplanted = Counter(f.rule for f in findings if f.rule not in PLANTED_RULES)
    scored = [h.score for h in health if h.score is not None]
    return {
        "deals_per_crm": size,
        "live_deals": len(deals),
        "findings": len(findings),
        "truth_flags": len(truth),
        "wall_s": timer.wall,
        "cpu_s": timer.cpu,
        "rules_deals_per_cpu_s": round(len(deals) / max(timer.cpu["rules"], 0.01)),
        "scores": {
            name: {
                "tp": s.tp,
                "fp": s.fp,
                "fn": s.fn,
                "precision": s.precision,
                "recall": s.recall,
                "fp_examples": s.fp_examples,
                "fn_examples": s.fn_examples,
            }
            for name, s in scores.items()
        },
        "unplanted_rule_findings": {rule: unplanted.get(rule, 0) for rule in RULE_IDS if rule not in PLANTED_RULES},
        "outlier_z": margins,
        "health": {"scored": len(scored), "mean": round(sum(scored) / max(1, len(scored)), 1)},
        "metrics_unified_win_rate": metrics["unified"]["win_rate"],
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def print_report(result: dict[str, Any]) -> None:
    print(
        f"\n== {result['deals_per_crm']:,} deals per CRM: {result['live_deals']:,} live, "
        f"{result['truth_flags']:,} planted flags, {result['findings']:,} findings"
    )
    print(f"{'rule':42} {'precision':>9} {'recall':>7} {'tp':>7} {'fp':>6} {'fn':>6}")
    for name, s in result["scores"].items():
        print(f"{name:42} {_fmt(s['precision']):>9} {_fmt(s['recall']):>7} {s['tp']:>7} {s['fp']:>6} {s['fn']:>6}")
        for kind in ("fp_examples", "fn_examples"):
            if (s[kind] and (s["precision"] or 0) < 0.95) or (s[kind] and (s["recall"] or 0) < 0.95):
                print(f"{'':44}{kind}: {', '.join(s[kind])}")
    print("not planted by the seed (no truth):", result["unplanted_rule_findings"])
    print("wall (s):", result["wall_s"])
    print("cpu (s): ", result["cpu_s"], f"- rules {result['rules_deals_per_cpu_s']:,} deals per CPU second")
    print(
        "outlier |z|: planted min",
        result["outlier_z"].get("planted_min"),
        "others max",
        result["outlier_z"].get("others_max"),
        "(threshold 3.5)",
    )
    print("health:", result["health"], "| peak RSS MB:", result["peak_rss_mb"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--deals", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--as-of", type=date.fromisoformat, default=date(2026, 1, 31))
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)
    print(f"Python {platform.python_version()} on {platform.machine()}, seed {args.seed}, as_of {args.as_of}")
    results = []
    for size in args.deals:
        result = run(size, args.seed, args.as_of)
        print_report(result)
        results.append(result)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
