"""Duplicate clusters found by an audit run, and the pairs a person marked "not a duplicate"."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.engine import Connection

from dealsync.canonical import DealRef
from dealsync.store._support import chunked
from dealsync.store.tables import dedupe_clusters, dedupe_decisions, dedupe_members
from dealsync.store.upsert import upsert
from dealsync.store.values import DedupeCluster, NotDuplicate

_PAIR = ("connection_a", "id_a", "connection_b", "id_b")


CLUSTER_BATCH = 2000


def save_clusters(conn: Connection, run_id: str, clusters: Iterable[DedupeCluster]) -> int:
    """Store an audit run's clusters and their members; returns how many clusters.

    In batches, so that the rows (golden records as JSON) of a hundred thousand clusters never sit in memory at
    once: an audit saves them while its dedupe process is still at work beside it.
    """
    saved = 0
    for chunk in chunked(clusters, CLUSTER_BATCH):
        cluster_rows: list[dict[str, Any]] = []
        member_rows: list[dict[str, str]] = []
        for cluster in chunk:
            cluster_rows.append(
                {
                    "id": cluster.id,
                    "run_id": run_id,
                    "confidence": cluster.confidence,
                    "golden": cluster.golden,
                    "reasons": list(cluster.reasons),
                }
            )
            member_rows.extend(
                {"cluster_id": cluster.id, "connection": m.connection, "external_id": m.id}
                for m in dict.fromkeys(cluster.members)
            )
        conn.execute(insert(dedupe_clusters), cluster_rows)
        conn.execute(insert(dedupe_members), member_rows)
        saved += len(cluster_rows)
    return saved


def clusters_for_run(conn: Connection, run_id: str) -> list[DedupeCluster]:
    """A run's clusters, most confident first; members in (connection, id) order."""
    members: dict[str, list[DealRef]] = defaultdict(list)
    member_query = (
        select(dedupe_members)
        .join(dedupe_clusters, dedupe_clusters.c.id == dedupe_members.c.cluster_id)
        .where(dedupe_clusters.c.run_id == run_id)
        .order_by(dedupe_members.c.connection, dedupe_members.c.external_id)
    )
    for row in conn.execute(member_query).mappings():
        members[row["cluster_id"]].append(DealRef(connection=row["connection"], id=row["external_id"]))
    query = (
        select(dedupe_clusters)
        .where(dedupe_clusters.c.run_id == run_id)
        .order_by(dedupe_clusters.c.confidence.desc(), dedupe_clusters.c.id)
    )
    return [
        DedupeCluster(
            id=row["id"],
            members=tuple(members[row["id"]]),
            confidence=row["confidence"],
            golden=row["golden"],
            reasons=tuple(row["reasons"]),
        )
        for row in conn.execute(query).mappings()
    ]


def _ordered(a: DealRef, b: DealRef) -> tuple[DealRef, DealRef]:
    return (a, b) if (a.connection, a.id) <= (b.connection, b.id) else (b, a)


def _pair_values(a: DealRef, b: DealRef) -> dict[str, str]:
    first, second = _ordered(a, b)
    return {"connection_a": first.connection, "id_a": first.id, "connection_b": second.connection, "id_b": second.id}


def record_not_duplicate(conn: Connection, a: DealRef, b: DealRef, *, at: datetime, note: str | None = None) -> None:
    """Remember that a person judged ``a`` and ``b`` different deals; the same pair in any order is one decision.

    Recording it again updates the note and time.
    """
    if a == b:
        raise ValueError(f"a deal cannot be 'not a duplicate' of itself: {a}")
    row = {**_pair_values(a, b), "decided_at": at, "note": note}
    upsert(conn, dedupe_decisions, [row], keys=_PAIR, update_columns=("decided_at", "note"))


def forget_not_duplicate(conn: Connection, a: DealRef, b: DealRef) -> bool:
    """Undo a "not a duplicate" decision; True when there was one."""
    where = [dedupe_decisions.c[k] == v for k, v in _pair_values(a, b).items()]
    return conn.execute(delete(dedupe_decisions).where(*where)).rowcount > 0


def is_not_duplicate(conn: Connection, a: DealRef, b: DealRef) -> bool:
    where = [dedupe_decisions.c[k] == v for k, v in _pair_values(a, b).items()]
    return conn.execute(select(dedupe_decisions.c.id).where(*where)).first() is not None


def not_duplicates(conn: Connection) -> list[NotDuplicate]:
    """Every "not a duplicate" decision, oldest first."""
    query = select(dedupe_decisions).order_by(dedupe_decisions.c.decided_at, dedupe_decisions.c.id)
    return [
        NotDuplicate(
            a=DealRef(connection=row["connection_a"], id=row["id_a"]),
            b=DealRef(connection=row["connection_b"], id=row["id_b"]),
            decided_at=row["decided_at"],
            note=row["note"],
        )
        for row in conn.execute(query).mappings()
    ]
