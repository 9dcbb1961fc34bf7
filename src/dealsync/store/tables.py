"""The store's tables, as typed SQLAlchemy 2 declarative classes.

Repositories use the Core ``Table`` objects (``DealRow.__table__`` …) for bulk statements; the classes give the
columns their types. Every timestamp is a ``UTCDateTime``; every amount an ``ExactDecimal``. Stage, status, run
kind and journal state are plain strings holding the enum values of ``dealsync.canonical`` / ``store.values``.
The Alembic migrations in ``migrations/versions`` create exactly this schema (a test compares them).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from dealsync.store.types import ExactDecimal, UTCDateTime, json_type

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# BIGINT keys on PostgreSQL; on SQLite only INTEGER PRIMARY KEY is the auto-incrementing rowid.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class ConnectionRow(Base):
    __tablename__ = "connections"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    type: Mapped[str | None] = mapped_column(String(40))
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime())
    last_pull_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # what the last discovery learned (currencies, fx rates, stage metadata), for audits run without the CRM
    schema: Mapped[dict[str, Any] | None] = mapped_column(json_type())


class DealRow(Base):
    __tablename__ = "deals"
    __table_args__ = (
        Index("ix_deals_connection_modified_at", "connection", "modified_at"),
        Index("ix_deals_canonical_stage", "canonical_stage"),
        Index("ix_deals_status", "status"),
    )

    connection: Mapped[str] = mapped_column(String(100), ForeignKey("connections.name"), primary_key=True)
    external_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    name: Mapped[str] = mapped_column(Text())
    account_name: Mapped[str | None] = mapped_column(Text())
    amount: Mapped[Decimal | None] = mapped_column(ExactDecimal())
    currency: Mapped[str | None] = mapped_column(String(3))
    canonical_stage: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(8))
    crm_stage_id: Mapped[str] = mapped_column(String(255))
    crm_stage_label: Mapped[str | None] = mapped_column(Text())
    pipeline: Mapped[str | None] = mapped_column(String(255))
    probability: Mapped[Decimal | None] = mapped_column(ExactDecimal())
    close_date: Mapped[date | None] = mapped_column(Date())
    owner: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    modified_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_activity_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    deleted: Mapped[bool] = mapped_column(Boolean(), default=False)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    raw: Mapped[dict[str, Any]] = mapped_column(json_type())
    content_hash: Mapped[str] = mapped_column(String(64))
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_in_store_at: Mapped[datetime] = mapped_column(UTCDateTime())


class DealHistoryRow(Base):
    """One row per observed change of stage, amount, currency, close date or status, plus the first sighting.

    No foreign key to ``deals`` on purpose: only ``upsert_deals`` writes here, right after the deal row, and on
    PostgreSQL the foreign-key check keeps the plan it made while ``deals`` was empty, which turns a first bulk
    load into a sequential scan per history row (100,000 deals: six minutes instead of seconds).
    """

    __tablename__ = "deal_history"
    __table_args__ = (Index("ix_deal_history_deal", "connection", "external_id", "changed_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    connection: Mapped[str] = mapped_column(String(100))
    external_id: Mapped[str] = mapped_column(String(255))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime())  # the CRM's modified_at
    observed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    stage: Mapped[str | None] = mapped_column(String(32))
    crm_stage_id: Mapped[str] = mapped_column(String(255))
    amount: Mapped[Decimal | None] = mapped_column(ExactDecimal())
    currency: Mapped[str | None] = mapped_column(String(3))
    close_date: Mapped[date | None] = mapped_column(Date())
    status: Mapped[str] = mapped_column(String(8))


class PullCursorRow(Base):
    __tablename__ = "pull_cursors"

    connection: Mapped[str] = mapped_column(String(100), ForeignKey("connections.name"), primary_key=True)
    stream: Mapped[str] = mapped_column(String(64), primary_key=True)
    modified_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_id: Mapped[str | None] = mapped_column(String(255))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class RunRow(Base):
    __tablename__ = "runs"
    __table_args__ = (Index("ix_runs_kind_started_at", "kind", "started_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(16))
    dry_run: Mapped[bool] = mapped_column(Boolean(), default=False)
    summary: Mapped[dict[str, Any] | None] = mapped_column(json_type())
    error: Mapped[str | None] = mapped_column(Text())


class DedupeClusterRow(Base):
    __tablename__ = "dedupe_clusters"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    run_id: Mapped[str] = mapped_column(String(36), ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    confidence: Mapped[float] = mapped_column(Float())
    golden: Mapped[dict[str, Any]] = mapped_column(json_type())
    reasons: Mapped[list[str]] = mapped_column(json_type())


class DedupeMemberRow(Base):
    __tablename__ = "dedupe_members"
    __table_args__ = (Index("ix_dedupe_members_deal", "connection", "external_id"),)

    cluster_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("dedupe_clusters.id", ondelete="CASCADE"), primary_key=True
    )
    connection: Mapped[str] = mapped_column(String(100), primary_key=True)
    external_id: Mapped[str] = mapped_column(String(255), primary_key=True)


class DedupeDecisionRow(Base):
    """A pair a person marked "not a duplicate"; stored in (connection, id) order so (a, b) and (b, a) are one."""

    __tablename__ = "dedupe_decisions"
    __table_args__ = (UniqueConstraint("connection_a", "id_a", "connection_b", "id_b"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    connection_a: Mapped[str] = mapped_column(String(100))
    id_a: Mapped[str] = mapped_column(String(255))
    connection_b: Mapped[str] = mapped_column(String(100))
    id_b: Mapped[str] = mapped_column(String(255))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime())
    note: Mapped[str | None] = mapped_column(Text())


class FlagRow(Base):
    __tablename__ = "flags"
    __table_args__ = (Index("ix_flags_deal", "connection", "external_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(String(36), ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    connection: Mapped[str] = mapped_column(String(100))
    external_id: Mapped[str] = mapped_column(String(255))
    rule: Mapped[str] = mapped_column(String(100))
    severity: Mapped[str] = mapped_column(String(16))
    detail: Mapped[str] = mapped_column(Text())


class WriteJournalRow(Base):
    """One field write: journaled (planned) before it is sent, marked after."""

    __tablename__ = "write_journal"
    __table_args__ = (
        Index("ix_write_journal_run_id_state", "run_id", "state"),
        Index("ix_write_journal_deal_field", "connection", "external_id", "field"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(String(36), ForeignKey("runs.id"))
    connection: Mapped[str] = mapped_column(String(100))
    external_id: Mapped[str] = mapped_column(String(255))
    field: Mapped[str] = mapped_column(String(100))
    before: Mapped[Any] = mapped_column(json_type(), nullable=True)
    after: Mapped[Any] = mapped_column(json_type(), nullable=True)
    state: Mapped[str] = mapped_column(String(16))
    error: Mapped[str | None] = mapped_column(Text())
    planned_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    batch_key: Mapped[str | None] = mapped_column(String(100))


class LockRow(Base):
    __tablename__ = "locks"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(255))
    acquired_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SyncSnapshotRow(Base):
    """The value of one field of one deal as of the last sync: the base of the three-way merge."""

    __tablename__ = "sync_snapshots"

    connection: Mapped[str] = mapped_column(String(100), primary_key=True)
    external_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    field: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[Any] = mapped_column(json_type(), nullable=True)
    synced_at: Mapped[datetime] = mapped_column(UTCDateTime())


def _table(cls: type[Base]) -> Table:
    return cast(Table, cls.__table__)


connections = _table(ConnectionRow)
deals = _table(DealRow)
deal_history = _table(DealHistoryRow)
pull_cursors = _table(PullCursorRow)
runs = _table(RunRow)
dedupe_clusters = _table(DedupeClusterRow)
dedupe_members = _table(DedupeMemberRow)
dedupe_decisions = _table(DedupeDecisionRow)
flags = _table(FlagRow)
write_journal = _table(WriteJournalRow)
locks = _table(LockRow)
sync_snapshots = _table(SyncSnapshotRow)
