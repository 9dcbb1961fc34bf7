"""Pull one connection into the store: page by page, each page's rows and cursor in one transaction.

A pull killed at any moment resumes from the last committed cursor: nothing is skipped (the cursor is an
inclusive lower bound that never passes the run's start), and nothing read twice is counted twice (upserts are
idempotent and de-duplicated by id). One pull per connection at a time, through a store lock.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from dealsync.canonical import Deal, Status
from dealsync.connectors.base import WARNINGS_KEY, Connector, Cursor, Page, Schema
from dealsync.logging import get_logger
from dealsync.store import Store, UpsertCounts
from dealsync.sync.prefetch import prefetch

log = get_logger("dealsync.pull")
LOCK_TTL = timedelta(minutes=30)


@dataclass
class PullResult:
    """What one connection's pull did, for the summary table and ``--json``."""

    connection: str
    type: str
    full: bool
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    deleted: int = 0
    pages: int = 0
    records: int = 0
    requests: int = 0
    seconds: float = 0.0
    unmapped_stages: dict[str, str] = field(default_factory=dict)  # CRM stage id -> message
    warnings: int = 0
    error: str | None = None

    def add(self, counts: UpsertCounts) -> None:
        self.new += counts.new
        self.changed += counts.changed
        self.unchanged += counts.unchanged
        self.deleted += counts.deleted


ProgressHook = Callable[[str, int, int | None], None]  # connection, records so far, estimated total


def pull_connection(
    store: Store,
    connector: Connector,
    *,
    connection_type: str,
    full: bool = False,
    now: datetime | None = None,
    progress: ProgressHook | None = None,
) -> PullResult:
    """Pull ``connector`` into ``store``. Raises ``LockHeld`` when another pull of it runs."""
    started = time.monotonic()
    requests_before = connector.stats.requests
    until = now or datetime.now(UTC)
    name = connector.name
    result = PullResult(connection=name, type=connection_type, full=full)
    store.register_connection(name, connection_type)
    lock_name = f"pull:{name}"
    with store.lock(lock_name, ttl=LOCK_TTL) as held:
        schema = connector.discover()
        since = None if full else _cursor(store, name, "deals")
        total = connector.estimate(since)
        seen: set[str] = set()
        for page in prefetch(connector.pull(schema, since, until)):
            _commit(store, page, name, _with_lost_stages(store, page.deals), result)
            seen.update(d.ref.id for d in page.deals)
            store.refresh_lock(lock_name, held.holder, ttl=LOCK_TTL)
            if progress is not None:
                progress(name, result.records, total)
        _pull_deletions(store, connector, schema, None if full else _cursor(store, name, "deleted"), until, result)
        if full:
            _mark_vanished(store, name, seen, result)
        store.save_connection_schema(name, schema.to_json())  # after the pull: some rates are learnt from deals
        store.mark_pulled(name, at=until)
    result.requests = connector.stats.requests - requests_before
    result.seconds = round(time.monotonic() - started, 3)
    log.info("pulled", **{k: v for k, v in result.__dict__.items() if k != "unmapped_stages"})
    return result


def _cursor(store: Store, connection: str, stream: str) -> Cursor | None:
    stored = store.get_cursor(connection, stream)
    return None if stored is None else Cursor(stored.modified_at, stored.last_id or "")


def _commit(store: Store, page: Page, connection: str, deals: list[Deal], result: PullResult) -> None:
    with store.transaction() as tx:
        if deals:
            result.add(tx.upsert_deals(deals))
        if page.deleted_ids:
            result.deleted += tx.mark_deleted(connection, page.deleted_ids)
        if page.cursor is not None:
            tx.set_cursor(connection, page.stream, page.cursor.modified_at, page.cursor.last_id)
    result.pages += 1
    result.records += len(deals)
    for deal in deals:
        if deal.stage is None and not deal.deleted and deal.status is Status.OPEN:
            result.unmapped_stages.setdefault(deal.crm_stage_id, _unmapped_message(deal))
        result.warnings += len(deal.raw.get(WARNINGS_KEY, []))


def _unmapped_message(deal: Deal) -> str:
    messages = deal.raw.get(WARNINGS_KEY, [])
    return next((m for m in messages if "maps to no canonical stage" in m), f"stage {deal.crm_stage_id!r} unmapped")


def _with_lost_stages(store: Store, deals: list[Deal]) -> list[Deal]:
    """A lost deal keeps the last open canonical stage the store saw for it (DESIGN.md §1)."""
    lost = [d.ref for d in deals if d.status is Status.LOST]
    if not lost:
        return deals
    last_open = store.last_open_stages(lost)
    return [
        d.model_copy(update={"stage": last_open[d.ref]}) if d.status is Status.LOST and d.ref in last_open else d
        for d in deals
    ]


def _pull_deletions(
    store: Store, connector: Connector, schema: Schema, since: Cursor | None, until: datetime, result: PullResult
) -> None:
    for page in connector.deleted(schema, since, until):
        _commit(store, page, connector.name, [], result)


def _mark_vanished(store: Store, connection: str, seen: Iterable[str], result: PullResult) -> None:
    """After a full read, live deals the CRM no longer returns were hard-deleted (purged from the recycle bin)."""
    vanished = store.deal_ids(connection) - set(seen)
    if vanished:
        result.deleted += store.mark_deleted(connection, sorted(vanished))
