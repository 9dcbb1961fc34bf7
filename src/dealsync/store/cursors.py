"""Pull cursors: ``(modified_at, last_id)`` per connection and stream, written in the page's own transaction."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.engine import Connection

from dealsync.store.connections import ensure_connections
from dealsync.store.tables import pull_cursors
from dealsync.store.upsert import upsert
from dealsync.store.values import Cursor


def get_cursor(conn: Connection, connection: str, stream: str) -> Cursor | None:
    query = select(pull_cursors).where(pull_cursors.c.connection == connection, pull_cursors.c.stream == stream)
    row = conn.execute(query).mappings().first()
    if row is None:
        return None
    return Cursor(row["connection"], row["stream"], row["modified_at"], row["last_id"], row["updated_at"])


def set_cursor(
    conn: Connection, connection: str, stream: str, modified_at: datetime, last_id: str | None, *, at: datetime
) -> Cursor:
    """Store where the next pull resumes. Call it in the transaction that stored the rows it covers."""
    ensure_connections(conn, [connection], at=at)
    row = {"connection": connection, "stream": stream, "modified_at": modified_at, "last_id": last_id, "updated_at": at}
    upsert(
        conn,
        pull_cursors,
        [row],
        keys=("connection", "stream"),
        update_columns=("modified_at", "last_id", "updated_at"),
    )
    return Cursor(connection, stream, modified_at, last_id, at)


def reset_cursors(conn: Connection, connection: str, stream: str | None = None) -> int:
    """Forget a connection's cursors (all streams, or one): the next pull reads everything."""
    stmt = delete(pull_cursors).where(pull_cursors.c.connection == connection)
    if stream is not None:
        stmt = stmt.where(pull_cursors.c.stream == stream)
    return conn.execute(stmt).rowcount
