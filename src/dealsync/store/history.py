"""Reading deal history: what stage, amount, currency, close date and status a deal had, and when."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.engine import Connection

from dealsync.canonical import DealRef, Stage, Status
from dealsync.store import convert
from dealsync.store._support import IN_CHUNK, chunked, ids_by_connection, in_key_range
from dealsync.store.convert import HistoryValues
from dealsync.store.tables import deal_history
from dealsync.store.values import HistoryEntry, KeyRange

_COLUMNS = convert.read_columns(deal_history, convert.HISTORY_READ)
_ORDER = (deal_history.c.connection, deal_history.c.external_id, deal_history.c.changed_at, deal_history.c.id)


def history_for(conn: Connection, refs: Iterable[DealRef]) -> dict[DealRef, list[HistoryEntry]]:
    """Each deal's history, oldest first; a deal without history is absent."""
    result: dict[DealRef, list[HistoryEntry]] = defaultdict(list)
    for connection, ids in ids_by_connection(refs).items():
        for chunk in chunked(ids, IN_CHUNK):
            query = (
                select(*_COLUMNS)
                .where(deal_history.c.connection == connection, deal_history.c.external_id.in_(chunk))
                .order_by(*_ORDER)
            )
            for row in conn.execute(query):
                entry = convert.history_from_row(row)
                result[entry.ref].append(entry)
    return dict(result)


def iter_history(conn: Connection, *, connection: str | None = None, batch: int = 5000) -> Iterator[HistoryEntry]:
    """All history, by deal then time."""
    for row in conn.execute(_all_history(connection, batch, None)):
        yield convert.history_from_row(row)


def iter_history_values(
    conn: Connection, *, batch: int = 5000, keys: KeyRange | None = None
) -> Iterator[HistoryValues]:
    """The same as plain tuples (``convert.HistoryValues``): one pass for an audit over every deal."""
    for row in conn.execute(_all_history(None, batch, keys)):
        yield convert.history_values(row)


def _all_history(connection: str | None, batch: int, keys: KeyRange | None) -> Select[Any]:
    query = select(*_COLUMNS).order_by(*_ORDER).execution_options(yield_per=batch)
    if connection is not None:
        query = query.where(deal_history.c.connection == connection)
    if keys is not None:
        query = query.where(*in_key_range(deal_history.c.connection, deal_history.c.external_id, keys))
    return query


def last_open_stages(conn: Connection, refs: Iterable[DealRef]) -> dict[DealRef, Stage]:
    """For each deal, the last canonical stage the store saw it in while open (absent: never seen open)."""
    result: dict[DealRef, Stage] = {}
    for ref, entries in history_for(conn, refs).items():
        stages = [e.stage for e in entries if e.status is Status.OPEN and e.stage is not None]
        if stages:
            result[ref] = stages[-1]
    return result


def last_open_stage(conn: Connection, ref: DealRef) -> Stage | None:
    return last_open_stages(conn, [ref]).get(ref)
