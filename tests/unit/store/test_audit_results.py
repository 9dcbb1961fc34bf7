"""Dedupe clusters, "not a duplicate" decisions, flags and sync snapshots."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from dealsync.canonical import DealRef
from dealsync.errors import StoreError
from dealsync.store import DedupeCluster, FlagRecord, RunKind, SnapshotValue, Store

T0 = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)
A = DealRef(connection="sf-main", id="006A")
B = DealRef(connection="hs-main", id="98765")
C = DealRef(connection="sf-main", id="006C")


def test_clusters_round_trip_per_run(store: Store) -> None:
    run = store.start_run(RunKind.AUDIT)
    other = store.start_run(RunKind.AUDIT)
    low = DedupeCluster(members=(C, A), confidence=0.81, golden={"name": "Acme renewal"}, reasons=("same account",))
    high = DedupeCluster(
        members=(A, B, B),
        confidence=0.97,
        golden={"name": "Acme", "amount": Decimal("1200.00"), "currency": "EUR", "close_date": "2026-03-31"},
        reasons=("same name", "same amount"),
    )
    assert store.save_clusters(run.id, [low, high]) == 2
    store.save_clusters(other.id, [DedupeCluster(members=(A, C), confidence=0.5)])

    loaded = store.clusters_for_run(run.id)
    assert [c.id for c in loaded] == [high.id, low.id]  # most confident first
    assert loaded[0].members == (B, A)  # distinct, by (connection, id)
    assert loaded[0].golden["amount"] == "1200.00"
    assert loaded[0].reasons == ("same name", "same amount")
    assert loaded[1].members == (A, C)
    assert store.clusters_for_run("none") == []


@pytest.mark.parametrize(("first", "second"), [(A, B), (B, A)])
def test_not_duplicate_is_one_decision_whatever_the_order(store: Store, first: DealRef, second: DealRef) -> None:
    store.record_not_duplicate(first, second, note="different products", at=T0)
    store.record_not_duplicate(second, first, note="checked again", at=T0 + timedelta(days=1))
    (decision,) = store.not_duplicates()
    assert (decision.a, decision.b) == (B, A)  # hs-main sorts before sf-main
    assert decision.note == "checked again"
    assert decision.decided_at == T0 + timedelta(days=1)
    assert store.is_not_duplicate(A, B)
    assert store.is_not_duplicate(B, A)
    assert not store.is_not_duplicate(A, C)
    assert store.forget_not_duplicate(A, B)
    assert not store.is_not_duplicate(B, A)


def test_not_duplicate_pairs_are_unique_in_the_table(store: Store) -> None:
    store.record_not_duplicate(A, B)
    with pytest.raises(StoreError, match=r"(?i)unique"), store.transaction() as tx:
        tx._conn.exec_driver_sql(
            "INSERT INTO dedupe_decisions (connection_a, id_a, connection_b, id_b, decided_at) "
            "VALUES ('hs-main', '98765', 'sf-main', '006A', '2026-01-01 00:00:00.000000')"
        )


def test_a_deal_is_not_a_non_duplicate_of_itself(store: Store) -> None:
    with pytest.raises(ValueError, match="itself"):
        store.record_not_duplicate(A, A)


def test_flags_per_run(store: Store) -> None:
    run = store.start_run(RunKind.AUDIT)
    records = [
        FlagRecord(B, "stale.no_activity", "warning", "no activity for 64 days"),
        FlagRecord(A, "unmapped_stage", "error", "stage 'Discovery' maps to no canonical stage"),
    ]
    assert store.save_flags(run.id, records) == 2
    assert store.flags_for_run(run.id) == records
    assert store.flags_for_run("other") == []


def test_flags_come_back_by_deal_whatever_order_they_were_saved_in(store: Store) -> None:
    run = store.start_run(RunKind.AUDIT)
    c_first = FlagRecord(C, "stale.no_activity", "warning", "no activity for 40 days")
    c_second = FlagRecord(C, "mis_valued.outlier", "warning", "amount is 100x the typical")
    a_only = FlagRecord(A, "unmapped_stage", "error", "no canonical stage")
    b_only = FlagRecord(B, "stale.close_date_past", "warning", "close date passed")
    store.save_flags(run.id, [c_first, c_second])  # as two processes' slices finish: later deals first
    store.save_flags(run.id, [a_only])
    store.save_flags(run.id, [b_only])
    assert store.flags_for_run(run.id) == [b_only, a_only, c_first, c_second]


def test_snapshots_replace_per_field(store: Store) -> None:
    store.save_snapshots([SnapshotValue(A, "amount", "100.00"), SnapshotValue(A, "stage", "proposal")], at=T0)
    store.save_snapshots([SnapshotValue(A, "amount", Decimal("120.00")), SnapshotValue(B, "stage", None)], at=T0)
    assert store.snapshots_for([A, B, C]) == {
        A: {"amount": "120.00", "stage": "proposal"},
        B: {"stage": None},
    }
