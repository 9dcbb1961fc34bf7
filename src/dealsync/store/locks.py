"""Store locks: one pull and one sync at a time per store, with expiry so a crashed process cannot block forever.

A lock is a row in ``locks``. Acquiring it inserts the row (after deleting an expired one); if another holder's
row is there, ``LockHeld`` says who holds it, since when, and how to clear it.
"""

from __future__ import annotations

import os
import socket
from datetime import datetime, timedelta

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from dealsync.errors import LockHeld
from dealsync.store.tables import locks
from dealsync.store.values import LockInfo

DEFAULT_TTL = timedelta(minutes=30)


def default_holder() -> str:
    """Who this process is, as shown to a second process: host and pid."""
    return f"{socket.gethostname()} pid {os.getpid()}"


def get_lock(conn: Connection, name: str) -> LockInfo | None:
    row = conn.execute(select(locks).where(locks.c.name == name)).mappings().first()
    if row is None:
        return None
    return LockInfo(row["name"], row["holder"], row["acquired_at"], row["expires_at"])


def try_acquire(conn: Connection, name: str, holder: str, *, ttl: timedelta, now: datetime) -> bool:
    """Take the lock if it is free or expired; False when the insert lost (run it in its own transaction)."""
    conn.execute(delete(locks).where(locks.c.name == name, locks.c.expires_at <= now))
    try:
        with conn.begin_nested():
            conn.execute(insert(locks).values(name=name, holder=holder, acquired_at=now, expires_at=now + ttl))
    except IntegrityError:
        return False
    return True


def refresh(conn: Connection, name: str, holder: str, *, ttl: timedelta, now: datetime) -> bool:
    """Push the expiry of a lock we hold to ``now + ttl``; False when we no longer hold it."""
    stmt = update(locks).where(locks.c.name == name, locks.c.holder == holder).values(expires_at=now + ttl)
    return conn.execute(stmt).rowcount > 0


def release(conn: Connection, name: str, holder: str) -> bool:
    """Release a lock we hold; False when it was not ours (expired and taken, or already released)."""
    return conn.execute(delete(locks).where(locks.c.name == name, locks.c.holder == holder)).rowcount > 0


def break_lock(conn: Connection, name: str) -> bool:
    """Remove a lock whoever holds it: for a person who knows its holder is gone."""
    return conn.execute(delete(locks).where(locks.c.name == name)).rowcount > 0


def held_error(name: str, held: LockInfo | None, store: str) -> LockHeld:
    if held is None:  # released between our insert and our read: rare, and trying again is right
        return LockHeld(f"the {name!r} lock on store {store} changed hands while being taken; run the command again")
    clear = f"DELETE FROM locks WHERE name = '{name}'"  # noqa: S608 - shown to a person, never executed
    return LockHeld(
        f"another dealsync {name} is running on store {store}: the {name!r} lock is held by {held.holder} "
        f"since {held.acquired_at:%Y-%m-%d %H:%M:%S} UTC. Wait for it to finish. If that process is gone, the lock "
        f"expires by itself at {held.expires_at:%Y-%m-%d %H:%M:%S} UTC; to clear it now, delete it from the store "
        f"({clear})."
    )
