"""``find_clusters`` end to end: the contract of a cluster, "not a duplicate", determinism, seeded ground truth."""

from __future__ import annotations

import importlib.util
import random
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dealsync.canonical import Deal, DealRef
from dealsync.emulator.seed import SeedSettings, generate
from dealsync.quality.dedupe import (
    DEFAULT_SETTINGS,
    BlockingSettings,
    Cluster,
    DedupeSettings,
    Survivorship,
    cluster_id,
    find_clusters,
    pipeline,
)
from dealsync.quality.dedupe.blocking import candidate_pairs
from dealsync.quality.dedupe.clustering import Edge
from dealsync.quality.dedupe.records import Records
from dealsync.quality.dedupe.scoring import PairScorer
from dealsync.quality.model import FxTable

MakeDeal = Callable[..., Deal]
FX = FxTable(base="USD", rates={"EUR": Decimal("1.08")})
T0 = datetime(2026, 1, 5, tzinfo=UTC)


def _ref(text: str) -> DealRef:
    connection, _, deal_id = text.partition(":")
    return DealRef(connection=connection, id=deal_id)


def _labels(clusters: list[Cluster]) -> list[list[str]]:
    return sorted([str(m) for m in c.members] for c in clusters)


def test_a_cluster_has_the_audit_json_shape(make_deal: MakeDeal, fx: FxTable) -> None:
    deals = [
        make_deal("sf:006A", name="Acme - Platform Renewal 2026", modified=0),
        make_deal("hs:981", name="ACME Inc: platform renewal", amount=Decimal("23150"), currency="EUR", modified=5),
        make_deal("sf:006B", name="Globex - Training Pilot 2026", account_name="Globex", close_date=date(2026, 9, 1)),
    ]
    [found] = find_clusters(deals, fx)
    assert found.members == (_ref("hs:981"), _ref("sf:006A"))
    assert found.id == cluster_id([_ref("sf:006A"), _ref("hs:981")])
    assert 0.9 <= found.confidence <= 1.0
    assert "amounts within 0.5% once converted to USD (EUR vs USD)" in found.reasons
    assert found.to_json() == {
        "cluster_id": found.id,
        "confidence": round(found.confidence, 4),
        "members": [{"connection": "hs", "id": "981"}, {"connection": "sf", "id": "006A"}],
        "golden": {
            "name": "ACME Inc: platform renewal",
            "account_name": "Acme Inc.",
            "amount": "23150",
            "currency": "EUR",
            "close_date": "2026-03-31",
            "stage": "proposal",
            "status": "open",
            "owner": "Olivia Smith",
            "pipeline": None,
            "sources": dict.fromkeys(("name", "account_name", "close_date", "stage", "status", "owner"), "hs:981")
            | {"amount": "hs:981", "currency": "hs:981"},
        },
        "reasons": list(found.reasons),
    }


def _chain(make_deal: MakeDeal) -> list[Deal]:
    """A~B and B~C, while A and C differ in name, amount and close date: one real deal typed three ways."""
    return [
        make_deal("sf:A", name="Acme - Platform Renewal 2026", amount=Decimal(25000), close_date=date(2026, 3, 31)),
        make_deal("hs:B", name="Acme - Platfrom Renewal 2026", amount=Decimal(25050), close_date=date(2026, 4, 6)),
        make_deal("sf:C", name="ACME platfrom renewal", amount=Decimal(25100), close_date=date(2026, 4, 12), owner="X"),
    ]


def test_clusters_are_transitive(make_deal: MakeDeal, fx: FxTable) -> None:
    found = find_clusters(_chain(make_deal), fx)
    assert _labels(found) == [["hs:B", "sf:A", "sf:C"]]
    assert found[0].reasons[0] == "3 deals linked by 2 matching pairs; the weakest pair:"


@pytest.mark.parametrize(
    ("marked", "expected"),
    [
        ({"sf:A", "hs:B"}, [["hs:B", "sf:C"]]),  # the marked link goes; B~C stays
        ({"hs:B", "sf:C"}, [["hs:B", "sf:A"]]),
        ({"sf:A", "sf:C"}, [["hs:B", "sf:A"]]),  # linked only through B: the weaker of A~B, B~C is dropped
        ({"sf:A", "hs:nowhere"}, [["hs:B", "sf:A", "sf:C"]]),
    ],
)
def test_not_a_duplicate_is_respected_even_through_a_chain(
    make_deal: MakeDeal, fx: FxTable, marked: set[str], expected: list[list[str]]
) -> None:
    pair = frozenset(_ref(r) for r in marked)
    found = find_clusters(_chain(make_deal), fx, not_duplicates=[pair])
    assert _labels(found) == expected
    for cluster in found:
        assert not pair <= set(cluster.members)


def test_a_split_cluster_says_what_it_was_kept_apart_from(make_deal: MakeDeal, fx: FxTable) -> None:
    [found] = find_clusters(_chain(make_deal), fx, not_duplicates=[frozenset({_ref("sf:A"), _ref("sf:C")})])
    assert "kept apart from sf:C: marked not a duplicate" in found.reasons


@pytest.mark.parametrize(
    ("versions", "expected"),
    [
        ([], [["hs:3", "sf:1"]]),
        ([{"deleted": True, "modified": 3}], []),  # deleted after its last live version
        ([{"deleted": True, "modified": 0}], [["hs:3", "sf:1"]]),  # an old deletion, then live again
        ([{"name": "Something else", "modified": 3}], []),  # renamed since: the latest version counts
    ],
)
def test_deleted_deals_are_ignored_and_a_ref_seen_twice_keeps_its_latest(
    make_deal: MakeDeal, fx: FxTable, versions: list[dict[str, Any]], expected: list[list[str]]
) -> None:
    deals = [
        make_deal("sf:1"),
        make_deal("hs:2", deleted=True),
        make_deal("hs:3", name="Something else", modified=1),
        make_deal("hs:3", modified=2),
        *(make_deal("hs:3", **version) for version in versions),
    ]
    assert _labels(find_clusters(deals, fx)) == expected


def test_survivorship_follows_the_settings(make_deal: MakeDeal, fx: FxTable) -> None:
    deals = [
        make_deal("sf:1", name="Acme - Platform Renewal 2026"),
        make_deal("hs:2", name="ACME platform renewal 2026", modified=9),
    ]
    newest = find_clusters(deals, fx)[0].golden["name"]
    preferred = DedupeSettings(survivorship=Survivorship.PREFERRED_CONNECTION, preferred_connection="sf")
    assert (newest, find_clusters(deals, fx, settings=preferred)[0].golden["name"]) == (
        "ACME platform renewal 2026",
        "Acme - Platform Renewal 2026",
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"threshold": 1.0}, "strictly between 0 and 1"),
        ({"threshold": 0.0}, "strictly between 0 and 1"),
        ({"survivorship": Survivorship.PREFERRED_CONNECTION}, "needs preferred_connection"),
        ({"preferred_connection": "sf"}, "needs preferred_connection"),
    ],
)
def test_settings_are_checked(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        DedupeSettings(**kwargs)


# ---- determinism ---------------------------------------------------------------------------------------------
def _deal(ref: str, name: str, account: str | None, amount: int, day: int, currency: str = "USD") -> Deal:
    return Deal(
        ref=_ref(ref),
        name=name,
        account_name=account,
        amount=Decimal(amount),
        currency=currency,
        crm_stage_id="x",
        close_date=date(2026, 1, 1) + timedelta(days=day),
        owner="Olivia Smith",
        created_at=T0,
        modified_at=T0 + timedelta(hours=amount % 7),
    )


MIXED = [
    _deal("sf:1", "Acme - Platform Renewal 2026", "Acme Inc", 25000, 90),
    _deal("hs:1", "ACME platform renewal", "Acme", 25000, 92),
    _deal("sf:2", "Acme - Platfrom Renewal 2026", None, 25050, 93),
    _deal("hs:2", "Acme - Training Pilot 2026", "Acme", 8000, 200),
    _deal("sf:3", "Globex - Analytics Upsell 2026", "Globex Corp", 40000, 30),
    _deal("hs:3", "Globex: Analytics Upsell 2026", "Globex", 37000, 30, "EUR"),
    _deal("sf:4", "Globex - Analytics Upsell 2027", "Globex Corp", 40000, 400),  # next year's: not a duplicate
    _deal("sf:5", "Initech - Support", "Initech", 5000, 10),
    _deal("hs:5", "Initech - Support", "Initech", 5000, 10),
    _deal("hs:6", "Initech - Support", "Initech", 5000, 10),
]
MARKS = [frozenset({_ref("sf:5"), _ref("hs:6")})]


def _snapshot(clusters: list[Cluster]) -> list[tuple[Any, ...]]:
    return [(c.id, c.members, c.confidence, c.reasons, dict(c.golden)) for c in clusters]


@settings(max_examples=40, deadline=None)
@given(st.randoms(use_true_random=False))
def test_same_clusters_whatever_the_input_order(rng: random.Random) -> None:
    shuffled = list(MIXED)
    rng.shuffle(shuffled)
    marks = list(MARKS)
    assert _snapshot(find_clusters(iter(shuffled), FX, not_duplicates=marks)) == _snapshot(
        find_clusters(MIXED, FX, not_duplicates=marks)
    )


def test_the_mixed_sample_clusters_as_a_person_would(fx: FxTable) -> None:
    found = find_clusters(MIXED, FX, not_duplicates=MARKS)
    # three identical Initech deals, two marked distinct: equally strong links are taken in record order
    assert _labels(found) == [["hs:1", "sf:1", "sf:2"], ["hs:3", "sf:3"], ["hs:5", "hs:6"]]


# ---- seeded ground truth -------------------------------------------------------------------------------------
def _benchmark() -> ModuleType:
    """benchmarks/bench_dedupe.py, for its emulator → canonical converter and its pairwise scoring."""
    path = Path(__file__).resolve().parents[4] / "benchmarks" / "bench_dedupe.py"
    spec = importlib.util.spec_from_file_location("bench_dedupe", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("seed", [11, 12])
def test_seeded_emulator_data_is_clustered_like_its_ground_truth(seed: int) -> None:
    bench = _benchmark()
    state = generate(SeedSettings(deals=1000, seed=seed, as_of=date(2026, 1, 15)))
    deals = [*bench.salesforce_deals(state), *bench.hubspot_deals(state)]
    found = find_clusters(deals, bench.fx_table(state))
    scores = bench.pairwise_scores(
        [[(m.connection, m.id) for m in c.members] for c in found], bench.truth_clusters(state)
    )
    assert scores["true_pairs"] > 300
    assert scores["f1"] >= 0.9, scores
    assert scores["precision"] >= 0.95, scores


# ---- the numpy path finds what pair-by-pair scoring finds ---------------------------------------------------
def _scalar_links(records: Records, settings: DedupeSettings, scorer: PairScorer) -> Iterator[Edge]:
    """``find_clusters``' links, one Python pair at a time: each candidate pair scored by ``PairScorer.weight``."""
    for chunk_i, chunk_j in candidate_pairs(records, settings.blocking):
        for i, j in zip(chunk_i.tolist(), chunk_j.tolist(), strict=True):
            weight = scorer.weight(i, j)
            if weight is not None:
                yield weight, i, j


COMPANIES = ["Acme", "Globex", "Initech", "Umbrella", "Hooli", "Stark", "Wayne"]
PRODUCTS = ["Platform", "Analytics", "Security", "Training", "Support"]


def _copies(rng: random.Random, count: int) -> list[Deal]:
    """Deals and their copies as other systems typed them: renamed, retyped, re-dated, converted, or left out."""
    deals = []
    for n in range(count):
        company = rng.choice(COMPANIES)
        name, account = f"{company} - {rng.choice(PRODUCTS)} Renewal 2026", f"{company} Inc"
        original = _deal(f"sf:{n}", name, account, rng.randint(1, 90) * 1000, rng.randint(0, 400))
        deals.append(original)
        for copy in range(rng.randint(0, 3)):
            deals.append(
                original.model_copy(
                    update={
                        "ref": _ref(f"hs:{n}-{copy}"),
                        "name": rng.choice([name, name.upper(), name.replace("Renewal", "Renewl"), name[:-5]]),
                        "account_name": rng.choice([account, account.upper(), None]),
                        "amount": original.amount * Decimal(rng.choice(["1", "1.001", "1.05", "0.5"])),
                        "currency": rng.choice(["USD", "USD", "EUR", "CHF"]),
                        "close_date": original.close_date + timedelta(days=rng.choice([0, 0, 3, 40, 365])),
                        "owner": rng.choice([original.owner, None, "Liam Brown"]),
                    }
                )
            )
    return deals


@pytest.mark.parametrize("seed", range(6))
def test_clusters_are_those_of_pair_by_pair_scoring(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(seed)
    deals = _copies(rng, 60)
    marks = [frozenset({d.ref, e.ref}) for d, e in zip(deals[::7], deals[1::7], strict=False)]
    small_blocks = DedupeSettings(blocking=BlockingSettings(max_block_size=4, window=3))
    for dedupe_settings in (DEFAULT_SETTINGS, small_blocks):
        found = _snapshot(find_clusters(deals, FX, settings=dedupe_settings, not_duplicates=marks))
        with monkeypatch.context() as patched:
            patched.setattr(pipeline, "_links", _scalar_links)
            assert found == _snapshot(find_clusters(deals, FX, settings=dedupe_settings, not_duplicates=marks))
        assert sum(len(members) > 2 for _, members, *_ in found) > 0, "no cluster of three to compare"
