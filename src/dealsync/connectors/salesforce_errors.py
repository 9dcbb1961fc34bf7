"""simple-salesforce's exceptions and transport errors, translated into dealsync's, in one place.

simple-salesforce maps a status to a class (400 malformed, 401 expired, 403 refused, 404 not found, else
general) and retries nothing but an expired session in login modes; what is transient is decided here from
the status and Salesforce's own ``errorCode``.
"""

from __future__ import annotations

from typing import Any

import requests
from simple_salesforce.exceptions import (
    SalesforceAuthenticationFailed,
    SalesforceError,
    SalesforceExpiredSession,
    SalesforceOperationError,
)

from dealsync.errors import AuthError, DealsyncError, FatalError, RetryableError

RETRYABLE_CODES = {"REQUEST_LIMIT_EXCEEDED", "UNABLE_TO_LOCK_ROW", "SERVER_UNAVAILABLE", "QUERY_TIMEOUT"}
LIMIT_BACKOFF_SECONDS = 2.0


class SessionExpired(DealsyncError):
    """INVALID_SESSION_ID: the caller may log in again once."""


def error_code(content: Any) -> tuple[str, str]:
    """``(errorCode, message)`` from Salesforce's error array ``[{"errorCode", "message"}]``."""
    first = content[0] if isinstance(content, list) and content else content
    if isinstance(first, dict):
        return str(first.get("errorCode") or first.get("statusCode") or ""), str(first.get("message") or "")
    return "", str(content)[:300]


def translate(exc: BaseException, connection: str) -> BaseException:
    """The dealsync error for ``exc``; unknown exceptions are returned unchanged."""
    if isinstance(exc, SalesforceExpiredSession):
        return SessionExpired(f"Salesforce session for connection {connection!r} expired or is invalid")
    if isinstance(exc, SalesforceAuthenticationFailed):
        return AuthError(f"Salesforce refused the login for connection {connection!r}: {exc.code}: {exc.message}")
    if isinstance(exc, SalesforceError):
        return _from_status(exc.status, exc.content, connection)
    if isinstance(exc, requests.exceptions.ConnectionError | requests.exceptions.Timeout):
        return RetryableError(f"Salesforce connection {connection!r} unreachable or reset: {type(exc).__name__}")
    if isinstance(exc, requests.exceptions.ChunkedEncodingError):
        return RetryableError(f"Salesforce connection {connection!r} dropped mid-response")
    if isinstance(exc, SalesforceOperationError):
        return FatalError(f"Salesforce bulk job for connection {connection!r} failed: {exc}")
    return exc


def _from_status(status: int, content: Any, connection: str) -> DealsyncError:
    code, message = error_code(content)
    text = f"Salesforce ({connection}) answered {status} {code}: {message}".rstrip(": ")
    if code == "REQUEST_LIMIT_EXCEEDED" and "TotalRequests" in message:
        return FatalError(
            f"{text}; the org's 24-hour API request allocation is used up: it frees up over the next 24 hours "
            "(Setup → Company Information shows usage), or ask Salesforce for a higher allocation"
        )
    if code == "REQUEST_LIMIT_EXCEEDED":  # concurrent long-running requests: clears within seconds
        return RetryableError(text, retry_after=LIMIT_BACKOFF_SECONDS, code=code)
    if code in RETRYABLE_CODES or status >= 500 or status == 429:
        return RetryableError(text, code=code)
    if status == 403:
        return FatalError(f"{text}; check the user's profile grants API access to Opportunity")
    return FatalError(text)
