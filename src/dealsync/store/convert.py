"""The one place where a canonical ``Deal`` becomes a ``deals`` row, and back.

Reads select the date, time and decimal columns as the driver returns them (``read_columns``): SQLite's text
(``2026-05-01 12:00:00.000000``, ``1234.50``) is parsed here with ``datetime.fromisoformat`` and ``Decimal``,
several times faster than SQLAlchemy's per-type result processors, which parse with regular expressions (a
million deals: ~10 s saved per pass); PostgreSQL's native values pass through. Either way every value is then
validated by the pydantic model, as on any other way in.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Column, ColumnElement, Date, String, Table, type_coerce

from dealsync.canonical import Deal, DealRef, Stage, Status
from dealsync.store.types import ExactDecimal, UTCDateTime
from dealsync.store.values import DealKey, DealSummary, HistoryEntry

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


_PARSED_TYPES = (UTCDateTime, ExactDecimal, Date)


def read_columns(table: Table, names: Sequence[str]) -> list[ColumnElement[Any]]:
    """``table``'s columns ``names``, in that order; dates, instants and decimals without result processing (the
    functions below parse them)."""
    return [_unprocessed(table.c[name]) for name in names]


def _unprocessed(column: Column[Any]) -> ColumnElement[Any]:
    if isinstance(column.type, _PARSED_TYPES):
        return type_coerce(column, String()).label(column.name)
    return column


def instant(value: object) -> datetime | None:
    """A stored instant as an aware UTC datetime: SQLite text is naive UTC; a driver's datetime passes through."""
    if value is None:
        return None
    parsed = datetime.fromisoformat(value) if isinstance(value, str) else value
    if not isinstance(parsed, datetime):
        raise TypeError(f"expected a stored timestamp, got {type(value).__name__}")
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def day(value: object) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def decimal(value: object) -> Decimal | None:
    if value is None or isinstance(value, Decimal):
        return value
    return Decimal(str(value))


_STAGES = {stage.value: stage for stage in Stage}
_STATUSES = {status.value: status for status in Status}

# the ``deals`` columns a read selects, in the order ``deal_from_row`` unpacks them (``raw`` last: optional)
DEAL_READ = (
    "connection",
    "external_id",
    "name",
    "account_name",
    "amount",
    "currency",
    "canonical_stage",
    "status",
    "crm_stage_id",
    "crm_stage_label",
    "pipeline",
    "probability",
    "close_date",
    "owner",
    "created_at",
    "modified_at",
    "last_activity_at",
    "deleted",
    "raw",
)


def deal_from_row(row: Sequence[Any]) -> Deal:
    """A ``Deal`` from a row of ``read_columns(deals, DEAL_READ)``, or of all but its last column (no ``raw``)."""
    (connection, external_id, name, account, amount, currency, stage, status, stage_id, label, pipeline) = row[:11]
    (probability, close, owner, created, modified, activity, deleted) = row[11:18]
    return Deal(
        ref=DealRef(connection=connection, id=external_id),
        name=name,
        account_name=account,
        amount=decimal(amount),
        currency=currency,
        stage=None if stage is None else _STAGES[stage],
        status=_STATUSES[status],
        crm_stage_id=stage_id,
        crm_stage_label=label,
        pipeline=pipeline,
        probability=decimal(probability),
        close_date=day(close),
        owner=owner,
        created_at=instant(created),
        modified_at=instant(modified),
        last_activity_at=instant(activity),
        deleted=deleted,
        raw=(row[18] if len(row) > 18 else None) or {},
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


# the ``deals`` columns of a ``DealSummary``, in its order (that of ``DEAL_READ``)
SUMMARY_READ = tuple(
    name
    for name in DEAL_READ
    if name not in ("crm_stage_id", "crm_stage_label", "probability", "created_at", "last_activity_at", "raw")
)


def summary_from_row(row: Sequence[Any]) -> DealSummary:
    """A ``DealSummary`` from a row of ``read_columns(deals, SUMMARY_READ)``."""
    connection, external_id, name, account, amount, currency, stage, status, pipeline, close, owner, modified, gone = (
        row
    )
    modified_at = instant(modified)
    if modified_at is None:
        raise ValueError(f"deal {connection}:{external_id} has no modified_at")
    return DealSummary(
        DealKey(connection, external_id),
        name,
        account,
        decimal(amount),
        currency,
        None if stage is None else _STAGES[stage],
        _STATUSES[status],
        pipeline,
        day(close),
        owner,
        modified_at,
        bool(gone),
    )


# the ``deal_history`` columns a read selects, in the order ``history_from_row`` unpacks them
HISTORY_READ = (
    "connection",
    "external_id",
    "changed_at",
    "observed_at",
    "stage",
    "crm_stage_id",
    "amount",
    "currency",
    "close_date",
    "status",
)


# (connection, external_id, changed_at, stage, crm_stage_id, amount, currency, close_date, status)
HistoryValues = tuple[str, str, datetime, Stage | None, str, Decimal | None, str | None, date | None, Status]


def history_values(row: Sequence[Any]) -> HistoryValues:
    """A row of ``read_columns(deal_history, HISTORY_READ)`` as plain parsed values, without ``observed_at``:
    what a pass over all history needs, a few microseconds cheaper per row than a ``HistoryEntry``."""
    connection, external_id, changed, _, stage, stage_id, amount, currency, close, status = row
    changed_at = instant(changed)
    if changed_at is None:
        raise ValueError(f"history row of {connection}:{external_id} has no timestamp")
    stage_ = None if stage is None else _STAGES[stage]
    return (
        connection,
        external_id,
        changed_at,
        stage_,
        stage_id,
        decimal(amount),
        currency,
        day(close),
        _STATUSES[status],
    )


def history_from_row(row: Sequence[Any]) -> HistoryEntry:
    """A ``HistoryEntry`` from a row of ``read_columns(deal_history, HISTORY_READ)``."""
    connection, external_id, changed_at, stage, stage_id, amount, currency, close, status = history_values(row)
    observed_at = instant(row[3])
    if observed_at is None:
        raise ValueError(f"history row of {connection}:{external_id} has no timestamp")
    return HistoryEntry(
        ref=DealRef(connection=connection, id=external_id),
        changed_at=changed_at,
        observed_at=observed_at,
        stage=stage,
        crm_stage_id=stage_id,
        amount=amount,
        currency=currency,
        close_date=close,
        status=status,
    )
