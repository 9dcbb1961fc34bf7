"""The write journal: every field write is planned (stored) before it is sent and marked after.

States move one way (``JournalState``): planned → sent → applied | failed | skipped, or planned → failed |
skipped. ``sent`` may be marked again (a resend after re-reading). Any other move is a ``StoreError`` naming the
entry and its state, and nothing of that call is kept.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Connection, RowMapping

from dealsync.canonical import DealRef
from dealsync.errors import StoreError
from dealsync.store._support import IN_CHUNK, chunked
from dealsync.store.tables import write_journal
from dealsync.store.values import JournalEntry, JournalState, PlannedWrite

J = JournalState
_ALLOWED_FROM: Mapping[JournalState, frozenset[JournalState]] = {
    J.SENT: frozenset({J.PLANNED, J.SENT}),
    J.APPLIED: frozenset({J.SENT}),
    J.FAILED: frozenset({J.PLANNED, J.SENT}),
    J.SKIPPED: frozenset({J.PLANNED, J.SENT}),
}
_TIME_COLUMN = {J.SENT: "sent_at", J.APPLIED: "finished_at", J.FAILED: "finished_at", J.SKIPPED: "finished_at"}


def plan_writes(conn: Connection, run_id: str, writes: Iterable[PlannedWrite], *, at: datetime) -> list[JournalEntry]:
    """Journal ``writes`` as planned; returns the entries with their ids, in the order given."""
    rows = [_planned_row(run_id, write, at) for write in writes]
    if not rows:
        return []
    stmt = insert(write_journal).returning(write_journal.c.id, sort_by_parameter_order=True)
    ids = [row.id for row in conn.execute(stmt, rows)]
    return entries(conn, ids)


def _planned_row(run_id: str, write: PlannedWrite, at: datetime) -> dict[str, Any]:
    return {
        "run_id": run_id,
        "connection": write.ref.connection,
        "external_id": write.ref.id,
        "field": write.field,
        "before": write.before,
        "after": write.after,
        "state": J.PLANNED.value,
        "error": None,
        "planned_at": at,
        "sent_at": None,
        "finished_at": None,
        "batch_key": write.batch_key,
    }


def mark(conn: Connection, reasons: Mapping[int, str | None], state: JournalState, *, at: datetime) -> None:
    """Move entries to ``state``; ``reasons`` maps entry id to its error (failed/skipped) or None."""
    allowed = [s.value for s in _ALLOWED_FROM[state]]
    time_column = _TIME_COLUMN[state]
    for chunk in chunked(sorted(reasons), IN_CHUNK):
        by_reason: dict[str | None, list[int]] = {}
        for entry_id in chunk:
            by_reason.setdefault(reasons[entry_id], []).append(entry_id)
        for reason, ids in by_reason.items():
            values: dict[str, Any] = {"state": state.value, time_column: at}
            if state in (J.FAILED, J.SKIPPED):
                values["error"] = reason
            stmt = update(write_journal).where(write_journal.c.id.in_(ids), write_journal.c.state.in_(allowed))
            if conn.execute(stmt.values(**values)).rowcount != len(ids):
                _refuse(conn, ids, state)


def _refuse(conn: Connection, ids: Sequence[int], state: JournalState) -> None:
    found = {e.id: e for e in entries(conn, ids)}
    missing = [i for i in ids if i not in found]
    if missing:
        raise StoreError(f"journal entries {missing} do not exist; cannot mark them {state.value}")
    allowed = ", ".join(sorted(s.value for s in _ALLOWED_FROM[state]))
    bad = next((e for e in found.values() if e.state not in _ALLOWED_FROM[state]), None)
    if bad is None:  # pragma: no cover - only if another writer raced this transaction
        raise StoreError(f"journal entries {list(ids)} changed while being marked {state.value}; try again")
    raise StoreError(
        f"journal entry {bad.id} ({bad.ref} {bad.field}) is {bad.state.value}; it cannot become {state.value} "
        f"(only from: {allowed})"
    )


def entries(conn: Connection, ids: Iterable[int]) -> list[JournalEntry]:
    """The entries with these ids, in id order."""
    found: list[JournalEntry] = []
    for chunk in chunked(ids, IN_CHUNK):
        query = select(write_journal).where(write_journal.c.id.in_(chunk))
        found.extend(_to_entry(row) for row in conn.execute(query).mappings())
    return sorted(found, key=lambda e: e.id)


def for_run(conn: Connection, run_id: str, *, states: Iterable[JournalState] | None = None) -> list[JournalEntry]:
    """A run's entries in the order they were planned, optionally only those in ``states``."""
    query = select(write_journal).where(write_journal.c.run_id == run_id).order_by(write_journal.c.id)
    if states is not None:
        query = query.where(write_journal.c.state.in_([JournalState(s).value for s in states]))
    return [_to_entry(row) for row in conn.execute(query).mappings()]


def pending_for_run(conn: Connection, run_id: str) -> list[JournalEntry]:
    """What a resumed run still has to settle: entries planned or sent, never finished."""
    return for_run(conn, run_id, states=(J.PLANNED, J.SENT))


def runs_with_pending(conn: Connection) -> list[str]:
    """Runs that stopped with writes planned or sent but not settled, oldest first."""
    query = (
        select(write_journal.c.run_id)
        .where(write_journal.c.state.in_([J.PLANNED.value, J.SENT.value]))
        .group_by(write_journal.c.run_id)
        .order_by(func.min(write_journal.c.id))
    )
    return list(conn.execute(query).scalars())


def for_deal(conn: Connection, ref: DealRef, *, field: str | None = None) -> list[JournalEntry]:
    """Every journaled write to one deal (optionally one field), oldest first: for rollback's "changed since"."""
    query = (
        select(write_journal)
        .where(write_journal.c.connection == ref.connection, write_journal.c.external_id == ref.id)
        .order_by(write_journal.c.id)
    )
    if field is not None:
        query = query.where(write_journal.c.field == field)
    return [_to_entry(row) for row in conn.execute(query).mappings()]


def _to_entry(row: RowMapping) -> JournalEntry:
    return JournalEntry(
        id=row["id"],
        run_id=row["run_id"],
        ref=DealRef(connection=row["connection"], id=row["external_id"]),
        field=row["field"],
        before=row["before"],
        after=row["after"],
        state=JournalState(row["state"]),
        planned_at=row["planned_at"],
        sent_at=row["sent_at"],
        finished_at=row["finished_at"],
        error=row["error"],
        batch_key=row["batch_key"],
    )
