"""Opening a store: migrations on first use, SQLite settings, and errors that never show a password."""

from __future__ import annotations

import logging
import sqlite3
from importlib.util import find_spec
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from dealsync.errors import StoreError
from dealsync.store import Store, open_store
from dealsync.store.migrate import head_revision
from dealsync.store.tables import Base

EXPECTED_TABLES = {
    "connections",
    "deals",
    "deal_history",
    "pull_cursors",
    "runs",
    "dedupe_clusters",
    "dedupe_members",
    "dedupe_decisions",
    "flags",
    "write_journal",
    "locks",
    "sync_snapshots",
}


def test_first_open_creates_the_schema_at_the_latest_revision(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "dir" / "dealsync.db"  # parent folders are created
    with open_store(f"sqlite:///{path}") as store:
        assert set(inspect(store.engine).get_table_names()) >= EXPECTED_TABLES
    with sqlite3.connect(path) as raw:
        assert raw.execute("SELECT version_num FROM alembic_version").fetchall() == [(head_revision(),)]


def test_second_open_is_a_no_op_and_keeps_data(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    with open_store(url) as store:
        store.register_connection("sf-main", "salesforce")
    with open_store(url) as again:
        assert [c.name for c in again.list_connections()] == ["sf-main"]
        with again.engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar_one() == 1


def test_migrations_create_exactly_the_declared_tables(store: Store) -> None:
    with store.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []


def test_sqlite_runs_with_wal_foreign_keys_and_busy_timeout(store_path: Path) -> None:
    with open_store(f"sqlite:///{store_path}") as store, store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar_one() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar_one() == 15000
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar_one() == 1  # NORMAL


def test_foreign_keys_are_enforced(store_path: Path) -> None:
    with (
        open_store(f"sqlite:///{store_path}") as store,
        pytest.raises(StoreError, match="FOREIGN KEY"),
        store.transaction() as tx,
    ):
        tx._conn.exec_driver_sql(
            "INSERT INTO flags (run_id, connection, external_id, rule, severity, detail) "
            "VALUES ('no-such-run', 'c', 'i', 'stale.no_activity', 'warning', '')"
        )


def test_in_memory_store_is_shared_between_calls() -> None:
    with open_store("sqlite://") as store:
        store.register_connection("hs-main", "hubspot")
        assert [(c.name, c.type) for c in store.list_connections()] == [("hs-main", "hubspot")]


def test_a_schema_newer_than_this_dealsync_is_refused(store_path: Path) -> None:
    open_store(f"sqlite:///{store_path}").close()
    with sqlite3.connect(store_path) as raw:
        raw.execute("UPDATE alembic_version SET version_num = '9999_from_the_future'")
    with pytest.raises(StoreError, match=r"9999_from_the_future.*upgrade dealsync"):
        open_store(f"sqlite:///{store_path}")


def test_unreachable_postgres_names_the_url_without_the_password() -> None:
    with pytest.raises(StoreError) as caught:
        open_store("postgresql+psycopg://u:secret@127.0.0.1:1/x")
    message = str(caught.value)
    assert "secret" not in message
    assert "postgresql+psycopg://u:***@127.0.0.1:1/x" in message
    if find_spec("psycopg") is None:  # the driver is optional: say which one to install
        assert "needs the database driver 'psycopg'" in message
        assert "pip install 'psycopg[binary]'" in message
    else:  # pragma: no cover - only where psycopg is installed: nothing listens on port 1
        assert message.startswith("cannot open the store")


def test_unopenable_sqlite_file_names_the_url(tmp_path: Path) -> None:
    # A folder where the database file should be: SQLite cannot open it.
    with pytest.raises(StoreError, match=rf"cannot open the store sqlite:///{tmp_path}: .*unable to open"):
        open_store(f"sqlite:///{tmp_path}")


def test_uncreatable_folder_names_the_url(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(StoreError, match=r"cannot create the folder .*a-file for store sqlite:///.*a-file/store\.db"):
        open_store(f"sqlite:///{blocker}/store.db")


def test_malformed_url_is_a_store_error() -> None:
    with pytest.raises(StoreError, match="not a valid SQLAlchemy URL"):
        open_store("not a url")


def test_unknown_dialect_is_a_store_error() -> None:
    with pytest.raises(StoreError, match="no dialect 'nosuchdb'"):
        open_store("nosuchdb://u:secret@host/db")


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "store.db"


def test_opening_logs_nothing_at_info(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    url = f"sqlite:///{tmp_path / 'store.db'}"
    open_store(url).close()  # creates the schema
    open_store(url).close()  # already there
    assert [r.getMessage() for r in caplog.records if r.levelno < logging.WARNING] == []
    assert logging.getLogger("alembic").level == logging.NOTSET  # left as it was
