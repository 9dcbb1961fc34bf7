"""The store: deals, their history, pull cursors, runs, audit results, the write journal, locks and snapshots.

The only package that writes SQL (DESIGN.md §2). Open it with ``open_store(url)`` — any SQLAlchemy URL, SQLite by
default; the schema is created or migrated on first use — and use the returned ``Store``. Group writes that must
commit together with ``with store.transaction() as tx: …``.
"""

from dealsync.store.engine import open_store
from dealsync.store.facade import Operations, Store, Transaction
from dealsync.store.values import (
    ConnectionInfo,
    Cursor,
    DealKey,
    DealSummary,
    DedupeCluster,
    FlagRecord,
    HistoryEntry,
    JournalEntry,
    JournalState,
    KeyRange,
    LockInfo,
    NotDuplicate,
    PlannedWrite,
    Run,
    RunKind,
    RunStatus,
    SnapshotValue,
    UpsertCounts,
)

__all__ = [
    "ConnectionInfo",
    "Cursor",
    "DealKey",
    "DealSummary",
    "DedupeCluster",
    "FlagRecord",
    "HistoryEntry",
    "JournalEntry",
    "JournalState",
    "KeyRange",
    "LockInfo",
    "NotDuplicate",
    "Operations",
    "PlannedWrite",
    "Run",
    "RunKind",
    "RunStatus",
    "SnapshotValue",
    "Store",
    "Transaction",
    "UpsertCounts",
    "open_store",
]
