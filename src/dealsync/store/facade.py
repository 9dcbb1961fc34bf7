"""The store's one public face: ``Store`` (each call its own transaction) and ``Transaction`` (a unit of work).

Both offer the same operations (``Operations``); they differ only in how a call reaches the database::

    store = open_store("sqlite:///dealsync.db")
    counts = store.upsert_deals(deals)                  # its own transaction
    with store.transaction() as tx:                     # one transaction: rows and cursor commit together
        tx.upsert_deals(page)
        tx.set_cursor("sf-main", "deals", page_max_modified, page_last_id)

Database errors leave as ``StoreError`` (the URL in messages never shows a password). Do not open a
``store.transaction()`` inside another one: on SQLite the inner one would wait for the outer one's write lock.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Concatenate, ParamSpec, TypeVar

from sqlalchemy import Engine
from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from dealsync.canonical import Deal, DealRef, Stage
from dealsync.errors import StoreError
from dealsync.store import connections, cursors, deals, dedupe, flags, history, journal, locks, runs, snapshots
from dealsync.store._support import WRITE_OPTION, error_reason, safe_url, utcnow
from dealsync.store.convert import HistoryValues
from dealsync.store.values import (
    ConnectionInfo,
    Cursor,
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

P = ParamSpec("P")
R = TypeVar("R")
T = TypeVar("T")
Op = Callable[Concatenate[Connection, P], R]


class Operations(ABC):
    """Every store operation. Timestamps (``at``, ``observed_at``) default to now, in UTC."""

    @abstractmethod
    def _read(self, fn: Op[P, R], /, *args: P.args, **kwargs: P.kwargs) -> R: ...

    @abstractmethod
    def _write(self, fn: Op[P, R], /, *args: P.args, **kwargs: P.kwargs) -> R: ...

    @abstractmethod
    def _stream(self, fn: Op[P, Iterator[T]], /, *args: P.args, **kwargs: P.kwargs) -> Iterator[T]: ...

    # -- deals ---------------------------------------------------------------------------------------------------
    def upsert_deals(self, items: Iterable[Deal], *, observed_at: datetime | None = None) -> UpsertCounts:
        return self._write(deals.upsert_deals, items, observed_at=observed_at or utcnow())

    def mark_deleted(self, connection: str, ids: Iterable[str], *, at: datetime | None = None) -> int:
        return self._write(deals.mark_deleted, connection, ids, at=at or utcnow())

    def iter_deals(
        self,
        connection: str | None = None,
        *,
        include_deleted: bool = False,
        batch: int = 5000,
        with_raw: bool = True,
        keys: KeyRange | None = None,
    ) -> Iterator[Deal]:
        return self._stream(
            deals.iter_deals,
            connection=connection,
            include_deleted=include_deleted,
            batch=batch,
            with_raw=with_raw,
            keys=keys,
        )

    def iter_deal_summaries(self) -> Iterator[DealSummary]:
        return self._stream(deals.iter_deal_summaries)

    def key_ranges(self, size: int) -> list[KeyRange]:
        return self._read(deals.key_ranges, size)

    def iter_amounts(self) -> Iterator[tuple[str, str | None, Decimal | None, str | None]]:
        return self._stream(deals.iter_amounts)

    def get_deal(self, ref: DealRef) -> Deal | None:
        return self._read(deals.get_deal, ref)

    def get_deals(self, refs: Iterable[DealRef], *, with_raw: bool = True) -> dict[DealRef, Deal]:
        return self._read(deals.get_deals, refs, with_raw=with_raw)

    def count_deals(self, connection: str | None = None, *, include_deleted: bool = False) -> int:
        return self._read(deals.count_deals, connection=connection, include_deleted=include_deleted)

    def deal_ids(self, connection: str, *, include_deleted: bool = False) -> set[str]:
        return self._read(deals.deal_ids, connection, include_deleted=include_deleted)

    # -- history -------------------------------------------------------------------------------------------------
    def history_for(self, refs: Iterable[DealRef]) -> dict[DealRef, list[HistoryEntry]]:
        return self._read(history.history_for, refs)

    def iter_history(self, connection: str | None = None) -> Iterator[HistoryEntry]:
        return self._stream(history.iter_history, connection=connection)

    def iter_history_values(self, *, keys: KeyRange | None = None) -> Iterator[HistoryValues]:
        return self._stream(history.iter_history_values, keys=keys)

    def last_open_stage(self, ref: DealRef) -> Stage | None:
        return self._read(history.last_open_stage, ref)

    def last_open_stages(self, refs: Iterable[DealRef]) -> dict[DealRef, Stage]:
        return self._read(history.last_open_stages, refs)

    # -- connections and cursors ---------------------------------------------------------------------------------
    def register_connection(self, name: str, type_: str, *, at: datetime | None = None) -> None:
        self._write(connections.register_connection, name, type_, at=at or utcnow())

    def mark_pulled(self, name: str, *, at: datetime | None = None) -> None:
        self._write(connections.mark_pulled, name, at=at or utcnow())

    def save_connection_schema(self, name: str, schema: dict[str, Any]) -> None:
        """Keep what discovery learned (JSON-able: currencies, fx rates, stages) for later audits."""
        self._write(connections.save_schema, name, schema)

    def connection_schemas(self) -> dict[str, dict[str, Any]]:
        return self._read(connections.schemas)

    def list_connections(self) -> list[ConnectionInfo]:
        return self._read(connections.list_connections)

    def get_cursor(self, connection: str, stream: str = "deals") -> Cursor | None:
        return self._read(cursors.get_cursor, connection, stream)

    def set_cursor(
        self, connection: str, stream: str, modified_at: datetime, last_id: str | None, *, at: datetime | None = None
    ) -> Cursor:
        return self._write(cursors.set_cursor, connection, stream, modified_at, last_id, at=at or utcnow())

    def reset_cursors(self, connection: str, stream: str | None = None) -> int:
        return self._write(cursors.reset_cursors, connection, stream)

    # -- runs ----------------------------------------------------------------------------------------------------
    def start_run(
        self, kind: RunKind, *, dry_run: bool = False, run_id: str | None = None, at: datetime | None = None
    ) -> Run:
        return self._write(runs.start_run, kind, at=at or utcnow(), dry_run=dry_run, run_id=run_id)

    def finish_run(
        self,
        run_id: str,
        status: RunStatus,
        *,
        summary: dict[str, Any] | None = None,
        error: str | None = None,
        at: datetime | None = None,
    ) -> Run:
        return self._write(runs.finish_run, run_id, status, at=at or utcnow(), summary=summary, error=error)

    def get_run(self, run_id: str) -> Run | None:
        return self._read(runs.get_run, run_id)

    def list_runs(
        self, *, kind: RunKind | None = None, status: RunStatus | None = None, limit: int | None = 50
    ) -> list[Run]:
        return self._read(runs.list_runs, kind=kind, status=status, limit=limit)

    def latest_run(self, kind: RunKind, *, status: RunStatus | None = None) -> Run | None:
        return self._read(runs.latest_run, kind, status=status)

    # -- write journal -------------------------------------------------------------------------------------------
    def plan_writes(
        self, run_id: str, writes: Iterable[PlannedWrite], *, at: datetime | None = None
    ) -> list[JournalEntry]:
        return self._write(journal.plan_writes, run_id, writes, at=at or utcnow())

    def mark_sent(self, entry_ids: Iterable[int], *, at: datetime | None = None) -> None:
        self._write(journal.mark, dict.fromkeys(entry_ids), JournalState.SENT, at=at or utcnow())

    def mark_applied(self, entry_ids: Iterable[int], *, at: datetime | None = None) -> None:
        self._write(journal.mark, dict.fromkeys(entry_ids), JournalState.APPLIED, at=at or utcnow())

    def mark_failed(self, errors: Mapping[int, str], *, at: datetime | None = None) -> None:
        """``errors`` maps each failed entry to the CRM's reason."""
        self._write(journal.mark, dict(errors), JournalState.FAILED, at=at or utcnow())

    def mark_skipped(self, reasons: Mapping[int, str], *, at: datetime | None = None) -> None:
        """``reasons`` maps each skipped entry to why (e.g. a person changed the field since it was read)."""
        self._write(journal.mark, dict(reasons), JournalState.SKIPPED, at=at or utcnow())

    def journal_for_run(self, run_id: str, *, states: Iterable[JournalState] | None = None) -> list[JournalEntry]:
        return self._read(journal.for_run, run_id, states=states)

    def pending_for_run(self, run_id: str) -> list[JournalEntry]:
        return self._read(journal.pending_for_run, run_id)

    def runs_with_pending_writes(self) -> list[str]:
        return self._read(journal.runs_with_pending)

    def journal_for_deal(self, ref: DealRef, *, field: str | None = None) -> list[JournalEntry]:
        return self._read(journal.for_deal, ref, field=field)

    # -- audit results -------------------------------------------------------------------------------------------
    def save_clusters(self, run_id: str, clusters: Iterable[DedupeCluster]) -> int:
        return self._write(dedupe.save_clusters, run_id, clusters)

    def clusters_for_run(self, run_id: str) -> list[DedupeCluster]:
        return self._read(dedupe.clusters_for_run, run_id)

    def save_flags(self, run_id: str, records: Iterable[FlagRecord]) -> int:
        return self._write(flags.save_flags, run_id, records)

    def flags_for_run(self, run_id: str) -> list[FlagRecord]:
        return self._read(flags.flags_for_run, run_id)

    def record_not_duplicate(
        self, a: DealRef, b: DealRef, *, note: str | None = None, at: datetime | None = None
    ) -> None:
        self._write(dedupe.record_not_duplicate, a, b, at=at or utcnow(), note=note)

    def forget_not_duplicate(self, a: DealRef, b: DealRef) -> bool:
        return self._write(dedupe.forget_not_duplicate, a, b)

    def is_not_duplicate(self, a: DealRef, b: DealRef) -> bool:
        return self._read(dedupe.is_not_duplicate, a, b)

    def not_duplicates(self) -> list[NotDuplicate]:
        return self._read(dedupe.not_duplicates)

    # -- sync snapshots ------------------------------------------------------------------------------------------
    def save_snapshots(self, values: Iterable[SnapshotValue], *, at: datetime | None = None) -> int:
        return self._write(snapshots.save_snapshots, values, at=at or utcnow())

    def snapshots_for(self, refs: Iterable[DealRef]) -> dict[DealRef, dict[str, Any]]:
        return self._read(snapshots.snapshots_for, refs)


class Transaction(Operations):
    """A unit of work on one connection: everything done through it commits together, or not at all."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def _read(self, fn: Op[P, R], /, *args: P.args, **kwargs: P.kwargs) -> R:
        return fn(self._conn, *args, **kwargs)

    _write = _read

    def _stream(self, fn: Op[P, Iterator[T]], /, *args: P.args, **kwargs: P.kwargs) -> Iterator[T]:
        return fn(self._conn, *args, **kwargs)


class Store(Operations):
    """The dealsync store. Each operation runs in its own transaction; ``transaction()`` groups several."""

    def __init__(self, engine: Engine, url: str) -> None:
        self._engine = engine
        self.url = safe_url(url)  # for messages: the password is masked

    @property
    def engine(self) -> Engine:
        return self._engine

    @property
    def dialect(self) -> str:
        return self._engine.dialect.name

    def close(self) -> None:
        self._engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """One write transaction: committed when the block ends, rolled back if it raises."""
        with self._errors(), self._engine.connect() as conn:
            conn.execution_options(**{WRITE_OPTION: True})
            with conn.begin():
                yield Transaction(conn)

    def _read(self, fn: Op[P, R], /, *args: P.args, **kwargs: P.kwargs) -> R:
        with self._errors(), self._engine.connect() as conn, conn.begin():
            return fn(conn, *args, **kwargs)

    def _write(self, fn: Op[P, R], /, *args: P.args, **kwargs: P.kwargs) -> R:
        with self.transaction() as tx:
            return fn(tx._conn, *args, **kwargs)

    def _stream(self, fn: Op[P, Iterator[T]], /, *args: P.args, **kwargs: P.kwargs) -> Iterator[T]:
        with self._errors(), self._engine.connect() as conn, conn.begin():
            yield from fn(conn, *args, **kwargs)

    @contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except SQLAlchemyError as exc:
            raise StoreError(describe_error(exc, self.url)) from exc

    # -- locks (each call commits at once, so other processes see it) --------------------------------------------
    def acquire_lock(
        self, name: str, *, holder: str | None = None, ttl: timedelta = locks.DEFAULT_TTL, now: datetime | None = None
    ) -> LockInfo:
        """Take lock ``name`` (e.g. ``"pull"``, ``"sync"``) or raise ``LockHeld`` naming its holder."""
        holder = holder or locks.default_holder()
        now = now or utcnow()
        if self._write(locks.try_acquire, name, holder, ttl=ttl, now=now):
            return LockInfo(name, holder, now, now + ttl)
        raise locks.held_error(name, self._read(locks.get_lock, name), self.url)

    def refresh_lock(
        self, name: str, holder: str, *, ttl: timedelta = locks.DEFAULT_TTL, now: datetime | None = None
    ) -> None:
        """Extend a lock held by a long run; ``LockHeld`` when it expired and someone else took it."""
        if not self._write(locks.refresh, name, holder, ttl=ttl, now=now or utcnow()):
            raise locks.held_error(name, self._read(locks.get_lock, name), self.url)

    def release_lock(self, name: str, holder: str) -> bool:
        return self._write(locks.release, name, holder)

    def break_lock(self, name: str) -> bool:
        return self._write(locks.break_lock, name)

    def get_lock(self, name: str) -> LockInfo | None:
        return self._read(locks.get_lock, name)

    @contextmanager
    def lock(self, name: str, *, holder: str | None = None, ttl: timedelta = locks.DEFAULT_TTL) -> Iterator[LockInfo]:
        """Hold lock ``name`` for the block: ``with store.lock("sync"): …``."""
        info = self.acquire_lock(name, holder=holder, ttl=ttl)
        try:
            yield info
        finally:
            self.release_lock(name, info.holder)


def describe_error(exc: SQLAlchemyError, url: str) -> str:
    """A one-line message for a database error: what went wrong, against which store (password masked)."""
    reason = error_reason(exc)
    if isinstance(exc, OperationalError) and "locked" in reason.lower():
        return f"the store {url} is busy (another dealsync process kept it locked too long): {reason}; try again"
    return f"the store {url} refused the operation: {reason}"
