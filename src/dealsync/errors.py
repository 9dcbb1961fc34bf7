"""Every error dealsync raises, grouped by what the caller can do about it.

::

    DealsyncError                 anything dealsync raises on purpose
    ├── ConfigError               the config file or a flag is wrong: fix it and run again (exit 2)
    ├── RetryableError            try again later (rate limit, 5xx, reset); carries retry_after
    ├── RecordRejected            the CRM refused one record: skip it, report it, go on
    │   └── StaleWrite            the record changed since we read it: re-read before writing
    ├── LockHeld                  another pull or sync holds the lock: wait for it
    └── FatalError                stop this connection or run: auth, store, cursor
        ├── AuthError             credentials refused or expired beyond refresh
        └── StoreError            the database refused or is unreachable

Messages name the problem and the fix. No message ever carries a secret.
"""

from __future__ import annotations


class DealsyncError(Exception):
    """Base of every error dealsync raises on purpose."""


class ConfigError(DealsyncError):
    """The configuration is invalid; the message names the key path and the fix."""


class RetryableError(DealsyncError):
    """A transient failure: the same request may succeed later."""

    def __init__(self, message: str, *, retry_after: float | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.code = code


class RecordRejected(DealsyncError):
    """The CRM refused one record; the others go on."""

    def __init__(self, message: str, *, record_id: str, code: str | None = None) -> None:
        super().__init__(message)
        self.record_id = record_id
        self.code = code


class StaleWrite(RecordRejected):
    """The record changed in the CRM after we read it; writing would overwrite a person's edit."""


class LockHeld(DealsyncError):
    """Another dealsync process holds the lock this one needs."""


class FatalError(DealsyncError):
    """Stop: going on cannot succeed without a person's help."""


class AuthError(FatalError):
    """The CRM refused the credentials, and refreshing them did not help."""


class StoreError(FatalError):
    """The store refused a read or write, or is unreachable."""
