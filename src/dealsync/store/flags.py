"""Flags raised by an audit run (stale, mis-valued, inconsistent, unmapped stage …)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import insert, select
from sqlalchemy.engine import Connection

from dealsync.canonical import DealRef
from dealsync.store._support import chunked
from dealsync.store.tables import flags
from dealsync.store.values import FlagRecord


def save_flags(conn: Connection, run_id: str, records: Iterable[FlagRecord]) -> int:
    saved = 0
    for chunk in chunked(records, 1000):
        rows = [
            {
                "run_id": run_id,
                "connection": f.ref.connection,
                "external_id": f.ref.id,
                "rule": f.rule,
                "severity": f.severity,
                "detail": f.detail,
            }
            for f in chunk
        ]
        conn.execute(insert(flags), rows)
        saved += len(rows)
    return saved


def flags_for_run(conn: Connection, run_id: str) -> list[FlagRecord]:
    """A run's flags in the order they were saved."""
    query = select(flags).where(flags.c.run_id == run_id).order_by(flags.c.id)
    return [
        FlagRecord(
            ref=DealRef(connection=row["connection"], id=row["external_id"]),
            rule=row["rule"],
            severity=row["severity"],
            detail=row["detail"],
        )
        for row in conn.execute(query).mappings()
    ]
