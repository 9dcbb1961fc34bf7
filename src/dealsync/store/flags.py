"""Flags raised by an audit run (stale, mis-valued, inconsistent, unmapped stage …)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.engine import Connection

from dealsync.canonical import DealRef
from dealsync.store._support import chunked
from dealsync.store.tables import flags
from dealsync.store.values import FlagRecord

_COLUMNS = ("run_id", "connection", "external_id", "rule", "severity", "detail")
FLAG_BATCH = 5000


def save_flags(conn: Connection, run_id: str, records: Iterable[FlagRecord]) -> int:
    """Append ``records`` to the run's flags: the one bulk write of an audit (a million deals: ~1.5 M flags).

    The INSERT is compiled once for the dialect and the rows go straight to the driver's ``executemany``:
    flags are plain strings, so SQLAlchemy's per-row parameter processing would only cost time (about a third).
    """
    compiled = insert(flags).compile(dialect=conn.dialect, column_keys=list(_COLUMNS))
    order = compiled.positiontup if compiled.positional else None
    saved = 0
    for chunk in chunked(records, FLAG_BATCH):
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
        params: Any = rows if order is None else [tuple(row[key] for key in order) for row in rows]
        conn.exec_driver_sql(compiled.string, params)
        saved += len(rows)
    return saved


def flags_for_run(conn: Connection, run_id: str) -> list[FlagRecord]:
    """A run's flags by deal (``(connection, id)`` order), each deal's in the order they were saved (rule order).

    Not simply the saving order: an audit saves the deals of its two processes' slices as each finishes.
    """
    query = select(flags).where(flags.c.run_id == run_id).order_by(flags.c.connection, flags.c.external_id, flags.c.id)
    return [
        FlagRecord(
            ref=DealRef(connection=row["connection"], id=row["external_id"]),
            rule=row["rule"],
            severity=row["severity"],
            detail=row["detail"],
        )
        for row in conn.execute(query).mappings()
    ]
