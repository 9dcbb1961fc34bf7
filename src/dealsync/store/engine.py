"""Creating the engine: any SQLAlchemy URL; SQLite gets WAL, foreign keys, a busy timeout and real transactions.

No message ever shows the URL's password: URLs are rendered with ``hide_password=True``.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.pool import ConnectionPoolEntry, StaticPool

from dealsync.errors import StoreError
from dealsync.store import migrate
from dealsync.store._support import WRITE_OPTION, error_reason, json_dumps, safe_url
from dealsync.store.facade import Store

BUSY_TIMEOUT_MS = 15_000

# pip package to install for a driver module that is missing.
_DRIVER_PACKAGES = {
    "psycopg": "psycopg[binary]",
    "psycopg2": "psycopg2-binary",
    "pg8000": "pg8000",
    "pymysql": "PyMySQL",
    "MySQLdb": "mysqlclient",
    "oracledb": "oracledb",
    "pyodbc": "pyodbc",
}


def create_store_engine(url: str) -> Engine:
    """An engine for ``url``; a missing driver or a malformed URL is a ``StoreError`` saying what to do."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise StoreError(
            "the store URL is not a valid SQLAlchemy URL; expected e.g. sqlite:///dealsync.db or "
            "postgresql+psycopg://user:password@host/dbname"
        ) from None
    try:
        if parsed.get_backend_name() == "sqlite":
            return _sqlite_engine(parsed)
        engine = create_engine(parsed, json_serializer=json_dumps, pool_pre_ping=True)
    except NoSuchModuleError:
        raise StoreError(
            f"store {safe_url(parsed)}: SQLAlchemy has no dialect {parsed.drivername!r}; "
            "use e.g. sqlite:///dealsync.db or postgresql+psycopg://…"
        ) from None
    except ImportError as exc:
        module = (exc.name or "").split(".")[0] or parsed.get_driver_name()
        package = _DRIVER_PACKAGES.get(module, module)
        raise StoreError(
            f"store {safe_url(parsed)} needs the database driver {module!r}, which is not installed; "
            f"install it with: pip install '{package}'"
        ) from None
    return engine


def _sqlite_engine(url: URL) -> Engine:
    database = url.database or ""
    in_memory = database in ("", ":memory:") or "mode=memory" in database or url.query.get("mode") == "memory"
    options: dict[str, Any] = {"json_serializer": json_dumps}
    if in_memory:
        # One shared connection, so every Store call sees the same in-memory database.
        options.update(poolclass=StaticPool, connect_args={"check_same_thread": False})
    elif not database.startswith("file:"):
        folder = Path(database).expanduser().parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create the folder {folder} for store {safe_url(url)}: {exc.strerror}") from None
    engine = create_engine(url, **options)
    event.listen(engine, "connect", _on_sqlite_connect)
    event.listen(engine, "begin", _on_sqlite_begin)
    return engine


def _on_sqlite_connect(dbapi_connection: sqlite3.Connection, _record: ConnectionPoolEntry) -> None:
    # SQLAlchemy emits BEGIN itself (below): sqlite3's legacy mode would skip it for SELECT, DDL and SAVEPOINT,
    # so migrations would not be atomic and reads inside a transaction not repeatable.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()


def _on_sqlite_begin(connection: Connection) -> None:
    # A writing transaction takes the write lock up front: waiting on busy_timeout beats failing with
    # SQLITE_BUSY when a deferred transaction that has read tries to write after another writer.
    immediate = connection.get_execution_options().get(WRITE_OPTION, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def open_store(url: str) -> Store:
    """Open (and create, or migrate to the latest schema) the store at ``url``.

    Raises ``StoreError`` naming the URL, password masked, when the database cannot be reached or its driver is
    missing.
    """
    engine = create_store_engine(url)
    try:
        _migrate(engine)
    except StoreError:
        engine.dispose()
        raise
    except SQLAlchemyError as exc:
        engine.dispose()
        raise StoreError(_unreachable(url, exc)) from exc
    return Store(engine, url)


def _migrate(engine: Engine) -> None:
    with engine.connect() as conn, conn.begin():
        behind = migrate.needs_upgrade(conn)
    if behind:
        with engine.connect() as conn:
            conn.execution_options(**{WRITE_OPTION: True})
            with conn.begin():
                migrate.upgrade(conn)  # checks again under the write lock: another process may have just done it


def _unreachable(url: str, exc: SQLAlchemyError) -> str:
    return (
        f"cannot open the store {safe_url(url)}: {error_reason(exc, url)}. Check that the database is running "
        "and reachable and that the URL, user and password are right."
    )
