"""Streaming the audit's input: every live deal joined to its history in one ordered pass over both tables, and
one read shared by two consumers."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Generic, TypeVar, cast

from dealsync.canonical import Deal
from dealsync.logging import get_logger
from dealsync.quality.model import HistoryPoint
from dealsync.store import HistoryEntry, KeyRange, Store

T = TypeVar("T")
R = TypeVar("R")
log = get_logger("dealsync.audit")


def point(entry: HistoryEntry) -> HistoryPoint:
    return HistoryPoint(
        changed_at=entry.changed_at,
        stage=entry.stage,
        crm_stage_id=entry.crm_stage_id,
        amount=entry.amount,
        currency=entry.currency,
        close_date=entry.close_date,
        status=entry.status,
    )


def deals_with_history(
    store: Store, keys: KeyRange | None = None, *, batch: int = 5000
) -> Iterator[tuple[Deal, list[HistoryPoint]]]:
    """Every live deal (in ``keys``) with its history (oldest first), merging two streams in the store's order.

    Both streams come ordered by (connection, id) from the same database, so no key is compared in Python (whose
    string order may differ from the database's collation). Deleted deals are read too, so that their history is
    consumed in step, and then skipped: they never reach the audit.
    """
    history = store.iter_history_values(keys=keys)
    head = next(history, None)
    try:
        for deal in store.iter_deals(include_deleted=True, batch=batch, with_raw=False, keys=keys):
            ref = deal.ref
            points: list[HistoryPoint] = []
            while head is not None and head[1] == ref.id and head[0] == ref.connection:
                points.append(HistoryPoint(*head[2:]))
                head = next(history, None)
            if not deal.deleted:
                yield deal, points
        if head is not None:
            log.warning("history rows without a deal were left out of the audit", first=f"{head[0]}:{head[1]}")
    finally:
        close = getattr(history, "close", None)
        if close is not None:
            close()


class SideConsumer(Generic[T, R]):
    """Runs ``consume`` in a thread over the items that flow through :meth:`tap`: one read, two consumers.

    ``items = side.tap(source)`` yields the source's items unchanged and hands them, in batches, to ``consume``
    (a function that takes an iterable, such as ``OutlierStats.build``); ``side.result()`` waits for it and
    returns what it returned, or raises what it raised. ``tap`` must be iterated (to its end, or closed).
    """

    _DONE = object()

    def __init__(self, consume: Callable[[Iterable[T]], R], *, batch: int = 2000, depth: int = 8) -> None:
        self._consume, self._batch = consume, batch
        self._queue: queue.Queue[object] = queue.Queue(maxsize=depth)
        self._result: R | None = None
        self._error: BaseException | None = None
        self._drained = False
        self._thread = threading.Thread(target=self._run, name="dealsync-side-consumer", daemon=True)
        self._thread.start()

    def _items(self) -> Iterator[T]:
        while (chunk := self._queue.get()) is not self._DONE:
            yield from cast(list[T], chunk)
        self._drained = True

    def _run(self) -> None:
        try:
            self._result = self._consume(self._items())
        except BaseException as exc:  # noqa: BLE001 - handed to the caller by result()
            self._error = exc
        finally:
            while not self._drained and self._queue.get() is not self._DONE:  # never leave the producer blocked
                pass

    def tap(self, source: Iterable[T]) -> Iterator[T]:
        chunk: list[T] = []
        try:
            for item in source:
                chunk.append(item)
                if len(chunk) >= self._batch:
                    self._queue.put(chunk)
                    chunk = []
                yield item
        finally:
            if chunk:
                self._queue.put(chunk)
            self._queue.put(self._DONE)

    def result(self) -> R:
        self._thread.join()
        if self._error is not None:
            raise self._error
        return cast(R, self._result)
