"""The connections table: which CRM connections the store has seen, and when each was last pulled."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import Connection

from dealsync.errors import StoreError
from dealsync.store.tables import connections
from dealsync.store.upsert import upsert
from dealsync.store.values import ConnectionInfo


def ensure_connections(conn: Connection, names: Iterable[str], *, at: datetime) -> None:
    """Add the connections not yet known (type unknown until ``register_connection``)."""
    rows = [{"name": name, "type": None, "first_seen": at, "last_pull_at": None} for name in sorted(set(names))]
    upsert(conn, connections, rows, keys=("name",), update_columns=())


def register_connection(conn: Connection, name: str, type_: str, *, at: datetime) -> None:
    """Record a connection and its CRM type (``salesforce``, ``hubspot``); idempotent."""
    ensure_connections(conn, [name], at=at)
    conn.execute(update(connections).where(connections.c.name == name).values(type=type_))


def mark_pulled(conn: Connection, name: str, *, at: datetime) -> None:
    result = conn.execute(update(connections).where(connections.c.name == name).values(last_pull_at=at))
    if result.rowcount == 0:
        raise StoreError(f"connection {name!r} is not in the store; register it before recording a pull")


def save_schema(conn: Connection, name: str, schema: dict[str, Any]) -> None:
    result = conn.execute(update(connections).where(connections.c.name == name).values(schema=schema))
    if result.rowcount == 0:
        raise StoreError(f"connection {name!r} is not in the store; register it before saving its schema")


def schemas(conn: Connection) -> dict[str, dict[str, Any]]:
    """The last discovered schema of each connection that has one."""
    rows = conn.execute(select(connections.c.name, connections.c.schema)).all()
    return {name: schema for name, schema in rows if schema is not None}


def list_connections(conn: Connection) -> list[ConnectionInfo]:
    rows = conn.execute(select(connections).order_by(connections.c.name)).mappings()
    return [ConnectionInfo(r["name"], r["type"], r["first_seen"], r["last_pull_at"]) for r in rows]
