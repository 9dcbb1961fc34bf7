"""Runs and the write journal: state transitions, pending work for a resumed run, rollback lookups."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from dealsync.canonical import DealRef
from dealsync.errors import StoreError
from dealsync.store import JournalState, PlannedWrite, RunKind, RunStatus, Store

T0 = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)
SF = DealRef(connection="sf-main", id="006A")
HS = DealRef(connection="hs-main", id="98765")


def test_runs_start_finish_list(store: Store) -> None:
    pull = store.start_run(RunKind.PULL, at=T0)
    sync = store.start_run(RunKind.SYNC, dry_run=True, at=T0 + timedelta(minutes=1))
    assert pull.status is RunStatus.RUNNING
    finished = store.finish_run(
        sync.id,
        RunStatus.PARTIAL,
        summary={"sent": 3, "failed": 1},
        error="1 write rejected",
        at=T0 + timedelta(minutes=2),
    )
    assert (finished.status, finished.summary, finished.error, finished.dry_run) == (
        RunStatus.PARTIAL,
        {"sent": 3, "failed": 1},
        "1 write rejected",
        True,
    )
    assert finished.finished_at == T0 + timedelta(minutes=2)
    assert [r.id for r in store.list_runs()] == [sync.id, pull.id]
    assert [r.id for r in store.list_runs(kind=RunKind.PULL)] == [pull.id]
    assert store.latest_run(RunKind.SYNC, status=RunStatus.OK) is None
    assert store.get_run(pull.id) == pull
    assert store.get_run("nope") is None


def test_finishing_an_unknown_run_or_as_running_is_refused(store: Store) -> None:
    with pytest.raises(StoreError, match="run nope is not in the store"):
        store.finish_run("nope", RunStatus.OK)
    run = store.start_run(RunKind.AUDIT)
    with pytest.raises(StoreError, match="final status"):
        store.finish_run(run.id, RunStatus.RUNNING)


def _plan(store: Store) -> tuple[str, list[int]]:
    run = store.start_run(RunKind.SYNC, at=T0)
    entries = store.plan_writes(
        run.id,
        [
            PlannedWrite(SF, "StageName", "Qualification", "Proposal/Price Quote", batch_key="sf-1"),
            PlannedWrite(SF, "Amount", Decimal("100.50"), Decimal("120.00"), batch_key="sf-1"),
            PlannedWrite(HS, "closedate", None, date(2026, 3, 31), batch_key="hs-1"),
        ],
        at=T0,
    )
    return run.id, [e.id for e in entries]


def test_plan_returns_entries_in_order_with_json_values(store: Store) -> None:
    run_id, ids = _plan(store)
    entries = store.journal_for_run(run_id)
    assert [e.id for e in entries] == ids
    assert [(e.field, e.before, e.after, e.state) for e in entries] == [
        ("StageName", "Qualification", "Proposal/Price Quote", JournalState.PLANNED),
        ("Amount", "100.50", "120.00", JournalState.PLANNED),  # exact decimal text
        ("closedate", None, "2026-03-31", JournalState.PLANNED),
    ]
    assert entries[0].planned_at == T0
    assert entries[2].ref == HS


def test_state_transitions(store: Store) -> None:
    run_id, (stage, amount, close) = _plan(store)
    sent_at = T0 + timedelta(seconds=5)
    store.mark_sent([stage, amount], at=sent_at)
    store.mark_sent([stage], at=sent_at)  # a resend after re-reading is fine
    assert {e.id for e in store.pending_for_run(run_id)} == {stage, amount, close}

    store.mark_applied([stage], at=sent_at)
    store.mark_failed({amount: "FIELD_CUSTOM_VALIDATION_EXCEPTION: amount too high"}, at=sent_at)
    store.mark_skipped({close: "changed by a person since it was read"}, at=sent_at)

    by_id = {e.id: e for e in store.journal_for_run(run_id)}
    assert by_id[stage].state is JournalState.APPLIED
    assert by_id[stage].sent_at == sent_at
    assert by_id[stage].finished_at == sent_at
    assert by_id[amount].error == "FIELD_CUSTOM_VALIDATION_EXCEPTION: amount too high"
    assert by_id[close].state is JournalState.SKIPPED
    assert by_id[close].sent_at is None
    assert store.pending_for_run(run_id) == []
    assert [e.id for e in store.journal_for_run(run_id, states=[JournalState.APPLIED])] == [stage]


@pytest.mark.parametrize(
    ("setup", "move", "message"),
    [
        ([], "applied", "is planned; it cannot become applied"),  # never sent
        (["sent", "applied"], "sent", "is applied; it cannot become sent"),
        (["sent", "applied"], "applied", "is applied; it cannot become applied"),
        (["failed"], "sent", "is failed; it cannot become sent"),
        (["skipped"], "applied", "is skipped; it cannot become applied"),
    ],
)
def test_illegal_transitions_are_refused_and_change_nothing(
    store: Store, setup: list[str], move: str, message: str
) -> None:
    run_id, (first, second, _) = _plan(store)

    def apply(state: str, ids: list[int]) -> None:
        if state == "sent":
            store.mark_sent(ids)
        elif state == "applied":
            store.mark_applied(ids)
        elif state == "failed":
            store.mark_failed(dict.fromkeys(ids, "boom"))
        else:
            store.mark_skipped(dict.fromkeys(ids, "skip"))

    for state in setup:
        apply(state, [first])
    before = store.journal_for_run(run_id)
    with pytest.raises(StoreError, match=f"journal entry {first} .*{message}"):
        apply(move, [second, first] if move == "sent" else [first])
    assert store.journal_for_run(run_id) == before  # the whole call rolled back, `second` included


def test_unknown_entries_are_refused(store: Store) -> None:
    with pytest.raises(StoreError, match=r"journal entries \[424242\] do not exist"):
        store.mark_sent([424242])


def test_runs_with_pending_writes_and_journal_for_deal(store: Store) -> None:
    first_run, ids = _plan(store)
    second_run, more = _plan(store)
    store.mark_sent(ids)
    store.mark_applied(ids)
    assert store.runs_with_pending_writes() == [second_run]
    assert [e.id for e in store.journal_for_deal(SF, field="Amount")] == [ids[1], more[1]]
    assert len(store.journal_for_deal(HS)) == 2
    assert first_run != second_run


def test_journal_rows_need_their_run(store: Store) -> None:
    with pytest.raises(StoreError, match=r"(?i)foreign key"):
        store.plan_writes("no-such-run", [PlannedWrite(SF, "StageName", "a", "b")])
