"""The deals repository: batched upserts that count what changed and append history, deletions, reads."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, func, insert, select, true, update
from sqlalchemy.engine import Connection, RowMapping
from sqlalchemy.sql.elements import BindParameter

from dealsync.canonical import Deal, DealRef
from dealsync.store import convert
from dealsync.store._support import IN_CHUNK, chunked, ids_by_connection, in_key_range
from dealsync.store.connections import ensure_connections
from dealsync.store.tables import deal_history, deals
from dealsync.store.upsert import upsert
from dealsync.store.values import DealSummary, KeyRange, UpsertCounts

UPSERT_BATCH = 1000
_KEYS = ("connection", "external_id")
_UPDATE_COLUMNS = tuple(c.name for c in deals.columns if c.name not in (*_KEYS, "first_seen_at"))
_CURRENT_COLUMNS = (
    deals.c.connection,
    deals.c.external_id,
    deals.c.content_hash,
    deals.c.modified_at,
    deals.c.deleted,
    deals.c.deleted_at,
    deals.c.first_seen_at,
    *(deals.c[name] for name in convert.TRACKED),
)

Key = tuple[str, str]


def upsert_deals(conn: Connection, items: Iterable[Deal], *, observed_at: datetime) -> UpsertCounts:
    """Insert new deals, update changed ones, leave unchanged ones alone; history rows for tracked changes.

    Works in batches of ``UPSERT_BATCH``: one SELECT of the batch's current rows, one upsert statement, one
    history insert. Within a batch a deal given twice keeps its latest ``modified_at`` version.
    """
    total = UpsertCounts()
    known: set[str] = set()
    for batch in chunked(items, UPSERT_BATCH):
        total += _upsert_batch(conn, batch, observed_at, known)
    return total


def _upsert_batch(conn: Connection, batch: list[Deal], observed_at: datetime, known: set[str]) -> UpsertCounts:
    latest = _latest_by_key(batch)
    new_connections = {connection for connection, _ in latest} - known
    ensure_connections(conn, new_connections, at=observed_at)
    known |= new_connections
    current = _current_rows(conn, latest)
    counts = {"new": 0, "changed": 0, "unchanged": 0, "deleted": 0}
    writes: list[dict[str, Any]] = []
    history: list[dict[str, Any]] = []
    for key, deal in latest.items():
        kind, row, tracked_change = _classify(deal, current.get(key), observed_at)
        counts[kind] += 1
        if row is not None:
            writes.append(row)
        if tracked_change and row is not None:
            history.append(convert.history_row(row, observed_at))
    upsert(conn, deals, writes, keys=_KEYS, update_columns=_UPDATE_COLUMNS)
    if history:
        conn.execute(insert(deal_history), history)
    return UpsertCounts(**counts)


def _latest_by_key(batch: list[Deal]) -> dict[Key, Deal]:
    latest: dict[Key, Deal] = {}
    for deal in batch:
        key = (deal.ref.connection, deal.ref.id)
        seen = latest.get(key)
        if seen is None or deal.modified_at >= seen.modified_at:
            latest[key] = deal
    return latest


def _current_rows(conn: Connection, keys: Iterable[Key]) -> dict[Key, RowMapping]:
    by_connection: dict[str, list[str]] = defaultdict(list)
    for connection, external_id in keys:
        by_connection[connection].append(external_id)
    found: dict[Key, RowMapping] = {}
    for connection, ids in by_connection.items():
        for chunk in chunked(ids, UPSERT_BATCH):
            # The ids are rendered into the SQL text (safely quoted), so no driver keeps one prepared generic plan
            # for this lookup: PostgreSQL's, made while a first load had barely begun, would scan the whole
            # connection as it grows (100,000 deals in one upsert: over a minute instead of seconds).
            ids_in: BindParameter[list[str]] = bindparam("ids", chunk, expanding=True, literal_execute=True)
            query = select(*_CURRENT_COLUMNS).where(deals.c.connection == connection, deals.c.external_id.in_(ids_in))
            for row in conn.execute(query).mappings():
                found[(row["connection"], row["external_id"])] = row
    return found


def _classify(deal: Deal, old: RowMapping | None, observed_at: datetime) -> tuple[str, dict[str, Any] | None, bool]:
    """(count bucket, row to write or None, whether a history row is due)."""
    digest = convert.content_hash(deal)
    if old is not None and (old["content_hash"] == digest or deal.modified_at < old["modified_at"]):
        return "unchanged", None, False
    row = convert.deal_to_row(deal, digest=digest, observed_at=observed_at)
    if old is None:
        row["deleted_at"] = observed_at if deal.deleted else None
        return ("deleted" if deal.deleted else "new"), row, True
    row["first_seen_at"] = old["first_seen_at"]
    row["deleted_at"] = (old["deleted_at"] or observed_at) if deal.deleted else None
    kind = "deleted" if deal.deleted and not old["deleted"] else "changed"
    return kind, row, convert.tracked_values(row) != convert.tracked_values(old)


def mark_deleted(conn: Connection, connection: str, ids: Iterable[str], *, at: datetime) -> int:
    """Mark live deals of ``connection`` deleted (e.g. gone from a full pull); returns how many were live."""
    marked = 0
    for chunk in chunked(ids, IN_CHUNK):
        stmt = (
            update(deals)
            .where(deals.c.connection == connection, deals.c.external_id.in_(chunk), deals.c.deleted.is_(False))
            # The blank hash makes the next upsert of this deal rewrite it, whatever it carries.
            .values(deleted=True, deleted_at=at, updated_in_store_at=at, content_hash="")
        )
        marked += conn.execute(stmt).rowcount
    return marked


def _live_filter(connection: str | None, include_deleted: bool) -> ColumnElement[bool]:
    conditions: list[ColumnElement[bool]] = []
    if connection is not None:
        conditions.append(deals.c.connection == connection)
    if not include_deleted:
        conditions.append(deals.c.deleted.is_(False))
    return and_(true(), *conditions)


_KEY_ORDER = (deals.c.connection, deals.c.external_id)
_WITH_RAW = convert.read_columns(deals, convert.DEAL_READ)
_WITHOUT_RAW = _WITH_RAW[:-1]


def iter_deals(
    conn: Connection,
    *,
    connection: str | None = None,
    include_deleted: bool = False,
    batch: int = 5000,
    with_raw: bool = True,
    keys: KeyRange | None = None,
) -> Iterator[Deal]:
    """Every deal (live only by default), ordered by (connection, id), fetched ``batch`` rows at a time.

    ``with_raw=False`` leaves the CRM's raw payload out (``Deal.raw`` is empty): a whole-store pass that only
    judges the canonical fields (the audit) need not read and decode it. ``keys``: only that slice of the store.
    """
    in_range = () if keys is None else in_key_range(deals.c.connection, deals.c.external_id, keys)
    query = (
        select(*(_WITH_RAW if with_raw else _WITHOUT_RAW))
        .where(_live_filter(connection, include_deleted), *in_range)
        .order_by(*_KEY_ORDER)
        .execution_options(yield_per=batch)
    )
    for row in conn.execute(query):
        yield convert.deal_from_row(row)


def iter_deal_summaries(conn: Connection, *, batch: int = 10_000) -> Iterator[DealSummary]:
    """Every live deal's ``DealSummary``, ordered by (connection, id)."""
    query = (
        select(*convert.read_columns(deals, convert.SUMMARY_READ))
        .where(_live_filter(None, include_deleted=False))
        .order_by(*_KEY_ORDER)
        .execution_options(yield_per=batch)
    )
    for row in conn.execute(query):
        yield convert.summary_from_row(row)


def key_ranges(conn: Connection, size: int) -> list[KeyRange]:
    """The whole store (deleted deals included) cut into consecutive slices of ``size`` deals, in key order.

    The database numbers the keys in its own order and returns every ``size``-th: the slices' bounds.
    """
    numbered = select(
        deals.c.connection, deals.c.external_id, func.row_number().over(order_by=_KEY_ORDER).label("n")
    ).subquery()
    query = (
        select(numbered.c.connection, numbered.c.external_id)
        .where((numbered.c.n - 1) % size == 0, numbered.c.n > 1)
        .order_by(numbered.c.n)
    )
    starts: list[tuple[str, str] | None] = [None, *((c, i) for c, i in conn.execute(query))]
    return [KeyRange(start, stop) for start, stop in zip(starts, [*starts[1:], None], strict=True)]


def iter_amounts(conn: Connection) -> Iterator[tuple[str, str | None, Decimal | None, str | None]]:
    """``(connection, pipeline, amount, currency)`` of every live deal: what amount statistics need, read without
    building whole deals (a million rows in about a second)."""
    query = (
        select(*convert.read_columns(deals, ("connection", "pipeline", "amount", "currency")))
        .where(_live_filter(None, include_deleted=False))
        .execution_options(yield_per=10_000)
    )
    decimal = convert.decimal
    for connection, pipeline, amount, currency in conn.execute(query):
        yield connection, pipeline, decimal(amount), currency


def get_deals(conn: Connection, refs: Iterable[DealRef], *, with_raw: bool = True) -> dict[DealRef, Deal]:
    """The stored deals among ``refs`` (deleted ones included, with ``deleted=True``)."""
    found: dict[DealRef, Deal] = {}
    for connection, ids in ids_by_connection(refs).items():
        for chunk in chunked(ids, IN_CHUNK):
            query = select(*(_WITH_RAW if with_raw else _WITHOUT_RAW)).where(
                deals.c.connection == connection, deals.c.external_id.in_(chunk)
            )
            for row in conn.execute(query):
                deal = convert.deal_from_row(row)
                found[deal.ref] = deal
    return found


def get_deal(conn: Connection, ref: DealRef) -> Deal | None:
    return get_deals(conn, [ref]).get(ref)


def count_deals(conn: Connection, *, connection: str | None = None, include_deleted: bool = False) -> int:
    query = select(func.count()).select_from(deals).where(_live_filter(connection, include_deleted))
    return int(conn.execute(query).scalar_one())


def deal_ids(conn: Connection, connection: str, *, include_deleted: bool = False) -> set[str]:
    """The ids of ``connection``'s stored deals: what a full pull compares against to find deletions."""
    query = select(deals.c.external_id).where(_live_filter(connection, include_deleted))
    return set(conn.execute(query).scalars())
