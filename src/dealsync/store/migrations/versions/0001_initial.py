"""The initial schema: connections, deals and their history, cursors, runs, dedupe, flags, journal, locks, snapshots.

Revision ID: 0001
Revises:
Create Date: 2026-01-31
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from dealsync.store.types import ExactDecimal, UTCDateTime, json_type

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    _connections_and_deals()
    _pull_and_runs()
    _audit()
    _sync()


def _connections_and_deals() -> None:
    op.create_table(
        "connections",
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("type", sa.String(40), nullable=True),
        sa.Column("first_seen", UTCDateTime(), nullable=False),
        sa.Column("last_pull_at", UTCDateTime(), nullable=True),
        sa.Column("schema", json_type(), nullable=True),
        sa.PrimaryKeyConstraint("name", name="pk_connections"),
    )
    op.create_table(
        "deals",
        sa.Column("connection", sa.String(100), nullable=False),
        sa.Column("external_id", sa.String(255), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("account_name", sa.Text(), nullable=True),
        sa.Column("amount", ExactDecimal(), nullable=True),
        sa.Column("currency", sa.String(3), nullable=True),
        sa.Column("canonical_stage", sa.String(32), nullable=True),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("crm_stage_id", sa.String(255), nullable=False),
        sa.Column("crm_stage_label", sa.Text(), nullable=True),
        sa.Column("pipeline", sa.String(255), nullable=True),
        sa.Column("probability", ExactDecimal(), nullable=True),
        sa.Column("close_date", sa.Date(), nullable=True),
        sa.Column("owner", sa.String(255), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("modified_at", UTCDateTime(), nullable=False),
        sa.Column("last_activity_at", UTCDateTime(), nullable=True),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("deleted_at", UTCDateTime(), nullable=True),
        sa.Column("raw", json_type(), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("first_seen_at", UTCDateTime(), nullable=False),
        sa.Column("updated_in_store_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["connection"], ["connections.name"], name="fk_deals_connection_connections"),
        sa.PrimaryKeyConstraint("connection", "external_id", name="pk_deals"),
    )
    op.create_index("ix_deals_connection_modified_at", "deals", ["connection", "modified_at"])
    op.create_index("ix_deals_canonical_stage", "deals", ["canonical_stage"])
    op.create_index("ix_deals_status", "deals", ["status"])
    op.create_table(
        "deal_history",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("connection", sa.String(100), nullable=False),
        sa.Column("external_id", sa.String(255), nullable=False),
        sa.Column("changed_at", UTCDateTime(), nullable=False),
        sa.Column("observed_at", UTCDateTime(), nullable=False),
        sa.Column("stage", sa.String(32), nullable=True),
        sa.Column("crm_stage_id", sa.String(255), nullable=False),
        sa.Column("amount", ExactDecimal(), nullable=True),
        sa.Column("currency", sa.String(3), nullable=True),
        sa.Column("close_date", sa.Date(), nullable=True),
        sa.Column("status", sa.String(8), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_deal_history"),
    )
    op.create_index("ix_deal_history_deal", "deal_history", ["connection", "external_id", "changed_at"])


def _pull_and_runs() -> None:
    op.create_table(
        "pull_cursors",
        sa.Column("connection", sa.String(100), nullable=False),
        sa.Column("stream", sa.String(64), nullable=False),
        sa.Column("modified_at", UTCDateTime(), nullable=False),
        sa.Column("last_id", sa.String(255), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["connection"], ["connections.name"], name="fk_pull_cursors_connection_connections"),
        sa.PrimaryKeyConstraint("connection", "stream", name="pk_pull_cursors"),
    )
    op.create_table(
        "runs",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("dry_run", sa.Boolean(), nullable=False),
        sa.Column("summary", json_type(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_runs"),
    )
    op.create_index("ix_runs_kind_started_at", "runs", ["kind", "started_at"])
    op.create_table(
        "locks",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("holder", sa.String(255), nullable=False),
        sa.Column("acquired_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_locks"),
    )


def _audit() -> None:
    op.create_table(
        "dedupe_clusters",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("run_id", sa.String(36), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("golden", json_type(), nullable=False),
        sa.Column("reasons", json_type(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name="fk_dedupe_clusters_run_id_runs", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_dedupe_clusters"),
    )
    op.create_index("ix_dedupe_clusters_run_id", "dedupe_clusters", ["run_id"])
    op.create_table(
        "dedupe_members",
        sa.Column("cluster_id", sa.String(36), nullable=False),
        sa.Column("connection", sa.String(100), nullable=False),
        sa.Column("external_id", sa.String(255), nullable=False),
        sa.ForeignKeyConstraint(
            ["cluster_id"],
            ["dedupe_clusters.id"],
            name="fk_dedupe_members_cluster_id_dedupe_clusters",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("cluster_id", "connection", "external_id", name="pk_dedupe_members"),
    )
    op.create_index("ix_dedupe_members_deal", "dedupe_members", ["connection", "external_id"])
    op.create_table(
        "dedupe_decisions",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("connection_a", sa.String(100), nullable=False),
        sa.Column("id_a", sa.String(255), nullable=False),
        sa.Column("connection_b", sa.String(100), nullable=False),
        sa.Column("id_b", sa.String(255), nullable=False),
        sa.Column("decided_at", UTCDateTime(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_dedupe_decisions"),
        sa.UniqueConstraint(
            "connection_a",
            "id_a",
            "connection_b",
            "id_b",
            name="uq_dedupe_decisions_connection_a_id_a_connection_b_id_b",
        ),
    )
    op.create_table(
        "flags",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("run_id", sa.String(36), nullable=False),
        sa.Column("connection", sa.String(100), nullable=False),
        sa.Column("external_id", sa.String(255), nullable=False),
        sa.Column("rule", sa.String(100), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name="fk_flags_run_id_runs", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_flags"),
    )
    op.create_index("ix_flags_run_id", "flags", ["run_id"])
    op.create_index("ix_flags_deal", "flags", ["connection", "external_id"])


def _sync() -> None:
    op.create_table(
        "write_journal",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("run_id", sa.String(36), nullable=False),
        sa.Column("connection", sa.String(100), nullable=False),
        sa.Column("external_id", sa.String(255), nullable=False),
        sa.Column("field", sa.String(100), nullable=False),
        sa.Column("before", json_type(), nullable=True),
        sa.Column("after", json_type(), nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("planned_at", UTCDateTime(), nullable=False),
        sa.Column("sent_at", UTCDateTime(), nullable=True),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.Column("batch_key", sa.String(100), nullable=True),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name="fk_write_journal_run_id_runs"),
        sa.PrimaryKeyConstraint("id", name="pk_write_journal"),
    )
    op.create_index("ix_write_journal_run_id_state", "write_journal", ["run_id", "state"])
    op.create_index("ix_write_journal_deal_field", "write_journal", ["connection", "external_id", "field"])
    op.create_table(
        "sync_snapshots",
        sa.Column("connection", sa.String(100), nullable=False),
        sa.Column("external_id", sa.String(255), nullable=False),
        sa.Column("field", sa.String(100), nullable=False),
        sa.Column("value", json_type(), nullable=True),
        sa.Column("synced_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("connection", "external_id", "field", name="pk_sync_snapshots"),
    )


def downgrade() -> None:
    for table in (
        "sync_snapshots",
        "write_journal",
        "flags",
        "dedupe_decisions",
        "dedupe_members",
        "dedupe_clusters",
        "locks",
        "runs",
        "pull_cursors",
        "deal_history",
        "deals",
        "connections",
    ):
        op.drop_table(table)
