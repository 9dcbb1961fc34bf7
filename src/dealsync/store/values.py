"""The small values the store takes and returns (besides the canonical ``Deal``): plain frozen dataclasses."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, NamedTuple

from dealsync.canonical import DealRef, Stage, Status


class RunKind(StrEnum):
    PULL = "pull"
    AUDIT = "audit"
    SYNC = "sync"
    ROLLBACK = "rollback"


class RunStatus(StrEnum):
    RUNNING = "running"
    OK = "ok"
    FAILED = "failed"
    PARTIAL = "partial"


class JournalState(StrEnum):
    """planned → sent → applied | failed | skipped; planned → failed | skipped (never sent)."""

    PLANNED = "planned"
    SENT = "sent"
    APPLIED = "applied"
    FAILED = "failed"
    SKIPPED = "skipped"

    @property
    def is_final(self) -> bool:
        return self in (JournalState.APPLIED, JournalState.FAILED, JournalState.SKIPPED)


@dataclass(frozen=True, slots=True)
class UpsertCounts:
    """What one upsert did. ``new + changed + unchanged + deleted`` is the number of distinct deals given.

    ``deleted`` counts deals that arrived deleted (archived) and were live or unknown before; a deal that was
    already deleted and arrives deleted again is ``unchanged``. A deal older than the stored one (its
    ``modified_at`` is earlier) never overwrites it and counts as ``unchanged``.
    """

    new: int = 0
    changed: int = 0
    unchanged: int = 0
    deleted: int = 0

    def __add__(self, other: UpsertCounts) -> UpsertCounts:
        return UpsertCounts(
            self.new + other.new,
            self.changed + other.changed,
            self.unchanged + other.unchanged,
            self.deleted + other.deleted,
        )

    @property
    def total(self) -> int:
        return self.new + self.changed + self.unchanged + self.deleted


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """A deal's tracked fields as observed at one change (or its first sighting)."""

    ref: DealRef
    changed_at: datetime  # the CRM's modified_at of the version that carried the change
    observed_at: datetime  # when the store saw it
    stage: Stage | None
    crm_stage_id: str
    amount: Decimal | None
    currency: str | None
    close_date: date | None
    status: Status


class DealKey(NamedTuple):
    connection: str
    id: str


class DealSummary(NamedTuple):
    """A stored deal's identifying and comparable fields, parsed but not validated into a ``Deal`` (its values
    were validated on the way in): what a whole-store pass such as dedupe needs, for a third of the cost."""

    ref: DealKey
    name: str
    account_name: str | None
    amount: Decimal | None
    currency: str | None
    stage: Stage | None
    status: Status
    pipeline: str | None
    close_date: date | None
    owner: str | None
    modified_at: datetime
    deleted: bool


@dataclass(frozen=True, slots=True)
class KeyRange:
    """The deals from ``start`` (inclusive) to ``stop`` (exclusive) in the database's own order of
    ``(connection, id)``; None is an open end. ``Store.key_ranges`` cuts the whole store into such slices, which
    two processes can then share; keys are only ever compared by the database, never in Python (whose string
    order may differ from the database's collation)."""

    start: tuple[str, str] | None = None
    stop: tuple[str, str] | None = None


@dataclass(frozen=True, slots=True)
class ConnectionInfo:
    name: str
    type: str | None
    first_seen: datetime
    last_pull_at: datetime | None


@dataclass(frozen=True, slots=True)
class Cursor:
    """Where an incremental pull of one stream resumes: ``(modified_at, last_id)``, inclusive lower bound."""

    connection: str
    stream: str
    modified_at: datetime
    last_id: str | None
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class Run:
    id: str
    kind: RunKind
    status: RunStatus
    started_at: datetime
    finished_at: datetime | None = None
    dry_run: bool = False
    summary: dict[str, Any] | None = None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class PlannedWrite:
    """A field write the sync engine is about to send. ``before``/``after`` must be JSON-able.

    Decimals, dates and datetimes are accepted and stored as strings (ISO 8601 / exact decimal text); they read
    back as those strings.
    """

    ref: DealRef
    field: str
    before: Any
    after: Any
    batch_key: str | None = None


@dataclass(frozen=True, slots=True)
class JournalEntry:
    id: int
    run_id: str
    ref: DealRef
    field: str
    before: Any
    after: Any
    state: JournalState
    planned_at: datetime
    sent_at: datetime | None = None
    finished_at: datetime | None = None
    error: str | None = None
    batch_key: str | None = None


def new_id() -> str:
    return str(uuid.uuid4())


@dataclass(frozen=True, slots=True)
class DedupeCluster:
    """A group of deals an audit run judged to be one deal, with the merged ("golden") view."""

    members: tuple[DealRef, ...]
    confidence: float
    golden: dict[str, Any] = field(default_factory=dict)
    reasons: tuple[str, ...] = ()
    id: str = field(default_factory=new_id)


@dataclass(frozen=True, slots=True)
class NotDuplicate:
    """A pair a person marked "not a duplicate"; ``a`` sorts before ``b`` by (connection, id)."""

    a: DealRef
    b: DealRef
    decided_at: datetime
    note: str | None = None


@dataclass(frozen=True, slots=True)
class FlagRecord:
    ref: DealRef
    rule: str
    severity: str
    detail: str


@dataclass(frozen=True, slots=True)
class SnapshotValue:
    """One field's value as of the last sync (the base of the three-way merge)."""

    ref: DealRef
    field: str
    value: Any


@dataclass(frozen=True, slots=True)
class LockInfo:
    name: str
    holder: str
    acquired_at: datetime
    expires_at: datetime
