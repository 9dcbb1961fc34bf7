"""hubspot-api-client's exceptions and urllib3's transport errors, translated into dealsync's, in one place.

Every API package of the SDK (``hubspot.crm.deals``, ``hubspot.crm.pipelines``, ``hubspot.oauth``, ...) has its
own, unrelated ``ApiException`` class, so this module never tests the class: it keys on the ``status`` attribute
and HubSpot's JSON body (``category``, ``message``, ``policyName``, or ``status``/``message`` on the OAuth
endpoint). The SDK is built with urllib3 retries off, so connection failures arrive as urllib3 errors (bare, or
wrapped in ``MaxRetryError``)::

    429                      -> RateLimited (a RetryableError; Retry-After, else by policyName)
    429 policyName DAILY     -> FatalError (the daily quota resets at midnight in the portal's time zone)
    401                      -> Unauthorized (an AuthError; the caller may refresh an OAuth token once)
    5xx                      -> RetryableError("SERVER_ERROR")
    other 4xx                -> Refused (a FatalError) with HubSpot's status, category and message
    connect / DNS failure    -> RetryableError("CONNECT")      (the request never left: safe to resend)
    reset / read timeout     -> RetryableError("DROPPED"/"TIMEOUT") (it may have been applied)
    TLS verification failure -> FatalError naming ``ca_bundle``
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from urllib3.exceptions import (
    ConnectTimeoutError,
    MaxRetryError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
    SSLError,
)
from urllib3.exceptions import TimeoutError as Urllib3Timeout

from dealsync.errors import AuthError, DealsyncError, FatalError, RetryableError

SECONDLY_WAIT = 1.0
# Codes of RetryableError that mean the request never reached HubSpot (or was refused before any work was done),
# so even a non-idempotent request may be sent again.
NEVER_APPLIED = frozenset({"CONNECT", "TEN_SECONDLY_ROLLING", "SECONDLY", "RATE_LIMIT"})
MESSAGE_LIMIT = 300


class RateLimited(RetryableError):
    """HubSpot answered 429; ``code`` is its ``policyName`` (``TEN_SECONDLY_ROLLING``, ``SECONDLY``, ...)."""


class Unauthorized(AuthError):
    """HubSpot answered 401: the token is missing, invalid or expired."""


class Refused(FatalError):
    """HubSpot refused the request (a 4xx other than 401 and 429); ``status`` and ``category`` say why."""

    def __init__(self, message: str, *, status: int, category: str) -> None:
        super().__init__(message)
        self.status = status
        self.category = category


def translate(exc: BaseException, connection: str = "hubspot") -> DealsyncError:
    """The dealsync error for anything the SDK raised; never carries a secret."""
    if isinstance(exc, DealsyncError):
        return exc
    status = getattr(exc, "status", None)
    if isinstance(status, int) and status > 0:
        return from_response(status, body_of(exc), headers_of(exc), connection)
    if isinstance(exc, MaxRetryError) and exc.reason is not None:
        return _transport(exc.reason, connection)
    return _transport(exc, connection)


def from_response(status: int, body: Mapping[str, Any], headers: Mapping[str, str], connection: str) -> DealsyncError:
    category = str(body.get("category") or body.get("errorType") or body.get("status") or "")
    message = _clip(str(body.get("message") or body.get("error_description") or "no message"))
    text = f"HubSpot ({connection}) answered {status} {category}: {message}".replace(" : ", ": ")
    if status == 429:
        return _rate_limited(body, headers, text, connection)
    if status == 401:
        return Unauthorized(text)
    if status >= 500:
        return RetryableError(text, code="SERVER_ERROR")
    if status == 403:
        text += (
            "; check the app's scopes (crm.objects.deals.read/write, crm.schemas.deals.read, "
            "crm.objects.companies.read, crm.objects.owners.read)"
        )
    return Refused(text, status=status, category=category or f"HTTP_{status}")


def _rate_limited(body: Mapping[str, Any], headers: Mapping[str, str], text: str, connection: str) -> DealsyncError:
    policy = str(body.get("policyName") or "RATE_LIMIT").upper()
    if policy == "DAILY":
        return FatalError(
            f"{text}; the daily API quota of HubSpot connection {connection!r} is used up (shared by "
            "every app in the portal); it resets at midnight in the portal's time zone: run again then"
        )
    hinted = retry_after(headers)
    if hinted is None and policy == "SECONDLY":
        hinted = SECONDLY_WAIT
    # TEN_SECONDLY_ROLLING without Retry-After: the caller asks its limiter when the window frees.
    return RateLimited(text, retry_after=hinted, code=policy)


def _transport(exc: BaseException, connection: str) -> DealsyncError:
    name = type(exc).__name__
    where = f"HubSpot connection {connection!r}"
    if isinstance(exc, SSLError) or "CERTIFICATE_VERIFY_FAILED" in str(exc):
        return FatalError(
            f"{where}: TLS verification failed ({name}); if a proxy or the emulator signs the "
            f"certificate, set connections[{connection}].ca_bundle to its CA file"
        )
    if isinstance(exc, ConnectTimeoutError | NewConnectionError):
        return RetryableError(f"{where}: cannot connect ({name})", code="CONNECT")
    if isinstance(exc, ReadTimeoutError | Urllib3Timeout | TimeoutError):
        return RetryableError(f"{where}: no answer in time ({name})", code="TIMEOUT")
    if isinstance(exc, ProtocolError | ConnectionError):
        return RetryableError(f"{where}: connection dropped mid-request ({name})", code="DROPPED")
    return FatalError(f"{where}: unexpected error from the HubSpot client: {name}: {_clip(str(exc))}")


def retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds form; HubSpot never sends an HTTP date)."""
    for key, value in headers.items():
        if key.lower() == "retry-after":
            try:
                seconds = float(value)
            except ValueError:
                return None
            return seconds if seconds >= 0 else None
    return None


def body_of(exc: BaseException) -> dict[str, Any]:
    """The JSON error body (the SDK leaves it a decoded ``str``, or ``bytes`` on some paths)."""
    raw = getattr(exc, "body", None)
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8", "replace")
    if not isinstance(raw, str) or not raw.strip():
        return {}
    try:
        parsed = json.loads(raw)
    except ValueError:
        return {"message": raw}
    return parsed if isinstance(parsed, dict) else {"message": raw}


def headers_of(exc: BaseException) -> dict[str, str]:
    raw = getattr(exc, "headers", None)
    if raw is None:
        return {}
    try:
        return {str(k): str(v) for k, v in dict(raw).items()}
    except (TypeError, ValueError):
        return {}


def may_resend(error: RetryableError) -> bool:
    """Whether a request that is not idempotent may be sent again after ``error``."""
    return error.code in NEVER_APPLIED or isinstance(error, RateLimited)


def _clip(text: str) -> str:
    return text if len(text) <= MESSAGE_LIMIT else text[: MESSAGE_LIMIT - 1] + "…"
