"""Bringing a store's schema to the latest revision with Alembic, on the caller's connection."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

from dealsync.errors import StoreError

MIGRATIONS_DIR = Path(__file__).resolve().with_name("migrations")


def alembic_config(connection: Connection | None = None) -> Config:
    """A programmatic Alembic config pointing at the packaged migrations (no alembic.ini needed)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@cache
def _script() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


@cache
def _known_revisions() -> frozenset[str]:
    return frozenset(script.revision for script in _script().walk_revisions())


def head_revision() -> str | None:
    return _script().get_current_head()


def current_revision(connection: Connection) -> str | None:
    with _quiet_alembic():
        return MigrationContext.configure(connection).get_current_revision()


def needs_upgrade(connection: Connection) -> bool:
    """True when the schema is behind this dealsync; a ``StoreError`` when it is ahead (a newer dealsync wrote it)."""
    current = current_revision(connection)
    if current == head_revision():
        return False
    if current is not None and current not in _known_revisions():
        raise StoreError(
            f"the store's schema is at revision {current!r}, which this dealsync does not know (its latest is "
            f"{head_revision()!r}): a newer dealsync wrote it; upgrade dealsync"
        )
    return True


def upgrade(connection: Connection) -> None:
    """Apply every migration not yet applied, inside the connection's current transaction."""
    if not needs_upgrade(connection):
        return
    with _quiet_alembic():
        command.upgrade(alembic_config(connection), "head")


@contextmanager
def _quiet_alembic() -> Iterator[None]:
    # Alembic logs "Context impl …" and each step at INFO; the store opens often, so keep only warnings and errors.
    logger = logging.getLogger("alembic")
    previous = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(previous)
