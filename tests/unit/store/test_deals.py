"""Upserting and reading deals: counts, history only on real changes, exact values, deletions, streaming."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import select, text

from dealsync.canonical import Deal, DealRef, Stage, Status
from dealsync.store import Store, UpsertCounts
from dealsync.store.tables import deals

MakeDeal = Callable[..., Deal]
T0 = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)  # the make_deal fixture's created_at/modified_at
LATER = T0 + timedelta(hours=1)


def test_counts_new_changed_unchanged(store: Store, make_deal: MakeDeal) -> None:
    first = store.upsert_deals([make_deal("1"), make_deal("2"), make_deal("3")])
    assert first == UpsertCounts(new=3)

    again = store.upsert_deals(
        [make_deal("1"), make_deal("2", name="Renamed", modified_at=LATER), make_deal("3"), make_deal("4")]
    )
    assert again == UpsertCounts(new=1, changed=1, unchanged=2)
    assert store.count_deals() == 4
    renamed = store.get_deal(DealRef(connection="sf-main", id="2"))
    assert renamed is not None
    assert renamed.name == "Renamed"


def test_round_trip_keeps_every_field(store: Store, make_deal: MakeDeal) -> None:
    deal = make_deal(
        "rt",
        stage=None,
        crm_stage_id="custom",
        last_activity_at=T0 - timedelta(days=3),
        raw={"nested": {"list": [1, 2.5, "x", None]}, "unicode": "Zürich"},
    )
    store.upsert_deals([deal])
    assert store.get_deal(deal.ref) == deal


@pytest.mark.parametrize(
    "amount",
    [Decimal("1234.50"), Decimal("0.0001"), Decimal("-250.10"), Decimal("123456789012345678.9876"), Decimal("1E+3")],
)
def test_decimal_amounts_round_trip_exactly(store: Store, make_deal: MakeDeal, amount: Decimal) -> None:
    store.upsert_deals([make_deal("d", amount=amount)])
    loaded = store.get_deal(DealRef(connection="sf-main", id="d"))
    assert loaded is not None
    assert loaded.amount == amount
    if store.dialect == "sqlite" or "E" not in str(amount):  # PostgreSQL's numeric keeps the scale, not "1E+3"
        assert str(loaded.amount) == str(amount)  # same digits, same scale


def test_datetimes_round_trip_as_aware_utc(store: Store, make_deal: MakeDeal) -> None:
    plus_two = timezone(timedelta(hours=2))
    local = datetime(2026, 1, 5, 11, 30, 15, 123456, tzinfo=plus_two)
    store.upsert_deals([make_deal("tz", created_at=local, modified_at=local, last_activity_at=local)])
    loaded = store.get_deal(DealRef(connection="sf-main", id="tz"))
    assert loaded is not None
    for value in (loaded.created_at, loaded.modified_at, loaded.last_activity_at):
        assert value == local
        assert value is not None
        assert value.utcoffset() == timedelta(0)
        assert value.hour == 9
        assert value.microsecond == 123456
    cursor = store.set_cursor("sf-main", "deals", local, "tz")
    assert store.get_cursor("sf-main", "deals") == cursor
    assert cursor.modified_at.tzinfo is not None


def test_sqlite_stores_timestamps_as_utc_text_that_sorts(store: Store, make_deal: MakeDeal) -> None:
    if store.dialect != "sqlite":
        pytest.skip("SQLite storage format")
    store.upsert_deals([make_deal("a", modified_at=T0)])
    with store.engine.connect() as conn:
        stored = conn.execute(text("SELECT modified_at FROM deals")).scalar_one()
    assert stored == "2026-01-05 09:30:00.000000"


def _history_len(store: Store, deal_id: str) -> int:
    return len(
        store.history_for([DealRef(connection="sf-main", id=deal_id)]).get(
            DealRef(connection="sf-main", id=deal_id), []
        )
    )


@pytest.mark.parametrize(
    ("change", "expect_history"),
    [
        ({"stage": Stage.NEGOTIATION, "crm_stage_id": "Negotiation/Review"}, True),
        ({"amount": Decimal("1500.00")}, True),
        ({"currency": "USD"}, True),
        ({"close_date": date(2026, 4, 30)}, True),
        ({"status": Status.LOST}, True),
        ({"crm_stage_id": "Perception Analysis"}, True),  # another CRM stage, same canonical one
        ({"name": "New name"}, False),
        ({"owner": "bo@example.com"}, False),
        ({"probability": Decimal("0.7")}, False),
        ({"amount": Decimal("1000.0")}, False),  # same value, other spelling
        ({"raw": {"Id": "h", "Extra": 1}}, False),
        ({}, False),  # touched in the CRM, nothing else
    ],
)
def test_history_only_on_real_changes(
    store: Store, make_deal: MakeDeal, change: dict[str, object], expect_history: bool
) -> None:
    store.upsert_deals([make_deal("h")])
    assert _history_len(store, "h") == 1  # the first observation
    counts = store.upsert_deals([make_deal("h", modified_at=LATER, **change)])
    assert counts == UpsertCounts(changed=1)
    assert _history_len(store, "h") == (2 if expect_history else 1)


def test_history_records_the_values_and_when(store: Store, make_deal: MakeDeal) -> None:
    observed = T0 + timedelta(days=1)
    store.upsert_deals([make_deal("h")], observed_at=T0)
    store.upsert_deals([make_deal("h", amount=Decimal("99.95"), modified_at=LATER)], observed_at=observed)
    ref = DealRef(connection="sf-main", id="h")
    first, second = store.history_for([ref])[ref]
    assert (first.amount, first.changed_at, first.observed_at) == (Decimal("1000.00"), T0, T0)
    assert (second.amount, second.changed_at, second.observed_at) == (Decimal("99.95"), LATER, observed)
    assert second.stage is Stage.PROPOSAL
    assert list(store.iter_history()) == [first, second]
    assert list(store.iter_history_values()) == [
        (
            e.ref.connection,
            e.ref.id,
            e.changed_at,
            e.stage,
            e.crm_stage_id,
            e.amount,
            e.currency,
            e.close_date,
            e.status,
        )
        for e in (first, second)
    ]


def test_unchanged_upsert_writes_nothing(store: Store, make_deal: MakeDeal) -> None:
    store.upsert_deals([make_deal("u")], observed_at=T0)
    store.upsert_deals([make_deal("u")], observed_at=LATER)
    with store.engine.connect() as conn:
        updated = conn.execute(select(deals.c.updated_in_store_at)).scalar_one()
    assert updated == T0


def test_an_older_version_never_overwrites_a_newer_one(store: Store, make_deal: MakeDeal) -> None:
    store.upsert_deals([make_deal("o", name="new", modified_at=LATER)])
    counts = store.upsert_deals([make_deal("o", name="old", modified_at=T0)])
    assert counts == UpsertCounts(unchanged=1)
    loaded = store.get_deal(DealRef(connection="sf-main", id="o"))
    assert loaded is not None
    assert loaded.name == "new"


def test_the_same_deal_twice_in_one_call_keeps_the_latest(store: Store, make_deal: MakeDeal) -> None:
    counts = store.upsert_deals([make_deal("x", name="newer", modified_at=LATER), make_deal("x", name="older")])
    assert counts == UpsertCounts(new=1)
    loaded = store.get_deal(DealRef(connection="sf-main", id="x"))
    assert loaded is not None
    assert loaded.name == "newer"


def test_many_batches(store: Store, make_deal: MakeDeal) -> None:
    deals = [make_deal(f"{i:05d}") for i in range(2500)]
    assert store.upsert_deals(deals) == UpsertCounts(new=2500)
    changed = [make_deal(f"{i:05d}", modified_at=LATER) if i % 10 == 0 else d for i, d in enumerate(deals)]
    assert store.upsert_deals(changed) == UpsertCounts(changed=250, unchanged=2250)


def test_deleted_deals_are_counted_and_hidden_by_default(store: Store, make_deal: MakeDeal) -> None:
    store.upsert_deals([make_deal("1"), make_deal("2"), make_deal("3", connection="hs-main")])
    counts = store.upsert_deals([make_deal("2", deleted=True, modified_at=LATER)])
    assert counts == UpsertCounts(deleted=1)
    assert store.upsert_deals([make_deal("2", deleted=True, modified_at=LATER)]) == UpsertCounts(unchanged=1)

    assert [d.ref.id for d in store.iter_deals()] == ["3", "1"]  # by connection, then id
    assert [d.ref.id for d in store.iter_deals(include_deleted=True)] == ["3", "1", "2"]
    assert [d.ref.id for d in store.iter_deals("sf-main", batch=1)] == ["1"]
    assert store.count_deals() == 2
    assert store.count_deals("sf-main", include_deleted=True) == 2
    assert store.deal_ids("sf-main") == {"1"}


def test_mark_deleted_then_the_deal_comes_back(store: Store, make_deal: MakeDeal) -> None:
    store.upsert_deals([make_deal("1"), make_deal("2")])
    assert store.mark_deleted("sf-main", ["1", "missing"], at=LATER) == 1
    assert store.mark_deleted("sf-main", ["1"], at=LATER) == 0  # already deleted
    ref = DealRef(connection="sf-main", id="1")
    deleted = store.get_deal(ref)
    assert deleted is not None
    assert deleted.deleted
    assert store.deal_ids("sf-main") == {"2"}

    # Restored in the CRM, same content: the store must notice it is live again.
    assert store.upsert_deals([make_deal("1")]) == UpsertCounts(changed=1)
    restored = store.get_deal(ref)
    assert restored is not None
    assert not restored.deleted


def test_get_deals_and_missing_refs(store: Store, make_deal: MakeDeal) -> None:
    store.upsert_deals([make_deal("1"), make_deal("9", connection="hs-main")])
    refs = [
        DealRef(connection="sf-main", id="1"),
        DealRef(connection="hs-main", id="9"),
        DealRef(connection="x", id="y"),
    ]
    assert set(store.get_deals(refs)) == set(refs[:2])
    assert store.get_deal(refs[2]) is None


def test_last_open_stage_of_a_lost_deal(store: Store, make_deal: MakeDeal) -> None:
    ref = DealRef(connection="sf-main", id="L")
    assert store.last_open_stage(ref) is None
    store.upsert_deals([make_deal("L", stage=Stage.QUALIFICATION, crm_stage_id="Qualification")])
    store.upsert_deals([make_deal("L", stage=Stage.PROPOSAL, modified_at=LATER)])
    lost_at = LATER + timedelta(hours=1)
    store.upsert_deals(
        [make_deal("L", stage=Stage.PROPOSAL, status=Status.LOST, crm_stage_id="Closed Lost", modified_at=lost_at)]
    )
    assert store.last_open_stage(ref) is Stage.PROPOSAL
    assert store.last_open_stages([ref, DealRef(connection="sf-main", id="none")]) == {ref: Stage.PROPOSAL}


def test_connections_are_created_on_first_upsert(store: Store, make_deal: MakeDeal) -> None:
    store.upsert_deals([make_deal("1", connection="hs-main")])
    store.register_connection("hs-main", "hubspot")
    store.mark_pulled("hs-main", at=LATER)
    (info,) = store.list_connections()
    assert (info.name, info.type, info.last_pull_at) == ("hs-main", "hubspot", LATER)


@pytest.mark.parametrize(
    "deal_id", ["o'brien", "back\\slash", "50%off", '"quoted"', "ünï-☃", "a)--; DROP TABLE deals;"]
)
def test_awkward_ids_round_trip(store: Store, make_deal: MakeDeal, deal_id: str) -> None:
    store.upsert_deals([make_deal(deal_id), make_deal("plain")])
    assert store.upsert_deals([make_deal(deal_id), make_deal("plain")]) == UpsertCounts(unchanged=2)
    ref = DealRef(connection="sf-main", id=deal_id)
    loaded = store.get_deal(ref)
    assert loaded is not None
    assert loaded.ref == ref
    assert store.deal_ids("sf-main") == {deal_id, "plain"}


def test_reads_without_raw_keep_every_other_field(store: Store, make_deal: MakeDeal) -> None:
    deal = make_deal("lean", last_activity_at=T0 - timedelta(days=3), raw={"Description": "x" * 50})
    store.upsert_deals([deal])
    expected = deal.model_copy(update={"raw": {}})
    assert list(store.iter_deals(with_raw=False)) == [expected]
    assert store.get_deals([deal.ref], with_raw=False) == {deal.ref: expected}


def test_iter_amounts_gives_the_four_columns_of_live_deals(store: Store, make_deal: MakeDeal) -> None:
    store.upsert_deals(
        [
            make_deal("a", amount=Decimal("1234.50"), currency="EUR", pipeline="default"),
            make_deal("b", amount=None, currency=None, pipeline=None),
            make_deal("gone", deleted=True),
        ]
    )
    assert sorted(store.iter_amounts(), key=str) == sorted(
        [("sf-main", "default", Decimal("1234.50"), "EUR"), ("sf-main", None, None, None)], key=str
    )


def test_deal_summaries_carry_the_deals_fields_without_validation(store: Store, make_deal: MakeDeal) -> None:
    kept = make_deal("s1", close_date=date(2026, 3, 31), owner="ana@example.com", amount=Decimal("12.50"))
    bare = make_deal("s2", stage=None, crm_stage_id="custom", amount=None, currency=None, close_date=None)
    store.upsert_deals([kept, bare, make_deal("gone", deleted=True)])
    summaries = list(store.iter_deal_summaries())
    assert [s.ref for s in summaries] == [("sf-main", "s1"), ("sf-main", "s2")]
    for summary, deal in zip(summaries, (kept, bare), strict=True):
        assert summary.ref.connection == deal.ref.connection
        assert summary.ref.id == deal.ref.id
        fields = ("name", "account_name", "amount", "currency", "stage", "status", "pipeline", "close_date", "owner")
        assert {f: getattr(summary, f) for f in fields} == {f: getattr(deal, f) for f in fields}
        assert summary.modified_at == deal.modified_at
        assert summary.deleted is False
