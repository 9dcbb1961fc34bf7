"""Insert-or-update in bulk: ``ON CONFLICT`` on SQLite and PostgreSQL, update-then-insert anywhere else."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Table, and_, bindparam, insert, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection


def upsert(
    conn: Connection,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    *,
    keys: Sequence[str],
    update_columns: Sequence[str],
) -> None:
    """Insert ``rows``; a row whose ``keys`` exist updates ``update_columns`` (none: the row is left alone).

    One prepared statement per call, executed for all rows (``executemany``).
    """
    if not rows:
        return
    dialect = conn.dialect.name
    if dialect == "sqlite":
        _sqlite(conn, table, rows, keys, update_columns)
    elif dialect == "postgresql":
        _postgresql(conn, table, rows, keys, update_columns)
    else:
        _generic(conn, table, rows, keys, update_columns)


def _sqlite(
    conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]], keys: Sequence[str], columns: Sequence[str]
) -> None:
    stmt = sqlite.insert(table)
    if columns:
        stmt = stmt.on_conflict_do_update(index_elements=keys, set_={c: stmt.excluded[c] for c in columns})
    else:
        stmt = stmt.on_conflict_do_nothing(index_elements=keys)
    conn.execute(stmt, list(rows))


def _postgresql(
    conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]], keys: Sequence[str], columns: Sequence[str]
) -> None:
    stmt = postgresql.insert(table)
    if columns:
        stmt = stmt.on_conflict_do_update(index_elements=keys, set_={c: stmt.excluded[c] for c in columns})
    else:
        stmt = stmt.on_conflict_do_nothing(index_elements=keys)
    conn.execute(stmt, list(rows))


def _generic(
    conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]], keys: Sequence[str], columns: Sequence[str]
) -> None:
    # Row by row: portable, slower. Racing writers are kept out by the store's locks, not by this statement.
    where = and_(*(table.c[k] == bindparam(f"key_{k}", type_=table.c[k].type) for k in keys))
    for row in rows:
        matched = conn.execute(table.select().where(where).with_only_columns(table.c[keys[0]]), _key_params(row, keys))
        if matched.first() is None:
            conn.execute(insert(table), dict(row))
        elif columns:
            values = {c: row[c] for c in columns}
            conn.execute(update(table).where(where).values(values), _key_params(row, keys))


def _key_params(row: Mapping[str, Any], keys: Sequence[str]) -> dict[str, Any]:
    return {f"key_{k}": row[k] for k in keys}
