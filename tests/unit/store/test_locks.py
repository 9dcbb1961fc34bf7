"""One pull and one sync at a time: locks with a clear message, expiry and release."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from dealsync.errors import LockHeld
from dealsync.store import Store, open_store

T0 = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)


def test_second_holder_gets_a_clear_message(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    with open_store(url) as first, open_store(url) as second:
        first.acquire_lock("sync", holder="ci-runner pid 4242", ttl=timedelta(minutes=30), now=T0)
        with pytest.raises(LockHeld) as caught:
            second.acquire_lock("sync", holder="laptop pid 7", now=T0 + timedelta(minutes=1))
    message = str(caught.value)
    assert "another dealsync sync is running" in message
    assert "held by ci-runner pid 4242 since 2026-01-05 09:30:00 UTC" in message
    assert "expires by itself at 2026-01-05 10:00:00 UTC" in message
    assert "DELETE FROM locks WHERE name = 'sync'" in message


def test_locks_are_independent_by_name(store: Store) -> None:
    store.acquire_lock("pull", holder="a")
    store.acquire_lock("sync", holder="b")
    held = store.get_lock("pull")
    assert held is not None
    assert held.holder == "a"


def test_an_expired_lock_is_taken_over(store: Store) -> None:
    store.acquire_lock("sync", holder="crashed", ttl=timedelta(minutes=5), now=T0)
    info = store.acquire_lock("sync", holder="new", now=T0 + timedelta(minutes=6))
    assert info.holder == "new"
    assert not store.release_lock("sync", "crashed")  # no longer theirs
    assert store.release_lock("sync", "new")
    assert store.get_lock("sync") is None


def test_refresh_keeps_a_long_run_alive(store: Store) -> None:
    store.acquire_lock("sync", holder="long", ttl=timedelta(minutes=5), now=T0)
    store.refresh_lock("sync", "long", ttl=timedelta(minutes=5), now=T0 + timedelta(minutes=4))
    with pytest.raises(LockHeld):
        store.acquire_lock("sync", holder="other", now=T0 + timedelta(minutes=6))
    with pytest.raises(LockHeld, match="held by long"):
        store.refresh_lock("sync", "other")


def test_context_manager_releases_even_on_error(store: Store) -> None:
    def fail_while_locked() -> None:
        with store.lock("pull") as info:
            assert store.get_lock("pull") == info
            raise RuntimeError

    with pytest.raises(RuntimeError):
        fail_while_locked()
    assert store.get_lock("pull") is None
    with store.lock("pull"):
        pass


def test_break_lock(store: Store) -> None:
    store.acquire_lock("sync", holder="gone")
    assert store.break_lock("sync")
    assert not store.break_lock("sync")
    store.acquire_lock("sync", holder="me")
