"""The emulator seed: deterministic, realistic, and its ground truth matches the data it generated."""

from __future__ import annotations

import json
import random
import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from typing import Any

import pytest

from dealsync.emulator.seed import PLANTED_RULES, SeedSettings, generate
from dealsync.emulator.seed_names import _slow_sf_id, sf_checksum, sf_id
from dealsync.emulator.state import EmulatorState

AS_OF = date(2025, 6, 15)

SF_CANON = {
    "Prospecting": 1,
    "Qualification": 2,
    "Needs Analysis": 3,
    "Value Proposition": 3,
    "Id. Decision Makers": 3,
    "Perception Analysis": 4,
    "Proposal/Price Quote": 4,
    "Negotiation/Review": 5,
    "Closed Won": 6,
    "Closed Lost": 7,
}
HS_CANON = {
    "appointmentscheduled": 2,
    "qualifiedtobuy": 3,
    "presentationscheduled": 4,
    "decisionmakerboughtin": 5,
    "contractsent": 5,
    "closedwon": 6,
    "closedlost": 7,
}
SF_DEFAULT_STAGES = [
    ("Prospecting", 10.0, False, False, "Pipeline"),
    ("Qualification", 10.0, False, False, "Pipeline"),
    ("Needs Analysis", 20.0, False, False, "Pipeline"),
    ("Value Proposition", 50.0, False, False, "Pipeline"),
    ("Id. Decision Makers", 60.0, False, False, "Pipeline"),
    ("Perception Analysis", 70.0, False, False, "Pipeline"),
    ("Proposal/Price Quote", 75.0, False, False, "Pipeline"),
    ("Negotiation/Review", 90.0, False, False, "Pipeline"),
    ("Closed Won", 100.0, True, True, "Closed"),
    ("Closed Lost", 0.0, True, False, "Omitted"),
]


@dataclass
class Rec:
    """One deal record reduced to what the planted rules look at."""

    system: str
    id: str
    live: bool
    status: str  # open | won | lost
    canon: int | None  # 1..5 open canonical stage, 6 won, 7 lost, None unmapped
    stage_days: int  # days since the current stage was entered
    activity_days: int | None
    close: date
    pushes: int
    backwards: bool
    amount: float | None
    currency: str
    usd: float | None


def _days(state: EmulatorState, d: date) -> int:
    return (state.truth.as_of - d).days


def _backwards(canons: list[int | None]) -> bool:
    """A move to an earlier open canonical stage (closing a deal is never backwards)."""
    return any(a is not None and b is not None and b < a <= 5 for a, b in pairwise(canons))


def _sf_records(state: EmulatorState) -> list[Rec]:
    org = state.salesforce
    rates = {c["IsoCode"]: c["ConversionRate"] for c in org.tables["CurrencyType"].values()}
    stages = {s["ApiName"]: s for s in org.tables["OpportunityStage"].values()}
    history: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in org.tables["OpportunityHistory"].values():
        history[row["OpportunityId"]].append(row)
    out = []
    for o in org.tables["Opportunity"].values():
        rows = history[o["Id"]]
        entered = rows[0]["CreatedDate"]
        for prev, row in pairwise(rows):
            if row["StageName"] != prev["StageName"]:
                entered = row["CreatedDate"]
        pushes = sum(1 for a, b in pairwise(rows) if b["CloseDate"] > a["CloseDate"])
        back = _backwards([SF_CANON.get(r["StageName"]) for r in rows])
        stage = stages[o["StageName"]]
        status = "won" if stage["IsWon"] else "lost" if stage["IsClosed"] else "open"
        amount = o["Amount"]
        activity = o["LastActivityDate"]
        out.append(
            Rec(
                "salesforce",
                o["Id"],
                not o["IsDeleted"],
                status,
                SF_CANON.get(o["StageName"]),
                _days(state, entered.date()),
                None if activity is None else _days(state, activity),
                o["CloseDate"],
                pushes,
                back,
                amount,
                o["CurrencyIsoCode"],
                None if amount is None else amount / rates[o["CurrencyIsoCode"]],
            )
        )
    return out


def _hs_records(state: EmulatorState) -> list[Rec]:
    portal = state.hubspot
    meta = {s["id"]: s["metadata"] for p in portal.pipelines for s in p["stages"]}
    out = []
    for d in portal.deals.values():
        p = d.properties
        stage = p["dealstage"] or ""
        closed = meta[stage]["isClosed"] == "true"
        status = ("won" if meta[stage]["probability"] == "1.0" else "lost") if closed else "open"
        versions = list(reversed(d.history["dealstage"]))
        closes = [v["value"][:10] for v in reversed(d.history["closedate"])]
        pushes = sum(1 for a, b in pairwise(closes) if b > a)
        back = _backwards([HS_CANON.get(v["value"]) for v in versions])
        raw = p["amount"]
        amount = None if raw in (None, "") else float(raw)
        currency = p["deal_currency_code"] or portal.home_currency
        rate = 1.0 if currency == portal.home_currency else portal.exchange_rates[currency]
        activity = p["notes_last_updated"]
        canon = HS_CANON.get(stage) if p["pipeline"] == "default" else None
        out.append(
            Rec(
                "hubspot",
                d.id,
                not d.archived,
                status,
                canon,
                _days(state, date.fromisoformat(versions[-1]["timestamp"][:10])),
                None if activity is None else _days(state, date.fromisoformat(activity[:10])),
                date.fromisoformat((p["closedate"] or "")[:10]),
                pushes,
                back,
                amount,
                currency,
                None if amount is None else amount * rate,
            )
        )
    return out


def _dump(state: EmulatorState) -> str:
    hs = state.hubspot
    data = {
        "sf": state.salesforce.tables,
        "hs": {
            "deals": {
                k: [v.properties, v.created_at, v.updated_at, v.archived, v.archived_at, v.history]
                for k, v in hs.deals.items()
            },
            "companies": {k: [v.properties, v.created_at, v.updated_at] for k, v in hs.companies.items()},
            "assoc": hs.deal_companies,
            "owners": hs.owners,
            "pipelines": hs.pipelines,
            "props": hs.deal_properties,
            "rates": hs.exchange_rates,
            "next": hs.next_id,
        },
        "truth": state.truth.to_json(),
    }
    return json.dumps(data, default=str, sort_keys=True)


@pytest.fixture(scope="module")
def state() -> EmulatorState:
    return generate(SeedSettings(deals=2000, seed=42, as_of=AS_OF))


@pytest.fixture(scope="module")
def records(state: EmulatorState) -> dict[tuple[str, str], Rec]:
    return _records(state)


def test_same_seed_and_as_of_give_identical_data(state: EmulatorState) -> None:
    again = generate(SeedSettings(deals=2000, seed=42, as_of=AS_OF))
    assert _dump(again) == _dump(state)


def test_another_seed_or_day_gives_other_data(state: EmulatorState) -> None:
    assert _dump(generate(SeedSettings(deals=2000, seed=43, as_of=AS_OF))) != _dump(state)
    assert _dump(generate(SeedSettings(deals=2000, seed=42, as_of=AS_OF + timedelta(days=1)))) != _dump(state)


@pytest.mark.parametrize("deals", [0, 1, 7, 50, 333])
def test_each_crm_gets_exactly_the_requested_number_of_deals(deals: int) -> None:
    s = generate(SeedSettings(deals=deals, seed=1, as_of=AS_OF))
    assert len(s.salesforce.tables.get("Opportunity", {})) == deals
    assert len(s.hubspot.deals) == deals


def test_proportions(state: EmulatorState, records: dict[tuple[str, str], Rec]) -> None:
    for system in ("salesforce", "hubspot"):
        recs = [r for r in records.values() if r.system == system]
        assert len(recs) == 2000
        assert 0.01 <= sum(not r.live for r in recs) / len(recs) <= 0.06
        assert 0.4 <= sum(r.status == "open" for r in recs) / len(recs) <= 0.8
    cross = [c for c in state.truth.duplicate_clusters if len({m["system"] for m in c}) == 2]
    within = [c for c in state.truth.duplicate_clusters if len(c) > len({m["system"] for m in c})]
    assert 0.24 * 2000 <= len(cross) <= 0.3 * 2000
    assert len(within) >= 0.03 * 2000
    assert (
        {f["rule"] for f in state.truth.flags}
        == set(PLANTED_RULES)
        == {
            "stale.no_activity",
            "stale.stage_too_long",
            "stale.close_date_past",
            "stale.close_date_pushed",
            "mis_valued.missing_amount",
            "mis_valued.zero_amount",
            "mis_valued.negative_amount",
            "mis_valued.outlier",
            "mis_valued.linked_amount_mismatch",
            "consistency.currency_mismatch",
            "consistency.won_future_close",
            "consistency.stage_backwards",
            "unmapped_stage",
        }
    )
    assert all(
        f["rule"].split(".")[0] in ("stale", "mis_valued", "consistency", "unmapped_stage") for f in state.truth.flags
    )


def _records(state: EmulatorState) -> dict[tuple[str, str], Rec]:
    return {(r.system, r.id): r for r in _sf_records(state) + _hs_records(state)}


def test_clusters_are_live_existing_and_disjoint(state: EmulatorState, records: dict[tuple[str, str], Rec]) -> None:
    _check_clusters(state, records)


def _check_clusters(state: EmulatorState, records: dict[tuple[str, str], Rec]) -> None:
    seen: set[tuple[str, str]] = set()
    for cluster in state.truth.duplicate_clusters:
        assert len(cluster) >= 2
        for m in cluster:
            key = (m["system"], m["id"])
            assert key in records
            assert records[key].live
            assert key not in seen
            seen.add(key)


def _medians(records: dict[tuple[str, str], Rec]) -> dict[str, float]:
    out = {}
    for system in ("salesforce", "hubspot"):
        out[system] = statistics.median(
            r.usd for r in records.values() if r.system == system and r.live and r.usd is not None and r.usd > 0
        )
    return out


def _partners(state: EmulatorState, records: dict[tuple[str, str], Rec]) -> dict[tuple[str, str], list[Rec]]:
    out: dict[tuple[str, str], list[Rec]] = {}
    for cluster in state.truth.duplicate_clusters:
        for m in cluster:
            out[(m["system"], m["id"])] = [records[(o["system"], o["id"])] for o in cluster if o != m]
    return out


def test_every_flag_holds_in_the_data(state: EmulatorState, records: dict[tuple[str, str], Rec]) -> None:
    _check_flags(state, records)


def _check_flags(state: EmulatorState, records: dict[tuple[str, str], Rec]) -> None:
    as_of = state.truth.as_of
    medians, partners = _medians(records), _partners(state, records)
    for flag in state.truth.flags:
        r = records[(flag["system"], flag["id"])]
        assert r.live, flag
        assert flag["detail"], flag
        rule = flag["rule"]
        others = [o for o in partners.get((r.system, r.id), []) if o.system != r.system and o.usd is not None]
        ok = {
            "stale.no_activity": r.status == "open" and r.activity_days is not None and r.activity_days > 30,
            "stale.stage_too_long": r.status == "open" and r.canon in (3, 4, 5) and r.stage_days > 30,
            "stale.close_date_past": r.status == "open" and r.close < as_of,
            "stale.close_date_pushed": r.pushes >= 3,
            "mis_valued.missing_amount": r.amount is None and (r.canon or 0) >= 4,
            "mis_valued.zero_amount": r.amount == 0,
            "mis_valued.negative_amount": r.amount is not None and r.amount < 0,
            "mis_valued.outlier": r.usd is not None and r.usd >= 10 * medians[r.system],
            "mis_valued.linked_amount_mismatch": r.usd is not None
            and any(abs(r.usd - (o.usd or 0)) / max(r.usd, o.usd or 0) > 0.1 for o in others),
            "consistency.currency_mismatch": r.usd is not None
            and any(o.currency != r.currency and abs(r.usd - (o.usd or 0)) / r.usd < 0.01 for o in others),
            "consistency.won_future_close": r.status == "won" and r.close > as_of,
            "consistency.stage_backwards": r.backwards,
            "unmapped_stage": r.canon is None,
        }[rule]
        assert ok, (flag, r)


def test_unflagged_deals_are_clean(state: EmulatorState, records: dict[tuple[str, str], Rec]) -> None:
    """The ground truth is complete for the planted rules: noise plants no unrecorded problem."""
    _check_complete(state, records)


def _check_complete(state: EmulatorState, records: dict[tuple[str, str], Rec]) -> None:
    as_of = state.truth.as_of
    flagged: dict[tuple[str, str], set[str]] = defaultdict(set)
    for f in state.truth.flags:
        flagged[(f["system"], f["id"])].add(f["rule"])
    medians, partners = _medians(records), _partners(state, records)
    for key, r in records.items():
        if not r.live:
            assert key not in flagged
            continue
        rules = flagged[key]

        def has(rule: str, condition: bool, r: Rec = r, rules: set[str] = rules) -> None:
            assert condition == (rule in rules), (rule, r, rules)

        if r.status == "open" and r.canon is not None:
            has("stale.no_activity", r.activity_days is None or r.activity_days > 30)
            has("stale.stage_too_long", r.stage_days > 21)
            has("stale.close_date_past", r.close < as_of)
            has("mis_valued.missing_amount", r.amount is None and r.canon >= 4)
        has("unmapped_stage", r.canon is None)
        has("stale.close_date_pushed", r.pushes >= 3)
        has("consistency.stage_backwards", r.backwards)
        has("consistency.won_future_close", r.status == "won" and r.close > as_of)
        has("mis_valued.zero_amount", r.amount == 0)
        has("mis_valued.negative_amount", r.amount is not None and r.amount < 0)
        has("mis_valued.outlier", r.usd is not None and r.usd >= 5 * medians[r.system])
        for o in partners.get(key, []):
            if r.usd is None or o.usd is None:
                continue
            if o.currency != r.currency:
                assert "consistency.currency_mismatch" in rules, (r, o)
            if abs(r.usd - o.usd) / max(abs(r.usd), abs(o.usd)) > 0.02:
                assert "mis_valued.linked_amount_mismatch" in rules, (r, o)


def _midnight(state: EmulatorState) -> datetime:
    day = state.truth.as_of
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def test_salesforce_stages_and_rows(state: EmulatorState) -> None:
    org, t0 = state.salesforce, _midnight(state)
    stages = sorted(org.tables["OpportunityStage"].values(), key=lambda s: s["SortOrder"])
    got = [
        (s["ApiName"], s["DefaultProbability"], s["IsClosed"], s["IsWon"], s["ForecastCategoryName"])
        for s in stages[:10]
    ]
    assert got == SF_DEFAULT_STAGES
    assert len(stages) >= 11
    assert all(not s["IsClosed"] for s in stages[10:])
    by_name = {s["ApiName"]: s for s in stages}
    currencies = {c["IsoCode"]: c for c in org.tables["CurrencyType"].values()}
    assert currencies["USD"]["IsCorporate"]
    assert currencies["USD"]["ConversionRate"] == 1.0
    assert sum(c["IsCorporate"] for c in currencies.values()) == 1
    assert currencies["EUR"]["ConversionRate"] < 1 < currencies["JPY"]["ConversionRate"]
    assert set(currencies) >= {"USD", "EUR", "GBP", "JPY", "CAD"}
    default_prob = 0
    opps = org.tables["Opportunity"]
    for o in opps.values():
        stage = by_name[o["StageName"]]
        assert (o["IsClosed"], o["IsWon"]) == (stage["IsClosed"], stage["IsWon"])
        default_prob += o["Probability"] == stage["DefaultProbability"]
        assert o["CreatedDate"] <= o["LastModifiedDate"] == o["SystemModstamp"] < t0
        for stamp in (o["CreatedDate"], o["LastModifiedDate"]):
            assert stamp.utcoffset() == timedelta(0)
            assert stamp.microsecond % 1000 == 0
        assert o["CreatedDate"] > t0 - timedelta(days=800)
        assert o["AccountId"] is None or o["AccountId"] in org.tables["Account"]
        assert o["OwnerId"] in org.tables["User"]
        assert o["DealSync_Health_Score__c"] is None
    assert default_prob >= 0.85 * len(opps)
    prefixes = {
        "Opportunity": "006",
        "Account": "001",
        "User": "005",
        "OpportunityStage": "01J",
        "CurrencyType": "01L",
        "OpportunityHistory": "008",
    }
    for table, prefix in prefixes.items():
        for rid, row in org.tables[table].items():
            assert rid == row["Id"]
            assert len(rid) == 18
            assert rid.startswith(prefix)
            assert rid[15:] == sf_checksum(rid[:15])
    history = org.tables["OpportunityHistory"]
    assert all(h["OpportunityId"] in opps for h in history.values())
    assert any("O'Brien" in (o["Description"] or "") for o in opps.values())


def test_salesforce_history_ends_at_the_current_values(state: EmulatorState) -> None:
    org = state.salesforce
    last: dict[str, dict[str, Any]] = {}
    for h in org.tables["OpportunityHistory"].values():
        prev = last.get(h["OpportunityId"])
        assert prev is None or prev["CreatedDate"] <= h["CreatedDate"]
        last[h["OpportunityId"]] = h
    for oid, o in org.tables["Opportunity"].items():
        h = last[oid]
        assert (h["StageName"], h["Amount"], h["CloseDate"]) == (o["StageName"], o["Amount"], o["CloseDate"])
        assert h["CreatedDate"] <= o["LastModifiedDate"]


def test_hubspot_deals_follow_the_wire_conventions(state: EmulatorState) -> None:
    portal, t0 = state.hubspot, _midnight(state)
    stage_ids = {s["id"]: p["id"] for p in portal.pipelines for s in p["stages"]}
    default = next(p for p in portal.pipelines if p["id"] == "default")
    assert [s["displayOrder"] for s in default["stages"]] != sorted(s["displayOrder"] for s in default["stages"])
    assert {s["id"] for s in default["stages"]} == set(HS_CANON)
    assert all(isinstance(v, str) for s in default["stages"] for v in s["metadata"].values())
    assert "dealsync_health_score" not in portal.deal_properties
    assert portal.deal_properties["dealname"]["groupName"] == "dealinformation"
    for d in portal.deals.values():
        p = d.properties
        assert all(v is None or isinstance(v, str) for v in p.values()), p
        assert p["hs_object_id"] == d.id
        assert d.id.isdigit()
        assert p["hs_lastmodifieddate"] == d.updated_at.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        assert p["createdate"] == d.created_at.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        assert d.created_at <= d.updated_at < t0
        assert stage_ids[p["dealstage"] or ""] == p["pipeline"]
        assert p["hubspot_owner_id"] in portal.owners
        assert d.archived == (d.archived_at is not None)
        for versions in d.history.values():
            stamps = [v["timestamp"] for v in versions]
            assert stamps == sorted(stamps, reverse=True)
        assert d.history["dealstage"][0]["value"] == p["dealstage"]
        assert d.history["closedate"][0]["value"] == p["closedate"]
        if p["amount"]:
            assert p["amount_in_home_currency"] is not None
        for cid in portal.deal_companies.get(d.id, []):
            assert cid in portal.companies
    assert portal.next_id > max(int(i) for i in [*portal.deals, *portal.companies])
    assert all(
        set(o) >= {"id", "email", "firstName", "lastName", "userId", "createdAt", "updatedAt", "archived"}
        for o in portal.owners.values()
    )


@pytest.mark.parametrize(
    ("seed", "deals", "as_of"),
    [
        (1, 800, date(2024, 2, 29)),
        (2, 600, date(2026, 1, 1)),
        (3, 1000, date(2025, 12, 31)),
        (99, 150, AS_OF),
    ],
)
def test_ground_truth_holds_for_other_seeds_sizes_and_days(seed: int, deals: int, as_of: date) -> None:
    state = generate(SeedSettings(deals=deals, seed=seed, as_of=as_of))
    records = _records(state)
    _check_clusters(state, records)
    _check_flags(state, records)
    _check_complete(state, records)


def test_as_of_defaults_to_today_in_utc() -> None:
    before = datetime.now(UTC).date()
    state = generate(SeedSettings(deals=20, seed=3))
    assert before <= state.truth.as_of <= datetime.now(UTC).date()


def test_salesforce_ids_carry_the_real_checksum() -> None:
    # real ids quoted in the API reference
    for real in ("0065w000025aEK6AAM", "0015w00002TgeyYAAR", "0055w00000BiLWwAAN"):
        assert sf_checksum(real[:15]) == real[15:]
    rng = random.Random(5)
    for prefix in ("006", "001", "005", "01J", "01L", "008"):
        for _ in range(2000):
            number = rng.randrange(62**9)
            assert sf_id(prefix, number) == _slow_sf_id(prefix, number)
