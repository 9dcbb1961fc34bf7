"""A page of deals and its cursor commit together, or not at all."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from dealsync.canonical import Deal
from dealsync.errors import StoreError
from dealsync.store import Store, open_store

MakeDeal = Callable[..., Deal]
T0 = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)


class Boom(Exception):
    pass


def test_cursor_commits_with_the_rows(store: Store, make_deal: MakeDeal) -> None:
    page = [make_deal("1"), make_deal("2")]
    with store.transaction() as tx:
        tx.upsert_deals(page)
        tx.set_cursor("sf-main", "deals", T0, "2")
        assert tx.count_deals() == 2  # the transaction sees its own writes
    cursor = store.get_cursor("sf-main", "deals")
    assert cursor is not None
    assert (cursor.modified_at, cursor.last_id) == (T0, "2")
    assert store.count_deals() == 2


def test_cursor_rolls_back_with_the_rows(store: Store, make_deal: MakeDeal) -> None:
    with store.transaction() as tx:
        tx.upsert_deals([make_deal("1")])
        tx.set_cursor("sf-main", "deals", T0, "1")
    later = T0 + timedelta(minutes=5)

    def page_then_crash() -> None:
        with store.transaction() as tx:
            tx.upsert_deals([make_deal("2", modified_at=later)])
            tx.set_cursor("sf-main", "deals", later, "2")
            raise Boom

    with pytest.raises(Boom):
        page_then_crash()
    cursor = store.get_cursor("sf-main", "deals")
    assert cursor is not None
    assert (cursor.modified_at, cursor.last_id) == (T0, "1")
    assert store.deal_ids("sf-main") == {"1"}


def test_a_database_error_rolls_back_and_becomes_a_store_error(store: Store, make_deal: MakeDeal) -> None:
    def page_then_bad_sql() -> None:
        with store.transaction() as tx:
            tx.upsert_deals([make_deal("1")])
            tx.set_cursor("sf-main", "deals", T0, "1")
            tx._conn.exec_driver_sql("SELECT * FROM no_such_table")

    with pytest.raises(StoreError, match=rf"the store {re.escape(store.url)} refused the operation: .*no_such_table"):
        page_then_bad_sql()
    assert store.count_deals() == 0
    assert store.get_cursor("sf-main", "deals") is None


def test_another_connection_does_not_see_uncommitted_rows(tmp_path: Path, make_deal: MakeDeal) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    with open_store(url) as writer, open_store(url) as reader, writer.transaction() as tx:
        tx.upsert_deals([make_deal("1")])
        assert reader.count_deals() == 0  # WAL: readers go on while a writer works


def test_reset_cursors(store: Store) -> None:
    store.set_cursor("sf-main", "deals", T0, "a")
    store.set_cursor("sf-main", "stages", T0, None)
    store.set_cursor("hs-main", "deals", T0, "b")
    assert store.reset_cursors("sf-main", "stages") == 1
    assert store.reset_cursors("sf-main") == 1
    assert store.get_cursor("sf-main") is None
    assert store.get_cursor("hs-main") is not None


def test_naive_timestamps_are_refused(store: Store) -> None:
    with pytest.raises(StoreError, match="has no time zone"):
        store.set_cursor("sf-main", "deals", datetime(2026, 1, 1), "a")  # noqa: DTZ001


def test_concurrent_writers_wait_for_each_other(tmp_path: Path, make_deal: MakeDeal) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    open_store(url).close()
    errors: list[BaseException] = []

    def writer(prefix: str) -> None:
        try:
            with open_store(url) as store:
                for page in range(20):
                    with store.transaction() as tx:
                        tx.count_deals()  # read first: a deferred transaction would fail to upgrade to a write
                        tx.upsert_deals([make_deal(f"{prefix}-{page}-{i}") for i in range(20)])
                        tx.set_cursor("sf-main", prefix, T0 + timedelta(seconds=page), f"{prefix}-{page}-19")
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with open_store(url) as store:
        assert store.count_deals() == 800
