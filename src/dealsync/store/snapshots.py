"""Sync snapshots: each synced field's value as of the last sync, the base of the three-way merge (DESIGN §6)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from dealsync.canonical import DealRef
from dealsync.store._support import IN_CHUNK, chunked, ids_by_connection
from dealsync.store.tables import sync_snapshots
from dealsync.store.upsert import upsert
from dealsync.store.values import SnapshotValue


def save_snapshots(conn: Connection, values: Iterable[SnapshotValue], *, at: datetime) -> int:
    """Replace the stored value of each (deal, field) given."""
    saved = 0
    for chunk in chunked(values, 1000):
        latest = {(v.ref.connection, v.ref.id, v.field): v.value for v in chunk}
        rows = [
            {"connection": c, "external_id": i, "field": f, "value": value, "synced_at": at}
            for (c, i, f), value in latest.items()
        ]
        upsert(
            conn,
            sync_snapshots,
            rows,
            keys=("connection", "external_id", "field"),
            update_columns=("value", "synced_at"),
        )
        saved += len(rows)
    return saved


def snapshots_for(conn: Connection, refs: Iterable[DealRef]) -> dict[DealRef, dict[str, Any]]:
    """field → value as of the last sync, per deal; a deal never synced is absent."""
    result: dict[DealRef, dict[str, Any]] = defaultdict(dict)
    for connection, ids in ids_by_connection(refs).items():
        for chunk in chunked(ids, IN_CHUNK):
            query = select(sync_snapshots).where(
                sync_snapshots.c.connection == connection, sync_snapshots.c.external_id.in_(chunk)
            )
            for row in conn.execute(query).mappings():
                result[DealRef(connection=connection, id=row["external_id"])][row["field"]] = row["value"]
    return dict(result)
