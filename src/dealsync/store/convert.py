"""The one place where a canonical ``Deal`` becomes a ``deals`` row, and back."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from dealsync.canonical import Deal, DealRef, Stage, Status
from dealsync.store.values import HistoryEntry

RowLike = Mapping[Any, Any]  # a dict of columns, or a SQLAlchemy RowMapping

# The fields whose change appends a history row (DESIGN.md §1: lost deals keep their last open stage).
TRACKED = ("canonical_stage", "crm_stage_id", "amount", "currency", "close_date", "status")


def content_hash(deal: Deal) -> str:
    """A digest of everything the store keeps of a deal; equal digests mean nothing to write."""
    return hashlib.blake2b(deal.model_dump_json().encode(), digest_size=20).hexdigest()


def deal_to_row(deal: Deal, *, digest: str, observed_at: datetime) -> dict[str, Any]:
    """The ``deals`` columns of ``deal`` (``first_seen_at``/``deleted_at`` are the caller's to settle)."""
    return {
        "connection": deal.ref.connection,
        "external_id": deal.ref.id,
        "name": deal.name,
        "account_name": deal.account_name,
        "amount": deal.amount,
        "currency": deal.currency,
        "canonical_stage": None if deal.stage is None else deal.stage.value,
        "status": deal.status.value,
        "crm_stage_id": deal.crm_stage_id,
        "crm_stage_label": deal.crm_stage_label,
        "pipeline": deal.pipeline,
        "probability": deal.probability,
        "close_date": deal.close_date,
        "owner": deal.owner,
        "created_at": deal.created_at,
        "modified_at": deal.modified_at,
        "last_activity_at": deal.last_activity_at,
        "deleted": deal.deleted,
        "raw": deal.raw,
        "content_hash": digest,
        "first_seen_at": observed_at,
        "updated_in_store_at": observed_at,
        "deleted_at": None,
    }


def row_to_deal(row: RowLike) -> Deal:
    stage = row["canonical_stage"]
    return Deal(
        ref=DealRef(connection=row["connection"], id=row["external_id"]),
        name=row["name"],
        account_name=row["account_name"],
        amount=row["amount"],
        currency=row["currency"],
        stage=None if stage is None else Stage(stage),
        status=Status(row["status"]),
        crm_stage_id=row["crm_stage_id"],
        crm_stage_label=row["crm_stage_label"],
        pipeline=row["pipeline"],
        probability=row["probability"],
        close_date=row["close_date"],
        owner=row["owner"],
        created_at=row["created_at"],
        modified_at=row["modified_at"],
        last_activity_at=row["last_activity_at"],
        deleted=row["deleted"],
        raw=row["raw"] or {},
    )


def tracked_values(row: RowLike) -> tuple[Any, ...]:
    """The tracked fields of a ``deals`` row (or of ``deal_to_row``'s dict), compared by value."""
    return tuple(row[name] for name in TRACKED)


def history_row(row: RowLike, observed_at: datetime) -> dict[str, Any]:
    return {
        "connection": row["connection"],
        "external_id": row["external_id"],
        "changed_at": row["modified_at"],
        "observed_at": observed_at,
        "stage": row["canonical_stage"],
        "crm_stage_id": row["crm_stage_id"],
        "amount": row["amount"],
        "currency": row["currency"],
        "close_date": row["close_date"],
        "status": row["status"],
    }


def row_to_history(row: RowLike) -> HistoryEntry:
    stage = row["stage"]
    return HistoryEntry(
        ref=DealRef(connection=row["connection"], id=row["external_id"]),
        changed_at=row["changed_at"],
        observed_at=row["observed_at"],
        stage=None if stage is None else Stage(stage),
        crm_stage_id=row["crm_stage_id"],
        amount=row["amount"],
        currency=row["currency"],
        close_date=row["close_date"],
        status=Status(row["status"]),
    )
