"""Streaming the audit's input: every live deal joined to its history in one ordered pass over both tables."""

from __future__ import annotations

from collections.abc import Iterator

from dealsync.canonical import Deal
from dealsync.logging import get_logger
from dealsync.quality.model import HistoryPoint
from dealsync.store import HistoryEntry, Store

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


def deals_with_history(store: Store, *, batch: int = 5000) -> Iterator[tuple[Deal, list[HistoryPoint]]]:
    """Every live deal with its history (oldest first), merging two streams in the store's own order.

    Both streams come ordered by (connection, id) from the same database, so no key is compared in Python (whose
    string order may differ from the database's collation). Deleted deals are read too, so that their history is
    consumed in step, and then skipped: they never reach the audit.
    """
    history = store.iter_history()
    head = next(history, None)
    try:
        for deal in store.iter_deals(include_deleted=True, batch=batch):
            ref = deal.ref
            points: list[HistoryPoint] = []
            while head is not None and head.ref.id == ref.id and head.ref.connection == ref.connection:
                points.append(point(head))
                head = next(history, None)
            if not deal.deleted:
                yield deal, points
        if head is not None:
            log.warning("history rows without a deal were left out of the audit", first=str(head.ref))
    finally:
        close = getattr(history, "close", None)
        if close is not None:
            close()
